package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.PoolParams;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Every op of the engine, named as in TensorFlow ({@code tf.*} and {@code tf.nn.*}); each adds
 * a node to its inputs' graph. Forward and backward of each op family live together in their
 * own class (Arithmetic, Convolutions, MaxPooling, ...); this is only the index.
 * Strides, ksize and dilations take 1, 2 or 4 values, as in the kernels.
 */
public final class Ops {
    private Ops() {}

    private static final int[] ONE = {1};

    // ---- arithmetic (numpy broadcasting) ----

    public static Tensor add(Tensor a, Tensor b) { return Arithmetic.binary(Arithmetic.Kind.ADD, a, b); }

    public static Tensor sub(Tensor a, Tensor b) { return Arithmetic.binary(Arithmetic.Kind.SUB, a, b); }

    public static Tensor mul(Tensor a, Tensor b) { return Arithmetic.binary(Arithmetic.Kind.MUL, a, b); }

    public static Tensor div(Tensor a, Tensor b) { return Arithmetic.binary(Arithmetic.Kind.DIV, a, b); }

    public static Tensor add(Tensor a, double b) { return add(a, a.graph.scalar(b, a.dataType)); }

    public static Tensor mul(Tensor a, double b) { return mul(a, a.graph.scalar(b, a.dataType)); }

    public static Tensor neg(Tensor x) { return Arithmetic.neg(x); }

    public static Tensor broadcastTo(Tensor x, long... shape) { return Arithmetic.broadcastTo(x, shape); }

    public static Tensor matmul(Tensor a, Tensor b) { return MatMul.matmul(a, b); }

    // ---- elementwise functions ----

    public static Tensor relu(Tensor x) { return Activations.apply(Activations.Kind.RELU, x); }

    public static Tensor sigmoid(Tensor x) { return Activations.apply(Activations.Kind.SIGMOID, x); }

    public static Tensor tanh(Tensor x) { return Activations.apply(Activations.Kind.TANH, x); }

    public static Tensor exp(Tensor x) { return Activations.apply(Activations.Kind.EXP, x); }

    public static Tensor log(Tensor x) { return Activations.apply(Activations.Kind.LOG, x); }

    public static Tensor square(Tensor x) { return Activations.apply(Activations.Kind.SQUARE, x); }

    public static Tensor sqrt(Tensor x) { return Activations.apply(Activations.Kind.SQRT, x); }

    // ---- shapes ----

    /** Row-major reshape; one entry may be -1. */
    public static Tensor reshape(Tensor x, long... shape) { return ShapeOps.reshape(x, shape); }

    public static Tensor transpose(Tensor x, int... perm) { return ShapeOps.transpose(x, perm); }

    public static Tensor concat(int axis, Tensor... xs) { return ShapeOps.concat(axis, List.of(xs)); }

    public static Tensor concat(int axis, List<Tensor> xs) { return ShapeOps.concat(axis, xs); }

    /** TF's slice: size -1 means to the end. */
    public static Tensor slice(Tensor x, long[] begin, long[] size) { return ShapeOps.slice(x, begin, size); }

    /** Zero padding, {@code before[i]} and {@code after[i]} cells around dimension i. */
    public static Tensor pad(Tensor x, long[] before, long[] after) { return ShapeOps.pad(x, before, after); }

    // ---- reductions (no axes: all) ----

    public static Tensor reduceSum(Tensor x) { return Reductions.reduce(Reductions.Kind.SUM, x, false); }

    public static Tensor reduceSum(Tensor x, boolean keepDims, int... axes) {
        return Reductions.reduce(Reductions.Kind.SUM, x, keepDims, axes);
    }

    public static Tensor reduceMean(Tensor x) { return Reductions.reduce(Reductions.Kind.MEAN, x, false); }

    public static Tensor reduceMean(Tensor x, boolean keepDims, int... axes) {
        return Reductions.reduce(Reductions.Kind.MEAN, x, keepDims, axes);
    }

    public static Tensor reduceMax(Tensor x) { return Reductions.reduce(Reductions.Kind.MAX, x, false); }

    /** Its gradient is shared equally among tied maxima, as in TF. */
    public static Tensor reduceMax(Tensor x, boolean keepDims, int... axes) {
        return Reductions.reduce(Reductions.Kind.MAX, x, keepDims, axes);
    }

    // ---- softmax (last axis) ----

    public static Tensor softmax(Tensor logits) { return Softmax.softmax(logits, false); }

    public static Tensor logSoftmax(Tensor logits) { return Softmax.softmax(logits, true); }

    /** TF's softmax_cross_entropy_with_logits (v2): one loss per row; labels get a gradient too. */
    public static Tensor softmaxCrossEntropyWithLogits(Tensor labels, Tensor logits) { return Softmax.crossEntropy(labels, logits); }

    // ---- convolution ----

    /** filter is [kh, kw, in, out]; an input of groups x in channels is TF's grouped conv (groups dividing out). */
    public static Tensor conv2d(Tensor input, Tensor filter, int[] strides, Padding padding, DataFormat format, int[] dilations) {
        return Convolutions.conv2d(input, filter, ConvParams.of("Conv2D", strides, padding, format, dilations));
    }

    /**
     * conv2d with its parameters made once ({@link ConvParams#of}), as the model loaders build them; grouped filters
     * [kh, kw, in / groups, out] too (ONNX's {@code group}: give it to {@code ConvParams.of(..., groups)} to have it checked).
     */
    public static Tensor conv2d(Tensor input, Tensor filter, ConvParams params) {
        return Convolutions.conv2d(input, filter, params);
    }

    public static Tensor conv2d(Tensor input, Tensor filter, int[] strides, Padding padding) {
        return conv2d(input, filter, strides, padding, DataFormat.NHWC, ONE);
    }

    /** filter is [kh, kw, out, in]; outputShape in format order, its batch may be -1 (value's batch). */
    public static Tensor conv2dTranspose(Tensor value, Tensor filter, long[] outputShape, int[] strides, Padding padding,
                                         DataFormat format, int[] dilations) {
        return conv2dTranspose(value, filter, outputShape, ConvParams.of("Conv2DBackpropInput", strides, padding, format, dilations));
    }

    /**
     * conv2d_transpose with its parameters made once; a grouped filter [kh, kw, out / groups, in] makes an output of out
     * channels (ONNX ConvTranspose with {@code group}: W [in, out / groups, kh, kw] transposed to [kh, kw, out / groups, in]).
     */
    public static Tensor conv2dTranspose(Tensor value, Tensor filter, long[] outputShape, ConvParams params) {
        return Convolutions.backpropInput(Convolutions.Family.CONV2D, outputShape, filter, value, params);
    }

    public static Tensor conv2dBackpropInput(long[] inputShape, Tensor filter, Tensor outBackprop, int[] strides, Padding padding,
                                             DataFormat format, int[] dilations) {
        return conv2dTranspose(outBackprop, filter, inputShape, strides, padding, format, dilations);
    }

    public static Tensor conv2dBackpropFilter(Tensor input, long[] filterShape, Tensor outBackprop, int[] strides, Padding padding,
                                              DataFormat format, int[] dilations) {
        return Convolutions.backpropFilter(Convolutions.Family.CONV2D, input, filterShape, outBackprop,
                ConvParams.of("Conv2DBackpropFilter", strides, padding, format, dilations));
    }

    /** TF's depthwise_conv2d (DepthwiseConv2dNative): filter [kh, kw, in, multiplier], output channel c * multiplier + m. */
    public static Tensor depthwiseConv2d(Tensor input, Tensor filter, ConvParams params) {
        return Convolutions.conv(Convolutions.Family.DEPTHWISE, input, filter, params);
    }

    public static Tensor depthwiseConv2d(Tensor input, Tensor filter, int[] strides, Padding padding, DataFormat format,
                                         int[] dilations) {
        return depthwiseConv2d(input, filter, ConvParams.of("DepthwiseConv2dNative", strides, padding, format, dilations));
    }

    /** DepthwiseConv2dNativeBackpropInput: the input gradient for an input of inputShape (format order; batch may be -1). */
    public static Tensor depthwiseConv2dBackpropInput(long[] inputShape, Tensor filter, Tensor outBackprop, int[] strides,
                                                      Padding padding, DataFormat format, int[] dilations) {
        return Convolutions.backpropInput(Convolutions.Family.DEPTHWISE, inputShape, filter, outBackprop,
                ConvParams.of("DepthwiseConv2dNativeBackpropInput", strides, padding, format, dilations));
    }

    /** DepthwiseConv2dNativeBackpropFilter: the filter gradient for a filter of filterShape [kh, kw, in, multiplier]. */
    public static Tensor depthwiseConv2dBackpropFilter(Tensor input, long[] filterShape, Tensor outBackprop, int[] strides,
                                                       Padding padding, DataFormat format, int[] dilations) {
        return Convolutions.backpropFilter(Convolutions.Family.DEPTHWISE, input, filterShape, outBackprop,
                ConvParams.of("DepthwiseConv2dNativeBackpropFilter", strides, padding, format, dilations));
    }

    // ---- pooling ----

    public static Tensor maxPool(Tensor input, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        return MaxPooling.maxPool(input, PoolParams.of("MaxPool", ksize, strides, padding, format));
    }

    /**
     * Max pooling with its parameters made once, options included ({@link PoolParams#builder}: dilations, ceil mode);
     * int32 and uint8 inputs too (their result has no gradient).
     */
    public static Tensor maxPool(Tensor input, PoolParams params) {
        return MaxPooling.maxPool(input, params);
    }

    /** Average pooling with its parameters made once, options included (countIncludePad, dilations, ceil mode). */
    public static Tensor avgPool(Tensor input, PoolParams params) {
        return AvgPooling.apply(AvgPooling.Kind.AVG_POOL, input, params, null);
    }

    /** Pooled values and their int64 argmax, NHWC as in TF; the values' gradient routes through the argmax. */
    public record PooledWithArgmax(Tensor output, Tensor argmax) {}

    public static PooledWithArgmax maxPoolWithArgmax(Tensor input, int[] ksize, int[] strides, Padding padding,
                                                     boolean includeBatchInIndex) {
        PoolParams p = PoolParams.of("MaxPoolWithArgmax", ksize, strides, padding, DataFormat.NHWC);
        Tensor argmax = MaxPooling.argmax(input, p, includeBatchInIndex);
        return new PooledWithArgmax(MaxPooling.gather(input, argmax, DataFormat.NHWC, includeBatchInIndex), argmax);
    }

    /** The tutorial's un_max_pool (NHWC): each value added at its argmax in zeros of outputShape (batch may be -1). */
    public static Tensor maxUnpool(Tensor pooled, Tensor argmax, long[] outputShape, boolean includeBatchInIndex) {
        return MaxPooling.maxUnpool(pooled, argmax, outputShape, DataFormat.NHWC, includeBatchInIndex);
    }

    /** TF's MaxPoolGrad: grad routed to each window's first maximum of input. */
    public static Tensor maxPoolGrad(Tensor input, Tensor grad, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        return maxPoolGrad(input, grad, PoolParams.of("MaxPoolGrad", ksize, strides, padding, format));
    }

    /** MaxPoolGrad with its parameters made once, options included. */
    public static Tensor maxPoolGrad(Tensor input, Tensor grad, PoolParams params) {
        return MaxPooling.maxPoolGrad(input, grad, params);
    }

    public static Tensor avgPool(Tensor input, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        return avgPool(input, PoolParams.of("AvgPool", ksize, strides, padding, format));
    }

    /** TF's AvgPoolGrad for an input of inputShape (format order). */
    public static Tensor avgPoolGrad(long[] inputShape, Tensor grad, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        return avgPoolGrad(inputShape, grad, PoolParams.of("AvgPoolGrad", ksize, strides, padding, format));
    }

    /** AvgPoolGrad with its parameters made once, options included: the gradient of {@link #avgPool(Tensor, PoolParams)}. */
    public static Tensor avgPoolGrad(long[] inputShape, Tensor grad, PoolParams params) {
        return AvgPooling.apply(AvgPooling.Kind.AVG_POOL_GRAD, grad, params, inputShape);
    }

    /** The tutorial's average unpooling: each value copied into its window's real cells, undivided. */
    public static Tensor avgUnpool(Tensor pooled, long[] outputShape, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        return avgUnpool(pooled, outputShape, PoolParams.of("AvgUnpool", ksize, strides, padding, format));
    }

    public static Tensor avgUnpool(Tensor pooled, long[] outputShape, PoolParams params) {
        return AvgPooling.apply(AvgPooling.Kind.AVG_UNPOOL, pooled, params, outputShape);
    }

    /** Each window's sum over its real cells: the transpose of {@link #avgUnpool}. */
    public static Tensor sumPool(Tensor input, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        return sumPool(input, PoolParams.of("SumPool", ksize, strides, padding, format));
    }

    public static Tensor sumPool(Tensor input, PoolParams params) {
        return AvgPooling.apply(AvgPooling.Kind.SUM_POOL, input, params, null);
    }

    // ---- per channel ----

    public static Tensor biasAdd(Tensor value, Tensor bias) { return Channels.biasAdd(value, bias, DataFormat.NHWC); }

    public static Tensor biasAdd(Tensor value, Tensor bias, DataFormat format) { return Channels.biasAdd(value, bias, format); }

    /** x * scale + offset per channel (1-D scale and offset). */
    public static Tensor channelAffine(Tensor x, Tensor scale, Tensor offset, DataFormat format) {
        return Channels.affine(x, scale, offset, format);
    }

    /** Inference batch norm (tf.nn.batch_normalization with fixed statistics), per channel. */
    public static Tensor batchNormInference(Tensor x, Tensor mean, Tensor variance, Tensor offset, Tensor scale, double epsilon,
                                            DataFormat format) {
        return Channels.batchNormInference(x, mean, variance, offset, scale, epsilon, format);
    }

    // ---- gradient control and fills ----

    /** Identity forward; blocks every order of derivative backward. */
    public static Tensor stopGradient(Tensor x) {
        return x.graph.apply(new Basics.StopGradient(), x.shape, x.dataType, x);
    }

    public static Tensor zerosLike(Tensor x) { return fill(x.graph, x.shape, 0, x.dataType); }

    public static Tensor onesLike(Tensor x) { return fill(x.graph, x.shape, 1, x.dataType); }

    public static Tensor fill(Graph g, long[] shape, double value, DataType type) {
        return g.apply(new Basics.Fill(shape, value, type), shape, type);
    }
}
