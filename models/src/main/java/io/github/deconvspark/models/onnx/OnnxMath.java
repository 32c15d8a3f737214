package io.github.deconvspark.models.onnx;

import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.onnx.OnnxGraphBuilder.Val;
import io.github.deconvspark.models.ops.BatchMatMul;
import io.github.deconvspark.models.ops.Clip;
import java.util.Arrays;
import java.util.Set;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

/**
 * The element-wise, matrix and reduction ops of an ONNX graph: activations (each exact as ONNX defines it: LeakyRelu
 * and PRelu as relu(x) - a relu(-x), HardSwish as x HardSigmoid(x) with alpha 1/6), broadcasting arithmetic (folded on
 * integer constants), MatMul, Gemm, ReduceMean/ReduceMax and Softmax (the pre-13 flattening rule included). An
 * element-wise op on an NHWC value stays NHWC; reductions and Softmax map their axes onto it.
 */
final class OnnxMath {
    private OnnxMath() {}

    static Val[] convert(OnnxGraphBuilder b, OnnxNode n) {
        if (Set.of("Relu", "Sigmoid", "Tanh", "Sqrt", "Exp", "HardSwish", "PRelu", "Identity").contains(n.op)) n.allow();
        return switch (n.op) {
            case "Relu" -> unary(b, n, Ops::relu);
            case "Sigmoid" -> unary(b, n, Ops::sigmoid);
            case "Tanh" -> unary(b, n, Ops::tanh);
            case "Sqrt" -> unary(b, n, Ops::sqrt);
            case "Exp" -> unary(b, n, Ops::exp);
            case "Neg" -> fold(b, n, v -> -v, Ops::neg);
            case "Floor" -> fold(b, n, Math::floor, null);
            case "Ceil" -> fold(b, n, Math::ceil, null);
            case "LeakyRelu" -> {
                float alpha = n.real("alpha", 0.01f);
                n.allow("alpha");
                yield unary(b, n, x -> leaky(x, alpha));
            }
            case "PRelu" -> prelu(b, n);
            case "Clip" -> clip(b, n);
            case "HardSigmoid" -> {
                n.allow("alpha", "beta");
                float alpha = n.real("alpha", 0.2f), beta = n.real("beta", 0.5f);
                yield unary(b, n, x -> hardSigmoid(x, alpha, beta));
            }
            case "HardSwish" -> unary(b, n, x -> Ops.mul(x, hardSigmoid(x, 1f / 6, 0.5f)));
            case "Dropout" -> {
                n.allow("ratio", "seed");
                if (n.outputs() > 1 && !n.output(1).isEmpty()) throw n.error("its mask output is a training output: not supported (inference only)");
                if (b.present(n, 2)) {
                    long[] training = b.ints(n, 2, "training_mode");
                    if (training.length != 1 || training[0] != 0) throw n.error("training_mode must be false (inference only)");
                }
                yield new Val[] {b.val(n, 0)};
            }
            case "Identity" -> new Val[] {b.val(n, 0)};
            case "Add", "Sub", "Mul", "Div" -> arithmetic(b, n);
            case "Pow" -> { n.allow(); yield pow(b, n); }
            case "MatMul" -> { n.allow(); yield one(matmul(b, n)); }
            case "Gemm" -> one(gemm(b, n));
            case "ReduceMean", "ReduceMax" -> new Val[] {reduce(b, n)};
            case "Softmax" -> new Val[] {softmax(b, n)};
            default -> throw n.error("op " + n.op + " has no converter");
        };
    }

    private static Val[] one(Tensor t) { return new Val[] {Val.of(t)}; }

    /** Wraps an op's result in its input's layout. */
    static Val like(Val in, Tensor out) { return in.nhwc() ? Val.nhwc(out) : Val.of(out); }

    /** A layout-preserving element-wise op (its attributes checked by the caller). */
    private static Val[] unary(OnnxGraphBuilder b, OnnxNode n, UnaryOperator<Tensor> op) {
        Val v = b.floatVal(n, 0);
        return new Val[] {like(v, op.apply(v.t()))};
    }

    /** An element-wise function on a folded integer constant, or (when given) the graph op on a float tensor. */
    private static Val[] fold(OnnxGraphBuilder b, OnnxNode n, DoubleUnaryOperator f, UnaryOperator<Tensor> op) {
        n.allow();
        Val v = b.val(n, 0);
        if (v.isInt()) {
            long[] out = new long[v.ints().length];
            for (int k = 0; k < out.length; k++) out[k] = (long) f.applyAsDouble(v.ints()[k]);
            return new Val[] {Val.ints(out, v.shape())};
        }
        if (op == null) throw n.error("on float tensors it is not supported (only on integer constants, as in shape arithmetic)");
        return new Val[] {like(v, op.apply(v.t()))};
    }

    /** x for x > 0, alpha x otherwise: relu(x) - alpha relu(-x), exact in floating point. */
    static Tensor leaky(Tensor x, float alpha) {
        return Ops.sub(Ops.relu(x), Ops.mul(Ops.relu(Ops.neg(x)), alpha));
    }

    /** PRelu: the slope broadcast onto x as ONNX does (unidirectionally, right-aligned). */
    private static Val[] prelu(OnnxGraphBuilder b, OnnxNode n) {
        Val x = b.floatVal(n, 0), s = b.floatVal(n, 1);
        if (!broadcastsTo(s.shape(), x.shape())) {
            throw n.error("slope " + Arrays.toString(s.shape()) + " does not broadcast onto the input " + Arrays.toString(x.shape())
                    + " (ONNX aligns shapes on the right: a per-channel slope of NCHW data is [C, 1, 1])");
        }
        Tensor[] t = b.aligned(x, s);
        return new Val[] {binaryResult(x, s, Ops.sub(Ops.relu(t[0]), Ops.mul(Ops.relu(Ops.neg(t[0])), t[1])))};
    }

    static boolean broadcastsTo(long[] from, long[] to) {
        if (from.length > to.length) return false;
        for (int k = 1; k <= from.length; k++) {
            long f = from[from.length - k];
            if (f != 1 && f != to[to.length - k]) return false;
        }
        return true;
    }

    private static Val[] clip(OnnxGraphBuilder b, OnnxNode n) {
        double lo, hi;
        if (b.opset < 11) {
            n.allow("min", "max");
            lo = n.real("min", Float.NEGATIVE_INFINITY);
            hi = n.real("max", Float.POSITIVE_INFINITY);
        } else {
            n.allow();
            lo = b.present(n, 1) ? scalarConst(b, n, 1, "min") : Double.NEGATIVE_INFINITY;
            hi = b.present(n, 2) ? scalarConst(b, n, 2, "max") : Double.POSITIVE_INFINITY;
        }
        if (!(lo <= hi)) throw n.error("min " + lo + " must be <= max " + hi);
        Val v = b.floatVal(n, 0);
        return new Val[] {like(v, Clip.apply(v.t(), lo, hi))};
    }

    private static double scalarConst(OnnxGraphBuilder b, OnnxNode n, int i, String role) {
        float[] f = b.floats(n, i);
        if (f == null || f.length != 1) throw n.error("its " + role + " (input " + i + ") must be a constant scalar");
        return f[0];
    }

    static Tensor hardSigmoid(Tensor x, float alpha, float beta) {
        return Clip.apply(Ops.add(Ops.mul(x, alpha), beta), 0, 1);
    }

    /** Broadcast arithmetic; on two integer constants (shape arithmetic) it is folded. */
    private static Val[] arithmetic(OnnxGraphBuilder b, OnnxNode n) {
        n.allow();
        Val a = b.val(n, 0), c = b.val(n, 1);
        if (a.isInt() && c.isInt()) return new Val[] {OnnxShapes.foldBinary(n, a, c)};
        a = b.floatVal(n, 0);
        c = b.floatVal(n, 1);
        Tensor[] t = b.aligned(a, c);
        Tensor y = switch (n.op) {
            case "Add" -> Ops.add(t[0], t[1]);
            case "Sub" -> Ops.sub(t[0], t[1]);
            case "Mul" -> Ops.mul(t[0], t[1]);
            default -> Ops.div(t[0], t[1]);
        };
        return new Val[] {binaryResult(a, c, y)};
    }

    /** The layout of a binary op's result over operands aligned by {@link OnnxGraphBuilder#aligned}. */
    static Val binaryResult(Val a, Val c, Tensor y) {
        boolean nhwc = (a.nhwc() || c.nhwc()) && a.rank() <= 4 && c.rank() <= 4;
        return nhwc ? Val.nhwc(y) : Val.of(y);
    }

    /**
     * Pow by a constant scalar exponent: 2 and 3 as products, 0.5 as a square root, 1 as the identity (ONNX Runtime's
     * own fast paths, so the values are the same); other exponents are refused.
     */
    private static Val[] pow(OnnxGraphBuilder b, OnnxNode n) {
        Val x = b.floatVal(n, 0);
        float[] e = b.floats(n, 1);
        if (e == null || e.length != 1) throw n.error("only a constant scalar exponent is supported");
        Tensor t = x.t();
        Tensor y = switch (Float.toString(e[0])) {
            case "1.0" -> t;
            case "2.0" -> Ops.mul(t, t);
            case "3.0" -> Ops.mul(Ops.mul(t, t), t);
            case "0.5" -> Ops.sqrt(t);
            default -> throw n.error("exponent " + e[0] + " is not supported (1, 2, 3, 0.5)");
        };
        return new Val[] {like(x, y)};
    }

    /** MatMul of a [..., K] by a [K, M], or of two stacks of matrices with the same batch dimensions. */
    private static Tensor matmul(OnnxGraphBuilder b, OnnxNode n) {
        Tensor x = b.t(n, 0), w = b.t(n, 1);
        long[] s = x.shape(), ws = w.shape();
        if (s.length < 2 || ws.length < 2 || s[s.length - 1] != ws[ws.length - 2]) {
            throw n.error("MatMul of " + Arrays.toString(s) + " by " + Arrays.toString(ws) + ": the inner sizes must agree (ranks >= 2)");
        }
        long[] out = s.length >= ws.length ? s.clone() : ws.clone();
        out[out.length - 1] = ws[ws.length - 1];
        out[out.length - 2] = s[s.length - 2];
        if (ws.length == 2) {
            if (s.length == 2) return Ops.matmul(x, w);
            long rows = OnnxShapes.count(Arrays.copyOfRange(s, 0, s.length - 1));
            return Ops.reshape(Ops.matmul(Ops.reshape(x, rows, s[s.length - 1]), w), out);
        }
        if (s.length != ws.length || !Arrays.equals(Arrays.copyOfRange(s, 0, s.length - 2), Arrays.copyOfRange(ws, 0, ws.length - 2))) {
            throw n.error("MatMul of " + Arrays.toString(s) + " by " + Arrays.toString(ws)
                    + " is not supported (stacks of matrices must have the same batch dimensions)");
        }
        long batch = OnnxShapes.count(Arrays.copyOfRange(s, 0, s.length - 2));
        Tensor y = BatchMatMul.apply(Ops.reshape(x, batch, s[s.length - 2], s[s.length - 1]),
                Ops.reshape(w, batch, ws[ws.length - 2], ws[ws.length - 1]));
        return Ops.reshape(y, out);
    }

    /** alpha A' B' + beta C (C broadcast). */
    private static Tensor gemm(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("alpha", "beta", "transA", "transB");
        Tensor a = b.t(n, 0), w = b.t(n, 1);
        if (a.rank() != 2 || w.rank() != 2) throw n.error("A and B must be 2-D, got " + Arrays.toString(a.shape()) + " and " + Arrays.toString(w.shape()));
        if (n.integer("transA", 0) != 0) a = b.permute(a, 1, 0);
        if (n.integer("transB", 0) != 0) w = b.permute(w, 1, 0);
        if (a.size(1) != w.size(0)) throw n.error("inner sizes differ: A' is " + Arrays.toString(a.shape()) + ", B' " + Arrays.toString(w.shape()));
        Tensor y = Ops.matmul(a, w);
        float alpha = n.real("alpha", 1f), beta = n.real("beta", 1f);
        if (alpha != 1f) y = Ops.mul(y, alpha);
        if (b.present(n, 2) && beta != 0f) {
            Tensor c = b.t(n, 2);
            if (!broadcastsTo(c.shape(), y.shape())) throw n.error("C " + Arrays.toString(c.shape()) + " does not broadcast to " + Arrays.toString(y.shape()));
            y = Ops.add(y, beta == 1f ? c : Ops.mul(c, beta));
        }
        return y;
    }

    /** ReduceMean/ReduceMax over axes (an attribute, or from opset 18 an input); on NHWC values the axes are mapped. */
    private static Val reduce(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("axes", "keepdims", "noop_with_empty_axes");
        Val v = b.floatVal(n, 0);
        long[] ax = n.ints("axes");
        if (ax == null && b.present(n, 1)) ax = b.ints(n, 1, "axes");
        boolean keep = n.integer("keepdims", 1) != 0;
        int r = v.rank();
        if (ax == null || ax.length == 0) {
            if (n.integer("noop_with_empty_axes", 0) != 0) return v;
            ax = new long[r];
            for (int k = 0; k < r; k++) ax[k] = k;
        }
        boolean[] reduced = new boolean[r];
        for (long a : ax) {
            int k = OnnxGraphBuilder.axis(n, a, r, "axis");
            if (reduced[k]) throw n.error("axis " + a + " is given twice");
            reduced[k] = true;
        }
        // on an NHWC value: physical axes; the result stays NHWC with keepdims, or is plain when what is left keeps its order
        boolean onPhysical = v.nhwc() && (keep || remainingInOrder(reduced));
        int[] axes = new int[ax.length];
        int j = 0;
        for (int k = 0; k < r; k++) if (reduced[k]) axes[j++] = onPhysical ? OnnxGraphBuilder.PHYSICAL[k] : k;
        Arrays.sort(axes);
        Tensor x = onPhysical ? v.t() : b.logical(v);
        Tensor y = n.op.equals("ReduceMean") ? Ops.reduceMean(x, keep, axes) : Ops.reduceMax(x, keep, axes);
        return onPhysical && keep ? Val.nhwc(y) : Val.of(y);
    }

    /** Whether the logical NCHW axes left after a reduction appear in the same order among the physical NHWC axes. */
    private static boolean remainingInOrder(boolean[] reduced) {
        int last = -1;
        for (int p = 0; p < 4; p++) {                 // physical order N, H, W, C = logical 0, 2, 3, 1
            int logical = new int[] {0, 2, 3, 1}[p];
            if (reduced[logical]) continue;
            if (logical < last) return false;
            last = logical;
        }
        return true;
    }

    /** Softmax along an axis; before opset 13 over the flattened dims from the axis on. */
    private static Val softmax(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("axis");
        Val v = b.floatVal(n, 0);
        int r = v.rank();
        int axis = OnnxGraphBuilder.axis(n, n.integer("axis", b.opset < 13 ? 1 : -1), r, "axis");
        if (b.opset < 13) {
            Tensor x = b.logical(v);
            long rows = 1, cols = 1;
            for (int k = 0; k < r; k++) {
                if (k < axis) rows = Math.multiplyExact(rows, x.size(k));
                else cols = Math.multiplyExact(cols, x.size(k));
            }
            return Val.of(Ops.reshape(Ops.softmax(Ops.reshape(x, rows, cols)), x.shape()));
        }
        int p = OnnxGraphBuilder.physical(v, axis);
        return like(v, softmaxAlong(b, v.t(), p));
    }

    private static Tensor softmaxAlong(OnnxGraphBuilder b, Tensor x, int axis) {
        int r = x.rank();
        if (axis == r - 1) return Ops.softmax(x);
        int[] perm = new int[r];
        for (int k = 0; k < r; k++) perm[k] = k;
        perm[axis] = r - 1;
        perm[r - 1] = axis;
        return b.permute(Ops.softmax(b.permute(x, perm)), perm);
    }
}
