package io.github.deconvspark.models.onnx;

/** Row-major integer tensors (the shape arithmetic of an ONNX graph, folded at load time): indexing and broadcasting. */
final class IntTensors {
    private IntTensors() {}

    static long[] strides(long[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int k = shape.length - 1; k >= 0; k--) {
            st[k] = s;
            s *= shape[k];
        }
        return st;
    }

    /** The values at {@code index} along {@code axis}: shape [outer, index.length, inner]. */
    static long[] gather(long[] v, long[] shape, int axis, long[] index) {
        long outer = 1, inner = 1;
        for (int k = 0; k < axis; k++) outer *= shape[k];
        for (int k = axis + 1; k < shape.length; k++) inner *= shape[k];
        long[] out = new long[(int) (outer * index.length * inner)];
        int o = 0;
        for (long a = 0; a < outer; a++) {
            for (long i : index) {
                for (long c = 0; c < inner; c++) out[o++] = v[(int) ((a * shape[axis] + i) * inner + c)];
            }
        }
        return out;
    }

    /** A strided slice: per axis {@code size} entries from {@code begin} by {@code step} (steps may be negative). */
    static long[] slice(long[] v, long[] shape, long[] begin, long[] size, long[] step) {
        long[] st = strides(shape);
        int r = shape.length;
        long n = 1;
        for (long s : size) n *= s;
        long[] out = new long[(int) n];
        long[] pos = new long[r];
        for (int o = 0; o < n; o++) {
            long src = 0;
            for (int k = 0; k < r; k++) src += (begin[k] + pos[k] * step[k]) * st[k];
            out[o] = v[(int) src];
            for (int k = r - 1; k >= 0; k--) {
                if (++pos[k] < size[k]) break;
                pos[k] = 0;
            }
        }
        return out;
    }

    static long[] permute(long[] v, long[] shape, int[] perm) {
        long[] st = strides(shape);
        int r = shape.length;
        long[] outShape = OnnxShapes.permuted(shape, perm);
        long[] out = new long[v.length];
        long[] pos = new long[r];
        for (int o = 0; o < out.length; o++) {
            long src = 0;
            for (int k = 0; k < r; k++) src += pos[k] * st[perm[k]];
            out[o] = v[(int) src];
            for (int k = r - 1; k >= 0; k--) {
                if (++pos[k] < outShape[k]) break;
                pos[k] = 0;
            }
        }
        return out;
    }

    /** The numpy broadcast of two shapes, or null. */
    static long[] broadcastShape(long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] out = new long[r];
        for (int k = 1; k <= r; k++) {
            long x = k <= a.length ? a[a.length - k] : 1, y = k <= b.length ? b[b.length - k] : 1;
            if (x != y && x != 1 && y != 1) return null;
            out[r - k] = x == 1 ? y : x;
        }
        return out;
    }

    /** Values of {@code shape} repeated to the broadcast shape {@code to}. */
    static long[] broadcast(long[] v, long[] shape, long[] to) {
        int r = to.length;
        long[] st = strides(shape);
        long n = 1;
        for (long d : to) n *= d;
        long[] out = new long[(int) n];
        long[] pos = new long[r];
        for (int o = 0; o < n; o++) {
            long src = 0;
            for (int k = 0; k < shape.length; k++) {
                int tk = k + r - shape.length;
                src += (shape[k] == 1 ? 0 : pos[tk]) * st[k];
            }
            out[o] = v[(int) src];
            for (int k = r - 1; k >= 0; k--) {
                if (++pos[k] < to[k]) break;
                pos[k] = 0;
            }
        }
        return out;
    }
}
