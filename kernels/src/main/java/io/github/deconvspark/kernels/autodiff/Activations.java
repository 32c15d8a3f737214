package io.github.deconvspark.kernels.autodiff;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Elementwise functions. Each backward is a product with the local derivative, written with ops
 * of this engine (preferring the forward output where TF does: sigmoid, tanh, exp, sqrt). ReLU's
 * backward depends on the {@link ReluRule} of the gradients() call; its mask [x > 0] is an op
 * whose own derivative is zero, as TF's ReluGrad has.
 */
final class Activations {
    private Activations() {}

    enum Kind { RELU("Relu"), SIGMOID("Sigmoid"), TANH("Tanh"), EXP("Exp"), LOG("Log"), SQUARE("Square"), SQRT("Sqrt");

        final String tfName;

        Kind(String tfName) { this.tfName = tfName; }
    }

    static Tensor apply(Kind kind, Tensor x) {
        Shapes.requireFloat(kind.tfName, "x", x);
        return x.graph.apply(new Unary(kind), x.shape, x.dataType, x);
    }

    static Tensor relu(Tensor x) { return apply(Kind.RELU, x); }

    static Tensor square(Tensor x) { return apply(Kind.SQUARE, x); }

    static final class Unary extends Op {
        final Kind kind;

        Unary(Kind kind) { this.kind = kind; }

        @Override public String type() { return kind.tfName; }

        @Override public INDArray forward(INDArray[] in) {
            INDArray x = in[0];
            return switch (kind) {
                case RELU -> Transforms.relu(x, true);
                case SIGMOID -> Transforms.sigmoid(x, true);
                case TANH -> Transforms.tanh(x, true);
                case EXP -> Transforms.exp(x, true);
                case LOG -> Transforms.log(x, true);
                case SQUARE -> x.mul(x);
                case SQRT -> Transforms.sqrt(x, true);
            };
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor g = b.grad();
            Tensor x = b.input(0);
            Tensor y = b.output();
            Tensor dx = switch (kind) {
                case RELU -> switch (b.reluRule()) {
                    case GRADIENT -> reluGrad(g, x);
                    case DECONVNET -> relu(g);
                    case GUIDED -> reluGrad(relu(g), x);
                };
                case SIGMOID -> Ops.mul(g, Ops.mul(y, Ops.sub(one(y), y)));   // y (1 - y)
                case TANH -> Ops.mul(g, Ops.sub(one(y), square(y)));           // 1 - y^2
                case EXP -> Ops.mul(g, y);
                case LOG -> Ops.div(g, x);
                case SQUARE -> Ops.mul(g, Ops.mul(scalar(x, 2), x));
                case SQRT -> Ops.div(Ops.mul(g, scalar(y, 0.5)), y);          // 1 / (2 sqrt x)
            };
            return new Tensor[] {dx};
        }
    }

    private static Tensor one(Tensor like) { return scalar(like, 1); }

    private static Tensor scalar(Tensor like, double v) { return like.graph.scalar(v, like.dataType); }

    /** TF's ReluGrad, {@code g * [x > 0]}, as one native kernel (libnd4j's relu_bp). */
    static Tensor reluGrad(Tensor g, Tensor x) {
        Shapes.sameGraph("ReluGrad", g, x);
        return x.graph.apply(new ReluGrad(), x.shape, x.dataType, g, x);
    }

    static final class ReluGrad extends Op {
        @Override public String type() { return "ReluGrad"; }

        /** inputs: g, x. */
        @Override public INDArray forward(INDArray[] in) {
            INDArray out = org.nd4j.linalg.factory.Nd4j.createUninitialized(in[1].dataType(), in[1].shape());
            org.nd4j.linalg.factory.Nd4j.exec(org.nd4j.linalg.api.ops.DynamicCustomOp.builder("relu_bp")
                    .addInputs(in[1], in[0]).addOutputs(out).addFloatingPointArguments(0.0).build());
            return out;
        }

        /** Linear in g with the same mask; in x a step function, zero wherever it has a derivative (as TF). */
        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {reluGrad(b.grad(), b.input(1)), Ops.zerosLike(b.input(1))};
        }
    }

    /** [a == b] (broadcast) as 0/1: which cells hold a reduce_max's maximum. */
    static Tensor equalMask(Tensor a, Tensor b) {
        return a.graph.apply(new EqualMask(), Shapes.broadcast("EqualMask", a, b), a.dataType, a, b);
    }

    static final class EqualMask extends Op {
        @Override public String type() { return "EqualMask"; }

        @Override public INDArray forward(INDArray[] in) {
            long[] shape = Shapes.broadcastOrNull(in[0].shape(), in[1].shape());
            INDArray a = Arrays2.expand(in[0], shape);
            INDArray b = Arrays2.expand(in[1], shape);
            INDArray bool = a.eq(b);
            INDArray r = bool.castTo(in[0].dataType());
            Arrays2.close(bool);
            Arrays2.closeUnless(a, in);
            Arrays2.closeUnless(b, in);
            return r;
        }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {Ops.zerosLike(b.input(0)), Ops.zerosLike(b.input(1))};
        }
    }

}
