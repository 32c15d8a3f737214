package io.github.deconvspark.kernels;

import io.github.deconvspark.kernels.internal.ConvCompute;
import io.github.deconvspark.kernels.internal.Nd4jOps;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Spatial;
import io.github.deconvspark.kernels.shape.Window;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * TensorFlow's {@code tf.nn.conv2d} and its two gradients: {@code conv2d_transpose} (= the
 * gradient with respect to the input, TF's Conv2DBackpropInput) and the filter gradient
 * (Conv2DBackpropFilter). Conv2d filters are {@code [kh, kw, in, out]}; conv2d_transpose filters
 * are {@code [kh, kw, out, in]}, as in TF. Strides and dilations take 1, 2 or 4 values.
 */
public final class Conv2D {
    private Conv2D() {}

    public static INDArray conv2d(INDArray input, INDArray filter, int[] strides, Padding padding,
                                  DataFormat format, int[] dilations) {
        String op = "conv2d";
        Tensors.requireRank4(op, "input", input, Tensors.layout(op, format));
        Tensors.requireRank4(op, "filter", filter, "[kh, kw, in, out]");
        DataType t = Tensors.floatType(op, "input", input, "filter", filter);
        ConvGeometry g = geometry(op, Tensors.nhwc(input.shape(), format), filter.shape(), strides, padding, format, dilations);
        // libnd4j's conv2d (oneDNN) runs at TF's speed for every benchmark shape (docs/BENCHMARKS.md).
        int[] pads = Nd4jOps.padsFit(g.h(), g.w(), padding.kind() == Padding.Kind.SAME);
        if (pads != null) {
            INDArray out = Tensors.uninitialized(t, Tensors.inFormat(new long[] {g.n(), g.h().out(), g.w().out(), g.oc()}, format));
            Nd4jOps.conv2d(Tensors.dense(input), Tensors.dense(filter), out, g.h(), g.w(), pads, format == DataFormat.NHWC);
            return out;
        }
        INDArray x = Tensors.toNhwc(input, format);
        INDArray out = Tensors.uninitialized(t, g.n(), g.h().out(), g.w().out(), g.oc());
        ConvCompute.forward(x, Tensors.dense(filter), out, g);
        return Tensors.fromNhwc(out, format);
    }

    /**
     * The transposed convolution: scatters every value cell times the filter into an output of
     * {@code outputShape} (in {@code format} order; its batch entry may be -1 for value's batch).
     * outputShape must be one that conv2d with the same filter, strides and padding maps onto
     * value's spatial size: with stride s there are s legal sizes per dimension.
     */
    public static INDArray conv2dTranspose(INDArray value, INDArray filter, long[] outputShape, int[] strides,
                                           Padding padding, DataFormat format, int[] dilations) {
        return backpropInput("conv2d_transpose", "output_shape", outputShape, filter, value, strides, padding, format, dilations);
    }

    /** TF's Conv2DBackpropInput: the gradient of conv2d with respect to an input of {@code inputShape}. */
    public static INDArray conv2dBackpropInput(long[] inputShape, INDArray filter, INDArray outBackprop, int[] strides,
                                               Padding padding, DataFormat format, int[] dilations) {
        return backpropInput("conv2d_backprop_input", "input_sizes", inputShape, filter, outBackprop, strides, padding, format, dilations);
    }

    /** TF's Conv2DBackpropFilter: the gradient of conv2d with respect to a filter of {@code filterShape}. */
    public static INDArray conv2dBackpropFilter(INDArray input, long[] filterShape, INDArray outBackprop, int[] strides,
                                                Padding padding, DataFormat format, int[] dilations) {
        String op = "conv2d_backprop_filter";
        Tensors.requireRank4(op, "input", input, Tensors.layout(op, format));
        Tensors.requireRank4(op, "out_backprop", outBackprop, Tensors.layout(op, format));
        Tensors.requireShape(op, "filter_sizes", filterShape);
        DataType t = Tensors.floatType(op, "input", input, "out_backprop", outBackprop);
        Tensors.requireSize(op, "filter_sizes", filterShape);
        long[] x = Tensors.nhwc(input.shape(), format);
        long[] dy = Tensors.nhwc(outBackprop.shape(), format);
        ConvGeometry g = geometry(op, x, filterShape, strides, padding, format, dilations);
        long[] expected = {g.n(), g.h().out(), g.w().out(), g.oc()};
        if (!Arrays.equals(expected, dy)) {
            throw new IllegalArgumentException(op + ": out_backprop " + Tensors.shape(outBackprop) + " does not match the "
                    + "conv2d output " + Arrays.toString(Tensors.inFormat(expected, format)) + " of input " + Tensors.shape(input)
                    + " with filter " + Arrays.toString(filterShape));
        }
        INDArray dw = Tensors.uninitialized(t, filterShape);
        ConvCompute.backpropFilter(Tensors.toNhwc(input, format), Tensors.toNhwc(outBackprop, format), dw, g);
        return dw;
    }

    private static INDArray backpropInput(String op, String shapeName, long[] outputShape, INDArray filter, INDArray value,
                                          int[] strides, Padding padding, DataFormat format, int[] dilations) {
        Tensors.requireRank4(op, "value", value, Tensors.layout(op, format));
        Tensors.requireRank4(op, "filter", filter, "[kh, kw, out, in]");
        Tensors.requireShape(op, shapeName, outputShape);
        DataType t = Tensors.floatType(op, "value", value, "filter", filter);
        long[] v = Tensors.nhwc(value.shape(), format);
        long[] f = filter.shape();
        long[] out = Tensors.nhwc(outputShape, format);
        if (out[0] == -1) out[0] = v[0];
        Tensors.requireSize(op, shapeName, out);
        String context = shapeName + " " + Arrays.toString(outputShape) + " with value " + Tensors.shape(value)
                + ", filter " + Arrays.toString(f) + ", strides " + Arrays.toString(strides) + ", padding " + padding
                + ", dilations " + Arrays.toString(dilations) + ", data_format " + format;
        if (f[3] != v[3]) {
            throw new IllegalArgumentException(op + ": value has " + v[3] + " channels but the filter's in_channels "
                    + "(its last entry, filter is [kh, kw, out, in]) is " + f[3] + "; " + context);
        }
        if (out[0] != v[0]) {
            throw new IllegalArgumentException(op + ": " + shapeName + " batch " + out[0] + " must equal value's batch "
                    + v[0] + " (or be -1); " + context);
        }
        if (out[3] != f[2]) {
            throw new IllegalArgumentException(op + ": " + shapeName + " channels " + out[3] + " must equal the filter's "
                    + "out_channels " + f[2] + " (filter is [kh, kw, out, in]); " + context);
        }
        int[] s = Spatial.hw(op, "strides", strides, format);
        int[] d = Spatial.hw(op, "dilations", dilations, format);
        String[] dims = {"height", "width"};
        for (int i = 0; i < 2; i++) {
            int[] range = Window.transposeRange((int) v[1 + i], (int) f[i], s[i], d[i], padding, dims[i]);
            if (range == null || out[1 + i] < range[0] || out[1 + i] > range[1]) {
                String legal = range == null ? "no size is legal" : "legal: " + range[0] + " <= " + dims[i] + " <= " + range[1];
                throw new IllegalArgumentException(op + ": " + shapeName + " " + dims[i] + " " + out[1 + i]
                        + " is illegal: conv2d of that size would not give value's " + dims[i] + " " + v[1 + i] + " ("
                        + legal + " for " + padding.kind() + ": " + rule(padding) + "); " + context);
            }
        }
        ConvGeometry g = geometry(op, out, f, strides, padding, format, dilations);
        if (Nd4jOps.backpropInputFitsConv(g.h(), g.w(), g.oc(), g.c())) {
            INDArray result = Tensors.uninitialized(t, Tensors.inFormat(out, format));
            Nd4jOps.backpropInputAsConv(Tensors.dense(value), Tensors.dense(filter), result, g.h(), g.w(),
                    format == DataFormat.NHWC);
            return result;
        }
        INDArray dx = Tensors.uninitialized(t, out);
        ConvCompute.backpropInput(Tensors.toNhwc(value, format), Tensors.dense(filter), dx, g);
        return Tensors.fromNhwc(dx, format);
    }

    private static String rule(Padding p) {
        return switch (p.kind()) {
            case SAME -> "(in-1)*s+1 <= out <= in*s";
            case VALID -> "(in-1)*s+ke <= out <= (in-1)*s+ke+s-1, ke=(k-1)*d+1";
            case EXPLICIT -> "(in-1)*s+ke-pads <= out <= (in-1)*s+ke-pads+s-1";
        };
    }

    /** The forward geometry of conv2d from an NHWC input shape and a [kh, kw, in, out] filter shape. */
    static ConvGeometry geometry(String op, long[] x, long[] f, int[] strides, Padding padding, DataFormat format,
                                 int[] dilations) {
        if (padding == null) throw new IllegalArgumentException(op + ": padding is null; legal: SAME, VALID, explicit");
        if (f.length != 4 || Arrays.stream(f).anyMatch(e -> e < 1)) {
            throw new IllegalArgumentException(op + ": filter shape " + Arrays.toString(f)
                    + " must be 4 positive sizes [kh, kw, in, out]");
        }
        if (f[2] != x[3]) {
            throw new IllegalArgumentException(op + ": input has " + x[3] + " channels but the filter "
                    + Arrays.toString(f) + " expects " + f[2] + " (filter is [kh, kw, in, out])");
        }
        int[] s = Spatial.hw(op, "strides", strides, format);
        int[] d = Spatial.hw(op, "dilations", dilations, format);
        Window h = Window.forward(op, "height", (int) x[1], (int) f[0], s[0], d[0], padding);
        Window w = Window.forward(op, "width", (int) x[2], (int) f[1], s[1], d[1], padding);
        return new ConvGeometry((int) x[0], (int) x[3], (int) f[3], h, w);
    }
}
