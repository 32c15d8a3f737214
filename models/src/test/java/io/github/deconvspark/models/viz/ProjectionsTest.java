package io.github.deconvspark.models.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.Conv2D;
import io.github.deconvspark.kernels.MaxPoolWithArgmax;
import io.github.deconvspark.kernels.Pool2D;
import io.github.deconvspark.kernels.Unpool2D;
import io.github.deconvspark.kernels.autodiff.Gradients;
import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** {@link Projections} against independent computations with the kernels, and on the real gear model. */
class ProjectionsTest {
    static final int[] ONE = {1}, TWO = {2};

    /** x[1,9,9,2] -> conv 2x2 (+bias) -> relu -> maxpool 2x2 -> conv 2x2 (+bias) [1,3,3,4] -> dense [1,5]. */
    static final class TinyNet implements AutoCloseable {
        final Graph g = new Graph();
        final INDArray w1, b1, w2, b2, wd, bd, image;
        final Tensor x, c1, r1, p1, c2, score;

        TinyNet(long seed) {
            Nd4j.getRandom().setSeed(seed);
            w1 = Nd4j.randn(DataType.FLOAT, 2, 2, 2, 3);
            b1 = Nd4j.randn(DataType.FLOAT, 3).muli(0.3);
            w2 = Nd4j.randn(DataType.FLOAT, 2, 2, 3, 4);
            b2 = Nd4j.randn(DataType.FLOAT, 4).muli(0.3);
            wd = Nd4j.randn(DataType.FLOAT, 36, 5);
            bd = Nd4j.randn(DataType.FLOAT, 1, 5);
            image = Nd4j.randn(DataType.FLOAT, 1, 9, 9, 2);
            x = g.placeholder("x", DataType.FLOAT, 1, 9, 9, 2);
            c1 = Ops.biasAdd(Ops.conv2d(x, g.variable("w1", w1), ONE, Padding.VALID), g.variable("b1", b1));
            r1 = Ops.relu(c1);
            p1 = Ops.maxPool(r1, TWO, TWO, Padding.VALID, DataFormat.NHWC);
            c2 = Ops.biasAdd(Ops.conv2d(p1, g.variable("w2", w2), ONE, Padding.VALID), g.variable("b2", b2));
            score = Ops.add(Ops.matmul(Ops.reshape(c2, 1, 36), g.variable("wd", wd)), g.variable("bd", bd));
        }

        INDArray run(Tensor t) { return g.run(t, Map.of(x, image)); }

        @Override public void close() { g.close(); }
    }

    static void assertClose(INDArray expected, INDArray actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double scale = Math.max(1, expected.amaxNumber().doubleValue());
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= tol * scale, what + ": max|diff| " + diff + " > " + tol * scale);
    }

    /** Strongest activation of a channel, first in row-major order: {y, x}. */
    static int[] argmax(INDArray act, int ch) {
        int by = 0, bx = 0;
        for (int y = 0; y < act.size(1); y++)
            for (int x = 0; x < act.size(2); x++)
                if (act.getDouble(0, y, x, ch) > act.getDouble(0, by, bx, ch)) { by = y; bx = x; }
        return new int[] {by, bx};
    }

    /** Zeiler & Fergus directly with the kernels: conv2T(w2), unpool by switches, rectify (masked if guided), conv2T(w1); no bias. */
    static INDArray handProjection(TinyNet n, int ch, boolean guided) {
        INDArray act = n.run(n.c2);
        int[] p = argmax(act, ch);
        INDArray seed = Nd4j.zeros(DataType.FLOAT, 1, 3, 3, 4);
        seed.putScalar(new long[] {0, p[0], p[1], ch}, act.getDouble(0, p[0], p[1], ch));
        INDArray d1 = Conv2D.conv2dTranspose(seed, n.w2, new long[] {1, 4, 4, 3}, ONE, Padding.VALID, DataFormat.NHWC, ONE);
        INDArray relu1 = n.run(n.r1);
        MaxPoolWithArgmax sw = Pool2D.maxPoolWithArgmax(relu1, TWO, TWO, Padding.VALID, false);
        INDArray up = Unpool2D.maxUnpool(d1, sw.argmax(), new long[] {1, 8, 8, 3}, false);
        INDArray rect = Transforms.relu(up, true);
        if (guided) rect.muli(n.run(n.c1).gt(0).castTo(DataType.FLOAT));
        return Conv2D.conv2dTranspose(rect, n.w1, new long[] {1, 9, 9, 2}, ONE, Padding.VALID, DataFormat.NHWC, ONE);
    }

    @Test void deconvnetEqualsZeilerFergusWithTheKernels() {
        for (long seed : new long[] {1, 2, 3}) {
            try (TinyNet n = new TinyNet(seed)) {
                INDArray act = n.run(n.c2);
                for (int ch = 0; ch < 4; ch++) {
                    Projections.Projection pr = Projections.deconvnet(n.g, n.x, n.c2, n.image, ch);
                    int[] p = argmax(act, ch);
                    assertEquals(p[0], pr.y(), "y");
                    assertEquals(p[1], pr.x(), "x");
                    assertEquals(act.getDouble(0, p[0], p[1], ch), pr.activation(), 1e-6);
                    INDArray hand = handProjection(n, ch, false);
                    assertTrue(hand.amaxNumber().doubleValue() > 0, "non-trivial case");
                    assertClose(hand, pr.projection(), 1e-5, "deconvnet seed " + seed + " channel " + ch);
                }
            }
        }
    }

    @Test void guidedEqualsMaskedZeilerFergus() {
        try (TinyNet n = new TinyNet(4)) {
            n.b1.subi(1.5);   // (the variable reads this array) many non-positive ReLU inputs, all-dead pool windows
            for (int ch = 0; ch < 4; ch++) {
                INDArray hand = handProjection(n, ch, true);
                assertClose(hand, Projections.guided(n.g, n.x, n.c2, n.image, ch).projection(), 1e-5, "guided channel " + ch);
            }
            boolean anyDiff = false;
            for (int ch = 0; ch < 4; ch++) {
                anyDiff |= handProjection(n, ch, true).sub(handProjection(n, ch, false)).amaxNumber().doubleValue() > 1e-4;
            }
            assertTrue(anyDiff, "guided and deconvnet coincide on every channel: the test net does not exercise the mask");
        }
    }

    /** Input -> relu -> maxpool -> conv: the projection to the input is the signal at the ReLU's input itself. */
    @Test void guidedDiffersFromDeconvnetExactlyWhereTheReluInputIsNotPositive() {
        Nd4j.getRandom().setSeed(7);
        INDArray image = Nd4j.randn(DataType.FLOAT, 1, 6, 6, 2).subi(0.4);
        image.putScalar(new long[] {0, 0, 0, 0}, 0.0);   // an exact zero: the kink counts as "not positive"
        image.putScalar(new long[] {0, 2, 3, 1}, 0.0);
        INDArray w = Nd4j.randn(DataType.FLOAT, 2, 2, 2, 3);
        int differing = 0;
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.FLOAT, 1, 6, 6, 2);
            Tensor layer = Ops.conv2d(Ops.maxPool(Ops.relu(x), TWO, TWO, Padding.VALID, DataFormat.NHWC),
                    g.variable("w", w), ONE, Padding.VALID);
            for (int ch = 0; ch < 3; ch++) {
                INDArray d = Projections.deconvnet(g, x, layer, image, ch).projection();
                INDArray gd = Projections.guided(g, x, layer, image, ch).projection();
                for (long i = 0; i < image.length(); i++) {
                    double xi = image.getDouble(i), di = d.getDouble(i), gi = gd.getDouble(i);
                    assertTrue(di >= 0, "deconvnet passes max(R, 0)");
                    if (xi > 0) {
                        assertEquals(di, gi, 0.0, "x > 0 at " + i + ": guided must equal deconvnet");
                    } else {
                        assertEquals(0.0, gi, 0.0, "x <= 0 at " + i + ": guided must be zero");
                        if (di != 0) differing++;
                    }
                }
            }
        }
        assertTrue(differing > 0, "no element where x <= 0 received signal: the test does not exercise the difference");
    }

    @Test void saliencyIsMaxAbsOfThePlainGradient() {
        try (TinyNet n = new TinyNet(5)) {
            INDArray scores = n.run(n.score);
            for (int k = 0; k < 5; k++) {
                Tensor yk = Ops.slice(n.score, new long[] {0, k}, new long[] {1, 1});
                Tensor grad = Gradients.gradients(List.of(yk), List.of(n.x)).get(0);
                INDArray expected = Transforms.abs(n.run(grad), true).max(3);
                Projections.Projection s = Projections.saliency(n.g, n.x, n.score, n.image, k);
                assertArrayEquals(new long[] {1, 9, 9}, s.projection().shape());
                assertTrue(expected.amaxNumber().doubleValue() > 0);
                assertClose(expected, s.projection(), 1e-5, "saliency class " + k);
                assertEquals(scores.getDouble(0, k), s.activation(), 1e-5);
            }
        }
    }

    @Test void gradCamEqualsAHandComputation() {
        try (TinyNet n = new TinyNet(6)) {
            INDArray a = n.run(n.p1);                                   // [1,4,4,3]
            for (int k = 0; k < 5; k++) {
                // score_k = sum(c2 * Wd[:,k]) + bd_k, c2 = conv(p1, w2) + b2: d score_k / d p1 by the conv's transpose
                INDArray dC2 = n.wd.getColumn(k).dup().reshape(1, 3, 3, 4);
                INDArray dA = Conv2D.conv2dBackpropInput(new long[] {1, 4, 4, 3}, n.w2, dC2, ONE, Padding.VALID, DataFormat.NHWC, ONE);
                double[] wgt = new double[3];
                for (int c = 0; c < 3; c++) {
                    for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) wgt[c] += dA.getDouble(0, y, x, c);
                    wgt[c] /= 16;
                }
                INDArray expected = Nd4j.zeros(DataType.FLOAT, 1, 4, 4);
                for (int y = 0; y < 4; y++) {
                    for (int x = 0; x < 4; x++) {
                        double s = 0;
                        for (int c = 0; c < 3; c++) s += wgt[c] * a.getDouble(0, y, x, c);
                        expected.putScalar(new long[] {0, y, x}, Math.max(0, s));
                    }
                }
                Projections.Projection cam = Projections.gradCam(n.g, n.x, n.p1, n.score, n.image, k);
                assertClose(expected, cam.projection(), 1e-5, "grad-cam class " + k);
            }
        }
    }

    @Test void tiesGoToTheFirstMaximumInRowMajorOrder() {
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.FLOAT, 1, 3, 3, 2);
            Tensor layer = Ops.relu(x);
            INDArray image = Nd4j.zeros(DataType.FLOAT, 1, 3, 3, 2);
            image.putScalar(new long[] {0, 2, 0, 1}, 5);
            image.putScalar(new long[] {0, 0, 2, 1}, 5);
            image.putScalar(new long[] {0, 1, 1, 1}, 5);
            image.putScalar(new long[] {0, 0, 0, 0}, 9);
            Projections.Projection p = Projections.deconvnet(g, x, layer, image, 1);
            assertEquals(0, p.y());
            assertEquals(2, p.x());
            assertEquals(5.0, p.activation(), 0);
            INDArray expected = Nd4j.zeros(DataType.FLOAT, 1, 3, 3, 2);
            expected.putScalar(new long[] {0, 0, 2, 1}, 5);
            assertClose(expected, p.projection(), 0, "single seeded activation");
            Projections.Projection z = Projections.deconvnet(g, x, layer, image.mul(-1), 1);   // all-zero channel
            assertEquals(0, z.y());
            assertEquals(0, z.x());
            assertEquals(0.0, z.projection().amaxNumber().doubleValue(), 0);
        }
    }

    @Test void errorMessages() {
        try (TinyNet n = new TinyNet(8); Graph other = new Graph()) {
            IllegalArgumentException e;
            e = assertThrows(IllegalArgumentException.class, () -> Projections.deconvnet(n.g, n.x, n.c2, n.image, 4));
            assertTrue(e.getMessage().contains("channel 4 is out of range") && e.getMessage().contains("0 <= channel < 4"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Projections.guided(n.g, n.x, n.c2, n.image, -1));
            assertTrue(e.getMessage().contains("channel -1 is out of range"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Projections.saliency(n.g, n.x, n.score, n.image, 5));
            assertTrue(e.getMessage().contains("class 5 is out of range") && e.getMessage().contains("0 <= class < 5"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Projections.gradCam(n.g, n.x, n.p1, n.score, n.image, -2));
            assertTrue(e.getMessage().contains("class -2 is out of range"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Projections.deconvnet(n.g, n.x, n.score, n.image, 0));
            assertTrue(e.getMessage().contains("must be 4-D NHWC") && e.getMessage().contains("[1, 5]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Projections.gradCam(n.g, n.x, n.score, n.score, n.image, 0));
            assertTrue(e.getMessage().contains("must be 4-D NHWC"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Projections.saliency(n.g, n.x, n.c2, n.image, 0));
            assertTrue(e.getMessage().contains("must be [1, classes]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Projections.deconvnet(n.g, n.x, n.c2, Nd4j.zeros(DataType.FLOAT, 2, 9, 9, 2), 0));
            assertTrue(e.getMessage().contains("image shape [2, 9, 9, 2] does not match"), e.getMessage());
            Tensor foreign = other.placeholder("y", DataType.FLOAT, 1, 3, 3, 4);
            e = assertThrows(IllegalArgumentException.class, () -> Projections.deconvnet(n.g, n.x, foreign, n.image, 0));
            assertTrue(e.getMessage().contains("not a tensor of the given graph"), e.getMessage());
            Tensor unrelated = n.g.placeholder("z", DataType.FLOAT, 1, 2, 2, 1);
            e = assertThrows(IllegalArgumentException.class, () -> Projections.deconvnet(n.g, n.x, unrelated, n.image, 0));
            assertTrue(e.getMessage().contains("does not depend on"), e.getMessage());
            Tensor batch2 = n.g.placeholder("x2", DataType.FLOAT, 2, 9, 9, 2);
            e = assertThrows(IllegalArgumentException.class,
                    () -> Projections.deconvnet(n.g, batch2, n.c2, Nd4j.zeros(DataType.FLOAT, 2, 9, 9, 2), 0));
            assertTrue(e.getMessage().contains("only batch size 1"), e.getMessage());
        }
    }

    @Test void deconvnetOnTheGearModelAndARealPhoto() throws Exception {
        Path modelJson = TfjsGearTest.gearModel();
        Path photo = TfjsGearTest.astronautPng();
        INDArray image = Nd4j.create(TfjsGearTest.astronautFace(photo), new long[] {1, 198, 198, 3}, 'c');
        try (TfjsModel m = TfjsModel.load(modelJson)) {
            Tensor layer = m.layer(TfjsGearTest.P + "conv2d_6/Relu");
            INDArray act = m.graph().run(layer, Map.of(m.input(), image));
            int ch = 0;
            for (int c = 1; c < act.size(3); c++) {
                if (act.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(c)).maxNumber().doubleValue()
                        > act.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(ch)).maxNumber().doubleValue()) ch = c;
            }
            long t0 = System.nanoTime();
            Projections.Projection pr = Projections.deconvnet(m.graph(), m.input(), layer, image, ch);
            System.out.printf("gear deconvnet conv2d_6/Relu channel %d of %d: activation %.4g at (%d, %d), %.0f ms%n",
                    ch, act.size(3), pr.activation(), pr.y(), pr.x(), (System.nanoTime() - t0) / 1e6);
            INDArray p = pr.projection();
            assertArrayEquals(new long[] {1, 198, 198, 3}, p.shape());
            int[] pos = argmax(act, ch);
            assertEquals(pos[0], pr.y());
            assertEquals(pos[1], pr.x());
            assertEquals(act.getDouble(0, pos[0], pos[1], ch), pr.activation(), 1e-6);
            assertTrue(pr.activation() > 0);
            double[] v = p.castTo(DataType.DOUBLE).data().asDouble();
            int nonZero = 0;
            for (double d : v) {
                assertTrue(Double.isFinite(d), "non-finite projection value");
                if (d != 0) nonZero++;
            }
            assertTrue(nonZero > 0, "projection is all zeros");
        }
    }
}
