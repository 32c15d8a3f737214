package io.github.deconvspark.models.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.autodiff.ReluRule;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link BatchProjections} on the real gear model and three crops of a real photo: every slot of a batch
 * (the same image in two slots with different targets, a zero-filled slot left over) equals, bit for bit,
 * the single-image {@link Projections} result on the model loaded with batch 1.
 */
class BatchProjectionsTest {
    static final String CONV5 = TfjsGearTest.P + "conv2d_5/Relu", CONV6 = TfjsGearTest.P + "conv2d_6/Relu",
            HEAD = TfjsGearTest.P + "gender_output/BiasAdd";
    static final int S = 198, B = 4;
    static TfjsModel one, four;
    static INDArray[] crops;

    @BeforeAll static void load() throws Exception {
        Path json = TfjsGearTest.gearModel();
        one = TfjsModel.load(json, 1);
        four = TfjsModel.load(json, B);
        BufferedImage photo = ImageIO.read(TfjsGearTest.astronautPng().toFile());
        crops = new INDArray[] {crop(photo, 125, 10), crop(photo, 40, 200), crop(photo, 300, 290)};
    }

    @AfterAll static void close() {
        one.close();
        four.close();
    }

    static INDArray crop(BufferedImage img, int x0, int y0) {
        float[] f = new float[S * S * 3];
        for (int y = 0; y < S; y++) {
            for (int x = 0; x < S; x++) {
                int rgb = img.getRGB(x0 + x, y0 + y), o = (y * S + x) * 3;
                f[o] = ((rgb >> 16) & 0xff) / 255f;
                f[o + 1] = ((rgb >> 8) & 0xff) / 255f;
                f[o + 2] = (rgb & 0xff) / 255f;
            }
        }
        return Nd4j.create(f, new long[] {1, S, S, 3}, 'c');
    }

    /** Slots 0..2: crops 0, 1, 0 (the first image twice); slot 3 zeros. */
    static final int[] IMAGE_OF_SLOT = {0, 1, 0};

    static INDArray batch() {
        INDArray x = Nd4j.zeros(DataType.FLOAT, B, S, S, 3);
        for (int i = 0; i < IMAGE_OF_SLOT.length; i++) x.putSlice(i, crops[IMAGE_OF_SLOT[i]].slice(0));
        return x;
    }

    static float[] floats(INDArray a) {
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    /** Each slot's strongest activation of the given channel of the layer, in the single-image model. */
    static void projections(ReluRule rule) {
        Tensor layer1 = one.layer(CONV5), layer4 = four.layer(CONV5);
        int[] channels = {3, 3, 11};
        int[] ys = new int[3], xs = new int[3];
        double[] values = new double[3];
        for (int i = 0; i < 3; i++) {
            INDArray act = one.graph().run(layer1, Map.of(one.input(), crops[IMAGE_OF_SLOT[i]]));
            double best = Double.NEGATIVE_INFINITY;
            for (int y = 0; y < act.size(1); y++) {
                for (int x = 0; x < act.size(2); x++) {
                    double v = act.getDouble(0, y, x, channels[i]);
                    if (v > best) { best = v; ys[i] = y; xs[i] = x; }
                }
            }
            values[i] = best;
            assertTrue(best > 0, "slot " + i + ": channel " + channels[i] + " is not active");
        }
        BatchProjections.Batch b = BatchProjections.projectSeeded(rule, four.graph(), four.input(), layer4, batch(), channels, ys, xs, values);
        assertEquals(3, b.size());
        assertArrayEquals(new long[] {B, S, S, 3}, b.maps().shape());
        for (int i = 0; i < 3; i++) {
            Projections.Projection p = Projections.projectSeeded(rule, one.graph(), one.input(), layer1, crops[IMAGE_OF_SLOT[i]], channels[i],
                    ys[i], xs[i], values[i]);
            float[] single = floats(p.projection());
            assertTrue(nonZero(single) > 100, rule + " slot " + i + ": the single projection is (almost) all zeros");
            assertArrayEquals(single, b.floats(i), rule + " slot " + i + ": batched != single");
            assertEquals(values[i], b.get(i).activation());
        }
        assertTrue(!java.util.Arrays.equals(b.floats(0), b.floats(2)), "two targets of one image gave the same projection");
    }

    static int nonZero(float[] a) {
        int n = 0;
        for (float v : a) if (v != 0) n++;
        return n;
    }

    @Test void deconvnetSlotsEqualSingleImageProjections() {
        projections(ReluRule.DECONVNET);
    }

    @Test void guidedSlotsEqualSingleImageProjections() {
        projections(ReluRule.GUIDED);
    }

    @Test void saliencyAndGradCamSlotsEqualSingleImageMaps() {
        int[] classes = {0, 1, 1};
        BatchProjections.Batch sal = BatchProjections.saliency(four.graph(), four.input(), four.layer(HEAD), batch(), classes);
        BatchProjections.Batch cam = BatchProjections.gradCam(four.graph(), four.input(), four.layer(CONV6), four.layer(HEAD), batch(),
                classes);
        assertArrayEquals(new long[] {B, S, S}, sal.maps().shape());
        for (int i = 0; i < 3; i++) {
            INDArray img = crops[IMAGE_OF_SLOT[i]];
            Projections.Projection s = Projections.saliency(one.graph(), one.input(), one.layer(HEAD), img, classes[i]);
            assertArrayEquals(floats(s.projection()), sal.floats(i), "saliency slot " + i);
            assertEquals(s.activation(), sal.activations()[i], "saliency score, slot " + i);
            Projections.Projection c = Projections.gradCam(one.graph(), one.input(), one.layer(CONV6), one.layer(HEAD), img, classes[i]);
            assertTrue(nonZero(floats(c.projection())) > 0, "Grad-CAM slot " + i + " is all zeros");
            assertArrayEquals(floats(c.projection()), cam.floats(i), "Grad-CAM slot " + i);
        }
        assertTrue(!java.util.Arrays.equals(sal.floats(0), sal.floats(2)), "two classes of one image gave the same saliency map");
    }

    @Test void badTargetsAreRefusedWithTheRule() {
        Tensor layer = four.layer(CONV5);
        INDArray x = batch();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BatchProjections.projectSeeded(ReluRule.DECONVNET,
                four.graph(), four.input(), layer, x, new int[5], new int[5], new int[5], new double[5]));
        assertTrue(e.getMessage().contains("5 targets for a batch of 4 (legal: 1 to 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchProjections.projectSeeded(ReluRule.DECONVNET,
                four.graph(), four.input(), layer, x, new int[2], new int[1], new int[2], new double[2]));
        assertTrue(e.getMessage().contains("per-target arrays differ in length [2, 1, 2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchProjections.projectSeeded(ReluRule.GUIDED,
                four.graph(), four.input(), layer, x, new int[] {0, 9999}, new int[2], new int[2], new double[2]));
        assertTrue(e.getMessage().contains("channel 9999 is out of range"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchProjections.projectSeeded(ReluRule.GUIDED,
                four.graph(), four.input(), layer, x, new int[1], new int[] {-1}, new int[1], new double[1]));
        assertTrue(e.getMessage().contains("position (-1, 0) is outside layer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchProjections.saliency(four.graph(), four.input(), four.layer(HEAD), x,
                new int[] {2}));
        assertTrue(e.getMessage().contains("class 2 is out of range"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchProjections.saliency(four.graph(), four.input(), four.layer(HEAD),
                Nd4j.zeros(DataType.FLOAT, 1, S, S, 3), new int[] {0}));
        assertTrue(e.getMessage().contains("image shape [1, 198, 198, 3] does not match input"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchProjections.saliency(one.graph(), one.input(), four.layer(HEAD),
                crops[0], new int[] {0}));
        assertTrue(e.getMessage().contains("not a tensor of the given graph"), e.getMessage());
    }
}
