package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Window;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * reshape, transpose, concat, slice and pad: linear ops that only move values, each the transpose
 * of another (reshape of reshape, transpose by the inverse permutation, concat by slices, slice
 * by zero padding and back).
 */
final class ShapeOps {
    private ShapeOps() {}

    /** Reshape in row-major order; one entry may be -1 (inferred). */
    static Tensor reshape(Tensor x, long... shape) {
        long[] s = shape.clone();
        int free = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1 && free < 0) free = i;
            else if (s[i] < 1) throw new IllegalArgumentException("Reshape: shape " + Arrays.toString(shape) + " of " + x
                    + " may hold one -1 and otherwise sizes >= 1");
            else known *= s[i];
        }
        if (free >= 0 && known > 0 && x.length() % known == 0) s[free] = x.length() / known;
        if (Shapes.length(s) != x.length()) {
            throw new IllegalArgumentException("Reshape: cannot reshape " + x + " (" + x.length() + " elements) to "
                    + Arrays.toString(shape));
        }
        if (Arrays.equals(s, x.shape)) return x;
        return x.graph.apply(new Reshape(s), s, x.dataType, x);
    }

    static final class Reshape extends Op {
        final long[] shape;

        Reshape(long[] shape) { this.shape = shape; }

        @Override public String type() { return "Reshape"; }

        @Override public INDArray forward(INDArray[] in) {
            return shape.length == 0 ? Nd4j.scalar(in[0].dataType(), in[0].getDouble(0)) : in[0].reshape('c', shape);
        }

        @Override public Tensor[] backward(Backward b) { return new Tensor[] {reshape(b.grad(), b.input(0).shape)}; }
    }

    static Tensor transpose(Tensor x, int... perm) {
        int r = x.rank();
        boolean[] seen = new boolean[r];
        if (perm.length != r) {
            throw new IllegalArgumentException("Transpose: perm " + Arrays.toString(perm) + " must have " + r + " entries for " + x);
        }
        long[] s = new long[r];
        for (int i = 0; i < r; i++) {
            if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]) {
                throw new IllegalArgumentException("Transpose: perm " + Arrays.toString(perm) + " is not a permutation of 0.." + (r - 1));
            }
            seen[perm[i]] = true;
            s[i] = x.shape[perm[i]];
        }
        return x.graph.apply(new Transpose(perm.clone()), s, x.dataType, x);
    }

    static final class Transpose extends Op {
        final int[] perm;

        Transpose(int[] perm) { this.perm = perm; }

        @Override public String type() { return "Transpose"; }

        @Override public INDArray forward(INDArray[] in) { return in[0].permute(perm).dup('c'); }

        @Override public Tensor[] backward(Backward b) {
            int[] inverse = new int[perm.length];
            for (int i = 0; i < perm.length; i++) inverse[perm[i]] = i;
            return new Tensor[] {transpose(b.grad(), inverse)};
        }
    }

    static Tensor concat(int axis, List<Tensor> xs) {
        if (xs.isEmpty()) throw new IllegalArgumentException("ConcatV2: no tensors to concatenate");
        Tensor first = xs.get(0);
        Tensor[] in = xs.toArray(new Tensor[0]);
        Shapes.sameGraph("ConcatV2", in);
        int ax = Shapes.axes("ConcatV2", first.rank(), new int[] {axis})[0];
        long[] s = masked(first.shape, ax);
        for (Tensor t : xs) {
            if (t.rank() != first.rank() || !Arrays.equals(masked(t.shape, ax), masked(first.shape, ax))
                    || t.dataType != first.dataType) {
                throw new IllegalArgumentException("ConcatV2: " + t + " does not match " + first + " outside axis " + axis);
            }
            s[ax] += t.shape[ax];
        }
        return first.graph.apply(new Concat(ax), s, first.dataType, in);
    }

    private static long[] masked(long[] shape, int axis) {
        long[] a = shape.clone();
        a[axis] = 0;
        return a;
    }

    static final class Concat extends Op {
        final int axis;

        Concat(int axis) { this.axis = axis; }

        @Override public String type() { return "ConcatV2"; }

        @Override public INDArray forward(INDArray[] in) {
            return in.length == 1 ? in[0].dup('c') : Nd4j.concat(axis, in);
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor g = b.grad();
            int n = b.output().inputs.length;
            Tensor[] out = new Tensor[n];
            long offset = 0;
            for (int i = 0; i < n; i++) {
                Tensor x = b.input(i);
                if (b.needs(i)) {
                    long[] begin = new long[x.rank()];
                    begin[axis] = offset;
                    out[i] = slice(g, begin, x.shape);
                }
                offset += x.shape[axis];
            }
            return out;
        }
    }

    /** x[begin : begin + size] per dimension; a size of -1 means "to the end", as in TF. */
    static Tensor slice(Tensor x, long[] begin, long[] size) {
        int r = x.rank();
        if (begin.length != r || size.length != r) {
            throw new IllegalArgumentException("Slice: begin " + Arrays.toString(begin) + " and size " + Arrays.toString(size)
                    + " must have " + r + " entries for " + x);
        }
        long[] s = new long[r];
        for (int i = 0; i < r; i++) {
            s[i] = size[i] == -1 ? x.shape[i] - begin[i] : size[i];
            if (begin[i] < 0 || s[i] < 1 || begin[i] + s[i] > x.shape[i]) {
                throw new IllegalArgumentException("Slice: begin " + Arrays.toString(begin) + ", size " + Arrays.toString(size)
                        + " leave " + x + " in dimension " + i + " (legal: 0 <= begin, 1 <= size, begin + size <= " + x.shape[i] + ")");
            }
        }
        if (Arrays.equals(s, x.shape)) return x;
        return x.graph.apply(new Slice(begin.clone(), s), s, x.dataType, x);
    }

    static final class Slice extends Op {
        final long[] begin;
        final long[] size;

        Slice(long[] begin, long[] size) { this.begin = begin; this.size = size; }

        @Override public String type() { return "Slice"; }

        @Override public INDArray forward(INDArray[] in) { return in[0].get(window(begin, size)).dup('c'); }

        @Override public Tensor[] backward(Backward b) {
            long[] x = b.input(0).shape;
            long[] after = new long[x.length];
            for (int i = 0; i < x.length; i++) after[i] = x[i] - begin[i] - size[i];
            return new Tensor[] {pad(b.grad(), begin, after)};
        }
    }

    /** Zero padding: before[i] zeros ahead of dimension i and after[i] behind it. */
    static Tensor pad(Tensor x, long[] before, long[] after) {
        int r = x.rank();
        if (before.length != r || after.length != r) {
            throw new IllegalArgumentException("Pad: paddings " + Arrays.toString(before) + ", " + Arrays.toString(after)
                    + " must have " + r + " entries for " + x);
        }
        long[] s = new long[r];
        for (int i = 0; i < r; i++) {
            if (before[i] < 0 || after[i] < 0) {
                throw new IllegalArgumentException("Pad: paddings must be >= 0, got " + Arrays.toString(before) + ", " + Arrays.toString(after));
            }
            s[i] = x.shape[i] + before[i] + after[i];
        }
        if (Arrays.equals(s, x.shape)) return x;
        return x.graph.apply(new Pad(before.clone(), s, x.shape), s, x.dataType, x);
    }

    /**
     * Zero padding; on the height and width of a 4-D NHWC value only (Keras' ZeroPadding2D, an explicit ONNX Pad) it is a
     * 1x1 window with that padding, so receptive fields compose through it.
     */
    static final class Pad extends Op implements Windowed {
        final long[] before;
        final long[] shape;
        private final ConvGeometry geometry;

        Pad(long[] before, long[] shape, long[] in) {
            this.before = before;
            this.shape = shape;
            boolean spatial = in.length == 4 && before[0] == 0 && before[3] == 0 && shape[0] == in[0] && shape[3] == in[3];
            this.geometry = !spatial ? null : new ConvGeometry((int) in[0], (int) in[3], (int) in[3],
                    new Window((int) in[1], 1, 1, 1, (int) before[1], (int) (shape[1] - in[1] - before[1]), (int) shape[1]),
                    new Window((int) in[2], 1, 1, 1, (int) before[2], (int) (shape[2] - in[2] - before[2]), (int) shape[2]));
        }

        @Override public ConvGeometry geometry() { return geometry; }

        @Override public String type() { return "Pad"; }

        @Override public INDArray forward(INDArray[] in) {
            INDArray out = Nd4j.zeros(in[0].dataType(), shape);
            out.get(window(before, in[0].shape())).assign(in[0]);
            return out;
        }

        @Override public Tensor[] backward(Backward b) { return new Tensor[] {slice(b.grad(), before, b.input(0).shape)}; }
    }

    private static INDArrayIndex[] window(long[] begin, long[] size) {
        INDArrayIndex[] idx = new INDArrayIndex[begin.length];
        for (int i = 0; i < begin.length; i++) idx[i] = NDArrayIndex.interval(begin[i], begin[i] + size[i]);
        return idx;
    }
}
