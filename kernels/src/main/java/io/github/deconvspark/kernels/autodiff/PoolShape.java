package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.DataFormat;
import io.github.deconvspark.kernels.Padding;
import io.github.deconvspark.kernels.shape.Spatial;
import io.github.deconvspark.kernels.shape.Window;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A pooling window (ksize, strides, padding, data format) and its shape arithmetic, shared by the pooling ops. */
record PoolShape(int[] ksize, int[] strides, Padding padding, DataFormat format) {
    PoolShape {
        if (padding == null || format == null) throw new IllegalArgumentException("pool: padding and data_format may not be null");
        ksize = ksize.clone();
        strides = strides.clone();
    }

    int[] kHw(String op) { return Spatial.hw(op, "ksize", ksize, format); }

    int[] sHw(String op) { return Spatial.hw(op, "strides", strides, format); }

    Window[] windows(String op, long[] input) {
        if (input.length != 4) throw new IllegalArgumentException(op + ": input " + Arrays.toString(input) + " must be 4-D " + format);
        long[] x = nhwc(input);
        int[] k = kHw(op);
        int[] s = sHw(op);
        if (padding.kind() == Padding.Kind.EXPLICIT
                && (Math.max(padding.top(), padding.bottom()) >= k[0] || Math.max(padding.left(), padding.right()) >= k[1])) {
            throw new IllegalArgumentException(op + ": explicit padding " + padding + " must be smaller than ksize "
                    + Arrays.toString(k) + " in each dimension, so that every window holds an input cell");
        }
        return new Window[] {
            Window.forward(op, "height", (int) x[1], k[0], s[0], 1, padding),
            Window.forward(op, "width", (int) x[2], k[1], s[1], 1, padding),
        };
    }

    /** The pooled shape (format order) of an input shape (format order). */
    long[] pooled(String op, long[] input) {
        Window[] w = windows(op, input);
        long[] x = nhwc(input);
        return fromNhwc(new long[] {x[0], w[0].out(), w[1].out(), x[3]});
    }

    /** Checks that pooled is what pooling an input of shape input gives. */
    void requirePooled(String op, String name, Tensor pooled, long[] input) {
        long[] expected = pooled(op, input);
        if (!Arrays.equals(expected, pooled.shape)) {
            throw new IllegalArgumentException(op + ": " + name + " " + pooled + " must have the pooled shape "
                    + Arrays.toString(expected) + " of an input " + Arrays.toString(input) + " (" + this + ")");
        }
    }

    long[] nhwc(long[] s) {
        return format == DataFormat.NCHW ? new long[] {s[0], s[2], s[3], s[1]} : s.clone();
    }

    long[] fromNhwc(long[] s) {
        return format == DataFormat.NCHW ? new long[] {s[0], s[3], s[1], s[2]} : s;
    }

    static INDArray toNhwc(INDArray a, DataFormat format) {
        return format == DataFormat.NCHW ? a.permute(0, 2, 3, 1).dup('c') : a;
    }

    static INDArray fromNhwc(INDArray a, DataFormat format) {
        if (format == DataFormat.NHWC) return a;
        INDArray r = a.permute(0, 3, 1, 2).dup('c');
        a.close();
        return r;
    }

    @Override public String toString() {
        return "ksize " + Arrays.toString(ksize) + ", strides " + Arrays.toString(strides) + ", padding " + padding + ", " + format;
    }
}
