package io.github.deconvspark.kernels.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The checker itself: it catches wrong rules (first and second order), names the worst entry, and its generators avoid kinks. */
class GradientCheckTest {

    /** x^2 with the classic slip: the backward forgets the factor 2. */
    static final class WrongSquare extends Op {
        @Override public String type() { return "WrongSquare"; }

        @Override public INDArray forward(INDArray[] in) { return in[0].mul(in[0]); }

        @Override public Tensor[] backward(Backward b) { return new Tensor[] {Ops.mul(b.grad(), b.input(0))}; }
    }

    /** x^2 with a right first derivative 2 g x, built on stop_gradient(x): its own derivative in x is lost. */
    static final class FirstOrderOnlySquare extends Op {
        @Override public String type() { return "FirstOrderOnlySquare"; }

        @Override public INDArray forward(INDArray[] in) { return in[0].mul(in[0]); }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {Ops.mul(b.grad(), Ops.mul(Ops.stopGradient(b.input(0)), 2.0))};
        }
    }

    /** bias_add whose bias gradient averages instead of summing over the batch. */
    static final class MeanBiasAdd extends Op {
        @Override public String type() { return "MeanBiasAdd"; }

        @Override public INDArray forward(INDArray[] in) { return in[0].add(in[1]); }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {b.grad(), Ops.reduceMean(b.grad(), false, 0)};
        }
    }

    @Test
    void wrongFirstOrderRuleIsCaughtAndTheWorstEntryNamed() {
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.DOUBLE, 4);
            Tensor y = g.apply(new WrongSquare(), x.shape(), x.dataType(), x);
            INDArray v = Nd4j.create(new double[] {0.5, -3, 1, 2}, new long[] {4}, DataType.DOUBLE);
            GradientCheck.Result r = GradientCheck.check(y, List.of(x), Map.of(x, v));
            assertFalse(r.passed(), r.report());
            assertEquals(4, r.failed(), r.report()); // the 4 diagonal entries; off-diagonal zeros agree
            assertEquals(16, r.compared());
            assertEquals("d WrongSquare[1] / d x[1]", r.worst(), r.report());
            assertEquals(-3.0, r.analytic(), 1e-12);
            assertEquals(-6.0, r.numeric(), 1e-6);
            assertTrue(r.report().contains("FAILED") && r.report().contains("analytic -3") && r.report().contains("numeric -6"),
                    r.report());
        }
    }

    @Test
    void wrongBiasGradientIsCaught() {
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.DOUBLE, 3, 2);
            Tensor b = g.placeholder("b", DataType.DOUBLE, 2);
            Tensor y = Ops.reduceSum(Ops.square(g.apply(new MeanBiasAdd(), x.shape(), x.dataType(), x, b)));
            Map<Tensor, INDArray> feeds = Map.of(x, GradientCheck.uniform(DataType.DOUBLE, 1, -1, 1, 3, 2),
                    b, GradientCheck.uniform(DataType.DOUBLE, 2, -1, 1, 2));
            GradientCheck.Result r = GradientCheck.check(y, List.of(x, b), feeds);
            assertFalse(r.passed(), r.report());
            assertTrue(r.worst().contains("/ d b["), r.report()); // x's gradient is right
            assertTrue(GradientCheck.check(y, List.of(x), feeds).passed());
        }
    }

    @Test
    void ruleRightOnlyToFirstOrderIsCaughtBySecondOrder() {
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.DOUBLE, 3);
            Tensor y = g.apply(new FirstOrderOnlySquare(), x.shape(), x.dataType(), x);
            Map<Tensor, INDArray> feeds = Map.of(x, GradientCheck.uniform(DataType.DOUBLE, 3, 0.5, 1, 3));
            assertTrue(GradientCheck.check(y, List.of(x), feeds).passed());
            GradientCheck.Result r = GradientCheck.checkSecondOrder(y, List.of(x), feeds, GradientCheck.Options.defaults());
            assertFalse(r.passed(), r.report());
            assertTrue(r.worst().contains("/ d x["), r.report());
        }
    }

    @Test
    void directionalModeCatchesAWrongRuleOnALargeTensor() {
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.DOUBLE, 40, 50);
            Tensor y = g.apply(new WrongSquare(), x.shape(), x.dataType(), x);
            Map<Tensor, INDArray> feeds = Map.of(x, GradientCheck.uniform(DataType.DOUBLE, 4, -1, 1, 40, 50));
            GradientCheck.Result r = GradientCheck.check(y, List.of(x), feeds);
            assertEquals("12 random directions", r.mode());
            assertFalse(r.passed(), r.report());
            assertEquals(12, r.failed(), r.report());
            Tensor right = Ops.square(x);
            GradientCheck.Result ok = GradientCheck.check(right, List.of(x), feeds);
            assertTrue(ok.passed(), ok.report());
            assertEquals(12, ok.compared());
        }
    }

    /** A small CNN (conv, bias, relu, max pool, conv, relu, avg pool, dense, softmax cross-entropy) in random directions. */
    @Test
    void smallNetworkInRandomDirections() {
        try (Graph g = new Graph()) {
            Tensor img = g.placeholder("image", DataType.DOUBLE, 2, 8, 8, 3);
            Tensor w1 = g.placeholder("w1", DataType.DOUBLE, 3, 3, 3, 4);
            Tensor b1 = g.placeholder("b1", DataType.DOUBLE, 4);
            Tensor w2 = g.placeholder("w2", DataType.DOUBLE, 3, 3, 4, 6);
            Tensor dense = g.placeholder("dense", DataType.DOUBLE, 6 * 2 * 2, 5);
            Tensor labels = g.constant(Nd4j.create(new double[] {0, 1, 0, 0, 0, 0, 0, 0, 0.5, 0.5}, new long[] {2, 5}, DataType.DOUBLE));
            int[] s1 = {1};
            int[] k2 = {2};
            Tensor h = Ops.relu(Ops.biasAdd(Ops.conv2d(img, w1, s1, Padding.SAME), b1));
            h = Ops.maxPool(h, k2, k2, Padding.VALID, DataFormat.NHWC);
            h = Ops.relu(Ops.conv2d(h, w2, s1, Padding.SAME));
            h = Ops.avgPool(h, k2, k2, Padding.VALID, DataFormat.NHWC);
            Tensor logits = Ops.matmul(Ops.reshape(h, 2, -1), dense);
            Tensor loss = Ops.reduceMean(Ops.softmaxCrossEntropyWithLogits(labels, logits));
            Map<Tensor, INDArray> feeds = Map.of(
                    img, GradientCheck.distinct(DataType.DOUBLE, 1, 2, 8, 8, 3),
                    w1, GradientCheck.uniform(DataType.DOUBLE, 2, -0.5, 0.5, 3, 3, 3, 4),
                    b1, GradientCheck.uniform(DataType.DOUBLE, 3, -0.1, 0.1, 4),
                    w2, GradientCheck.uniform(DataType.DOUBLE, 4, -0.5, 0.5, 3, 3, 4, 6),
                    dense, GradientCheck.uniform(DataType.DOUBLE, 5, -0.5, 0.5, 24, 5));
            GradientCheck.Result r = GradientCheck.check(loss, List.of(img, w1, b1, w2, dense), feeds,
                    GradientCheck.Options.defaults().withDirections(0, 24));
            assertTrue(r.passed(), r.report());
            assertEquals(24, r.compared());
        }
    }

    @Test
    void distinctValuesAreDistinctAndAwayFromZero() {
        for (int n : new int[] {1, 2, 7, 64, 1000}) {
            double[] v = GradientCheck.distinct(DataType.DOUBLE, n, n).data().asDouble();
            double[] sorted = v.clone();
            Arrays.sort(sorted);
            for (int i = 1; i < n; i++) assertEquals(2.0 / n, sorted[i] - sorted[i - 1], 1e-12);
            assertTrue(Arrays.stream(v).allMatch(d -> Math.abs(d) >= 0.5 / n - 1e-15 && Math.abs(d) < 1.5), Arrays.toString(v));
        }
        double[] a = GradientCheck.awayFromZero(DataType.DOUBLE, 1, 0.2, 1, 1000).data().asDouble();
        assertTrue(Arrays.stream(a).allMatch(d -> Math.abs(d) >= 0.2 && Math.abs(d) <= 1));
        assertTrue(Arrays.stream(a).anyMatch(d -> d < 0) && Arrays.stream(a).anyMatch(d -> d > 0));
    }

    @Test
    void checkerNeedsFedOrVariableXs() {
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.DOUBLE, 2);
            Tensor h = Ops.square(x);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GradientCheck.check(Ops.reduceSum(h), List.of(h), Map.of(x, Nd4j.ones(DataType.DOUBLE, 2))));
            assertTrue(e.getMessage().contains("neither fed nor a variable"), e.getMessage());
        }
    }

    @Test
    void tolerancesAreParameters() {
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.DOUBLE, 3);
            Tensor y = Ops.exp(x);
            Map<Tensor, INDArray> feeds = Map.of(x, GradientCheck.uniform(DataType.DOUBLE, 9, -1, 1, 3));
            // eps 0.1: the central difference is off by ~eps^2/6 = 1.7e-3 relative, beyond rtol 1e-3 ...
            GradientCheck.Options coarse = GradientCheck.Options.defaults().withTolerances(0.1, 1e-5, 1e-3);
            assertFalse(GradientCheck.check(y, List.of(x), feeds, coarse).passed());
            // ... and within rtol 1e-2.
            assertTrue(GradientCheck.check(y, List.of(x), feeds, coarse.withTolerances(0.1, 1e-5, 1e-2)).passed());
            assertEquals(9, IntStream.of(GradientCheck.check(y, List.of(x), feeds).compared()).sum());
        }
    }
}
