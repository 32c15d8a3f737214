package io.github.deconvspark.kernels;

import io.github.deconvspark.kernels.internal.Nd4jOps;
import io.github.deconvspark.kernels.internal.PoolCompute;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.PoolParams;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * TensorFlow's max and average pooling, max_pool_with_argmax (on the CPU), and their gradients,
 * side by side. Max pooling never picks a padded cell; average pooling divides by the number of
 * real cells in each window (or, with {@link PoolParams#countIncludePad}, by its cells inside the padded input).
 * ksize and strides take 1, 2 or 4 values; the window arithmetic, and the options beyond TF's (dilations, ceil
 * mode), are {@link PoolParams}'. Max pooling also takes int32 and uint8 inputs (TF's MaxPool does; it is exact:
 * they are pooled as float64 and cast back), without a gradient. Each op also has a form that takes the geometry
 * computed once.
 */
public final class Pool2D {
    private Pool2D() {}

    public static INDArray maxPool(INDArray input, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        String op = "max_pool";
        Tensors.requireRank4(op, "input", input, DataFormat.layout(op, format));
        Tensors.maxPoolType(op, input);
        PoolParams p = PoolParams.of(op, ksize, strides, padding, format);
        return maxPool(input, p, p.geometry(op, input.shape()));
    }

    /** Max pooling with checked parameters, options included ({@link PoolParams#builder}). */
    public static INDArray maxPool(INDArray input, PoolParams p) {
        String op = "max_pool";
        Tensors.requireRank4(op, "input", input, DataFormat.layout(op, p.format()));
        Tensors.maxPoolType(op, input);
        return maxPool(input, p, p.geometry(op, input.shape()));
    }

    public static INDArray maxPool(INDArray input, PoolParams p, ConvGeometry g) {
        if (Tensors.isInteger(input)) {
            // Exact: every int32 and uint8 value is a float64, and the maximum is one of them.
            INDArray wide = input.castTo(DataType.DOUBLE);
            INDArray pooled = maxPool(wide, p, g);
            INDArray out = pooled.castTo(input.dataType());
            wide.close();
            pooled.close();
            return out;
        }
        DataFormat format = p.format();
        int[] pads = Nd4jOps.padsFit(g.h(), g.w(), p.padding().kind() == Padding.Kind.SAME);
        if (pads != null) {
            INDArray out = Tensors.uninitialized(input.dataType(), p.pooledShape(g));
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
        PoolParams p = params(op, input, ksize, strides, padding, format);
        return maxPoolGrad(input, outGrad, p);
    }

    /** MaxPoolGrad with checked parameters, options included. */
    public static INDArray maxPoolGrad(INDArray input, INDArray outGrad, PoolParams p) {
        String op = "max_pool_grad";
        Tensors.requireRank4(op, "input", input, DataFormat.layout(op, p.format()));
        Tensors.floatType(op, "input", input, null, null);
        ConvGeometry g = p.geometry(op, input.shape());
        requirePooledShape(op, "grad", outGrad, p, g, input.dataType());
        return maxPoolGrad(input, outGrad, p, g);
    }

    public static INDArray maxPoolGrad(INDArray input, INDArray outGrad, PoolParams p, ConvGeometry g) {
        DataFormat format = p.format();
        int[] pads = Nd4jOps.padsFit(g.h(), g.w(), p.padding().kind() == Padding.Kind.SAME);
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
        PoolParams p = params(op, input, ksize, strides, padding, format);
        return avgPool(input, p, p.geometry(op, input.shape()));
    }

    /** Average pooling with checked parameters, options included (countIncludePad, dilations, ceil mode). */
    public static INDArray avgPool(INDArray input, PoolParams p) {
        String op = "avg_pool";
        Tensors.requireRank4(op, "input", input, DataFormat.layout(op, p.format()));
        Tensors.floatType(op, "input", input, null, null);
        return avgPool(input, p, p.geometry(op, input.shape()));
    }

    public static INDArray avgPool(INDArray input, PoolParams p, ConvGeometry g) {
        DataFormat format = p.format();
        int[] pads = p.countIncludePad() ? null : Nd4jOps.padsFit(g.h(), g.w(), p.padding().kind() == Padding.Kind.SAME);
        if (pads != null) {
            INDArray out = Tensors.uninitialized(input.dataType(), p.pooledShape(g));
            Nd4jOps.avgPool(Tensors.dense(input), out, g.h(), g.w(), pads, format == DataFormat.NHWC);
            return out;
        }
        return windowSums(input, p, g, divisor(p));
    }

    /** Each window's sum over its real cells (the transpose of {@link Unpool2D#avgUnpool}: undivided). */
    public static INDArray sumPool(INDArray input, PoolParams p, ConvGeometry g) {
        return windowSums(input, p, g, PoolCompute.Divisor.NONE);
    }

    private static INDArray windowSums(INDArray input, PoolParams p, ConvGeometry g, PoolCompute.Divisor divisor) {
        INDArray out = Tensors.uninitialized(input.dataType(), g.n(), g.h().out(), g.w().out(), g.c());
        PoolCompute.avg(Tensors.toNhwc(input, p.format()), g, out, divisor);
        return Tensors.fromNhwc(out, p.format());
    }

    /** TF's AvgPoolGrad: the gradient of {@link #avgPool} for an input of {@code inputShape} (format order). */
    public static INDArray avgPoolGrad(long[] inputShape, INDArray outGrad, int[] ksize, int[] strides, Padding padding,
                                       DataFormat format) {
        String op = "avg_pool_grad";
        requireGradArguments(op, inputShape, outGrad, format);
        return avgPoolGrad(inputShape, outGrad, PoolParams.of(op, ksize, strides, padding, format));
    }

    /** AvgPoolGrad with checked parameters, options included: it divides as {@link #avgPool} with them does. */
    public static INDArray avgPoolGrad(long[] inputShape, INDArray outGrad, PoolParams p) {
        String op = "avg_pool_grad";
        requireGradArguments(op, inputShape, outGrad, p.format());
        ConvGeometry g = p.geometry(op, inputShape);
        requirePooledShape(op, "grad", outGrad, p, g, outGrad.dataType());
        return avgPoolGrad(outGrad, p, g);
    }

    private static void requireGradArguments(String op, long[] inputShape, INDArray outGrad, DataFormat format) {
        Tensors.requireShape(op, "orig_input_shape", inputShape);
        Tensors.requireSize(op, "orig_input_shape", inputShape);
        Tensors.requireRank4(op, "grad", outGrad, DataFormat.layout(op, format));
        Tensors.floatType(op, "grad", outGrad, null, null);
    }

    public static INDArray avgPoolGrad(INDArray outGrad, PoolParams p, ConvGeometry g) {
        return spread(outGrad, p, g, divisor(p));
    }

    /** Every pooled value spread over its window's real cells, divided as {@code divisor} says. */
    static INDArray spread(INDArray pooled, PoolParams p, ConvGeometry g, PoolCompute.Divisor divisor) {
        INDArray dx = Tensors.uninitialized(pooled.dataType(), g.n(), g.h().in(), g.w().in(), g.c());
        PoolCompute.spread(Tensors.toNhwc(pooled, p.format()), g, dx, divisor);
        return Tensors.fromNhwc(dx, p.format());
    }

    private static PoolCompute.Divisor divisor(PoolParams p) {
        return p.countIncludePad() ? PoolCompute.Divisor.PADDED_WINDOW : PoolCompute.Divisor.REAL_CELLS;
    }

    /**
     * Max pooling that also returns, per pooled cell, the flat index of the input cell it took:
     * {@code (y*W + x)*C + c}, plus {@code b*H*W*C} when includeBatchInIndex. NHWC only, as in TF.
     * Ties go to the first maximum in row-major window order.
     */
    public static MaxPoolWithArgmax maxPoolWithArgmax(INDArray input, int[] ksize, int[] strides, Padding padding,
                                                      boolean includeBatchInIndex) {
        String op = "max_pool_with_argmax";
        PoolParams p = params(op, input, ksize, strides, padding, DataFormat.NHWC);
        return maxPoolWithArgmax(input, p.geometry(op, input.shape()), includeBatchInIndex);
    }

    /** max_pool_with_argmax of an NHWC input with its geometry. */
    public static MaxPoolWithArgmax maxPoolWithArgmax(INDArray input, ConvGeometry g, boolean includeBatchInIndex) {
        INDArray out = Tensors.uninitialized(input.dataType(), g.n(), g.h().out(), g.w().out(), g.c());
        INDArray argmax = Tensors.uninitialized(DataType.LONG, g.n(), g.h().out(), g.w().out(), g.c());
        PoolCompute.max(Tensors.dense(input), g, out, argmax, includeBatchInIndex);
        return new MaxPoolWithArgmax(out, argmax);
    }

    private static PoolParams params(String op, INDArray input, int[] ksize, int[] strides, Padding padding, DataFormat format) {
        Tensors.requireRank4(op, "input", input, DataFormat.layout(op, format));
        Tensors.floatType(op, "input", input, null, null);
        return PoolParams.of(op, ksize, strides, padding, format);
    }

    static void requirePooledShape(String op, String name, INDArray pooled, PoolParams p, ConvGeometry g, DataType t) {
        Tensors.requireRank4(op, name, pooled, DataFormat.layout(op, p.format()));
        long[] expected = p.pooledShape(g);
        if (!Arrays.equals(pooled.shape(), expected)) {
            throw new IllegalArgumentException(op + ": " + name + " " + Tensors.shape(pooled) + " must have the pooled shape "
                    + Arrays.toString(expected) + " (" + p.format() + ")");
        }
        if (pooled.dataType() != t) {
            throw new IllegalArgumentException(op + ": " + name + " is " + pooled.dataType() + " but must be " + t);
        }
    }
}
