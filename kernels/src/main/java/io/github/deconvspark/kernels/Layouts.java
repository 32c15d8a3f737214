package io.github.deconvspark.kernels;

import io.github.deconvspark.kernels.internal.Buf;
import io.github.deconvspark.kernels.shape.DataFormat;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Array layouts for code outside the kernels (the autodiff's ops): density and NHWC moves. */
public final class Layouts {
    private Layouts() {}

    /** Whether an array is dense, C-ordered and starts at its buffer's offset 0 (what the kernels read directly). */
    public static boolean isDense(INDArray a) {
        return Buf.isDense(a);
    }

    /** The array itself when dense, else a dense C-ordered copy. */
    public static INDArray dense(INDArray a) {
        return Buf.isDense(a) ? a : a.dup('c');
    }

    /**
     * The array in NHWC: itself for NHWC, else a new dense copy that the caller owns (never a view: closing a view
     * would free the array it views).
     */
    public static INDArray toNhwc(INDArray a, DataFormat format) {
        return format == DataFormat.NCHW ? a.permute(0, 2, 3, 1).dup('c') : a;
    }

    /** An NHWC array in {@code format}: itself for NHWC, else a new array (and {@code a} is closed). */
    public static INDArray fromNhwcOwned(INDArray a, DataFormat format) {
        if (format == DataFormat.NHWC) return a;
        INDArray r = a.permute(0, 3, 1, 2).dup('c');
        a.close();
        return r;
    }
}
