package io.github.deconvspark.kernels.shape;

import java.util.Arrays;

/**
 * The parameters of conv2d and its two gradients (conv2d_transpose = Conv2DBackpropInput, Conv2DBackpropFilter):
 * strides and dilations as given (1, 2 or 4 entries, TF's lists) and as {height, width}, padding and data format.
 * Made by {@link #of}, which checks them; the one place the window arithmetic of the conv family is assembled:
 * {@link #geometry}, {@link #outputShape}, {@link #transposeRange}. The kernels, the autodiff ops and the model
 * loaders take these.
 */
public record ConvParams(int[] strides, Padding padding, DataFormat format, int[] dilations, int[] stridesHw, int[] dilationsHw) {

    /**
     * @param op names the op in messages ("conv2d", "Conv2DBackpropInput", ...)
     * @throws IllegalArgumentException naming the op, the argument and the legal values
     */
    public static ConvParams of(String op, int[] strides, Padding padding, DataFormat format, int[] dilations) {
        if (padding == null) throw new IllegalArgumentException(op + ": padding is null; legal: SAME, VALID, explicit");
        DataFormat.layout(op, format);
        int[] s = Spatial.hw(op, "strides", strides, format);
        int[] d = Spatial.hw(op, "dilations", dilations, format);
        return new ConvParams(strides.clone(), padding, format, dilations.clone(), s, d);
    }

    /**
     * The forward geometry of conv2d for an input (in this format's order) and a [kh, kw, in, out] filter: the filter
     * must be 4 positive sizes whose in-channels are the input's.
     */
    public ConvGeometry geometry(String op, long[] input, long[] filter) {
        if (input == null || filter == null || input.length != 4 || filter.length != 4) {
            throw new IllegalArgumentException(op + ": input " + Arrays.toString(input) + " must be 4-D " + format
                    + " and filter " + Arrays.toString(filter) + " 4-D [kh, kw, in, out]");
        }
        if (Arrays.stream(filter).anyMatch(e -> e < 1)) {
            throw new IllegalArgumentException(op + ": filter shape " + Arrays.toString(filter)
                    + " must be 4 positive sizes [kh, kw, in, out]");
        }
        long[] x = format.nhwc(input);
        if (filter[2] != x[3]) {
            throw new IllegalArgumentException(op + ": input " + Arrays.toString(input) + " (" + format + ") has " + x[3]
                    + " channels but the filter " + Arrays.toString(filter) + " expects " + filter[2] + " (filter is [kh, kw, in, out])");
        }
        Window h = Window.forward(op, "height", (int) x[1], (int) filter[0], stridesHw[0], dilationsHw[0], padding);
        Window w = Window.forward(op, "width", (int) x[2], (int) filter[1], stridesHw[1], dilationsHw[1], padding);
        return new ConvGeometry((int) x[0], (int) x[3], (int) filter[3], h, w);
    }

    /** conv2d's output shape (format order) for an input (format order) and a [kh, kw, in, out] filter. */
    public long[] outputShape(String op, long[] input, long[] filter) {
        return outputShape(geometry(op, input, filter));
    }

    /** The output shape (format order) of a geometry. */
    public long[] outputShape(ConvGeometry g) {
        return format.fromNhwc(new long[] {g.n(), g.h().out(), g.w().out(), g.oc()});
    }

    /**
     * The legal output sizes {lo, hi} of conv2d_transpose per spatial dimension ({height, width}) for a value of
     * {@code value} (format order) and a filter [kh, kw, out, in]: the sizes the forward conv maps onto the value's;
     * an entry is null when no size is legal.
     */
    public int[][] transposeRange(long[] value, long[] filter) {
        long[] v = format.nhwc(value);
        return new int[][] {
            Window.transposeRange((int) v[1], (int) filter[0], stridesHw[0], dilationsHw[0], padding, "height"),
            Window.transposeRange((int) v[2], (int) filter[1], stridesHw[1], dilationsHw[1], padding, "width"),
        };
    }

    /** The legal-size rule of conv2d_transpose for this padding, for messages. */
    public String transposeRule() {
        return switch (padding.kind()) {
            case SAME -> "(in-1)*s+1 <= out <= in*s";
            case VALID -> "(in-1)*s+ke <= out <= (in-1)*s+ke+s-1, ke=(k-1)*d+1";
            case EXPLICIT -> "(in-1)*s+ke-pads <= out <= (in-1)*s+ke-pads+s-1";
        };
    }

    @Override public boolean equals(Object o) {
        return o instanceof ConvParams p && Arrays.equals(p.strides, strides) && p.padding.equals(padding) && p.format == format
                && Arrays.equals(p.dilations, dilations);
    }

    @Override public int hashCode() {
        return Arrays.hashCode(strides) * 31 + Arrays.hashCode(dilations) + padding.hashCode() * 7 + format.hashCode();
    }

    @Override public String toString() {
        return "strides " + Arrays.toString(strides) + ", padding " + padding + ", " + format + ", dilations " + Arrays.toString(dilations);
    }
}
