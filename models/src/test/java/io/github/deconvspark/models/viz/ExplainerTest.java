package io.github.deconvspark.models.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.autodiff.ReluRule;
import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.tfjs.TfjsModel;
import io.github.deconvspark.models.viz.Explainer.Method;
import io.github.deconvspark.models.viz.Explainer.Options;
import io.github.deconvspark.models.viz.Explainer.Target;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Explainer} (one call per method) and {@link Strongest} on the real gear model and crops of a real photo:
 * every method's result at batch 4 equals the batch-1 result bit for bit and does not depend on the image's place in
 * the list; the predicted class and the top-k against a brute-force loop of single-image runs; deconvnet of a unit
 * against the single-image {@link Projections} (which finds the strongest activation itself); guided Grad-CAM against
 * its definition by hand (guided backprop of the class times Grad-CAM upsampled by a naive loop); options refused.
 */
class ExplainerTest {
    static final String HEAD = TfjsGearTest.P + "gender_output/BiasAdd", CONV5 = TfjsGearTest.P + "conv2d_5/Relu",
            CONV6 = TfjsGearTest.P + "conv2d_6/Relu";
    static TfjsModel one, four;
    static List<INDArray> images;

    @BeforeAll static void load() throws Exception {
        one = TfjsModel.load(TfjsGearTest.gearModel(), 1);
        four = TfjsModel.load(TfjsGearTest.gearModel(), 4);
        BufferedImage photo = ImageIO.read(TfjsGearTest.astronautPng().toFile());
        images = new ArrayList<>();
        for (int[] at : new int[][] {{125, 10}, {40, 200}, {300, 290}, {200, 100}, {10, 10}}) {
            images.add(BatchProjectionsTest.crop(photo, at[0], at[1]).reshape(198, 198, 3));
        }
    }

    @AfterAll static void close() {
        one.close();
        four.close();
    }

    /** Cheap options: m 3, 2 samples, 3 by 3 occlusion windows. */
    static final Options CHEAP = Options.defaults().withLayer(CONV6).withSteps(3).withSmoothGrad(2, 0.1, Attributions.Base.GRADIENT)
            .withSeed(7).withOcclusion(66, 66, 0);

    @Test void everyMethodAtBatchFourEqualsBatchOneBitForBit() {
        List<INDArray> three = images.subList(0, 3);
        for (Method m : Method.values()) {
            if (m == Method.SCORECAM) continue;            // its own test below (one forward pass per map)
            List<Explainer.Explanation> a = new Explainer(four, HEAD).explain(three, m, CHEAP, Target.ofClass(0));
            List<Explainer.Explanation> b = new Explainer(one, HEAD).explain(three, m, CHEAP, Target.ofClass(0));
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(b.get(i).attribution().data().asDouble(), a.get(i).attribution().data().asDouble(), m + " image " + i);
                assertEquals(b.get(i).value(), a.get(i).value(), m + " score");
                INDArray d = a.get(i).display();
                assertArrayEquals(new long[] {198, 198}, d.shape(), m + " display");
                assertEquals(1.0, d.maxNumber().doubleValue(), 1e-12, m + " display max");
                assertTrue(d.minNumber().doubleValue() >= 0, m + " display min");
            }
            // the image's place in the list does not matter: image 2 alone equals image 2 of three
            Explainer.Explanation alone = new Explainer(four, HEAD).explain(three.get(2), m, CHEAP, Target.ofClass(0));
            assertArrayEquals(a.get(2).attribution().data().asDouble(), alone.attribution().data().asDouble(), m + " alone");
        }
    }

    @Test void scoreCamAtBatchFourEqualsBatchOne() {
        INDArray a = new Explainer(four, HEAD).explain(images.get(0), Method.SCORECAM, CHEAP, Target.ofClass(1)).attribution();
        INDArray b = new Explainer(one, HEAD).explain(images.get(0), Method.SCORECAM, CHEAP, Target.ofClass(1)).attribution();
        assertArrayEquals(b.data().asDouble(), a.data().asDouble());
        assertArrayEquals(new long[] {8, 8}, a.shape(), "conv2d_6's resolution");
    }

    @Test void methodsEqualTheAttributionsTheyName() {
        Explainer e = new Explainer(four, HEAD);
        INDArray x = images.get(1);
        Options o = CHEAP.withSteps(5, Attributions.Riemann.TRAPEZOID);
        assertArrayEquals(Attributions.integratedGradients(four.graph(), four.input(), four.layer(HEAD), x, Nd4j.zeros(198, 198, 3), 1, 5,
                        Attributions.Riemann.TRAPEZOID).data().asDouble(),
                e.explain(x, Method.INTEGRATED_GRADIENTS, o, Target.ofClass(1)).attribution().data().asDouble(), "ig from black");
        INDArray blurred = Baselines.blur(x, 5);
        assertArrayEquals(Attributions.integratedGradients(four.graph(), four.input(), four.layer(HEAD), x, blurred, 1, 5,
                        Attributions.Riemann.TRAPEZOID).data().asDouble(),
                e.explain(x, Method.INTEGRATED_GRADIENTS, o.withBaseline(Explainer.Baseline.BLUR), Target.ofClass(1)).attribution().data().asDouble(),
                "ig from the blurred image");
        INDArray sal = Projections.saliency(one.graph(), one.input(), one.layer(HEAD), x.reshape(1, 198, 198, 3), 1).projection();
        assertArrayEquals(sal.castTo(DataType.DOUBLE).reshape(198, 198).data().asDouble(),
                e.explain(x, Method.SALIENCY, o, Target.ofClass(1)).attribution().data().asDouble(), "saliency = Projections.saliency");
    }

    @Test void thePredictedClassIsTheLargestScore() {
        Explainer e = new Explainer(four, HEAD);
        int[] predicted = e.predicted(images);
        for (int i = 0; i < images.size(); i++) {
            INDArray s = one.graph().run(one.layer(HEAD), Map.of(one.input(), images.get(i).reshape(1, 198, 198, 3)));
            int best = s.getDouble(0, 1) > s.getDouble(0, 0) ? 1 : 0;
            assertEquals(best, predicted[i], "image " + i + " scores " + s);
            Explainer.Explanation ex = e.explain(images.get(i), Method.GRADIENT, CHEAP, Target.predicted());
            assertEquals(best, ex.classIndex());
            assertEquals(s.getDouble(0, best), ex.value(), 1e-6);
        }
    }

    @Test void deconvnetOfAUnitEqualsTheSingleImageProjection() {
        Explainer e = new Explainer(four, HEAD);
        List<Explainer.Explanation> ex = e.explain(images.subList(0, 3), Method.DECONVNET, CHEAP, Target.unit(CONV5, 3));
        for (int i = 0; i < 3; i++) {
            Projections.Projection p = Projections.deconvnet(one.graph(), one.input(), one.layer(CONV5), images.get(i).reshape(1, 198, 198, 3), 3);
            assertEquals(p.y(), ex.get(i).y());
            assertEquals(p.x(), ex.get(i).x());
            assertEquals(p.activation(), ex.get(i).value(), 0);
            assertArrayEquals(p.projection().castTo(DataType.DOUBLE).reshape(198, 198, 3).data().asDouble(),
                    ex.get(i).attribution().data().asDouble(), "image " + i);
        }
    }

    @Test void guidedGradCamIsGuidedBackpropTimesTheUpsampledCam() {
        INDArray x = images.get(0);
        INDArray got = new Explainer(one, HEAD).explain(x, Method.GUIDED_GRADCAM, CHEAP, Target.ofClass(0)).attribution();
        INDArray batch = x.reshape(1, 198, 198, 3);
        double[] gb = BatchProjections.classSeeded(ReluRule.GUIDED, one.graph(), one.input(), one.layer(HEAD), batch, new int[] {0})
                .maps().castTo(DataType.DOUBLE).dup('c').data().asDouble();
        INDArray cam = Projections.gradCam(one.graph(), one.input(), one.layer(CONV6), one.layer(HEAD), batch, 0).projection()
                .castTo(DataType.DOUBLE).reshape(8, 8);
        double[] want = new double[gb.length];
        double max = 0;
        for (int y = 0; y < 198; y++) {
            for (int xx = 0; xx < 198; xx++) {
                double sy = y * 7.0 / 197, sx = xx * 7.0 / 197;            // corners aligned: 0 -> 0, 197 -> 7
                int y0 = (int) sy, x0 = (int) sx, y1 = Math.min(7, y0 + 1), x1 = Math.min(7, x0 + 1);
                double fy = sy - y0, fx = sx - x0;
                double c = (1 - fy) * ((1 - fx) * cam.getDouble(y0, x0) + fx * cam.getDouble(y0, x1))
                        + fy * ((1 - fx) * cam.getDouble(y1, x0) + fx * cam.getDouble(y1, x1));
                for (int q = 0; q < 3; q++) {
                    int i = (y * 198 + xx) * 3 + q;
                    want[i] = gb[i] * c;
                    max = Math.max(max, Math.abs(want[i]));
                }
            }
        }
        assertTrue(max > 0, "a non-zero map");
        double[] g = got.data().asDouble();
        for (int i = 0; i < g.length; i++) assertEquals(want[i], g[i], 1e-12 * max, "cell " + i);
    }

    @Test void topKOverAnIteratorEqualsABruteForceRanking() {
        Explainer e = new Explainer(four, HEAD);
        for (Target t : List.of(Target.ofClass(1), Target.unit(CONV5, 2))) {
            List<Strongest.Ranked> top = Strongest.top(e, images.iterator(), t, 3);
            List<double[]> all = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                INDArray x = images.get(i).reshape(1, 198, 198, 3);
                double v = t.isUnit() ? one.graph().run(one.layer(CONV5), Map.of(one.input(), x)).get(
                        org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(2)).maxNumber().doubleValue()
                        : one.graph().run(one.layer(HEAD), Map.of(one.input(), x)).getDouble(0, 1);
                all.add(new double[] {i, v});
            }
            all.sort(Comparator.comparingDouble((double[] r) -> -r[1]).thenComparingDouble(r -> r[0]));
            assertEquals(3, top.size());
            for (int r = 0; r < 3; r++) {
                assertEquals((long) all.get(r)[0], top.get(r).index(), t + " rank " + r);
                assertEquals(all.get(r)[1], top.get(r).value(), 1e-6);
            }
        }
    }

    @Test void badOptionsAndTargetsAreRefusedBeforeAnyWork() {
        Explainer e = new Explainer(four, HEAD);
        INDArray x = images.get(0);
        assertMessage(() -> e.explain(x, Method.INTEGRATED_GRADIENTS, CHEAP.withSteps(0), Target.ofClass(0)), "steps 0");
        assertMessage(() -> e.explain(x, Method.SMOOTHGRAD, CHEAP.withSmoothGrad(4, -0.1, Attributions.Base.GRADIENT), Target.ofClass(0)),
                "sigma -0.1");
        assertMessage(() -> e.explain(x, Method.SMOOTHGRAD, CHEAP.withSmoothGrad(0, 0.1, Attributions.Base.GRADIENT), Target.ofClass(0)),
                "samples 0");
        assertMessage(() -> e.explain(x, Method.OCCLUSION, CHEAP.withOcclusion(199, 8, 0), Target.ofClass(0)), "window 199 must be 1 to 198");
        assertMessage(() -> e.explain(x, Method.GRADCAM, CHEAP.withLayer(TfjsGearTest.P + "dense_3/Relu"), Target.ofClass(0)), "conv layer");
        assertMessage(() -> e.explain(x, Method.GRADCAM, CHEAP.withLayer(null), Target.ofClass(0)), "needs Options.layer");
        assertMessage(() -> e.explain(x, Method.GRADIENT, CHEAP, Target.ofClass(2)), "class 2 is outside the head");
        assertMessage(() -> e.explain(x, Method.INTEGRATED_GRADIENTS, CHEAP, Target.unit(CONV5, 0)), "works with deconvnet and guided only");
        assertMessage(() -> e.explain(x, Method.DECONVNET, CHEAP, Target.unit(CONV5, 10_000)), "channel");
        assertMessage(() -> e.explain(Nd4j.zeros(100, 100, 3), Method.GRADIENT, CHEAP, Target.ofClass(0)), "does not match the model's input");
        assertMessage(() -> new Explainer(four, "no_such_layer"), "is not a layer");
        assertMessage(() -> Method.of("lime"), "is not one of");
    }

    @Test void baselines() {
        // a 1x5 single-channel row, sigma 0.5: radius 2 sigma = 1, weights (e^-2, 1, e^-2) normalized; the border replicated
        INDArray row = Nd4j.create(new double[] {0, 0, 1, 0, 4}, new long[] {1, 5, 1}, 'c');
        double[] k = {Math.exp(-2), 1, Math.exp(-2)};
        double sum = 0;
        for (double v : k) sum += v;
        double[] x = {0, 0, 0, 1, 0, 4, 4};                                // padded by 1 on each side
        double[] b = Baselines.blur(row, 0.5).data().asDouble();
        for (int i = 0; i < 5; i++) {
            double want = 0;
            for (int j = 0; j < 3; j++) want += k[j] / sum * x[i + j];
            assertEquals(want, b[i], 1e-15, "blurred cell " + i);        // the vertical pass over one row is the identity
        }
        INDArray u = Baselines.uniform(images.get(0), 3);
        assertArrayEquals(u.data().asDouble(), Baselines.uniform(images.get(0), 3).data().asDouble(), "seeded");
        assertTrue(u.minNumber().doubleValue() >= images.get(0).minNumber().doubleValue());
        assertTrue(u.maxNumber().doubleValue() <= images.get(0).maxNumber().doubleValue());
        assertThrows(IllegalArgumentException.class, () -> Baselines.blur(row, 0));
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable run, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, run);
        assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should say '" + part + "'");
    }
}
