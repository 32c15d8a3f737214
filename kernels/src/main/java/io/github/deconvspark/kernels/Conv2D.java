package io.github.deconvspark.kernels;

import io.github.deconvspark.kernels.internal.ConvCompute;
import io.github.deconvspark.kernels.internal.Dnnl;
import io.github.deconvspark.kernels.internal.Nd4jOps;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * TensorFlow's {@code tf.nn.conv2d} and its two gradients: {@code conv2d_transpose} (= the
 * gradient with respect to the input, TF's Conv2DBackpropInput) and the filter gradient
 * (Conv2DBackpropFilter). Conv2d filters are {@code [kh, kw, in, out]}; conv2d_transpose filters
 * are {@code [kh, kw, out, in]}, as in TF. Grouped convolutions are TF's: an input of {@code groups x in}
 * channels (groups dividing out) convolves channel group i with filter columns i of {@code out / groups}. Strides
 * and dilations take 1, 2 or 4 values; the window arithmetic is {@link ConvParams}'. Each op also has a form that
 * takes the geometry computed once (the autodiff's nodes compute it when they are built).
 */
public final class Conv2D {
    private Conv2D() {}

    public static INDArray conv2d(INDArray input, INDArray filter, int[] strides, Padding padding,
                                  DataFormat format, int[] dilations) {
        return forward("conv2d", input, filter, strides, padding, format, dilations, false);
    }

    /** conv2d, or (depthwise) DepthwiseConv2dNative, checked; the geometry decides the compute. */
    static INDArray forward(String op, INDArray input, INDArray filter, int[] strides, Padding padding, DataFormat format,
                            int[] dilations, boolean depthwise) {
        Tensors.requireRank4(op, "input", input, DataFormat.layout(op, format));
        Tensors.requireRank4(op, "filter", filter, depthwise ? DEPTHWISE_FILTER : "[kh, kw, in, out]");
        Tensors.floatType(op, "input", input, "filter", filter);
        ConvParams p = ConvParams.of(op, strides, padding, format, dilations);
        return conv2d(input, filter, p, geometry(p, op, input.shape(), filter.shape(), depthwise));
    }

    static final String DEPTHWISE_FILTER = "[kh, kw, in, multiplier]";

    static ConvGeometry geometry(ConvParams p, String op, long[] input, long[] filter, boolean depthwise) {
        return depthwise ? p.depthwiseGeometry(op, input, filter) : p.geometry(op, input, filter);
    }

    /** conv2d with its geometry ({@link ConvParams#geometry} of these arrays' shapes). */
    public static INDArray conv2d(INDArray input, INDArray filter, ConvParams p, ConvGeometry g) {
        DataType t = input.dataType();
        DataFormat format = p.format();
        if (Dnnl.supports(Dnnl.Kind.FORWARD, g, t)) {
            INDArray out = Tensors.uninitialized(t, g.n(), g.h().out(), g.w().out(), g.oc());
            Dnnl.forward(Tensors.toNhwc(input, format), Tensors.dense(filter), out, g);
            return Tensors.fromNhwc(out, format);
        }
        if (g.groups() > 1) return GroupedConv.forward(input, filter, p, g);
        // float64: libnd4j's conv2d where its padding fits, else im2col + GEMM.
        int[] pads = Nd4jOps.padsFit(g.h(), g.w(), p.padding().kind() == Padding.Kind.SAME);
        if (pads != null) {
            INDArray out = Tensors.uninitialized(t, p.outputShape(g));
            Nd4jOps.conv2d(Tensors.dense(input), Tensors.dense(filter), out, g.h(), g.w(), pads, format == DataFormat.NHWC);
            return out;
        }
        INDArray x = Tensors.toNhwc(input, format);
        INDArray out = Tensors.uninitialized(t, g.n(), g.h().out(), g.w().out(), g.oc());
        ConvCompute.forward(x, Tensors.dense(filter), out, g);
        return Tensors.fromNhwc(out, format);
    }

    /**
     * conv2d (or a depthwise one: {@code g} says which) plus a per-output-channel {@code bias} ([oc]) in one oneDNN
     * pass, the bias added to each finished sum: float32 NHWC only; null when this path does not serve the case
     * (the caller computes the two apart).
     */
    public static INDArray conv2dBias(INDArray input, INDArray filter, INDArray bias, ConvParams p, ConvGeometry g) {
        DataType t = input.dataType();
        if (p.format() != DataFormat.NHWC || bias.dataType() != t || bias.length() != g.oc() || !Layouts.isDense(bias)
                || !Dnnl.supports(Dnnl.Kind.FORWARD_BIAS, g, t)) {
            return null;
        }
        INDArray out = Tensors.uninitialized(t, g.n(), g.h().out(), g.w().out(), g.oc());
        Dnnl.forwardBias(Tensors.dense(input), Tensors.dense(filter), bias, out, g);
        return out;
    }

    /**
     * The transposed convolution: scatters every value cell times the filter into an output of
     * {@code outputShape} (in {@code format} order; its batch entry may be -1 for value's batch).
     * outputShape must be one that conv2d with the same filter, strides and padding maps onto
     * value's spatial size: with stride s there are s legal sizes per dimension.
     */
    public static INDArray conv2dTranspose(INDArray value, INDArray filter, long[] outputShape, int[] strides,
                                           Padding padding, DataFormat format, int[] dilations) {
        return backpropInput("conv2d_transpose", "output_shape", outputShape, filter, value, strides, padding, format, dilations,
                false);
    }

    /** TF's Conv2DBackpropInput: the gradient of conv2d with respect to an input of {@code inputShape}. */
    public static INDArray conv2dBackpropInput(long[] inputShape, INDArray filter, INDArray outBackprop, int[] strides,
                                               Padding padding, DataFormat format, int[] dilations) {
        return backpropInput("conv2d_backprop_input", "input_sizes", inputShape, filter, outBackprop, strides, padding, format,
                dilations, false);
    }

    /** TF's Conv2DBackpropFilter: the gradient of conv2d with respect to a filter of {@code filterShape}. */
    public static INDArray conv2dBackpropFilter(INDArray input, long[] filterShape, INDArray outBackprop, int[] strides,
                                                Padding padding, DataFormat format, int[] dilations) {
        return backpropFilter("conv2d_backprop_filter", input, filterShape, outBackprop, strides, padding, format, dilations, false);
    }

    static INDArray backpropFilter(String op, INDArray input, long[] filterShape, INDArray outBackprop, int[] strides,
                                   Padding padding, DataFormat format, int[] dilations, boolean depthwise) {
        Tensors.requireRank4(op, "input", input, DataFormat.layout(op, format));
        Tensors.requireRank4(op, "out_backprop", outBackprop, DataFormat.layout(op, format));
        Tensors.requireShape(op, "filter_sizes", filterShape);
        Tensors.floatType(op, "input", input, "out_backprop", outBackprop);
        Tensors.requireSize(op, "filter_sizes", filterShape);
        ConvParams p = ConvParams.of(op, strides, padding, format, dilations);
        ConvGeometry g = geometry(p, op, input.shape(), filterShape, depthwise);
        long[] expected = p.outputShape(g);
        if (!Arrays.equals(expected, outBackprop.shape())) {
            throw new IllegalArgumentException(op + ": out_backprop " + Tensors.shape(outBackprop) + " does not match the "
                    + (depthwise ? "depthwise conv" : "conv2d") + " output " + Arrays.toString(expected) + " of input " + Tensors.shape(input)
                    + " with filter " + Arrays.toString(filterShape));
        }
        return conv2dBackpropFilter(input, filterShape, outBackprop, p, g);
    }

    /** Conv2DBackpropFilter with its (forward) geometry. */
    public static INDArray conv2dBackpropFilter(INDArray input, long[] filterShape, INDArray outBackprop, ConvParams p, ConvGeometry g) {
        if (Dnnl.supports(Dnnl.Kind.BACKWARD_WEIGHTS, g, input.dataType())) {
            INDArray dw = Tensors.uninitialized(input.dataType(), filterShape);
            Dnnl.backwardWeights(Tensors.toNhwc(input, p.format()), Tensors.toNhwc(outBackprop, p.format()), dw, g);
            return dw;
        }
        if (g.groups() > 1) return GroupedConv.backpropFilter(input, filterShape, outBackprop, p, g);
        INDArray dw = Tensors.uninitialized(input.dataType(), filterShape);
        ConvCompute.backpropFilter(Tensors.toNhwc(input, p.format()), Tensors.toNhwc(outBackprop, p.format()), dw, g);
        return dw;
    }

    static INDArray backpropInput(String op, String shapeName, long[] outputShape, INDArray filter, INDArray value,
                                  int[] strides, Padding padding, DataFormat format, int[] dilations, boolean depthwise) {
        Tensors.requireRank4(op, "value", value, DataFormat.layout(op, format));
        Tensors.requireRank4(op, "filter", filter, depthwise ? DEPTHWISE_FILTER : "[kh, kw, out, in]");
        Tensors.requireShape(op, shapeName, outputShape);
        Tensors.floatType(op, "value", value, "filter", filter);
        ConvParams p = ConvParams.of(op, strides, padding, format, dilations);
        long[] out = transposeShape(op, shapeName, outputShape, value.shape(), filter.shape(), p, depthwise);
        return conv2dBackpropInput(value, filter, p, geometry(p, op, out, filter.shape(), depthwise));
    }

    /**
     * The output shape (format order) of conv2d_transpose / the input shape of Conv2DBackpropInput, checked: batch
     * -1 becomes value's, the channels must be the filter's, each spatial size one the forward conv maps onto
     * value's ({@link ConvParams#transposeRange}); every message names what was given and what is legal.
     */
    public static long[] transposeShape(String op, String shapeName, long[] outputShape, long[] valueShape, long[] f, ConvParams p) {
        return transposeShape(op, shapeName, outputShape, valueShape, f, p, false);
    }

    /**
     * The same for the depthwise input gradient (filter [kh, kw, in, multiplier]: value has in x multiplier channels,
     * the output in) or conv2d_transpose (filter [kh, kw, out, in]: value has in channels, the output out, or
     * groups x out with groups dividing in).
     */
    static long[] transposeShape(String op, String shapeName, long[] outputShape, long[] valueShape, long[] f, ConvParams p,
                                 boolean depthwise) {
        DataFormat format = p.format();
        long[] v = format.nhwc(valueShape);
        long[] out = format.nhwc(outputShape);
        if (out[0] == -1) out[0] = v[0];
        Tensors.requireSize(op, shapeName, out);
        String context = shapeName + " " + Arrays.toString(outputShape) + " with value " + Arrays.toString(valueShape)
                + ", filter " + Arrays.toString(f) + ", strides " + Arrays.toString(p.strides()) + ", padding " + p.padding()
                + ", dilations " + Arrays.toString(p.dilations()) + ", data_format " + format;
        if (depthwise ? f[2] * f[3] != v[3] : f[3] != v[3]) {
            throw new IllegalArgumentException(op + ": value has " + v[3] + " channels but " + (depthwise
                    ? "the depthwise filter's in x multiplier is " + f[2] * f[3] + " (filter is " + DEPTHWISE_FILTER + ")"
                    : "the filter's in_channels (its last entry, filter is [kh, kw, out, in]) is " + f[3]) + "; " + context);
        }
        if (out[0] != v[0]) {
            throw new IllegalArgumentException(op + ": " + shapeName + " batch " + out[0] + " must equal value's batch "
                    + v[0] + " (or be -1); " + context);
        }
        if (depthwise && out[3] != f[2]) {
            throw new IllegalArgumentException(op + ": " + shapeName + " channels " + out[3] + " must equal the depthwise "
                    + "filter's in_channels " + f[2] + " (filter is " + DEPTHWISE_FILTER + "); " + context);
        }
        boolean grouped = out[3] % f[2] == 0 && f[3] % (out[3] / f[2]) == 0;
        if (!depthwise && !grouped) {
            throw new IllegalArgumentException(op + ": " + shapeName + " channels " + out[3] + " must equal the filter's "
                    + "out_channels " + f[2] + " (filter is [kh, kw, out, in]), or be a multiple g of it (grouped) with g "
                    + "dividing its in_channels " + f[3] + "; " + context);
        }
        int[][] ranges = p.transposeRange(valueShape, f);
        String[] dims = {"height", "width"};
        for (int i = 0; i < 2; i++) {
            int[] range = ranges[i];
            if (range == null || out[1 + i] < range[0] || out[1 + i] > range[1]) {
                String legal = range == null ? "no size is legal" : "legal: " + range[0] + " <= " + dims[i] + " <= " + range[1];
                throw new IllegalArgumentException(op + ": " + shapeName + " " + dims[i] + " " + out[1 + i]
                        + " is illegal: conv2d of that size would not give value's " + dims[i] + " " + v[1 + i] + " ("
                        + legal + " for " + p.padding().kind() + ": " + p.transposeRule() + "); " + context);
            }
        }
        return format.fromNhwc(out);
    }

    /** Conv2DBackpropInput with the forward geometry of the output (input) it makes. */
    public static INDArray conv2dBackpropInput(INDArray value, INDArray filter, ConvParams p, ConvGeometry g) {
        DataFormat format = p.format();
        DataType t = value.dataType();
        if (Dnnl.supports(Dnnl.Kind.BACKWARD_DATA, g, t)) {
            INDArray dx = Tensors.uninitialized(t, g.n(), g.h().in(), g.w().in(), g.c());
            Dnnl.backwardData(Tensors.toNhwc(value, format), Tensors.dense(filter), dx, g);
            return Tensors.fromNhwc(dx, format);
        }
        if (g.groups() > 1) return GroupedConv.backpropInput(value, filter, p, g);
        if (Nd4jOps.backpropInputFitsConv(g.h(), g.w(), g.oc(), g.c())) {
            INDArray result = Tensors.uninitialized(t, format.fromNhwc(new long[] {g.n(), g.h().in(), g.w().in(), g.c()}));
            Nd4jOps.backpropInputAsConv(Tensors.dense(value), Tensors.dense(filter), result, g.h(), g.w(), format == DataFormat.NHWC);
            return result;
        }
        INDArray dx = Tensors.uninitialized(t, g.n(), g.h().in(), g.w().in(), g.c());
        ConvCompute.backpropInput(Tensors.toNhwc(value, format), Tensors.dense(filter), dx, g);
        return Tensors.fromNhwc(dx, format);
    }
}
