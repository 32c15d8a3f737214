package io.github.deconvspark.kernels.autodiff;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * TensorFlow's {@code tf.gradients}: adds to the graph the nodes computing, for each x, the sum
 * over all ys of {@code (dy/dx)^T * grad_y}. The results are ordinary tensors: run them, or
 * differentiate them again (every backward rule is made of differentiable forward ops).
 *
 * <p>An x that no y depends on gets {@code null} in the result list (TF's None), or zeros with
 * {@link Unconnected#ZERO}. Only the nodes on a path from some x to some y are visited.
 */
public final class Gradients {
    /** TF's UnconnectedGradients. */
    public enum Unconnected { NONE, ZERO }

    private Gradients() {}

    /** dy/dx with grad_y = ones: {@code null} when y does not depend on x. */
    public static Tensor gradient(Tensor y, Tensor x) {
        return gradients(List.of(y), List.of(x)).get(0);
    }

    public static List<Tensor> gradients(Tensor y, List<Tensor> xs) {
        return gradients(List.of(y), xs);
    }

    public static List<Tensor> gradients(List<Tensor> ys, List<Tensor> xs) {
        return gradients(ys, xs, null, List.of(), Unconnected.NONE, ReluRule.GRADIENT);
    }

    public static List<Tensor> gradients(List<Tensor> ys, List<Tensor> xs, List<Tensor> gradYs) {
        return gradients(ys, xs, gradYs, List.of(), Unconnected.NONE, ReluRule.GRADIENT);
    }

    public static List<Tensor> gradients(List<Tensor> ys, List<Tensor> xs, List<Tensor> gradYs,
                                         Collection<Tensor> stopGradients, Unconnected unconnected) {
        return gradients(ys, xs, gradYs, stopGradients, unconnected, ReluRule.GRADIENT);
    }

    /**
     * @param ys            the tensors to differentiate (their gradients are summed)
     * @param xs            the tensors to differentiate with respect to
     * @param gradYs        one per y, each of its y's shape and type, or null for all ones; a null
     *                      entry also means ones
     * @param stopGradients tensors treated as constants for this call only: no gradient passes
     *                      through them to their inputs (they still get one themselves)
     * @param unconnected   NONE: a null entry for an x no y depends on; ZERO: zeros of x's shape
     * @param reluRule      what every ReLU passes backward in this call (visualization methods)
     * @return one entry per x, in order (a list that may hold nulls)
     * @throws IllegalArgumentException for a wrong count, shape or type of grad_ys, or tensors of
     *                                  different graphs
     */
    public static List<Tensor> gradients(List<Tensor> ys, List<Tensor> xs, List<Tensor> gradYs,
                                         Collection<Tensor> stopGradients, Unconnected unconnected, ReluRule reluRule) {
        if (ys == null || ys.isEmpty()) throw new IllegalArgumentException("gradients: ys is empty");
        if (xs == null || xs.isEmpty()) throw new IllegalArgumentException("gradients: xs is empty");
        if (ys.stream().anyMatch(t -> t == null) || xs.stream().anyMatch(t -> t == null)) throw new IllegalArgumentException("gradients: ys and xs may not hold null");
        if (gradYs != null && gradYs.size() != ys.size()) {
            throw new IllegalArgumentException("Passed " + gradYs.size() + " grad_ys for " + ys.size() + " ys");
        }
        Graph g = ys.get(0).graph;
        List<Tensor> all = new ArrayList<>(ys);
        all.addAll(xs);
        if (gradYs != null) gradYs.stream().filter(t -> t != null).forEach(all::add);
        if (stopGradients != null) all.addAll(stopGradients);
        for (Tensor t : all) {
            if (t.graph != g) throw new IllegalArgumentException("gradients: " + t + " belongs to another graph than " + ys.get(0));
        }
        if (unconnected == null || reluRule == null) throw new IllegalArgumentException("gradients: unconnected and reluRule may not be null");

        int n = g.size();
        boolean[] stop = new boolean[n];
        if (stopGradients != null) for (Tensor t : stopGradients) stop[t.id] = true;
        boolean[] isX = new boolean[n];
        for (Tensor x : xs) isX[x.id] = true;

        // Forward from the xs: which nodes depend on some x through ops that pass a gradient.
        int minX = xs.stream().mapToInt(t -> t.id).min().getAsInt();
        boolean[] fromX = new boolean[n];
        int maxY = ys.stream().mapToInt(t -> t.id).max().getAsInt();
        for (int id = minX; id <= maxY; id++) {
            Tensor t = g.node(id);
            if (isX[id]) {
                fromX[id] = true;
            } else if (t.op != null && !stop[id] && t.op.passesGradient() && t.isFloat()) {
                for (Tensor in : t.inputs) fromX[id] |= fromX[in.id] && in.isFloat();
            }
        }
        // Backward from the ys: which of those lead to some y. Together: the nodes on a path.
        boolean[] onPath = new boolean[n];
        for (Tensor y : ys) onPath[y.id] = fromX[y.id];
        for (int id = maxY; id >= minX; id--) {
            if (!onPath[id]) continue;
            Tensor t = g.node(id);
            if (t.op == null || stop[id] || !t.op.passesGradient()) continue;
            for (Tensor in : t.inputs) if (fromX[in.id]) onPath[in.id] = true;
        }

        @SuppressWarnings("unchecked")
        List<Tensor>[] pending = new List[n];
        for (int i = 0; i < ys.size(); i++) {
            Tensor y = ys.get(i);
            Tensor gy = gradYs == null ? null : gradYs.get(i);
            if (gy != null && (!Arrays.equals(gy.shape, y.shape) || gy.dataType != y.dataType)) {
                throw new IllegalArgumentException("gradients: grad_ys[" + i + "] " + gy + " does not match ys[" + i + "] " + y
                        + ": each grad_y must have its y's shape and type");
            }
            if (!onPath[y.id]) continue;
            Shapes.requireFloat("gradients", "ys[" + i + "]", y);
            accumulate(pending, y, gy != null ? gy : Ops.onesLike(y));
        }
        Tensor[] total = new Tensor[n];
        for (int id = maxY; id >= minX; id--) {
            if (!onPath[id] || pending[id] == null) continue;
            Tensor t = g.node(id);
            Tensor grad = sum(pending[id]);
            pending[id] = null;
            total[id] = grad;
            if (t.op == null || stop[id] || !t.op.passesGradient()) continue;
            boolean[] needs = new boolean[t.inputs.length];
            boolean any = false;
            for (int i = 0; i < needs.length; i++) any |= needs[i] = onPath[t.inputs[i].id];
            if (!any) continue;
            Tensor[] in = t.op.backward(new Backward(t, grad, needs, reluRule));
            for (int i = 0; i < needs.length; i++) {
                if (!needs[i] || in == null || in[i] == null) continue;
                Tensor input = t.inputs[i];
                if (!Arrays.equals(in[i].shape, input.shape) || in[i].dataType != input.dataType) {
                    throw new IllegalStateException("gradients: the backward rule of " + t.op.type() + " (" + t + ") gave "
                            + in[i] + " for input " + i + " " + input + " (internal error: a gradient has its input's shape)");
                }
                accumulate(pending, input, in[i]);
            }
        }
        List<Tensor> result = new ArrayList<>(xs.size());
        for (Tensor x : xs) {
            Tensor r = total[x.id];
            if (r == null && unconnected == Unconnected.ZERO && x.isFloat()) r = Ops.zerosLike(x);
            result.add(r);
        }
        return result;
    }

    private static void accumulate(List<Tensor>[] pending, Tensor t, Tensor grad) {
        if (pending[t.id] == null) pending[t.id] = new ArrayList<>(2);
        pending[t.id].add(grad);
    }

    private static Tensor sum(List<Tensor> gs) {
        Tensor s = gs.get(0);
        for (int i = 1; i < gs.size(); i++) s = Ops.add(s, gs.get(i));
        return s;
    }
}
