package io.github.deconvspark.kernels;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * TensorFlow's {@code tf.nn.depthwise_conv2d} (DepthwiseConv2dNative) and its two gradients,
 * DepthwiseConv2dNativeBackpropInput and DepthwiseConv2dNativeBackpropFilter. Filters are
 * {@code [kh, kw, in, multiplier]}; output channel {@code c * multiplier + m} is input channel c convolved with
 * filter entries [.., .., c, m]. Strides, dilations (1, 2 or 4 values; unequal strides and dilations too, which TF's
 * CPU kernels refuse), SAME/VALID/explicit padding, NHWC and NCHW: the window arithmetic is
 * {@link ConvParams#depthwiseGeometry}'s. It is conv2d with one group per input channel (the same filter memory as
 * a [kh, kw, 1, in * multiplier] grouped filter), so the forms with a geometry share {@link Conv2D}'s compute.
 */
public final class DepthwiseConv2D {
    private DepthwiseConv2D() {}

    public static INDArray depthwiseConv2d(INDArray input, INDArray filter, int[] strides, Padding padding, DataFormat format,
                                           int[] dilations) {
        return Conv2D.forward("depthwise_conv2d", input, filter, strides, padding, format, dilations, true);
    }

    /** The depthwise conv with its geometry ({@link ConvParams#depthwiseGeometry} of these arrays' shapes). */
    public static INDArray depthwiseConv2d(INDArray input, INDArray filter, ConvParams p, ConvGeometry g) {
        return Conv2D.conv2d(input, filter, p, g);
    }

    /**
     * The gradient of the depthwise conv with respect to an input of {@code inputShape} (format order; batch may be
     * -1 for outBackprop's), given the output gradient: exactly the sizes the forward conv maps onto outBackprop's are legal.
     */
    public static INDArray depthwiseConv2dBackpropInput(long[] inputShape, INDArray filter, INDArray outBackprop, int[] strides,
                                                        Padding padding, DataFormat format, int[] dilations) {
        return Conv2D.backpropInput("depthwise_conv2d_backprop_input", "input_sizes", inputShape, filter, outBackprop, strides,
                padding, format, dilations, true);
    }

    /** DepthwiseConv2dNativeBackpropInput with the forward geometry of the input it makes. */
    public static INDArray depthwiseConv2dBackpropInput(INDArray outBackprop, INDArray filter, ConvParams p, ConvGeometry g) {
        return Conv2D.conv2dBackpropInput(outBackprop, filter, p, g);
    }

    /** The gradient of the depthwise conv with respect to a filter of {@code filterShape} [kh, kw, in, multiplier]. */
    public static INDArray depthwiseConv2dBackpropFilter(INDArray input, long[] filterShape, INDArray outBackprop, int[] strides,
                                                         Padding padding, DataFormat format, int[] dilations) {
        return Conv2D.backpropFilter("depthwise_conv2d_backprop_filter", input, filterShape, outBackprop, strides, padding, format,
                dilations, true);
    }

    /** DepthwiseConv2dNativeBackpropFilter with its (forward) geometry. */
    public static INDArray depthwiseConv2dBackpropFilter(INDArray input, long[] filterShape, INDArray outBackprop, ConvParams p,
                                                         ConvGeometry g) {
        return Conv2D.conv2dBackpropFilter(input, filterShape, outBackprop, p, g);
    }
}
