package io.github.deconvspark.models.tfjs;

import io.github.deconvspark.kernels.autodiff.Backward;
import io.github.deconvspark.kernels.autodiff.Op;
import io.github.deconvspark.kernels.autodiff.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * TF's Relu6, min(max(x, 0), 6), as a custom op of the autodiff (the engine has no clip op).
 * Its gradient passes where 0 < x < 6, as TF's Relu6Grad; that mask op has a zero derivative
 * with respect to x (as TF's), so gradients of gradients work. Note: the gradients() call's
 * {@code ReluRule} (deconvnet / guided) applies to Relu only, not to Relu6.
 */
final class Relu6 extends Op {
    static Tensor apply(Tensor x) {
        return x.graph().apply(new Relu6(), x.shape(), x.dataType(), x);
    }

    @Override public String type() { return "Relu6"; }

    @Override public INDArray forward(INDArray[] in) {
        return Transforms.min(Transforms.max(in[0], 0.0, true), 6.0, false);
    }

    @Override public Tensor[] backward(Backward b) {
        return new Tensor[] {b.needs(0) ? Grad.apply(b.grad(), b.input(0)) : null};
    }

    /** g * [0 < x < 6]. */
    static final class Grad extends Op {
        static Tensor apply(Tensor g, Tensor x) {
            return g.graph().apply(new Grad(), g.shape(), g.dataType(), g, x);
        }

        @Override public String type() { return "Relu6Grad"; }

        @Override public INDArray forward(INDArray[] in) {
            INDArray x = in[1];
            INDArray mask = x.gt(0.0).castTo(x.dataType()).muli(x.lt(6.0).castTo(x.dataType()));
            return mask.muli(in[0]);
        }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {b.needs(0) ? apply(b.grad(), b.input(1)) : null, null};
        }
    }
}
