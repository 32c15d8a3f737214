package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.internal.DnnlBinary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * add, sub, mul, div and neg with numpy broadcasting, and the pair that broadcasting's gradient
 * needs: broadcast_to, whose transpose is sum_to (summing over the broadcast dimensions), and
 * back. Binary rules reduce each input's gradient to its own shape with sum_to.
 */
final class Arithmetic {
    private Arithmetic() {}

    enum Kind {
        ADD("AddV2"), SUB("Sub"), MUL("Mul"), DIV("RealDiv");

        final String tfName;

        Kind(String tfName) { this.tfName = tfName; }
    }

    static Tensor binary(Kind kind, Tensor a, Tensor b) {
        String op = kind.tfName;
        Shapes.sameGraph(op, a, b);
        Shapes.sameFloat(op, a, b);
        return a.graph.apply(new Binary(kind), Shapes.broadcast(op, a, b), a.dataType, a, b);
    }

    static final class Binary extends Op {
        final Kind kind;

        Binary(Kind kind) { this.kind = kind; }

        @Override public String type() { return kind.tfName; }

        @Override public INDArray forward(INDArray[] in) {
            long[] shape = Shapes.broadcastOrNull(in[0].shape(), in[1].shape());
            if (in[1].length() == 1 && Arrays.equals(in[0].shape(), shape)) {
                double v = in[1].getDouble(0);
                return switch (kind) {
                    case ADD -> in[0].add(v);
                    case SUB -> in[0].sub(v);
                    case MUL -> in[0].mul(v);
                    case DIV -> in[0].div(v);
                };
            }
            if (in[0].length() == 1 && Arrays.equals(in[1].shape(), shape)) {
                double v = in[0].getDouble(0);
                return switch (kind) {
                    case ADD -> in[1].add(v);
                    case SUB -> in[1].rsub(v);
                    case MUL -> in[1].mul(v);
                    case DIV -> in[1].rdiv(v);
                };
            }
            INDArray row = rowBroadcast(in[0], in[1], shape, false);
            if (row != null) return row;
            row = rowBroadcast(in[1], in[0], shape, true);
            if (row != null) return row;
            // ND4J broadcasts one side only; materializing the smaller side keeps every case right.
            INDArray a = Arrays2.expand(in[0], shape);
            INDArray b = Arrays2.expand(in[1], shape);
            INDArray r = switch (kind) {
                case ADD -> a.add(b);
                case SUB -> a.sub(b);
                case MUL -> a.mul(b);
                case DIV -> a.div(b);
            };
            Arrays2.closeUnless(a, in);
            Arrays2.closeUnless(b, in);
            return r;
        }

        /**
         * The common CNN case, a per-channel vector against a channels-last tensor (bias, batch-norm
         * scale and offset): {@code full} of the result's shape and {@code vec} of shape [..1.., C]
         * with C its last dimension, computed as one native row-vector op over a [rows, C] view
         * (materializing the vector costs ~10x more). {@code vecFirst}: vec is the left operand.
         * Null when the case does not apply.
         */
        private INDArray rowBroadcast(INDArray full, INDArray vec, long[] shape, boolean vecFirst) {
            if (!Arrays.equals(full.shape(), shape) || shape.length < 2 || vec.length() < 2) return null;
            long c = shape[shape.length - 1];
            long[] vs = vec.shape();
            if (vs.length == 0 || vs[vs.length - 1] != c || vec.length() != c) return null;
            // float32: one oneDNN pass into a new array (commutative ops with the vector on either side).
            if (!vecFirst || kind == Kind.ADD || kind == Kind.MUL) {
                INDArray fast = DnnlBinary.rows(DnnlBinary.Op.valueOf(kind.name()), full, vec);
                if (fast != null) return fast;
            }
            // One fresh C-order copy, computed in place through a [rows, C] view of it: the result is
            // not a view (the graph would copy a view once more), and any layout of full works.
            INDArray out = full.dup('c');
            INDArray m = out.reshape('c', out.length() / c, c);
            INDArray v = vec.reshape('c', 1, c);
            switch (kind) {
                case ADD -> m.addiRowVector(v);
                case MUL -> m.muliRowVector(v);
                case SUB -> {
                    if (vecFirst) m.rsubiRowVector(v);
                    else m.subiRowVector(v);
                }
                case DIV -> {
                    if (vecFirst) m.rdiviRowVector(v);
                    else m.diviRowVector(v);
                }
            }
            return out;
        }

        @Override public Tensor[] backward(Backward bw) {
            Tensor g = bw.grad();
            Tensor a = bw.input(0);
            Tensor b = bw.input(1);
            Tensor ga = null;
            Tensor gb = null;
            switch (kind) {
                case ADD -> {
                    if (bw.needs(0)) ga = g;
                    if (bw.needs(1)) gb = g;
                }
                case SUB -> {
                    if (bw.needs(0)) ga = g;
                    if (bw.needs(1)) gb = neg(g);
                }
                case MUL -> {
                    if (bw.needs(0)) ga = binary(Kind.MUL, g, b);
                    if (bw.needs(1)) gb = binary(Kind.MUL, g, a);
                }
                case DIV -> {
                    if (bw.needs(0)) ga = binary(Kind.DIV, g, b);
                    // d(a/b)/db = -a/b^2
                    if (bw.needs(1)) gb = neg(binary(Kind.DIV, binary(Kind.MUL, g, a), Activations.square(b)));
                }
            }
            return new Tensor[] {ga == null ? null : sumTo(ga, a.shape), gb == null ? null : sumTo(gb, b.shape)};
        }
    }

    static Tensor neg(Tensor x) {
        Shapes.requireFloat("Neg", "x", x);
        return x.graph.apply(new Neg(), x.shape, x.dataType, x);
    }

    static final class Neg extends Op {
        @Override public String type() { return "Neg"; }

        @Override public INDArray forward(INDArray[] in) { return in[0].neg(); }

        @Override public Tensor[] backward(Backward b) { return new Tensor[] {neg(b.grad())}; }
    }

    /** x repeated along its size-1 (or missing leading) dimensions up to shape. */
    static Tensor broadcastTo(Tensor x, long[] shape) {
        if (Arrays.equals(x.shape, shape)) return x;
        long[] s = Shapes.broadcastOrNull(x.shape, shape);
        if (s == null || !Arrays.equals(s, shape)) {
            throw new IllegalArgumentException("BroadcastTo: " + x + " cannot broadcast to " + Shapes.str(shape));
        }
        return x.graph.apply(new BroadcastTo(shape), shape, x.dataType, x);
    }

    static final class BroadcastTo extends Op {
        final long[] shape;

        BroadcastTo(long[] shape) { this.shape = shape.clone(); }

        @Override public String type() { return "BroadcastTo"; }

        @Override public INDArray forward(INDArray[] in) { return Arrays2.expand(in[0], shape); }

        @Override public Tensor[] backward(Backward b) { return new Tensor[] {sumTo(b.grad(), b.input(0).shape)}; }
    }

    /** The transpose of broadcast_to: x summed over the dimensions that broadcasting shape up to x's added. */
    static Tensor sumTo(Tensor x, long[] shape) {
        if (Arrays.equals(x.shape, shape)) return x;
        long[] s = Shapes.broadcastOrNull(shape, x.shape);
        if (s == null || !Arrays.equals(s, x.shape)) {
            throw new IllegalArgumentException("SumTo: " + x + " is not a broadcast of shape " + Shapes.str(shape));
        }
        return x.graph.apply(new SumTo(shape), shape, x.dataType, x);
    }

    static final class SumTo extends Op {
        final long[] shape;

        SumTo(long[] shape) { this.shape = shape.clone(); }

        @Override public String type() { return "SumTo"; }

        @Override public INDArray forward(INDArray[] in) {
            long[] x = in[0].shape();
            int lead = x.length - shape.length;
            List<Integer> axes = new ArrayList<>();
            for (int i = 0; i < x.length; i++) {
                if (i < lead || (shape[i - lead] == 1 && x[i] != 1)) axes.add(i);
            }
            if (axes.isEmpty()) return in[0].reshape('c', shape).dup('c');
            INDArray s = in[0].sum(true, axes.stream().mapToInt(Integer::intValue).toArray());
            return Arrays2.reshapeOwned(s, shape);
        }

        @Override public Tensor[] backward(Backward b) { return new Tensor[] {broadcastTo(b.grad(), b.input(0).shape)}; }
    }
}
