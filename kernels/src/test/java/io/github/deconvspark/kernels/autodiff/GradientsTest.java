package io.github.deconvspark.kernels.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.Conv2D;
import io.github.deconvspark.kernels.MaxPoolWithArgmax;
import io.github.deconvspark.kernels.Pool2D;
import io.github.deconvspark.kernels.Unpool2D;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** gradients()' contract (SEMANTICS.md): unconnected xs, stop gradients, summing, ReLU rules, higher orders. */
class GradientsTest {

    static INDArray vec(double... v) {
        return Nd4j.create(v, new long[] {v.length}, DataType.DOUBLE);
    }

    static double[] run(Tensor t) {
        return t.graph().run(t).data().asDouble();
    }

    /** An op whose backward must never be called: it stands on no path between the xs and the ys. */
    static final class Untouchable extends Op {
        @Override public String type() { return "Untouchable"; }

        @Override public INDArray forward(INDArray[] in) { return in[0].dup(); }

        @Override public Tensor[] backward(Backward b) { throw new AssertionError("backward of " + b.output() + " was visited"); }
    }

    @Test
    void integerMaxPoolRunsWithoutAGradient() {
        try (Graph g = new Graph()) {
            INDArray image = Nd4j.createFromArray(new int[] {3, -7, 250, 9, 4, 4, -1, 0, 12, 8, 8, 100, 5, 6, 7, 2}).reshape(1, 4, 4, 1);
            for (DataType t : new DataType[] {DataType.INT, DataType.UBYTE}) {
                INDArray in = t == DataType.INT ? image : Transforms.abs(image, true).castTo(t);
                Tensor x = g.constant(in);
                Tensor y = Ops.maxPool(x, new int[] {2}, new int[] {2}, Padding.VALID, DataFormat.NHWC);
                INDArray pooled = g.run(y);
                assertEquals(t, pooled.dataType());
                assertEquals(Pool2D.maxPool(in.castTo(DataType.DOUBLE), new int[] {2}, new int[] {2}, Padding.VALID, DataFormat.NHWC)
                        .castTo(t), pooled);
                assertNull(Gradients.gradient(y, x), "an integer tensor has no gradient (TF's None)");
            }
        }
    }

    @Test
    void unconnectedIsNullOrZeros() {
        try (Graph g = new Graph()) {
            Tensor a = g.variable("a", vec(1, 2));
            Tensor b = g.variable("b", Nd4j.ones(DataType.DOUBLE, 2, 3));
            Tensor y = Ops.reduceSum(Ops.square(a));
            assertNull(Gradients.gradients(y, List.of(b)).get(0));
            List<Tensor> z = Gradients.gradients(List.of(y), List.of(a, b), null, List.of(), Gradients.Unconnected.ZERO);
            assertArrayEquals(new double[] {2, 4}, run(z.get(0)));
            INDArray zeros = g.run(z.get(1));
            assertArrayEquals(new long[] {2, 3}, zeros.shape());
            assertEquals(0, zeros.sumNumber().doubleValue());
        }
    }

    @Test
    void onlyNodesBetweenXsAndYsAreVisited() {
        try (Graph g = new Graph()) {
            Tensor a = g.variable("a", vec(1, 2));
            Tensor c = g.variable("c", vec(3, 4));
            Tensor offPath = g.apply(new Untouchable(), c.shape(), c.dataType(), c);      // depends on no x
            Tensor deadEnd = g.apply(new Untouchable(), a.shape(), a.dataType(), a);       // leads to no y
            Tensor y = Ops.reduceSum(Ops.add(Ops.mul(a, a), offPath));
            assertNotNull(deadEnd);
            assertArrayEquals(new double[] {2, 4}, run(Gradients.gradient(y, a)));
            // Through a tensor in stopGradients, nothing upstream is visited either.
            Tensor blocked = g.apply(new Untouchable(), a.shape(), a.dataType(), a);
            Tensor y2 = Ops.reduceSum(Ops.mul(blocked, a));
            List<Tensor> r = Gradients.gradients(List.of(y2), List.of(a), null, List.of(blocked), Gradients.Unconnected.NONE);
            assertArrayEquals(new double[] {1, 2}, run(r.get(0)));
        }
    }

    @Test
    void stopGradientsHoldForOneCallOnly() {
        try (Graph g = new Graph()) {
            Tensor x = g.variable("x", vec(1, 3));
            Tensor a = Ops.mul(x, 2.0);
            Tensor y = Ops.mul(a, x); // 2 x^2
            List<Tensor> stopped = Gradients.gradients(List.of(y), List.of(x), null, List.of(a), Gradients.Unconnected.NONE);
            assertArrayEquals(new double[] {2, 6}, run(stopped.get(0)));   // a treated as a constant: d(a x)/dx = a
            assertArrayEquals(new double[] {4, 12}, run(Gradients.gradient(y, x)));   // the next call: 4x
            // A stopped tensor that is itself an x still gets its gradient (TF: it is an output).
            List<Tensor> self = Gradients.gradients(List.of(y), List.of(a), null, List.of(a), Gradients.Unconnected.NONE);
            assertArrayEquals(new double[] {1, 3}, run(self.get(0)));
            // x only reaches y through the stopped a and through the product: without the product it is unconnected.
            Tensor y3 = Ops.reduceSum(Ops.square(a));
            assertNull(Gradients.gradients(List.of(y3), List.of(x), null, List.of(a), Gradients.Unconnected.NONE).get(0));
        }
    }

    @Test
    void stopGradientBlocksEveryOrder() {
        try (Graph g = new Graph()) {
            Tensor x = g.variable("x", vec(1.5, -2));
            Tensor y = Ops.mul(Ops.mul(Ops.stopGradient(x), x), x); // x^3, with one factor held constant
            Tensor dy = Gradients.gradient(Ops.reduceSum(y), x);    // 2 sg(x) x = 2 x^2 in value
            Tensor d2y = Gradients.gradient(Ops.reduceSum(dy), x);  // 2 sg(x) = 2 x (not 6 x)
            assertArrayEquals(new double[] {4.5, 8}, run(dy), 1e-12);
            assertArrayEquals(new double[] {3, -4}, run(d2y), 1e-12);
            assertNull(Gradients.gradient(Ops.reduceSum(Ops.stopGradient(dy)), x));
        }
    }

    @Test
    void thirdDerivativeOfACube() {
        try (Graph g = new Graph()) {
            Tensor x = g.variable("x", vec(1.5, -2));
            Tensor y = Ops.reduceSum(Ops.mul(Ops.square(x), x));
            Tensor d1 = Gradients.gradient(y, x);
            Tensor d2 = Gradients.gradient(Ops.reduceSum(d1), x);
            Tensor d3 = Gradients.gradient(Ops.reduceSum(d2), x);
            assertArrayEquals(new double[] {6.75, 12}, run(d1), 1e-12);
            assertArrayEquals(new double[] {9, -12}, run(d2), 1e-12);
            assertArrayEquals(new double[] {6, 6}, run(d3), 1e-12);
        }
    }

    @Test
    void gradientsSumOverYsAndRepeats() {
        try (Graph g = new Graph()) {
            Tensor x = g.variable("x", vec(1, 2));
            Tensor y = Ops.reduceSum(Ops.square(x));
            assertArrayEquals(new double[] {4, 8}, run(Gradients.gradients(List.of(y, y), List.of(x)).get(0)));
            // y == x: the gradient is grad_y itself (ones by default).
            assertArrayEquals(new double[] {1, 1}, run(Gradients.gradient(x, x)));
            Tensor gy = g.constant(vec(5, 7));
            assertSame(gy, Gradients.gradients(List.of(x), List.of(x), List.of(gy)).get(0));
            // Repeated xs get the same gradient.
            List<Tensor> twice = Gradients.gradients(y, List.of(x, x));
            assertArrayEquals(run(twice.get(0)), run(twice.get(1)));
        }
    }

    @Test
    void reluBackwardRules() {
        try (Graph g = new Graph()) {
            Tensor x = g.variable("x", vec(-2, -1, 1, 2));
            Tensor y = Ops.relu(x);
            List<Tensor> r = List.of(g.constant(vec(1, -1, -1, 1)));
            Map<ReluRule, double[]> expected = Map.of(
                    ReluRule.GRADIENT, new double[] {0, 0, -1, 1},     // R [x > 0]
                    ReluRule.DECONVNET, new double[] {1, 0, 0, 1},     // max(R, 0)
                    ReluRule.GUIDED, new double[] {0, 0, 0, 1});       // max(R, 0) [x > 0]
            for (ReluRule rule : ReluRule.values()) {
                Tensor d = Gradients.gradients(List.of(y), List.of(x), r, List.of(), Gradients.Unconnected.NONE, rule).get(0);
                assertArrayEquals(expected.get(rule), run(d), 0.0, rule.name()); // delta 0: -0.0 == 0.0
            }
        }
    }

    /**
     * Zeiler and Fergus's deconvnet projection of one activation after conv, relu and max pool,
     * as gradients(rule DECONVNET) gives it, against the projection written out with the kernels:
     * unpool with the recorded switches, rectify, transposed filter.
     */
    @Test
    void deconvnetProjectionMatchesTheKernelsByHand() {
        try (Graph g = new Graph()) {
            INDArray image = GradientCheck.distinct(DataType.DOUBLE, 3, 1, 6, 6, 2);
            INDArray filter = GradientCheck.uniform(DataType.DOUBLE, 4, -1, 1, 3, 3, 2, 3);
            Tensor x = g.constant(image);
            Tensor w = g.constant(filter);
            int[] one = {1};
            int[] two = {2};
            Tensor conv = Ops.conv2d(x, w, one, Padding.SAME);
            Tensor pooled = Ops.maxPool(Ops.relu(conv), two, two, Padding.VALID, DataFormat.NHWC);
            INDArray selected = Nd4j.create(DataType.DOUBLE, 1, 3, 3, 3);
            selected.putScalar(new long[] {0, 1, 2, 1}, 2.5);
            Tensor projection = Gradients.gradients(List.of(pooled), List.of(x), List.of(g.constant(selected)), List.of(),
                    Gradients.Unconnected.NONE, ReluRule.DECONVNET).get(0);

            INDArray c = Conv2D.conv2d(image, filter, one, Padding.SAME, DataFormat.NHWC, one);
            INDArray relu = Transforms.relu(c, true);
            MaxPoolWithArgmax switches = Pool2D.maxPoolWithArgmax(relu, two, two, Padding.VALID, false);
            INDArray down = Unpool2D.maxUnpool(selected, switches.argmax(), relu.shape(), false);
            down = Transforms.relu(down, true);
            INDArray expected = Conv2D.conv2dTranspose(down, filter, image.shape(), one, Padding.SAME, DataFormat.NHWC, one);
            INDArray got = g.run(projection);
            assertArrayEquals(expected.data().asDouble(), got.data().asDouble(), 1e-12);
            assertTrue(expected.amaxNumber().doubleValue() > 0);
        }
    }

    /** Ties route to the first maximum in row-major window order (the tutorial's pooling image, every window tied). */
    @Test
    void maxPoolGradientGoesToTheFirstMaximum() {
        try (Graph g = new Graph()) {
            float[] v = new float[32];
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    v[(y * 4 + x) * 2] = y;
                    v[(y * 4 + x) * 2 + 1] = y + 4;
                }
            }
            Tensor img = g.variable("img", Nd4j.create(v, new long[] {1, 4, 4, 2}, DataType.FLOAT));
            int[] k = {1, 2, 2, 1};
            for (DataFormat f : new DataFormat[] {DataFormat.NHWC, DataFormat.NCHW}) {
                Tensor in = f == DataFormat.NHWC ? img : Ops.transpose(img, 0, 3, 1, 2);
                int[] kf = f == DataFormat.NHWC ? k : new int[] {1, 1, 2, 2};
                Tensor grad = Gradients.gradient(Ops.reduceSum(Ops.maxPool(in, kf, kf, Padding.SAME, f)), img);
                float[] got = g.run(grad).data().asFloat();
                float[] expected = new float[32];
                for (int i : new int[] {8, 9, 12, 13, 24, 25, 28, 29}) expected[i] = 1;
                assertArrayEquals(expected, got, f.name());
            }
        }
    }

    /**
     * A Hessian-vector product of sum(max_pool(relu(conv2d(x, w)))^2 + sum(max_pool(relu(conv2d(x, w))))
     * in (x, w) jointly, against central differences of the gradient along v.
     */
    @Test
    void hessianVectorProductThroughConvReluMaxPool() {
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.DOUBLE, 2, 6, 6, 2);
            Tensor w = g.placeholder("w", DataType.DOUBLE, 3, 3, 2, 3);
            int[] one = {1};
            int[] two = {2};
            Tensor p = Ops.maxPool(Ops.relu(Ops.conv2d(x, w, one, Padding.SAME)), two, two, Padding.SAME, DataFormat.NHWC);
            Tensor loss = Ops.add(Ops.reduceSum(p), Ops.mul(Ops.reduceSum(Ops.square(p)), 0.5));
            List<Tensor> grad = Gradients.gradients(loss, List.of(x, w));
            Tensor vx = g.placeholder("vx", DataType.DOUBLE, x.shape());
            Tensor vw = g.placeholder("vw", DataType.DOUBLE, w.shape());
            Tensor gv = Ops.add(Ops.reduceSum(Ops.mul(grad.get(0), vx)), Ops.reduceSum(Ops.mul(grad.get(1), vw)));
            List<Tensor> hv = Gradients.gradients(gv, List.of(x, w));

            INDArray x0 = GradientCheck.distinct(DataType.DOUBLE, 1, x.shape());
            INDArray w0 = GradientCheck.uniform(DataType.DOUBLE, 2, -1, 1, w.shape());
            INDArray dx = GradientCheck.uniform(DataType.DOUBLE, 3, -1, 1, x.shape());
            INDArray dw = GradientCheck.uniform(DataType.DOUBLE, 4, -1, 1, w.shape());
            Map<Tensor, INDArray> feeds = new HashMap<>(Map.of(x, x0, w, w0, vx, dx, vw, dw));
            List<INDArray> analytic = g.run(hv, feeds);

            double eps = 1e-6;
            List<INDArray> plus = g.run(grad, Map.of(x, x0.add(dx.mul(eps)), w, w0.add(dw.mul(eps))));
            List<INDArray> minus = g.run(grad, Map.of(x, x0.sub(dx.mul(eps)), w, w0.sub(dw.mul(eps))));
            for (int i = 0; i < 2; i++) {
                INDArray numeric = plus.get(i).sub(minus.get(i)).div(2 * eps);
                double scale = numeric.norm2Number().doubleValue();
                assertTrue(scale > 1, "the Hessian-vector product should not vanish here: " + scale);
                double err = analytic.get(i).sub(numeric).norm2Number().doubleValue();
                assertTrue(err < 1e-5 * scale + 1e-6, "HVP " + (i == 0 ? "x" : "w") + ": |analytic - numeric| = " + err
                        + " for |numeric| = " + scale);
            }
        }
    }

    @Test
    void feedingAnIntermediateSkipsWhatItDependsOn() {
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.DOUBLE, 2);
            Tensor h = Ops.square(x);
            Tensor y = Ops.add(h, 1.0);
            assertArrayEquals(new double[] {4, 6}, g.run(y, Map.of(h, vec(3, 5))).data().asDouble());
            List<INDArray> both = g.run(List.of(y, y, x), Map.of(x, vec(1, 2)));
            assertArrayEquals(new double[] {2, 5}, both.get(0).data().asDouble());
            assertTrue(both.get(0) != both.get(1));
            assertArrayEquals(new double[] {1, 2}, both.get(2).data().asDouble());
        }
    }

    @Test
    void variablesReadTheirCurrentValue() {
        try (Graph g = new Graph()) {
            Tensor v = g.variable("v", vec(1, 2));
            Tensor y = Ops.reduceSum(Ops.square(v));
            Tensor d = Gradients.gradient(y, v);
            assertArrayEquals(new double[] {2, 4}, run(d));
            v.assign(vec(3, -1));
            assertArrayEquals(new double[] {6, -2}, run(d));
            assertEquals(10, run(y)[0]);
        }
    }

    @Test
    void gradientGraphsReuseTheForwardValues() {
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.DOUBLE, 3);
            List<Tensor> ys = new ArrayList<>();
            Tensor h = x;
            for (int i = 0; i < 5; i++) {
                h = Ops.tanh(h);
                ys.add(h);
            }
            int before = g.size();
            Tensor d = Gradients.gradient(Ops.reduceSum(h), x);
            // tanh's rule uses its output: per layer one product and one 1 - y^2, no forward recomputation.
            assertTrue(g.size() - before < 5 * 4 + 4, "gradient added " + (g.size() - before) + " nodes");
            assertEquals(3, g.run(d, Map.of(x, vec(0.1, 0.2, 0.3))).length());
        }
    }
}
