package io.github.deconvspark.kernels.shape;

import java.util.Arrays;

/**
 * The parameters of the pooling family (max and average pooling, max_pool_with_argmax, their gradients, average
 * unpooling): ksize and strides as given (1, 2 or 4 entries) and as {height, width}, padding and data format; and
 * the options TF lacks and ONNX and Keras models use: dilations (window cells {@code start + i*d}), {@code ceilMode}
 * (ONNX {@code ceil_mode=1}: output sizes rounded up, see {@link Window#forward(String, String, int, int, int, int,
 * Padding, boolean)}) and {@code countIncludePad} (average pooling only: ONNX {@code count_include_pad=1} divides by
 * the window's cells inside the padded input, padding included, instead of its real cells). Made by {@link #of} or
 * {@link #builder}, which check them; {@link #geometry} is the one place a pooling window is assembled.
 */
public record PoolParams(int[] ksize, int[] strides, Padding padding, DataFormat format, int[] ksizeHw, int[] stridesHw,
                         int[] dilations, int[] dilationsHw, boolean ceilMode, boolean countIncludePad) {

    private static final int[] ONE = {1};

    /** TF's pooling parameters (no dilation, floor output sizes, averages over real cells). */
    public static PoolParams of(String op, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        return builder(op, ksize, strides, padding, format).build();
    }

    /** TF's parameters plus options: {@code PoolParams.builder(op, k, s, p, f).dilations(2).ceilMode(true).build()}. */
    public static Builder builder(String op, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        return new Builder(op, ksize, strides, padding, format);
    }

    /** Collects the options; {@link #build} checks everything, naming the op. */
    public static final class Builder {
        private final String op;
        private final int[] ksize;
        private final int[] strides;
        private final Padding padding;
        private final DataFormat format;
        private int[] dilations = ONE;
        private boolean ceilMode;
        private boolean countIncludePad;

        private Builder(String op, int[] ksize, int[] strides, Padding padding, DataFormat format) {
            this.op = op;
            this.ksize = ksize;
            this.strides = strides;
            this.padding = padding;
            this.format = format;
        }

        /** 1, 2 or 4 values, as strides (4: TF's list in the format's order, batch and channel entries 1). */
        public Builder dilations(int... dilations) {
            this.dilations = dilations;
            return this;
        }

        public Builder ceilMode(boolean ceilMode) {
            this.ceilMode = ceilMode;
            return this;
        }

        public Builder countIncludePad(boolean countIncludePad) {
            this.countIncludePad = countIncludePad;
            return this;
        }

        /** @throws IllegalArgumentException naming the op, the argument and the legal values */
        public PoolParams build() {
            if (padding == null) throw new IllegalArgumentException(op + ": padding is null; legal: SAME, VALID, explicit");
            DataFormat.layout(op, format);
            int[] k = Spatial.hw(op, "ksize", ksize, format);
            int[] s = Spatial.hw(op, "strides", strides, format);
            int[] d = Spatial.hw(op, "dilations", dilations, format);
            if (padding.kind() == Padding.Kind.EXPLICIT
                    && (Math.max(padding.top(), padding.bottom()) >= k[0] || Math.max(padding.left(), padding.right()) >= k[1])) {
                throw new IllegalArgumentException(op + ": explicit padding " + padding + " must be smaller than ksize "
                        + Arrays.toString(k) + " in each dimension, so that every window holds an input cell");
            }
            return new PoolParams(ksize.clone(), strides.clone(), padding, format, k, s, dilations.clone(), d, ceilMode,
                    countIncludePad);
        }
    }

    /**
     * The pooling windows over an input of {@code input} (format order; 4 positive sizes). Every window must hold an
     * input cell (with dilations a window can fall between the input cells even when the padding is below ksize).
     */
    public ConvGeometry geometry(String op, long[] input) {
        if (input == null || input.length != 4) {
            throw new IllegalArgumentException(op + ": input " + Arrays.toString(input) + " must be 4-D " + format);
        }
        if (Arrays.stream(input).anyMatch(e -> e < 1)) {
            throw new IllegalArgumentException(op + ": input shape " + Arrays.toString(input) + " must be 4 positive sizes");
        }
        long[] x = format.nhwc(input);
        Window h = window(op, "height", (int) x[1], 0);
        Window w = window(op, "width", (int) x[2], 1);
        return new ConvGeometry((int) x[0], (int) x[3], (int) x[3], h, w);
    }

    private Window window(String op, String dim, int in, int axis) {
        Window win = Window.forward(op, dim, in, ksizeHw[axis], stridesHw[axis], dilationsHw[axis], padding, ceilMode);
        int empty = win.firstEmptyWindow();
        if (empty >= 0) {
            throw new IllegalArgumentException(op + ": window " + empty + " along " + dim + " (input cells from " + win.start(empty)
                    + " in steps of dilation " + win.dilation() + ", ksize " + win.k() + ") holds no cell of the input " + dim
                    + " " + in + " (" + this + "); every window must hold an input cell");
        }
        return win;
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
                && p.padding.equals(padding) && p.format == format && Arrays.equals(p.dilationsHw, dilationsHw)
                && p.ceilMode == ceilMode && p.countIncludePad == countIncludePad;
    }

    @Override public int hashCode() {
        return Arrays.hashCode(ksize) * 31 + Arrays.hashCode(strides) + padding.hashCode() * 7 + format.hashCode()
                + Arrays.hashCode(dilationsHw) * 17 + (ceilMode ? 1 : 0) + (countIncludePad ? 2 : 0);
    }

    @Override public String toString() {
        return "ksize " + Arrays.toString(ksize) + ", strides " + Arrays.toString(strides) + ", padding " + padding + ", " + format
                + (dilationsHw[0] != 1 || dilationsHw[1] != 1 ? ", dilations " + Arrays.toString(dilations) : "")
                + (ceilMode ? ", ceil_mode" : "") + (countIncludePad ? ", count_include_pad" : "");
    }
}
