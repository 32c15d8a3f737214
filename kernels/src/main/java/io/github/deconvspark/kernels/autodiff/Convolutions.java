package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.Conv2D;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.ConvParams;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * conv2d and its two gradients as ops, closed under differentiation (as in TF's nn_grad.py):
 * conv2d's gradients are conv2d_backprop_input (= conv2d_transpose) and conv2d_backprop_filter;
 * each of those is bilinear too, and its gradients are again conv2d and the other backprop op.
 * Each node computes its geometry ({@link ConvParams#geometry}) once, when it is built, and hands it to the kernel.
 */
final class Convolutions {
    private Convolutions() {}

    static Tensor conv2d(Tensor x, Tensor filter, ConvParams c) {
        String op = "Conv2D";
        Shapes.sameGraph(op, x, filter);
        Shapes.sameFloat(op, x, filter);
        Conv2d node = new Conv2d(c, c.geometry(op, x.shape, filter.shape));
        return x.graph.apply(node, c.outputShape(node.g), x.dataType, x, filter);
    }

    static final class Conv2d extends Op implements Windowed {
        final ConvParams c;
        final ConvGeometry g;

        Conv2d(ConvParams c, ConvGeometry g) {
            this.c = c;
            this.g = g;
        }

        @Override public String type() { return "Conv2D"; }

        @Override public ConvGeometry geometry() { return g; }

        @Override public INDArray forward(INDArray[] in) {
            return Conv2D.conv2d(in[0], in[1], c, g);
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
    static Tensor backpropInput(long[] inputShape, Tensor filter, Tensor dy, ConvParams c) {
        String op = "Conv2DBackpropInput";
        Shapes.sameGraph(op, filter, dy);
        Shapes.sameFloat(op, filter, dy);
        if (inputShape == null || inputShape.length != 4) {
            throw new IllegalArgumentException(op + ": input_sizes must have 4 entries, got " + Arrays.toString(inputShape));
        }
        long[] shape = inputShape.clone();
        if (shape[0] == -1) shape[0] = dy.shape[0];
        ConvGeometry g = c.geometry(op, shape, filter.shape);
        long[] expected = c.outputShape(g);
        if (!Arrays.equals(expected, dy.shape)) {
            throw new IllegalArgumentException(op + ": conv2d of an input " + Arrays.toString(shape) + " with filter "
                    + Shapes.str(filter.shape) + " (" + c + ") gives " + Arrays.toString(expected) + ", not dy's shape "
                    + Shapes.str(dy.shape) + legalRange(dy, filter, c));
        }
        return dy.graph.apply(new BackpropInput(c, g), shape, dy.dataType, filter, dy);
    }

    private static String legalRange(Tensor dy, Tensor filter, ConvParams c) {
        try {
            int[][] r = c.transposeRange(dy.shape, filter.shape);
            return "; legal heights " + (r[0] == null ? "none" : r[0][0] + ".." + r[0][1]) + ", widths "
                    + (r[1] == null ? "none" : r[1][0] + ".." + r[1][1]);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    static final class BackpropInput extends Op {
        final ConvParams c;
        /** The forward geometry of the input this op makes. */
        final ConvGeometry g;

        BackpropInput(ConvParams c, ConvGeometry g) {
            this.c = c;
            this.g = g;
        }

        @Override public String type() { return "Conv2DBackpropInput"; }

        /** inputs: filter, dy (TF's order without input_sizes). */
        @Override public INDArray forward(INDArray[] in) {
            return Conv2D.conv2dBackpropInput(in[1], in[0], c, g);
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
    static Tensor backpropFilter(Tensor x, long[] filterShape, Tensor dy, ConvParams c) {
        String op = "Conv2DBackpropFilter";
        Shapes.sameGraph(op, x, dy);
        Shapes.sameFloat(op, x, dy);
        ConvGeometry g = c.geometry(op, x.shape, filterShape);
        long[] expected = c.outputShape(g);
        if (!Arrays.equals(expected, dy.shape)) {
            throw new IllegalArgumentException(op + ": conv2d of " + x + " with a filter " + Arrays.toString(filterShape)
                    + " (" + c + ") gives " + Arrays.toString(expected) + ", not dy's shape " + Shapes.str(dy.shape));
        }
        return x.graph.apply(new BackpropFilter(filterShape.clone(), c, g), filterShape, x.dataType, x, dy);
    }

    static final class BackpropFilter extends Op {
        final long[] filterShape;
        final ConvParams c;
        final ConvGeometry g;

        BackpropFilter(long[] filterShape, ConvParams c, ConvGeometry g) {
            this.filterShape = filterShape;
            this.c = c;
            this.g = g;
        }

        @Override public String type() { return "Conv2DBackpropFilter"; }

        /** inputs: x, dy. */
        @Override public INDArray forward(INDArray[] in) {
            return Conv2D.conv2dBackpropFilter(in[0], filterShape, in[1], c, g);
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
