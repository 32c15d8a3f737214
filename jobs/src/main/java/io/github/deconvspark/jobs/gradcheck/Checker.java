package io.github.deconvspark.jobs.gradcheck;

import io.github.deconvspark.kernels.autodiff.GradientCheck;
import io.github.deconvspark.kernels.autodiff.Gradients;
import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs one generated case: float64 placeholders fed from its generators, y built (with stop_gradient
 * on the chosen input, and y weighted by a random grad_ys), then the analytic gradient (or the
 * gradient of the gradient) against central finite differences ({@link GradientCheck}; full Jacobians
 * for small cases, random directional derivatives for large ones). A stopped input must get no
 * gradient at all (None), as tf.gradients gives.
 */
public final class Checker {
    private Checker() {}

    /** GradientCheck's defaults (eps 1e-6, atol 1e-5, rtol 1e-3), full Jacobians up to 4,000 entries, else 8 directions. */
    public static final GradientCheck.Options OPTIONS = GradientCheck.Options.defaults().withDirections(4_000, 8);

    /** The verdict on one case. */
    public record Verdict(String id, String op, String params, String order, String status, double absError, double relError,
                          double ratio, int compared, String mode, String detail, double millis) implements Serializable {
        public boolean passed() { return status.equals("pass"); }
    }

    public static Verdict run(Cases.Case c) {
        long t0 = System.nanoTime();
        String order = c.secondOrder() ? "second" : "first";
        Map<Tensor, INDArray> feeds = new HashMap<>();
        try (Graph g = new Graph()) {
            List<Tensor> xs = new ArrayList<>();
            for (int i = 0; i < c.shapes().size(); i++) {
                Tensor x = g.placeholder("x" + i, DataType.DOUBLE, c.shapes().get(i));
                xs.add(x);
                feeds.put(x, Cases.make(c.gens().get(i), c.seed() * 31 + i, c.shapes().get(i)));
            }
            List<Tensor> used = new ArrayList<>(xs);
            if (c.stopped() >= 0) used.set(c.stopped(), Ops.stopGradient(xs.get(c.stopped())));
            Tensor y = c.build().apply(used);
            if (c.gradYs()) {
                INDArray r = GradientCheck.uniform(DataType.DOUBLE, c.seed() + 5, -1, 1, y.shape());
                y = Ops.reduceSum(Ops.mul(y, g.constant(r)));                    // d(sum(y * r)) = grad_ys r
            }
            List<Tensor> checked = new ArrayList<>(xs);
            if (c.stopped() >= 0) {
                Tensor none = Gradients.gradients(List.of(y), List.of(xs.get(c.stopped()))).get(0);
                if (none != null) {
                    return new Verdict(c.id(), c.op(), c.params(), order, "fail", Double.NaN, Double.NaN, Double.NaN, 0, "stop_gradient",
                            "the gradient w.r.t. input " + c.stopped() + " behind stop_gradient is not None", ms(t0));
                }
                checked.remove(c.stopped());
            }
            // a second-order case checks the first derivatives too: the second order alone only checks the
            // derivative of whatever the first-order rule computes
            GradientCheck.Result res = GradientCheck.check(y, checked, feeds, OPTIONS);
            if (res.passed() && c.secondOrder()) res = GradientCheck.checkSecondOrder(y, checked, feeds, OPTIONS);
            double abs = Math.abs(res.analytic() - res.numeric());
            double rel = abs / Math.max(Math.abs(res.numeric()), 1e-12);
            return new Verdict(c.id(), c.op(), c.params(), order, res.passed() ? "pass" : "fail", abs, rel, res.worstRatio(), res.compared(),
                    res.mode(), res.report(), ms(t0));
        } catch (RuntimeException e) {
            return new Verdict(c.id(), c.op(), c.params(), order, "error", Double.NaN, Double.NaN, Double.NaN, 0, "", e.toString(), ms(t0));
        } finally {
            for (INDArray v : feeds.values()) v.close();
        }
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }
}
