package io.github.deconvspark.kernels;

import io.github.deconvspark.kernels.internal.DepthwiseCompute;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How a grouped geometry ({@link ConvGeometry#groups} &gt; 1) is computed, for conv2d and the depthwise conv alike.
 * One input channel per group (depthwise): {@link DepthwiseCompute}'s loops. More channels per group: as TF's CPU
 * kernel does it, group by group: the group's channels and filter columns as dense arrays, convolved by the
 * ungrouped kernels (their fast paths included), written into the group's channels.
 */
final class GroupedConv {
    private GroupedConv() {}

    static INDArray forward(INDArray input, INDArray filter, ConvParams p, ConvGeometry g) {
        DataFormat format = p.format();
        if (g.groupChannels() == 1) {
            INDArray out = Tensors.uninitialized(input.dataType(), g.n(), g.h().out(), g.w().out(), g.oc());
            DepthwiseCompute.forward(Tensors.toNhwc(input, format), Tensors.dense(filter), out, g);
            return Tensors.fromNhwc(out, format);
        }
        INDArray out = Tensors.uninitialized(input.dataType(), p.outputShape(g));
        int axis = format.channelAxis();
        eachGroup(g, out, axis, g.groupOutChannels(), input, axis, g.groupChannels(), filter, 3, g.groupOutChannels(),
                (x, w, one) -> Conv2D.conv2d(x, w, p, one));
        return out;
    }

    /** The input gradient (conv2d_transpose) for the input of g. */
    static INDArray backpropInput(INDArray dy, INDArray filter, ConvParams p, ConvGeometry g) {
        DataFormat format = p.format();
        long[] inShape = format.fromNhwc(new long[] {g.n(), g.h().in(), g.w().in(), g.c()});
        if (g.groupChannels() == 1) {
            INDArray dx = Tensors.uninitialized(dy.dataType(), g.n(), g.h().in(), g.w().in(), g.c());
            DepthwiseCompute.backpropInput(Tensors.toNhwc(dy, format), Tensors.dense(filter), dx, g);
            return Tensors.fromNhwc(dx, format);
        }
        INDArray dx = Tensors.uninitialized(dy.dataType(), inShape);
        int axis = format.channelAxis();
        eachGroup(g, dx, axis, g.groupChannels(), dy, axis, g.groupOutChannels(), filter, 3, g.groupOutChannels(),
                (d, w, one) -> Conv2D.conv2dBackpropInput(d, w, p, one));
        return dx;
    }

    /** The filter gradient, of filterShape ([kh, kw, c / groups, oc], or the depthwise [kh, kw, c, multiplier]). */
    static INDArray backpropFilter(INDArray input, long[] filterShape, INDArray dy, ConvParams p, ConvGeometry g) {
        DataFormat format = p.format();
        INDArray dw = Tensors.uninitialized(input.dataType(), filterShape);
        if (g.groupChannels() == 1) {
            DepthwiseCompute.backpropFilter(Tensors.toNhwc(input, format), Tensors.toNhwc(dy, format), dw, g);
            return dw;
        }
        int axis = format.channelAxis();
        long[] groupShape = {filterShape[0], filterShape[1], g.groupChannels(), g.groupOutChannels()};
        eachGroup(g, dw, 3, g.groupOutChannels(), input, axis, g.groupChannels(), dy, axis, g.groupOutChannels(),
                (x, d, one) -> Conv2D.conv2dBackpropFilter(x, groupShape, d, p, one));
        return dw;
    }

    interface GroupOp {
        /** The ungrouped op over one group's (dense) operands, with the group's geometry. */
        INDArray apply(INDArray a, INDArray b, ConvGeometry one);
    }

    /**
     * For each group i: the group's channels of a (width aWidth along aAxis) and of b, as dense arrays, through op, into
     * target's channels [i * targetWidth, (i+1) * targetWidth) along targetAxis.
     */
    private static void eachGroup(ConvGeometry g, INDArray target, int targetAxis, int targetWidth, INDArray a, int aAxis, int aWidth,
                                  INDArray b, int bAxis, int bWidth, GroupOp op) {
        ConvGeometry one = new ConvGeometry(g.n(), g.groupChannels(), g.groupOutChannels(), g.h(), g.w());
        for (int i = 0; i < g.groups(); i++) {
            INDArray ga = Tensors.channels(a, aAxis, (long) i * aWidth, aWidth);
            INDArray gb = Tensors.channels(b, bAxis, (long) i * bWidth, bWidth);
            Tensors.putChannels(target, targetAxis, (long) i * targetWidth, op.apply(ga, gb, one), ga, gb);
        }
    }
}
