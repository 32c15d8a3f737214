package io.github.deconvspark.kernels.shape;

import java.util.Arrays;

/**
 * The parameters of conv2d and its two gradients (conv2d_transpose = Conv2DBackpropInput, Conv2DBackpropFilter), and of
 * the depthwise conv family (DepthwiseConv2dNative and its gradients): strides and dilations as given (1, 2 or 4
 * entries, TF's lists) and as {height, width}, padding, data format, and the channel groups: 0 = as the shapes say
 * (TF's rule: input channels = groups x the filter's in-channels), or a count the shapes must agree with (ONNX's
 * {@code group}). Made by {@link #of}, which checks them; the one place the window arithmetic of the conv family is
 * assembled: {@link #geometry}, {@link #depthwiseGeometry}, {@link #outputShape}, {@link #transposeRange}. The kernels,
 * the autodiff ops and the model loaders take these.
 */
public record ConvParams(int[] strides, Padding padding, DataFormat format, int[] dilations, int[] stridesHw, int[] dilationsHw,
                         int groups) {

    /**
     * @param op names the op in messages ("conv2d", "Conv2DBackpropInput", ...)
     * @throws IllegalArgumentException naming the op, the argument and the legal values
     */
    public static ConvParams of(String op, int[] strides, Padding padding, DataFormat format, int[] dilations) {
        if (padding == null) throw new IllegalArgumentException(op + ": padding is null; legal: SAME, VALID, explicit");
        DataFormat.layout(op, format);
        int[] s = Spatial.hw(op, "strides", strides, format);
        int[] d = Spatial.hw(op, "dilations", dilations, format);
        return new ConvParams(strides.clone(), padding, format, dilations.clone(), s, d, 0);
    }

    /** With a declared group count (ONNX's {@code group}, >= 1) that {@link #geometry} checks against the shapes. */
    public static ConvParams of(String op, int[] strides, Padding padding, DataFormat format, int[] dilations, int groups) {
        if (groups < 1) throw new IllegalArgumentException(op + ": groups " + groups + " must be >= 1");
        ConvParams p = of(op, strides, padding, format, dilations);
        return new ConvParams(p.strides, padding, format, p.dilations, p.stridesHw, p.dilationsHw, groups);
    }

    /**
     * The forward geometry of conv2d for an input (in this format's order) and a [kh, kw, in, out] filter: the filter
     * must be 4 positive sizes; the input's channels must be the filter's in-channels, or (grouped, TF's rule) a
     * multiple {@code groups x in} whose group count divides the filter's out-channels.
     */
    public ConvGeometry geometry(String op, long[] input, long[] filter) {
        long[] x = nhwc(op, input, filter, "[kh, kw, in, out]");
        return windows(op, x, filter, filter[3], groups(op, input, x[3], filter));
    }

    /**
     * The forward geometry of a depthwise conv (TF's DepthwiseConv2dNative) for an input (format order) and a
     * [kh, kw, in, multiplier] filter: output channel {@code c * multiplier + m} reads input channel c only, so it is a
     * grouped conv with one group per input channel (and the same filter memory as a [kh, kw, 1, in * multiplier] one).
     */
    public ConvGeometry depthwiseGeometry(String op, long[] input, long[] filter) {
        long[] x = nhwc(op, input, filter, "[kh, kw, in, multiplier]");
        if (filter[2] != x[3]) {
            throw new IllegalArgumentException(op + ": input " + Arrays.toString(input) + " (" + format + ") has " + x[3]
                    + " channels but the depthwise filter " + Arrays.toString(filter) + " expects " + filter[2]
                    + " (filter is [kh, kw, in, multiplier])");
        }
        if (groups != 0 && groups != x[3]) {
            throw new IllegalArgumentException(op + ": groups " + groups + " given, but a depthwise conv has one group per "
                    + "input channel: " + x[3] + " for input " + Arrays.toString(input) + " (" + format + ")");
        }
        if (x[3] * filter[3] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + x[3] + " channels x multiplier " + filter[3]
                    + " output channels exceed " + Integer.MAX_VALUE);
        }
        return windows(op, x, filter, x[3] * filter[3], (int) x[3]);
    }

    /** The input in NHWC order, after the checks both geometries share: 4-D shapes, a filter of positive sizes. */
    private long[] nhwc(String op, long[] input, long[] filter, String filterLayout) {
        if (input == null || filter == null || input.length != 4 || filter.length != 4) {
            throw new IllegalArgumentException(op + ": input " + Arrays.toString(input) + " must be 4-D " + format
                    + " and filter " + Arrays.toString(filter) + " 4-D " + filterLayout);
        }
        if (Arrays.stream(filter).anyMatch(e -> e < 1)) {
            throw new IllegalArgumentException(op + ": filter shape " + Arrays.toString(filter)
                    + " must be 4 positive sizes " + filterLayout);
        }
        return format.nhwc(input);
    }

    /** conv2d's group count: channels / the filter's in-channels, which must divide both channel counts. */
    private int groups(String op, long[] input, long channels, long[] filter) {
        long g = channels % filter[2] == 0 ? channels / filter[2] : 0;
        if (g == 0) {
            throw new IllegalArgumentException(op + ": input " + Arrays.toString(input) + " (" + format + ") has " + channels
                    + " channels but the filter " + Arrays.toString(filter) + " expects " + filter[2]
                    + " (filter is [kh, kw, in, out]), or a multiple of it: a grouped conv2d takes groups x in channels");
        }
        if (filter[3] % g != 0) {
            throw new IllegalArgumentException(op + ": input " + Arrays.toString(input) + " (" + format + ") has " + channels
                    + " channels = " + g + " groups of the filter's " + filter[2] + " in-channels, but the filter "
                    + Arrays.toString(filter) + " has " + filter[3] + " out-channels, not a multiple of " + g + " groups");
        }
        if (groups != 0 && groups != g) {
            throw new IllegalArgumentException(op + ": groups " + groups + " given, but input " + Arrays.toString(input) + " ("
                    + format + ") with filter " + Arrays.toString(filter) + " makes " + channels + " / " + filter[2] + " = " + g
                    + " groups (filter is [kh, kw, in / groups, out])");
        }
        return (int) g;
    }

    private ConvGeometry windows(String op, long[] x, long[] filter, long oc, int groups) {
        Window h = Window.forward(op, "height", (int) x[1], (int) filter[0], stridesHw[0], dilationsHw[0], padding);
        Window w = Window.forward(op, "width", (int) x[2], (int) filter[1], stridesHw[1], dilationsHw[1], padding);
        return new ConvGeometry((int) x[0], (int) x[3], (int) oc, h, w, groups);
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
                && Arrays.equals(p.dilations, dilations) && p.groups == groups;
    }

    @Override public int hashCode() {
        return Arrays.hashCode(strides) * 31 + Arrays.hashCode(dilations) + padding.hashCode() * 7 + format.hashCode() + groups * 131;
    }

    @Override public String toString() {
        return "strides " + Arrays.toString(strides) + ", padding " + padding + ", " + format + ", dilations " + Arrays.toString(dilations)
                + (groups == 0 ? "" : ", groups " + groups);
    }
}
