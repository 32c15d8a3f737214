package io.github.deconvspark.kernels.shape;

/** Layout of a 4-D value tensor, as TensorFlow's {@code data_format}. */
public enum DataFormat {
    /** [batch, height, width, channels]: TensorFlow's default. */
    NHWC,
    /** [batch, channels, height, width]. */
    NCHW;

    public int heightAxis() { return this == NHWC ? 1 : 2; }

    public int widthAxis() { return this == NHWC ? 2 : 3; }

    public int channelAxis() { return this == NHWC ? 3 : 1; }

    /** A shape in this layout's order as [N, H, W, C] (a copy). */
    public long[] nhwc(long[] shape) {
        return this == NCHW ? new long[] {shape[0], shape[2], shape[3], shape[1]} : shape.clone();
    }

    /** An [N, H, W, C] shape in this layout's order (the inverse of {@link #nhwc}). */
    public long[] fromNhwc(long[] nhwc) {
        return this == NCHW ? new long[] {nhwc[0], nhwc[3], nhwc[1], nhwc[2]} : nhwc.clone();
    }

    /** The layout's name, or a clear error for a null one. */
    public static String layout(String op, DataFormat format) {
        if (format == null) throw new IllegalArgumentException(op + ": data_format is null; legal: NHWC, NCHW");
        return format.name();
    }
}
