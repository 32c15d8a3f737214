package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.Conv2D;
import io.github.deconvspark.kernels.DepthwiseConv2D;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.ConvParams;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * conv2d (grouped too) and the depthwise conv, each with its two gradients, as ops closed under differentiation
 * (as in TF's nn_grad.py): a conv's gradients are its backprop_input (= conv2d_transpose) and backprop_filter; each of
 * those is bilinear too, and its gradients are again the conv and the other backprop op, of the same family.
 * Each node computes its geometry ({@link ConvParams#geometry} or {@link ConvParams#depthwiseGeometry}) once, when
 * it is built, and hands it to the kernel.
 */
final class Convolutions {
    private Convolutions() {}

    /** The two conv families: TF's op names and the geometry of their [kh, kw, in, out | multiplier] filters. */
    enum Family {
        CONV2D("conv2d", "Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"),
        DEPTHWISE("depthwise conv", "DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput", "DepthwiseConv2dNativeBackpropFilter");

        /** For messages. */
        final String name;
        final String forward;
        final String input;
        final String filter;

        Family(String name, String forward, String input, String filter) {
            this.name = name;
            this.forward = forward;
            this.input = input;
            this.filter = filter;
        }

        ConvGeometry geometry(ConvParams c, String op, long[] x, long[] filter) {
            return this == CONV2D ? c.geometry(op, x, filter) : c.depthwiseGeometry(op, x, filter);
        }

        INDArray conv(INDArray x, INDArray w, ConvParams c, ConvGeometry g) {
            return this == CONV2D ? Conv2D.conv2d(x, w, c, g) : DepthwiseConv2D.depthwiseConv2d(x, w, c, g);
        }

        INDArray backpropInput(INDArray dy, INDArray w, ConvParams c, ConvGeometry g) {
            return this == CONV2D ? Conv2D.conv2dBackpropInput(dy, w, c, g) : DepthwiseConv2D.depthwiseConv2dBackpropInput(dy, w, c, g);
        }

        INDArray backpropFilter(INDArray x, long[] filterShape, INDArray dy, ConvParams c, ConvGeometry g) {
            return this == CONV2D ? Conv2D.conv2dBackpropFilter(x, filterShape, dy, c, g)
                    : DepthwiseConv2D.depthwiseConv2dBackpropFilter(x, filterShape, dy, c, g);
        }
    }

    static Tensor conv2d(Tensor x, Tensor filter, ConvParams c) {
        return conv(Family.CONV2D, x, filter, c);
    }

    static Tensor conv(Family f, Tensor x, Tensor filter, ConvParams c) {
        String op = f.forward;
        Shapes.sameGraph(op, x, filter);
        Shapes.sameFloat(op, x, filter);
        Conv node = new Conv(f, c, f.geometry(c, op, x.shape, filter.shape));
        return x.graph.apply(node, c.outputShape(node.g), x.dataType, x, filter);
    }

    /** The forward conv of a family: reads windows of its input 0. */
    static final class Conv extends Op implements Windowed {
        final Family f;
        final ConvParams c;
        final ConvGeometry g;

        Conv(Family f, ConvParams c, ConvGeometry g) {
            this.f = f;
            this.c = c;
            this.g = g;
        }

        @Override public String type() { return f.forward; }

        @Override public ConvGeometry geometry() { return g; }

        @Override public INDArray forward(INDArray[] in) {
            return f.conv(in[0], in[1], c, g);
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor x = b.input(0);
            Tensor w = b.input(1);
            Tensor g = b.grad();
            return new Tensor[] {
                b.needs(0) ? backpropInput(f, x.shape, w, g, c) : null,
                b.needs(1) ? backpropFilter(f, x, w.shape, g, c) : null,
            };
        }
    }

    /** The input gradient of a conv for an input of inputShape (format order; batch may be -1): TF's *BackpropInput. */
    static Tensor backpropInput(Family f, long[] inputShape, Tensor filter, Tensor dy, ConvParams c) {
        String op = f.input;
        Shapes.sameGraph(op, filter, dy);
        Shapes.sameFloat(op, filter, dy);
        if (inputShape == null || inputShape.length != 4) {
            throw new IllegalArgumentException(op + ": input_sizes must have 4 entries, got " + Arrays.toString(inputShape));
        }
        long[] shape = inputShape.clone();
        if (shape[0] == -1) shape[0] = dy.shape[0];
        ConvGeometry g = f.geometry(c, op, shape, filter.shape);
        long[] expected = c.outputShape(g);
        if (!Arrays.equals(expected, dy.shape)) {
            throw new IllegalArgumentException(op + ": " + f.name + " of an input " + Arrays.toString(shape) + " with filter "
                    + Shapes.str(filter.shape) + " (" + c + ") gives " + Arrays.toString(expected) + ", not dy's shape "
                    + Shapes.str(dy.shape) + legalRange(dy, filter, c));
        }
        return dy.graph.apply(new BackpropInput(f, c, g), shape, dy.dataType, filter, dy);
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
        final Family f;
        final ConvParams c;
        /** The forward geometry of the input this op makes. */
        final ConvGeometry g;

        BackpropInput(Family f, ConvParams c, ConvGeometry g) {
            this.f = f;
            this.c = c;
            this.g = g;
        }

        @Override public String type() { return f.input; }

        /** inputs: filter, dy (TF's order without input_sizes). */
        @Override public INDArray forward(INDArray[] in) {
            return f.backpropInput(in[1], in[0], c, g);
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor w = b.input(0);
            Tensor dy = b.input(1);
            Tensor g = b.grad();
            return new Tensor[] {
                b.needs(0) ? backpropFilter(f, g, w.shape, dy, c) : null,
                b.needs(1) ? conv(f, g, w, c) : null,
            };
        }
    }

    /** The filter gradient of a conv for a filter of filterShape: TF's *BackpropFilter. */
    static Tensor backpropFilter(Family f, Tensor x, long[] filterShape, Tensor dy, ConvParams c) {
        String op = f.filter;
        Shapes.sameGraph(op, x, dy);
        Shapes.sameFloat(op, x, dy);
        ConvGeometry g = f.geometry(c, op, x.shape, filterShape);
        long[] expected = c.outputShape(g);
        if (!Arrays.equals(expected, dy.shape)) {
            throw new IllegalArgumentException(op + ": " + f.name + " of " + x + " with a filter " + Arrays.toString(filterShape)
                    + " (" + c + ") gives " + Arrays.toString(expected) + ", not dy's shape " + Shapes.str(dy.shape));
        }
        return x.graph.apply(new BackpropFilter(f, filterShape.clone(), c, g), filterShape, x.dataType, x, dy);
    }

    static final class BackpropFilter extends Op {
        final Family f;
        final long[] filterShape;
        final ConvParams c;
        final ConvGeometry g;

        BackpropFilter(Family f, long[] filterShape, ConvParams c, ConvGeometry g) {
            this.f = f;
            this.filterShape = filterShape;
            this.c = c;
            this.g = g;
        }

        @Override public String type() { return f.filter; }

        /** inputs: x, dy. */
        @Override public INDArray forward(INDArray[] in) {
            return f.backpropFilter(in[0], filterShape, in[1], c, g);
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor x = b.input(0);
            Tensor dy = b.input(1);
            Tensor g = b.grad();
            return new Tensor[] {
                b.needs(0) ? backpropInput(f, x.shape, g, dy, c) : null,
                b.needs(1) ? conv(f, x, g, c) : null,
            };
        }
    }
}
