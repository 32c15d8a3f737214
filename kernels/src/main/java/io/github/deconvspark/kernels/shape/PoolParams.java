package io.github.deconvspark.kernels.shape;

import java.util.Arrays;

/**
 * The parameters of the pooling family (max and average pooling, max_pool_with_argmax, their gradients, average
 * unpooling): ksize and strides as given (1, 2 or 4 entries) and as {height, width}, padding and data format. Made by
 * {@link #of}, which checks them; {@link #geometry} is the one place a pooling window is assembled.
 */
public record PoolParams(int[] ksize, int[] strides, Padding padding, DataFormat format, int[] ksizeHw, int[] stridesHw) {

    /** @throws IllegalArgumentException naming the op, the argument and the legal values */
    public static PoolParams of(String op, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        if (padding == null) throw new IllegalArgumentException(op + ": padding is null; legal: SAME, VALID, explicit");
        DataFormat.layout(op, format);
        int[] k = Spatial.hw(op, "ksize", ksize, format);
        int[] s = Spatial.hw(op, "strides", strides, format);
        if (padding.kind() == Padding.Kind.EXPLICIT
                && (Math.max(padding.top(), padding.bottom()) >= k[0] || Math.max(padding.left(), padding.right()) >= k[1])) {
            throw new IllegalArgumentException(op + ": explicit padding " + padding + " must be smaller than ksize "
                    + Arrays.toString(k) + " in each dimension, so that every window holds an input cell");
        }
        return new PoolParams(ksize.clone(), strides.clone(), padding, format, k, s);
    }

    /** The pooling windows over an input of {@code input} (format order; 4 positive sizes). */
    public ConvGeometry geometry(String op, long[] input) {
        if (input == null || input.length != 4) {
            throw new IllegalArgumentException(op + ": input " + Arrays.toString(input) + " must be 4-D " + format);
        }
        if (Arrays.stream(input).anyMatch(e -> e < 1)) {
            throw new IllegalArgumentException(op + ": input shape " + Arrays.toString(input) + " must be 4 positive sizes");
        }
        long[] x = format.nhwc(input);
        Window h = Window.forward(op, "height", (int) x[1], ksizeHw[0], stridesHw[0], 1, padding);
        Window w = Window.forward(op, "width", (int) x[2], ksizeHw[1], stridesHw[1], 1, padding);
        return new ConvGeometry((int) x[0], (int) x[3], (int) x[3], h, w);
    }

    /** The pooled shape (format order) of an input shape (format order). */
    public long[] pooledShape(String op, long[] input) {
        return pooledShape(geometry(op, input));
    }

    public long[] pooledShape(ConvGeometry g) {
        return format.fromNhwc(new long[] {g.n(), g.h().out(), g.w().out(), g.c()});
    }

    @Override public boolean equals(Object o) {
        return o instanceof PoolParams p && Arrays.equals(p.ksize, ksize) && Arrays.equals(p.strides, strides)
                && p.padding.equals(padding) && p.format == format;
    }

    @Override public int hashCode() {
        return Arrays.hashCode(ksize) * 31 + Arrays.hashCode(strides) + padding.hashCode() * 7 + format.hashCode();
    }

    @Override public String toString() {
        return "ksize " + Arrays.toString(ksize) + ", strides " + Arrays.toString(strides) + ", padding " + padding + ", " + format;
    }
}
