package io.github.deconvspark.kernels;

import io.github.deconvspark.kernels.internal.Nd4jOps;
import io.github.deconvspark.kernels.internal.PoolCompute;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Spatial;
import io.github.deconvspark.kernels.shape.Window;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * TensorFlow's max and average pooling, max_pool_with_argmax (on the CPU), and their gradients,
 * side by side. Max pooling never picks a padded cell; average pooling divides by the number of
 * real cells in each window. ksize and strides take 1, 2 or 4 values.
 */
public final class Pool2D {
    private Pool2D() {}

    public static INDArray maxPool(INDArray input, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        String op = "max_pool";
        ConvGeometry g = geometry(op, input, ksize, strides, padding, format);
        int[] pads = Nd4jOps.padsFit(g.h(), g.w(), padding.kind() == Padding.Kind.SAME);
        if (pads != null) {
            INDArray out = Tensors.uninitialized(input.dataType(), pooledShape(g, format));
            Nd4jOps.maxPool(Tensors.dense(input), out, g.h(), g.w(), pads, format == DataFormat.NHWC);
            return out;
        }
        INDArray out = Tensors.uninitialized(input.dataType(), g.n(), g.h().out(), g.w().out(), g.c());
        PoolCompute.max(Tensors.toNhwc(input, format), g, out, null, false);
        return Tensors.fromNhwc(out, format);
    }

    /**
     * TF's MaxPoolGrad: the gradient of {@link #maxPool} with respect to its input. outGrad has the
     * pooled shape; each window's gradient goes to its first maximum (the one argmax reports).
     */
    public static INDArray maxPoolGrad(INDArray input, INDArray outGrad, int[] ksize, int[] strides, Padding padding,
                                       DataFormat format) {
        String op = "max_pool_grad";
        ConvGeometry g = geometry(op, input, ksize, strides, padding, format);
        requirePooledShape(op, "grad", outGrad, g, format, input.dataType());
        int[] pads = Nd4jOps.padsFit(g.h(), g.w(), padding.kind() == Padding.Kind.SAME);
        if (pads != null) {
            INDArray dx = Tensors.uninitialized(input.dataType(), input.shape());
            Nd4jOps.maxPoolGrad(Tensors.dense(input), Tensors.dense(outGrad), dx, g.h(), g.w(), pads, format == DataFormat.NHWC);
            return dx;
        }
        INDArray dx = Tensors.uninitialized(input.dataType(), g.n(), g.h().in(), g.w().in(), g.c());
        PoolCompute.maxGrad(Tensors.toNhwc(input, format), Tensors.toNhwc(outGrad, format), g, dx);
        return Tensors.fromNhwc(dx, format);
    }

    public static INDArray avgPool(INDArray input, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        String op = "avg_pool";
        ConvGeometry g = geometry(op, input, ksize, strides, padding, format);
        int[] pads = Nd4jOps.padsFit(g.h(), g.w(), padding.kind() == Padding.Kind.SAME);
        if (pads != null) {
            INDArray out = Tensors.uninitialized(input.dataType(), pooledShape(g, format));
            Nd4jOps.avgPool(Tensors.dense(input), out, g.h(), g.w(), pads, format == DataFormat.NHWC);
            return out;
        }
        INDArray out = Tensors.uninitialized(input.dataType(), g.n(), g.h().out(), g.w().out(), g.c());
        PoolCompute.avg(Tensors.toNhwc(input, format), g, out);
        return Tensors.fromNhwc(out, format);
    }

    /** TF's AvgPoolGrad: the gradient of {@link #avgPool} for an input of {@code inputShape} (format order). */
    public static INDArray avgPoolGrad(long[] inputShape, INDArray outGrad, int[] ksize, int[] strides, Padding padding,
                                       DataFormat format) {
        String op = "avg_pool_grad";
        Tensors.requireShape(op, "orig_input_shape", inputShape);
        Tensors.requireSize(op, "orig_input_shape", inputShape);
        Tensors.requireRank4(op, "grad", outGrad, Tensors.layout(op, format));
        Tensors.floatType(op, "grad", outGrad, null, null);
        ConvGeometry g = geometry(op, Tensors.nhwc(inputShape, format), ksize, strides, padding, format);
        requirePooledShape(op, "grad", outGrad, g, format, outGrad.dataType());
        INDArray dx = Tensors.uninitialized(outGrad.dataType(), g.n(), g.h().in(), g.w().in(), g.c());
        PoolCompute.spread(Tensors.toNhwc(outGrad, format), g, dx, true);
        return Tensors.fromNhwc(dx, format);
    }

    /**
     * Max pooling that also returns, per pooled cell, the flat index of the input cell it took:
     * {@code (y*W + x)*C + c}, plus {@code b*H*W*C} when includeBatchInIndex. NHWC only, as in TF.
     * Ties go to the first maximum in row-major window order.
     */
    public static MaxPoolWithArgmax maxPoolWithArgmax(INDArray input, int[] ksize, int[] strides, Padding padding,
                                                      boolean includeBatchInIndex) {
        String op = "max_pool_with_argmax";
        ConvGeometry g = geometry(op, input, ksize, strides, padding, DataFormat.NHWC);
        INDArray out = Tensors.uninitialized(input.dataType(), g.n(), g.h().out(), g.w().out(), g.c());
        INDArray argmax = Tensors.uninitialized(DataType.LONG, g.n(), g.h().out(), g.w().out(), g.c());
        PoolCompute.max(Tensors.dense(input), g, out, argmax, includeBatchInIndex);
        return new MaxPoolWithArgmax(out, argmax);
    }

    private static long[] pooledShape(ConvGeometry g, DataFormat format) {
        return Tensors.inFormat(new long[] {g.n(), g.h().out(), g.w().out(), g.c()}, format);
    }

    static ConvGeometry geometry(String op, INDArray input, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        Tensors.requireRank4(op, "input", input, Tensors.layout(op, format));
        Tensors.floatType(op, "input", input, null, null);
        return geometry(op, Tensors.nhwc(input.shape(), format), ksize, strides, padding, format);
    }

    /** The pooling window over an NHWC input shape; explicit pads must be smaller than the window. */
    static ConvGeometry geometry(String op, long[] x, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        if (padding == null) throw new IllegalArgumentException(op + ": padding is null; legal: SAME, VALID, explicit");
        if (Arrays.stream(x).anyMatch(e -> e < 1)) {
            throw new IllegalArgumentException(op + ": input shape " + Arrays.toString(x) + " must be 4 positive sizes");
        }
        int[] k = Spatial.hw(op, "ksize", ksize, format);
        int[] s = Spatial.hw(op, "strides", strides, format);
        if (padding.kind() == Padding.Kind.EXPLICIT
                && (Math.max(padding.top(), padding.bottom()) >= k[0] || Math.max(padding.left(), padding.right()) >= k[1])) {
            throw new IllegalArgumentException(op + ": explicit padding " + padding + " must be smaller than ksize "
                    + Arrays.toString(k) + " in each dimension, so that every window holds an input cell");
        }
        Window h = Window.forward(op, "height", (int) x[1], k[0], s[0], 1, padding);
        Window w = Window.forward(op, "width", (int) x[2], k[1], s[1], 1, padding);
        return new ConvGeometry((int) x[0], (int) x[3], (int) x[3], h, w);
    }

    static void requirePooledShape(String op, String name, INDArray pooled, ConvGeometry g, DataFormat format, DataType t) {
        Tensors.requireRank4(op, name, pooled, Tensors.layout(op, format));
        long[] expected = {g.n(), g.h().out(), g.w().out(), g.c()};
        if (!Arrays.equals(Tensors.nhwc(pooled.shape(), format), expected)) {
            throw new IllegalArgumentException(op + ": " + name + " " + Tensors.shape(pooled) + " must have the pooled shape "
                    + Arrays.toString(Tensors.inFormat(expected, format)) + " (" + format + ")");
        }
        if (pooled.dataType() != t) {
            throw new IllegalArgumentException(op + ": " + name + " is " + pooled.dataType() + " but must be " + t);
        }
    }
}
