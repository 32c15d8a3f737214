package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.internal.DnnlBinary;
import io.github.deconvspark.kernels.shape.DataFormat;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Per-channel ops: bias_add (its bias gradient sums over every axis but the channel's), and the
 * per-channel affine map of inference batch norm, built from mul and bias_add so that its
 * backward multiplies by the scale (its transpose), as deconvnet projection needs.
 */
final class Channels {
    private Channels() {}

    /** The channel axis: last for NHWC (and any rank), 1 for NCHW. */
    static int channelAxis(Tensor x, DataFormat format) {
        return format == DataFormat.NCHW ? 1 : x.rank() - 1;
    }

    static Tensor biasAdd(Tensor x, Tensor bias, DataFormat format) {
        String op = "BiasAdd";
        Shapes.sameGraph(op, x, bias);
        Shapes.sameFloat(op, x, bias);
        if (x.rank() < 2 || (format == DataFormat.NCHW && x.rank() != 4)) {
            throw new IllegalArgumentException(op + ": value " + x + " must have rank >= 2 (4 for NCHW)");
        }
        int c = channelAxis(x, format);
        if (bias.rank() != 1 || bias.shape[0] != x.shape[c]) {
            throw new IllegalArgumentException(op + ": bias " + bias + " must be 1-D with " + x.shape[c] + " entries, the channels of "
                    + x + " (" + format + ")");
        }
        return x.graph.apply(new BiasAdd(format), x.shape, x.dataType, x, bias);
    }

    static final class BiasAdd extends Op {
        final DataFormat format;

        BiasAdd(DataFormat format) { this.format = format; }

        @Override public String type() { return "BiasAdd"; }

        @Override public INDArray forward(INDArray[] in) {
            INDArray x = in[0];
            if (format == DataFormat.NHWC) {
                INDArray fast = DnnlBinary.rows(DnnlBinary.Op.ADD, x, in[1]);  // float32: one oneDNN pass
                return fast != null ? fast : x.add(in[1]);                       // trailing-axis broadcast
            }
            INDArray b = in[1].reshape('c', in[1].length(), 1, 1);
            return x.add(b);
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor x = b.input(0);
            int c = channelAxis(x, format);
            int[] others = IntStream.range(0, x.rank()).filter(i -> i != c).toArray();
            return new Tensor[] {b.grad(), b.needs(1) ? Reductions.reduce(Reductions.Kind.SUM, b.grad(), false, others) : null};
        }
    }

    /** x * scale + offset per channel (scale and offset 1-D, one entry per channel). */
    static Tensor affine(Tensor x, Tensor scale, Tensor offset, DataFormat format) {
        String op = "ChannelAffine";
        Shapes.sameGraph(op, x, scale, offset);
        int c = channelAxis(x, format);
        if (scale.rank() != 1 || scale.shape[0] != x.shape[c]) {
            throw new IllegalArgumentException(op + ": scale " + scale + " must be 1-D with " + x.shape[c] + " entries, the channels of "
                    + x + " (" + format + ")");
        }
        Tensor s = format == DataFormat.NCHW ? ShapeOps.reshape(scale, scale.shape[0], 1, 1) : scale;
        return biasAdd(Ops.mul(x, s), offset, format);
    }

    /** tf.nn.batch_normalization with fixed statistics: (x - mean) * scale / sqrt(variance + epsilon) + offset. */
    static Tensor batchNormInference(Tensor x, Tensor mean, Tensor variance, Tensor offset, Tensor scale, double epsilon,
                                     DataFormat format) {
        Shapes.sameGraph("BatchNormInference", x, mean, variance, offset, scale);
        Tensor inv = Ops.div(scale, Ops.sqrt(Ops.add(variance, x.graph.scalar(epsilon, variance.dataType))));
        return affine(x, inv, Ops.sub(offset, Ops.mul(mean, inv)), format);
    }
}
