package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.Layouts;
import io.github.deconvspark.kernels.MaxPoolWithArgmax;
import io.github.deconvspark.kernels.Pool2D;
import io.github.deconvspark.kernels.Unpool2D;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.PoolParams;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Max pooling by its switches. max_pool's backward is MaxPoolGrad: the gradient placed at the
 * forward input's first maximum of each window, i.e. max_unpool at the argmax (one native kernel
 * for the first order). MaxPoolGrad's own gradient, max_unpool's and gather_argmax's (reading a
 * tensor at the argmax) route through the same switches, the argmax being a node of its own that
 * carries no gradient: gradients of any order follow the switches.
 */
final class MaxPooling {
    private MaxPooling() {}

    /** Also over int32 and uint8 inputs, as TF's MaxPool: their pooled values carry no gradient (not float). */
    static Tensor maxPool(Tensor x, PoolParams p) {
        String op = "MaxPool";
        if (x.dataType != DataType.INT && x.dataType != DataType.UBYTE && !x.isFloat()) {
            throw new IllegalArgumentException(op + ": input " + x + " must be FLOAT, DOUBLE, INT or UBYTE");
        }
        ConvGeometry g = p.geometry(op, x.shape);
        return x.graph.apply(new MaxPool(p, g), p.pooledShape(g), x.dataType, x);
    }

    static final class MaxPool extends Op implements Windowed {
        final PoolParams p;
        final ConvGeometry g;

        MaxPool(PoolParams p, ConvGeometry g) {
            this.p = p;
            this.g = g;
        }

        @Override public String type() { return "MaxPool"; }

        @Override public ConvGeometry geometry() { return g; }

        @Override public INDArray forward(INDArray[] in) {
            return Pool2D.maxPool(in[0], p, g);
        }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {maxPoolGrad(b.input(0), b.grad(), p)};
        }
    }

    /**
     * TF's MaxPoolGrad as one node (one native kernel, no int64 argmax for a first-order gradient).
     * Its own gradient, built only when differentiated again, routes through the switches:
     * gather at the forward input's argmax for the grad input; none for the input (piecewise constant).
     */
    static Tensor maxPoolGrad(Tensor x, Tensor grad, PoolParams p) {
        ConvGeometry g = requirePooled("MaxPoolGrad", "grad", grad, x.shape, p);
        Shapes.sameGraph("MaxPoolGrad", x, grad);
        return x.graph.apply(new MaxPoolGrad(p, g), x.shape, x.dataType, x, grad);
    }

    /** Checks that pooled is what pooling an input of shape input gives; returns that pooling's geometry. */
    static ConvGeometry requirePooled(String op, String name, Tensor pooled, long[] input, PoolParams p) {
        ConvGeometry g = p.geometry(op, input);
        long[] expected = p.pooledShape(g);
        if (!Arrays.equals(expected, pooled.shape)) {
            throw new IllegalArgumentException(op + ": " + name + " " + pooled + " must have the pooled shape "
                    + Arrays.toString(expected) + " of an input " + Arrays.toString(input) + " (" + p + ")");
        }
        return g;
    }

    static final class MaxPoolGrad extends Op {
        final PoolParams p;
        final ConvGeometry g;

        MaxPoolGrad(PoolParams p, ConvGeometry g) {
            this.p = p;
            this.g = g;
        }

        @Override public String type() { return "MaxPoolGrad"; }

        /** inputs: x, grad. */
        @Override public INDArray forward(INDArray[] in) {
            return Pool2D.maxPoolGrad(in[0], in[1], p, g);
        }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {null, gather(b.grad(), argmax(b.input(0), p, true), p.format(), true)};
        }
    }

    /** int64 argmax (TF's max_pool_with_argmax indices, over NHWC even for NCHW input) of every window. */
    static Tensor argmax(Tensor x, PoolParams p, boolean includeBatchInIndex) {
        String op = "MaxPoolWithArgmax";
        Shapes.requireFloat(op, "input", x);
        ConvGeometry g = p.geometry(op, x.shape);
        return x.graph.apply(new Argmax(g, includeBatchInIndex, p.format()), new long[] {g.n(), g.h().out(), g.w().out(), g.c()},
                DataType.LONG, x);
    }

    static final class Argmax extends Op implements Windowed {
        final ConvGeometry g;
        final boolean includeBatch;
        final DataFormat format;

        Argmax(ConvGeometry g, boolean includeBatch, DataFormat format) {
            this.g = g;
            this.includeBatch = includeBatch;
            this.format = format;
        }

        @Override public String type() { return "MaxPoolArgmax"; }

        @Override public ConvGeometry geometry() { return g; }

        @Override public INDArray forward(INDArray[] in) {
            INDArray x = Layouts.toNhwc(in[0], format);
            MaxPoolWithArgmax r = Pool2D.maxPoolWithArgmax(x, g, includeBatch);
            Arrays2.closeUnless(x, in);
            r.output().close();
            return r.argmax();
        }

        /** Indices: piecewise constant, no gradient (TF's argmax output has none). */
        @Override public Tensor[] backward(Backward b) { return null; }

        @Override public boolean passesGradient() { return false; }
    }

    /** Zeros of outputShape (format order; batch -1 = pooled's) with each pooled value added at its argmax. */
    static Tensor maxUnpool(Tensor pooled, Tensor argmax, long[] outputShape, DataFormat format, boolean includeBatch) {
        String op = "MaxUnpool";
        Shapes.sameGraph(op, pooled, argmax);
        Shapes.requireFloat(op, "pooled", pooled);
        requireArgmax(op, pooled, argmax, format);
        if (outputShape == null || outputShape.length != 4) {
            throw new IllegalArgumentException(op + ": output_shape must have 4 entries, got " + Arrays.toString(outputShape));
        }
        long[] out = outputShape.clone();
        if (out[0] == -1) out[0] = pooled.shape[0];
        int c = format.channelAxis();
        if (out[0] != pooled.shape[0] || out[c] != pooled.shape[c]) {
            throw new IllegalArgumentException(op + ": output_shape " + Arrays.toString(outputShape) + " must have pooled's batch and channels ("
                    + pooled + ", " + format + ")");
        }
        return pooled.graph.apply(new MaxUnpool(out, format, includeBatch), out, pooled.dataType, pooled, argmax);
    }

    private static void requireArgmax(String op, Tensor values, Tensor argmax, DataFormat format) {
        if (argmax.dataType != DataType.LONG) throw new IllegalArgumentException(op + ": argmax " + argmax + " must be LONG");
        long[] v = values.shape;
        long[] nhwc = v.length == 4 ? format.nhwc(v) : v;
        if (!Arrays.equals(nhwc, argmax.shape)) {
            throw new IllegalArgumentException(op + ": argmax " + argmax + " must have the NHWC shape of " + values + " (" + format + ")");
        }
    }

    static final class MaxUnpool extends Op {
        final long[] outputShape;
        final DataFormat format;
        final boolean includeBatch;

        MaxUnpool(long[] outputShape, DataFormat format, boolean includeBatch) {
            this.outputShape = outputShape;
            this.format = format;
            this.includeBatch = includeBatch;
        }

        @Override public String type() { return "MaxUnpool"; }

        /** inputs: pooled, argmax. */
        @Override public INDArray forward(INDArray[] in) {
            INDArray v = Layouts.toNhwc(in[0], format);
            INDArray r = Unpool2D.maxUnpool(v, in[1], format.nhwc(outputShape), includeBatch);
            Arrays2.closeUnless(v, in);
            return Layouts.fromNhwcOwned(r, format);
        }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {gather(b.grad(), b.input(1), format, includeBatch), null};
        }
    }

    /** source read at each argmax: pooled-shaped (format order). max_unpool's transpose. */
    static Tensor gather(Tensor source, Tensor argmax, DataFormat format, boolean includeBatch) {
        String op = "GatherArgmax";
        Shapes.sameGraph(op, source, argmax);
        Shapes.requireFloat(op, "source", source);
        if (argmax.dataType != DataType.LONG || argmax.rank() != 4 || source.rank() != 4) {
            throw new IllegalArgumentException(op + ": source " + source + " and argmax " + argmax + " must be 4-D, argmax LONG");
        }
        long[] out = format.fromNhwc(argmax.shape);
        int c = format.channelAxis();
        if (out[0] != source.shape[0] || out[c] != source.shape[c]) {
            throw new IllegalArgumentException(op + ": argmax " + argmax + " must have source's batch and channels (" + source + ")");
        }
        return source.graph.apply(new Gather(format, includeBatch), out, source.dataType, source, argmax);
    }

    static final class Gather extends Op {
        final DataFormat format;
        final boolean includeBatch;

        Gather(DataFormat format, boolean includeBatch) {
            this.format = format;
            this.includeBatch = includeBatch;
        }

        @Override public String type() { return "GatherArgmax"; }

        /** inputs: source, argmax. */
        @Override public INDArray forward(INDArray[] in) {
            INDArray src = Layouts.toNhwc(in[0], format);
            INDArray out = Unpool2D.gatherArgmax(src, in[1], includeBatch);
            Arrays2.closeUnless(src, in);
            return Layouts.fromNhwcOwned(out, format);
        }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {maxUnpool(b.grad(), b.input(1), b.input(0).shape, format, includeBatch), null};
        }
    }
}
