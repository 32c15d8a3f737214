package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.Conv2D;
import io.github.deconvspark.kernels.DataFormat;
import io.github.deconvspark.kernels.Padding;
import io.github.deconvspark.kernels.shape.Spatial;
import io.github.deconvspark.kernels.shape.Window;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * conv2d and its two gradients as ops, closed under differentiation (as in TF's nn_grad.py):
 * conv2d's gradients are conv2d_backprop_input (= conv2d_transpose) and conv2d_backprop_filter;
 * each of those is bilinear too, and its gradients are again conv2d and the other backprop op.
 */
final class Convolutions {
    private Convolutions() {}

    /** strides, padding, data format and dilations: what the three ops share. */
    record Conv(int[] strides, Padding padding, DataFormat format, int[] dilations) {
        Conv {
            if (padding == null || format == null) throw new IllegalArgumentException("conv2d: padding and data_format may not be null");
            strides = strides.clone();
            dilations = dilations.clone();
        }

        /** conv2d's output shape (format order) for an input (format order) and a [kh, kw, in, out] filter. */
        long[] outputShape(String op, long[] input, long[] filter) {
            if (input.length != 4 || filter.length != 4) {
                throw new IllegalArgumentException(op + ": input " + Arrays.toString(input) + " must be 4-D " + format
                        + " and filter " + Arrays.toString(filter) + " 4-D [kh, kw, in, out]");
            }
            long[] x = nhwc(input);
            if (filter[2] != x[3]) {
                throw new IllegalArgumentException(op + ": input " + Arrays.toString(input) + " (" + format + ") has " + x[3]
                        + " channels but the filter " + Arrays.toString(filter) + " expects " + filter[2] + " (filter is [kh, kw, in, out])");
            }
            int[] s = Spatial.hw(op, "strides", strides, format);
            int[] d = Spatial.hw(op, "dilations", dilations, format);
            Window h = Window.forward(op, "height", (int) x[1], (int) filter[0], s[0], d[0], padding);
            Window w = Window.forward(op, "width", (int) x[2], (int) filter[1], s[1], d[1], padding);
            return fromNhwc(new long[] {x[0], h.out(), w.out(), filter[3]});
        }

        long[] nhwc(long[] s) {
            return format == DataFormat.NCHW ? new long[] {s[0], s[2], s[3], s[1]} : s.clone();
        }

        long[] fromNhwc(long[] s) {
            return format == DataFormat.NCHW ? new long[] {s[0], s[3], s[1], s[2]} : s;
        }

        @Override public String toString() {
            return "strides " + Arrays.toString(strides) + ", padding " + padding + ", " + format + ", dilations " + Arrays.toString(dilations);
        }
    }

    static Tensor conv2d(Tensor x, Tensor filter, Conv c) {
        String op = "Conv2D";
        Shapes.sameGraph(op, x, filter);
        Shapes.sameFloat(op, x, filter);
        return x.graph.apply(new Conv2d(c), c.outputShape(op, x.shape, filter.shape), x.dataType, x, filter);
    }

    static final class Conv2d extends Op {
        final Conv c;

        Conv2d(Conv c) { this.c = c; }

        @Override public String type() { return "Conv2D"; }

        @Override public INDArray forward(INDArray[] in) {
            return Conv2D.conv2d(in[0], in[1], c.strides, c.padding, c.format, c.dilations);
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor x = b.input(0);
            Tensor w = b.input(1);
            Tensor g = b.grad();
            return new Tensor[] {
                b.needs(0) ? backpropInput(x.shape, w, g, c) : null,
                b.needs(1) ? backpropFilter(x, w.shape, g, c) : null,
            };
        }
    }

    /** TF's Conv2DBackpropInput: the input gradient of conv2d for an input of inputShape (format order; batch may be -1). */
    static Tensor backpropInput(long[] inputShape, Tensor filter, Tensor dy, Conv c) {
        String op = "Conv2DBackpropInput";
        Shapes.sameGraph(op, filter, dy);
        Shapes.sameFloat(op, filter, dy);
        if (inputShape == null || inputShape.length != 4) {
            throw new IllegalArgumentException(op + ": input_sizes must have 4 entries, got " + Arrays.toString(inputShape));
        }
        long[] shape = inputShape.clone();
        if (shape[0] == -1) shape[0] = dy.shape[0];
        long[] expected = c.outputShape(op, shape, filter.shape);
        if (!Arrays.equals(expected, dy.shape)) {
            throw new IllegalArgumentException(op + ": conv2d of an input " + Arrays.toString(shape) + " with filter "
                    + Shapes.str(filter.shape) + " (" + c + ") gives " + Arrays.toString(expected) + ", not dy's shape "
                    + Shapes.str(dy.shape) + legalRange(dy, filter, c));
        }
        return dy.graph.apply(new BackpropInput(shape, c), shape, dy.dataType, filter, dy);
    }

    private static String legalRange(Tensor dy, Tensor filter, Conv c) {
        long[] v = c.nhwc(dy.shape);
        try {
            int[] s = Spatial.hw("conv2d", "strides", c.strides, c.format);
            int[] d = Spatial.hw("conv2d", "dilations", c.dilations, c.format);
            int[] h = Window.transposeRange((int) v[1], (int) filter.shape[0], s[0], d[0], c.padding, "height");
            int[] w = Window.transposeRange((int) v[2], (int) filter.shape[1], s[1], d[1], c.padding, "width");
            return "; legal heights " + (h == null ? "none" : h[0] + ".." + h[1]) + ", widths "
                    + (w == null ? "none" : w[0] + ".." + w[1]);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    static final class BackpropInput extends Op {
        final long[] inputShape;
        final Conv c;

        BackpropInput(long[] inputShape, Conv c) {
            this.inputShape = inputShape;
            this.c = c;
        }

        @Override public String type() { return "Conv2DBackpropInput"; }

        /** inputs: filter, dy (TF's order without input_sizes). */
        @Override public INDArray forward(INDArray[] in) {
            return Conv2D.conv2dBackpropInput(inputShape, in[0], in[1], c.strides, c.padding, c.format, c.dilations);
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor w = b.input(0);
            Tensor dy = b.input(1);
            Tensor g = b.grad();
            return new Tensor[] {
                b.needs(0) ? backpropFilter(g, w.shape, dy, c) : null,
                b.needs(1) ? conv2d(g, w, c) : null,
            };
        }
    }

    /** TF's Conv2DBackpropFilter: the filter gradient of conv2d for a filter of filterShape [kh, kw, in, out]. */
    static Tensor backpropFilter(Tensor x, long[] filterShape, Tensor dy, Conv c) {
        String op = "Conv2DBackpropFilter";
        Shapes.sameGraph(op, x, dy);
        Shapes.sameFloat(op, x, dy);
        long[] expected = c.outputShape(op, x.shape, filterShape);
        if (!Arrays.equals(expected, dy.shape)) {
            throw new IllegalArgumentException(op + ": conv2d of " + x + " with a filter " + Arrays.toString(filterShape)
                    + " (" + c + ") gives " + Arrays.toString(expected) + ", not dy's shape " + Shapes.str(dy.shape));
        }
        return x.graph.apply(new BackpropFilter(filterShape.clone(), c), filterShape, x.dataType, x, dy);
    }

    static final class BackpropFilter extends Op {
        final long[] filterShape;
        final Conv c;

        BackpropFilter(long[] filterShape, Conv c) {
            this.filterShape = filterShape;
            this.c = c;
        }

        @Override public String type() { return "Conv2DBackpropFilter"; }

        /** inputs: x, dy. */
        @Override public INDArray forward(INDArray[] in) {
            return Conv2D.conv2dBackpropFilter(in[0], filterShape, in[1], c.strides, c.padding, c.format, c.dilations);
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor x = b.input(0);
            Tensor dy = b.input(1);
            Tensor g = b.grad();
            return new Tensor[] {
                b.needs(0) ? backpropInput(x.shape, g, dy, c) : null,
                b.needs(1) ? conv2d(x, g, c) : null,
            };
        }
    }
}
