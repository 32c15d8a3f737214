package io.github.deconvspark.kernels.autodiff;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Checks analytic gradients against central finite differences, as PyTorch's gradcheck:
 * {@code |analytic - numeric| <= atol + rtol * |numeric|} for every compared entry.
 * Small problems compare the full Jacobian (one backward run per output element, two forward
 * runs per input element); large ones compare random directional derivatives
 * {@code u^T J v} (one backward and two forward runs per direction).
 *
 * <p>Finite differences are wrong at kinks (a ReLU input at 0, a max-pool tie), so feed inputs
 * from {@link #distinct} or {@link #awayFromZero}. Build the graph in DOUBLE: in FLOAT, eps
 * 1e-6 drowns in rounding (pass a larger eps and looser tolerances there).
 *
 * <p>The checker adds a seed placeholder and the gradient nodes to y's graph, and perturbs each
 * x by feeding it: every x must be fed in {@code feeds}, or be a variable or a constant.
 */
public final class GradientCheck {
    private GradientCheck() {}

    /**
     * @param eps                finite-difference step
     * @param atol               absolute tolerance
     * @param rtol               tolerance relative to the numeric value
     * @param maxJacobianEntries the full Jacobian is compared when outputs x inputs is at most this
     * @param directions         random directions compared otherwise
     * @param seed               seed of the random directions
     */
    public record Options(double eps, double atol, double rtol, long maxJacobianEntries, int directions, long seed) {
        /** PyTorch gradcheck's eps 1e-6, atol 1e-5, rtol 1e-3; full Jacobians up to 10,000 entries, else 12 directions. */
        public static Options defaults() {
            return new Options(1e-6, 1e-5, 1e-3, 10_000, 12, 1);
        }

        public Options withTolerances(double eps, double atol, double rtol) {
            return new Options(eps, atol, rtol, maxJacobianEntries, directions, seed);
        }

        public Options withDirections(long maxJacobianEntries, int directions) {
            return new Options(eps, atol, rtol, maxJacobianEntries, directions, seed);
        }
    }

    /**
     * The outcome. {@code worst} names the entry farthest out of (or closest to) tolerance, with
     * both values and its |diff| / tolerance ratio; {@code largestNumeric} is the largest |numeric|
     * compared (0 would mean a vacuous check); {@code report} says it all in one line.
     */
    public record Result(boolean passed, String mode, int compared, int failed, String worst, double analytic,
                         double numeric, double worstRatio, double largestNumeric, String report) {
        @Override public String toString() {
            return report;
        }
    }

    public static Result check(Tensor y, List<Tensor> xs, Map<Tensor, INDArray> feeds) {
        return check(y, xs, feeds, Options.defaults());
    }

    /** Checks d y / d xs at the values in feeds (and the variables' values). */
    public static Result check(Tensor y, List<Tensor> xs, Map<Tensor, INDArray> feeds, Options o) {
        return check(prepare(y, xs), feeds, o);
    }

    /**
     * The graph part of a check of d y / d xs (a grad_y placeholder and the backward pass), built once: building a
     * graph is not thread-safe, running it is, so several threads may {@link #check(Prepared, Map, Options)} one
     * prepared check (or several prepared under a lock) at once.
     */
    public record Prepared(Tensor y, List<Tensor> xs, Tensor seed, List<Tensor> grads) {}

    public static Prepared prepare(Tensor y, List<Tensor> xs) {
        for (Tensor x : xs) Shapes.requireFloat("gradient check", "x", x);
        Shapes.requireFloat("gradient check", "y", y);
        Tensor seed = y.graph.placeholder("gradcheck_seed", y.dataType, y.shape);
        List<Tensor> grads = Gradients.gradients(List.of(y), xs, List.of(seed), List.of(), Gradients.Unconnected.ZERO);
        return new Prepared(y, List.copyOf(xs), seed, grads);
    }

    /** Runs a prepared check at the values in feeds (and the variables' and constants' values). */
    public static Result check(Prepared p, Map<Tensor, INDArray> feeds, Options o) {
        Tensor y = p.y();
        List<Tensor> xs = p.xs();
        Map<Tensor, double[]> base = new HashMap<>();
        for (Tensor x : xs) {
            INDArray v = feeds.containsKey(x) ? feeds.get(x) : x.value;
            if (v == null) {
                throw new IllegalArgumentException("gradient check: " + x + " is neither fed nor a variable or constant; "
                        + "the checker perturbs each x by feeding it");
            }
            base.put(x, v.dup('c').castTo(DataType.DOUBLE).data().asDouble());
        }
        long m = y.length();
        long n = xs.stream().mapToLong(Tensor::length).sum();
        Tally t = new Tally(o);
        if (m * n <= o.maxJacobianEntries) {
            fullJacobian(y, xs, feeds, o, p.seed(), p.grads(), base, t);
        } else {
            directional(y, xs, feeds, o, p.seed(), p.grads(), base, t);
        }
        return t.result(y, xs, m * n <= o.maxJacobianEntries ? "full Jacobian" : o.directions + " random directions");
    }

    /**
     * Checks the gradient of the gradient: with r a random grad_y (itself an input), each
     * {@code h_i = gradients(y, xs, grad_ys=r)[i]} is checked against finite differences over xs
     * and r. The results are merged: the worst entry over all h_i is reported.
     */
    public static Result checkSecondOrder(Tensor y, List<Tensor> xs, Map<Tensor, INDArray> feeds, Options o) {
        Graph g = y.graph;
        Tensor r = g.placeholder("gradcheck_grad_y", y.dataType, y.shape);
        List<Tensor> hs = Gradients.gradients(List.of(y), xs, List.of(r), List.of(), Gradients.Unconnected.ZERO);
        Map<Tensor, INDArray> f = new HashMap<>(feeds);
        f.put(r, uniform(y.dataType, o.seed + 7, -1, 1, y.shape));
        List<Tensor> inputs = new ArrayList<>(xs);
        inputs.add(r);
        Result worst = null;
        int compared = 0;
        int failed = 0;
        double largest = 0;
        for (Tensor h : hs) {
            Result res = check(h, inputs, f, o);
            compared += res.compared;
            failed += res.failed;
            largest = Math.max(largest, res.largestNumeric);
            if (worst == null || res.worstRatio > worst.worstRatio) worst = res;
        }
        f.get(r).close();
        String report = "second order (" + hs.size() + " gradients, " + compared + " entries, " + failed + " out of tolerance); worst: "
                + worst.report;
        return new Result(failed == 0, "second order", compared, failed, worst.worst, worst.analytic, worst.numeric,
                worst.worstRatio, largest, report);
    }

    private static void fullJacobian(Tensor y, List<Tensor> xs, Map<Tensor, INDArray> feeds, Options o, Tensor seed,
                                     List<Tensor> grads, Map<Tensor, double[]> base, Tally t) {
        int m = (int) y.length();
        // Analytic: row k of the Jacobian is the gradient for grad_y = e_k.
        double[][][] rows = new double[xs.size()][][];
        for (int i = 0; i < xs.size(); i++) rows[i] = new double[m][];
        for (int k = 0; k < m; k++) {
            double[] e = new double[m];
            e[k] = 1;
            Map<Tensor, INDArray> f = new HashMap<>(feeds);
            INDArray seedValue = array(e, y);
            f.put(seed, seedValue);
            List<INDArray> gs = y.graph.run(grads, f);
            for (int i = 0; i < xs.size(); i++) rows[i][k] = doubles(gs.get(i));
            seedValue.close();
        }
        // Numeric: column j of the Jacobian by central differences in input element j.
        for (int i = 0; i < xs.size(); i++) {
            Tensor x = xs.get(i);
            double[] x0 = base.get(x);
            for (int j = 0; j < x0.length; j++) {
                double[] plus = evaluate(y, feeds, x, perturbed(x0, j, o.eps));
                double[] minus = evaluate(y, feeds, x, perturbed(x0, j, -o.eps));
                for (int k = 0; k < m; k++) {
                    double numeric = (plus[k] - minus[k]) / (2 * o.eps);
                    int out = k;
                    int in = j;
                    t.compare(rows[i][k][j], numeric, () -> "d " + y.name + index(y.shape, out) + " / d " + x.name + index(x.shape, in));
                }
            }
        }
    }

    private static void directional(Tensor y, List<Tensor> xs, Map<Tensor, INDArray> feeds, Options o, Tensor seed,
                                    List<Tensor> grads, Map<Tensor, double[]> base, Tally t) {
        SplittableRandom rnd = new SplittableRandom(o.seed);
        for (int d = 0; d < o.directions; d++) {
            double[] u = gaussian(rnd, (int) y.length());
            double[][] v = new double[xs.size()][];
            for (int i = 0; i < xs.size(); i++) v[i] = gaussian(rnd, (int) xs.get(i).length());
            Map<Tensor, INDArray> f = new HashMap<>(feeds);
            INDArray seedValue = array(u, y);
            f.put(seed, seedValue);
            List<INDArray> gs = y.graph.run(grads, f);
            double analytic = 0;
            for (int i = 0; i < xs.size(); i++) analytic += dot(doubles(gs.get(i)), v[i]);
            seedValue.close();
            double[] plus = evaluateAll(y, feeds, xs, base, v, o.eps);
            double[] minus = evaluateAll(y, feeds, xs, base, v, -o.eps);
            double numeric = 0;
            for (int k = 0; k < u.length; k++) numeric += u[k] * (plus[k] - minus[k]) / (2 * o.eps);
            int dir = d;
            t.compare(analytic, numeric, () -> "direction " + dir + " (u^T J v, u and v standard normal, seed " + o.seed + ")");
        }
    }

    private static double[] evaluate(Tensor y, Map<Tensor, INDArray> feeds, Tensor x, double[] value) {
        Map<Tensor, INDArray> f = new HashMap<>(feeds);
        INDArray a = array(value, x);
        f.put(x, a);
        double[] r = doubles(y.graph.run(y, f));
        a.close();
        return r;
    }

    private static double[] evaluateAll(Tensor y, Map<Tensor, INDArray> feeds, List<Tensor> xs, Map<Tensor, double[]> base,
                                        double[][] v, double step) {
        Map<Tensor, INDArray> f = new HashMap<>(feeds);
        List<INDArray> made = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            double[] x0 = base.get(xs.get(i));
            double[] x1 = new double[x0.length];
            for (int j = 0; j < x0.length; j++) x1[j] = x0[j] + step * v[i][j];
            INDArray a = array(x1, xs.get(i));
            made.add(a);
            f.put(xs.get(i), a);
        }
        double[] r = doubles(y.graph.run(y, f));
        made.forEach(INDArray::close);
        return r;
    }

    private static double[] perturbed(double[] x0, int j, double step) {
        double[] x = x0.clone();
        x[j] += step;
        return x;
    }

    /** Reads a result array as doubles and frees it. */
    private static double[] doubles(INDArray a) {
        double[] d = a.dataType() == DataType.DOUBLE ? a.data().asDouble() : a.castTo(DataType.DOUBLE).data().asDouble();
        a.close();
        return d;
    }

    private static INDArray array(double[] values, Tensor like) {
        INDArray d = Nd4j.create(values, like.shape, DataType.DOUBLE);
        if (like.dataType == DataType.DOUBLE) return d;
        INDArray c = d.castTo(like.dataType);
        d.close();
        return c;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[] gaussian(SplittableRandom rnd, int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller: SplittableRandom has no nextGaussian before Java 17's RandomGenerator default.
            r[i] = Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
        }
        return r;
    }

    /** "[1, 0, 2]": the multi-index of flat element i of a row-major shape. */
    static String index(long[] shape, long i) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = i % shape[d];
            i /= shape[d];
        }
        return Arrays.toString(idx);
    }

    /** Tracks the entry farthest out of tolerance (the largest |a - n| / (atol + rtol |n|)). */
    private static final class Tally {
        final Options o;
        int compared;
        int failed;
        double worstRatio = -1;
        String worst = "nothing compared";
        double analytic;
        double numeric;
        double largest;

        Tally(Options o) { this.o = o; }

        void compare(double a, double n, java.util.function.Supplier<String> where) {
            compared++;
            largest = Math.max(largest, Math.abs(n));
            double bound = o.atol + o.rtol * Math.abs(n);
            double ratio = Double.isFinite(a) && Double.isFinite(n) ? Math.abs(a - n) / bound : Double.POSITIVE_INFINITY;
            if (ratio > 1) failed++;
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = where.get();
                analytic = a;
                numeric = n;
            }
        }

        Result result(Tensor y, List<Tensor> xs, String mode) {
            String names = xs.stream().map(Tensor::toString).reduce((p, q) -> p + ", " + q).orElse("");
            String report = String.format("gradient check %s for %s w.r.t. [%s] (%s, eps %g, atol %g, rtol %g): "
                            + "%d of %d entries out of tolerance; worst %s: analytic %.10g, numeric %.10g, |diff| %.3g = %.3g x tolerance"
                            + " (largest |numeric| %.3g)",
                    failed == 0 ? "passed" : "FAILED", y, names, mode, o.eps, o.atol, o.rtol, failed, compared, worst, analytic,
                    numeric, Math.abs(analytic - numeric), worstRatio, largest);
            return new Result(failed == 0, mode, compared, failed, worst, analytic, numeric, worstRatio, largest, report);
        }
    }

    // ---- inputs that keep away from kinks ----

    /**
     * A random permutation of n values spaced 2/n apart in about (-1, 1): all distinct (max-pool
     * ties, and reorderings under a perturbation of eps, are impossible while 2/n >> eps) and
     * none closer to 0 than 1/(2n) (ReLU's kink).
     */
    public static INDArray distinct(DataType type, long seed, long... shape) {
        int n = (int) Shapes.length(shape);
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (perm[i] + 0.75 - n / 2.0) * (2.0 / n);
        return typed(v, type, shape);
    }

    /** Uniform magnitudes in [min, max] with random signs: away from ReLU's kink at 0. */
    public static INDArray awayFromZero(DataType type, long seed, double min, double max, long... shape) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] v = new double[(int) Shapes.length(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (rnd.nextBoolean() ? 1 : -1) * (min + (max - min) * rnd.nextDouble());
        return typed(v, type, shape);
    }

    /** Uniform in [lo, hi) (lo > 0 for log and sqrt). */
    public static INDArray uniform(DataType type, long seed, double lo, double hi, long... shape) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] v = new double[(int) Shapes.length(shape)];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rnd.nextDouble();
        return typed(v, type, shape);
    }

    private static INDArray typed(double[] v, DataType type, long[] shape) {
        INDArray d = Nd4j.create(v, shape, DataType.DOUBLE);
        if (type == DataType.DOUBLE) return d;
        INDArray r = d.castTo(type);
        d.close();
        return r;
    }
}
