package io.github.deconvspark.kernels;

/** Layout of a 4-D value tensor, as TensorFlow's {@code data_format}. */
public enum DataFormat {
    /** [batch, height, width, channels]: TensorFlow's default. */
    NHWC,
    /** [batch, channels, height, width]. */
    NCHW;

    int heightAxis() { return this == NHWC ? 1 : 2; }
    int widthAxis() { return this == NHWC ? 2 : 3; }
    int channelAxis() { return this == NHWC ? 3 : 1; }
}
