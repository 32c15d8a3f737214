package io.github.deconvspark.models.keras;

import io.github.deconvspark.kernels.autodiff.Backward;
import io.github.deconvspark.kernels.autodiff.Op;
import io.github.deconvspark.kernels.autodiff.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * x * [x &gt; t]: Keras' ReLU with a threshold ({@code x * cast(greater(x, threshold))}), as a custom op (the engine has
 * no comparison op). Its gradient is g * [x &gt; t], through a mask op whose own derivative with respect to x is zero,
 * so gradients of gradients work (as {@link io.github.deconvspark.models.ops.Clip}).
 */
final class Threshold extends Op {
    private final double t;

    private Threshold(double t) { this.t = t; }

    static Tensor apply(Tensor x, double t) {
        return x.graph().apply(new Threshold(t), x.shape(), x.dataType(), x);
    }

    @Override public String type() { return "Threshold"; }

    @Override public INDArray forward(INDArray[] in) {
        return in[0].gt(t).castTo(in[0].dataType()).muli(in[0]);
    }

    @Override public Tensor[] backward(Backward b) {
        return new Tensor[] {b.needs(0) ? Mask.apply(b.grad(), b.input(0), t) : null};
    }

    /** g * [x &gt; t]. */
    static final class Mask extends Op {
        private final double t;

        private Mask(double t) { this.t = t; }

        static Tensor apply(Tensor g, Tensor x, double t) {
            return g.graph().apply(new Mask(t), g.shape(), g.dataType(), g, x);
        }

        @Override public String type() { return "ThresholdGrad"; }

        @Override public INDArray forward(INDArray[] in) {
            return in[1].gt(t).castTo(in[0].dataType()).muli(in[0]);
        }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {b.needs(0) ? apply(b.grad(), b.input(1), t) : null, null};
        }
    }
}
