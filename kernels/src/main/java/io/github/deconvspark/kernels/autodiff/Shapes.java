package io.github.deconvspark.kernels.autodiff;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Static shape and type rules shared by the op builders; every failure names what was given. */
final class Shapes {
    private Shapes() {}

    static String str(long[] shape) {
        return Arrays.toString(shape);
    }

    static long length(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** numpy's broadcasting: align trailing dimensions; each pair must be equal or contain a 1. */
    static long[] broadcast(String op, Tensor a, Tensor b) {
        long[] s = broadcastOrNull(a.shape, b.shape);
        if (s == null) {
            throw new IllegalArgumentException(op + ": shapes " + str(a.shape) + " (" + a.name + ") and " + str(b.shape)
                    + " (" + b.name + ") do not broadcast (trailing dimensions must be equal or 1)");
        }
        return s;
    }

    static long[] broadcastOrNull(long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] out = new long[r];
        for (int i = 0; i < r; i++) {
            long da = i < r - a.length ? 1 : a[i - (r - a.length)];
            long db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) return null;
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    static void requireFloat(String op, String name, Tensor t) {
        if (!t.isFloat()) {
            throw new IllegalArgumentException(op + ": " + name + " " + t + " must be FLOAT or DOUBLE");
        }
    }

    /** Both inputs float and of one type. */
    static DataType sameFloat(String op, Tensor a, Tensor b) {
        requireFloat(op, "input", a);
        if (a.dataType != b.dataType) {
            throw new IllegalArgumentException(op + ": " + a + " and " + b + " must have the same type");
        }
        return a.dataType;
    }

    static void sameGraph(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t == null) throw new IllegalArgumentException(op + ": an input is null");
            if (t.graph != ts[0].graph) {
                throw new IllegalArgumentException(op + ": " + t + " belongs to another graph than " + ts[0]);
            }
        }
    }

    static void requireRank(String op, String name, Tensor t, int rank, String layout) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + rank + "-D " + layout + ", got " + t);
        }
    }

    /** Axes normalized to [0, rank), sorted, without repeats; negative axes count from the end. */
    static int[] axes(String op, int rank, int[] axes) {
        boolean[] seen = new boolean[rank];
        for (int a : axes) {
            int n = a < 0 ? a + rank : a;
            if (n < 0 || n >= rank) {
                throw new IllegalArgumentException(op + ": axis " + a + " is out of range for rank " + rank
                        + " (legal: " + (-rank) + " .. " + (rank - 1) + ")");
            }
            seen[n] = true;
        }
        return java.util.stream.IntStream.range(0, rank).filter(i -> seen[i]).toArray();
    }

    /** The shape after reducing axes: dropped, or kept as 1. */
    static long[] reduced(long[] shape, int[] axes, boolean keepDims) {
        boolean[] r = new boolean[shape.length];
        for (int a : axes) r[a] = true;
        return java.util.stream.IntStream.range(0, shape.length).filter(i -> keepDims || !r[i])
                .mapToLong(i -> r[i] ? 1 : shape[i]).toArray();
    }

    /** A feed or variable value must match the node's static shape and type. */
    static void requireValue(String what, Tensor t, INDArray v) {
        if (v == null) throw new IllegalArgumentException(what + ": the value for " + t + " is null");
        if (!Arrays.equals(v.shape(), t.shape) || v.dataType() != t.dataType) {
            throw new IllegalArgumentException(what + ": " + t + " cannot take a value of shape "
                    + str(v.shape()) + " " + v.dataType() + " (shapes are static; build the graph for that shape)");
        }
    }
}
