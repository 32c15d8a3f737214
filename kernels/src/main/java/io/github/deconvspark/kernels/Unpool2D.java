package io.github.deconvspark.kernels;

import io.github.deconvspark.kernels.internal.PoolCompute;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.PoolParams;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Unpooling, as the tutorial defines it.
 * <ul>
 * <li>{@link #maxUnpool}: zeros everywhere except each pooled value written at its argmax.
 *     Where windows overlap (ksize &gt; stride) one cell can be the argmax of several windows:
 *     the values are summed, as TF's scatter_nd does in the tutorial's un_max_pool. With that rule
 *     max unpooling is exactly the gradient of max pooling, and it is deterministic (each image is
 *     summed in pooled order by one thread).</li>
 * <li>{@link #avgUnpool}: each pooled value copied into every real cell of its window (for
 *     ksize == stride, nearest-neighbour upsampling); overlaps add up. Values are <em>not</em>
 *     divided by the window area: that scaled version is {@link Pool2D#avgPoolGrad}, the
 *     adjoint of average pooling.</li>
 * </ul>
 */
public final class Unpool2D {
    private Unpool2D() {}

    /**
     * @param pooled  NHWC pooled values
     * @param argmax  int64 indices of the same shape, as {@link Pool2D#maxPoolWithArgmax} returns them
     * @param outputShape the pre-pool NHWC shape; its batch entry may be -1 (pooled's batch)
     */
    public static INDArray maxUnpool(INDArray pooled, INDArray argmax, long[] outputShape, boolean includeBatchInIndex) {
        String op = "max_unpool";
        Tensors.requireRank4(op, "pooled", pooled, "NHWC");
        Tensors.requireRank4(op, "argmax", argmax, "NHWC");
        Tensors.floatType(op, "pooled", pooled, null, null);
        if (argmax.dataType() != DataType.LONG && argmax.dataType() != DataType.INT) {
            throw new IllegalArgumentException(op + ": argmax has type " + argmax.dataType() + "; legal types are LONG and INT");
        }
        if (!Arrays.equals(pooled.shape(), argmax.shape())) {
            throw new IllegalArgumentException(op + ": argmax " + Tensors.shape(argmax) + " must have pooled's shape "
                    + Tensors.shape(pooled));
        }
        long[] out = outputShape(op, outputShape, pooled);
        INDArray result = Tensors.uninitialized(pooled.dataType(), out);
        INDArray idx = Tensors.dense(argmax.dataType() == DataType.LONG ? argmax : argmax.castTo(DataType.LONG));
        PoolCompute.maxUnpool(Tensors.dense(pooled), idx, out, includeBatchInIndex, result);
        return result;
    }

    /** Average unpooling of pooled values made by a pool of ksize/strides/padding over outputShape (format order). */
    public static INDArray avgUnpool(INDArray pooled, long[] outputShape, int[] ksize, int[] strides, Padding padding,
                                     DataFormat format) {
        String op = "avg_unpool";
        Tensors.requireRank4(op, "pooled", pooled, DataFormat.layout(op, format));
        Tensors.floatType(op, "pooled", pooled, null, null);
        Tensors.requireShape(op, "output_shape", outputShape);
        long[] out = format.nhwc(outputShape);
        if (out[0] == -1) out[0] = pooled.size(0);
        Tensors.requireSize(op, "output_shape", out);
        PoolParams p = PoolParams.of(op, ksize, strides, padding, format);
        ConvGeometry g = p.geometry(op, format.fromNhwc(out));
        Pool2D.requirePooledShape(op, "pooled", pooled, p, g, pooled.dataType());
        return avgUnpool(pooled, p, g);
    }

    /** Average unpooling with its geometry (over the unpooled side), options included (dilations, ceil mode). */
    public static INDArray avgUnpool(INDArray pooled, PoolParams p, ConvGeometry g) {
        return Pool2D.spread(pooled, p, g, PoolCompute.Divisor.NONE);
    }

    /**
     * Reads {@code source} (NHWC) at each argmax: a pooled-shaped array (argmax's shape) of the source values the
     * argmax points at, max_unpool's transpose. An index outside its image is an error naming it.
     */
    public static INDArray gatherArgmax(INDArray source, INDArray argmax, boolean includeBatchInIndex) {
        String op = "gather_argmax";
        Tensors.requireRank4(op, "source", source, "NHWC");
        Tensors.requireRank4(op, "argmax", argmax, "NHWC");
        INDArray src = Tensors.dense(source);
        INDArray out = Tensors.uninitialized(src.dataType(), argmax.shape());
        INDArray idx = Tensors.dense(argmax.dataType() == DataType.LONG ? argmax : argmax.castTo(DataType.LONG));
        PoolCompute.gather(src, idx, includeBatchInIndex, out);
        return out;
    }

    private static long[] outputShape(String op, long[] outputShape, INDArray pooled) {
        Tensors.requireShape(op, "output_shape", outputShape);
        long[] out = outputShape.clone();
        if (out[0] == -1) out[0] = pooled.size(0);
        if (out[0] != pooled.size(0) || out[3] != pooled.size(3) || out[1] < 1 || out[2] < 1) {
            throw new IllegalArgumentException(op + ": output_shape " + Arrays.toString(outputShape) + " must be [N, H, W, C]"
                    + " with pooled's batch and channels (pooled is " + Tensors.shape(pooled) + ") and H, W >= 1");
        }
        Tensors.requireSize(op, "output_shape", out);
        return out;
    }
}
