package io.github.deconvspark.models.ops;

import io.github.deconvspark.kernels.autodiff.Backward;
import io.github.deconvspark.kernels.autodiff.Op;
import io.github.deconvspark.kernels.autodiff.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * min(max(x, lo), hi) as a custom op of the autodiff (the engine has no clip op): TF's Relu6 (0, 6), ONNX's Clip,
 * HardSigmoid's clamp. Its gradient passes where lo &lt; x &lt; hi, as TF's Relu6Grad and ONNX Runtime's Clip
 * gradient; that mask op has a zero derivative with respect to x, so gradients of gradients work. The gradients()
 * call's {@code ReluRule} (deconvnet / guided) applies to Relu only, not to clips.
 */
public final class Clip extends Op {
    private final double lo, hi;
    private final String type;
    /** The gradient also passes at x == lo or x == hi (TF's Maximum / Minimum: ties go to x). */
    private final boolean inclusive;

    private Clip(double lo, double hi, String type) {
        this(lo, hi, type, false);
    }

    private Clip(double lo, double hi, String type, boolean inclusive) {
        this.lo = lo;
        this.hi = hi;
        this.type = type;
        this.inclusive = inclusive;
    }

    /** TF's Minimum(x, c) of a constant c: its gradient passes where x &lt;= c (TF's MinimumGrad gives ties to x). */
    public static Tensor minimum(Tensor x, double c) {
        if (Double.isNaN(c)) throw new IllegalArgumentException("minimum: the constant is NaN");
        return x.graph().apply(new Clip(Double.NEGATIVE_INFINITY, c, "Minimum", true), x.shape(), x.dataType(), x);
    }

    /** TF's Maximum(x, c) of a constant c: its gradient passes where x &gt;= c. */
    public static Tensor maximum(Tensor x, double c) {
        if (Double.isNaN(c)) throw new IllegalArgumentException("maximum: the constant is NaN");
        return x.graph().apply(new Clip(c, Double.POSITIVE_INFINITY, "Maximum", true), x.shape(), x.dataType(), x);
    }

    /** TF's Relu6. */
    public static Tensor relu6(Tensor x) {
        return x.graph().apply(new Clip(0, 6, "Relu6"), x.shape(), x.dataType(), x);
    }

    /** @throws IllegalArgumentException when lo &gt; hi or either is NaN */
    public static Tensor apply(Tensor x, double lo, double hi) {
        if (!(lo <= hi)) throw new IllegalArgumentException("clip: min " + lo + " must be <= max " + hi);
        return x.graph().apply(new Clip(lo, hi, "Clip"), x.shape(), x.dataType(), x);
    }

    @Override public String type() { return type; }

    @Override public INDArray forward(INDArray[] in) {
        INDArray y = in[0].dup();
        if (lo != Double.NEGATIVE_INFINITY) y = Transforms.max(y, lo, false);
        if (hi != Double.POSITIVE_INFINITY) y = Transforms.min(y, hi, false);
        return y;
    }

    @Override public Tensor[] backward(Backward b) {
        return new Tensor[] {b.needs(0) ? Grad.apply(b.grad(), b.input(0), lo, hi, type, inclusive) : null};
    }

    /** g * [lo &lt; x &lt; hi] ({@code <=} with inclusive bounds). */
    static final class Grad extends Op {
        private final double lo, hi;
        private final String type;
        private final boolean inclusive;

        private Grad(double lo, double hi, String type, boolean inclusive) {
            this.lo = lo;
            this.hi = hi;
            this.type = type;
            this.inclusive = inclusive;
        }

        static Tensor apply(Tensor g, Tensor x, double lo, double hi, String type, boolean inclusive) {
            return g.graph().apply(new Grad(lo, hi, type, inclusive), g.shape(), g.dataType(), g, x);
        }

        @Override public String type() { return type + "Grad"; }

        @Override public INDArray forward(INDArray[] in) {
            INDArray x = in[1];
            INDArray above = inclusive ? x.gte(lo) : x.gt(lo), below = inclusive ? x.lte(hi) : x.lt(hi);
            INDArray mask = above.castTo(x.dataType()).muli(below.castTo(x.dataType()));
            return mask.muli(in[0]);
        }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {b.needs(0) ? apply(b.grad(), b.input(1), lo, hi, type, inclusive) : null, null};
        }
    }
}
