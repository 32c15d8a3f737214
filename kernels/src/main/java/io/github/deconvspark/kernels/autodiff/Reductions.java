package io.github.deconvspark.kernels.autodiff;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * reduce_sum, reduce_mean and reduce_max over some axes (all when none are given). Sum and
 * mean spread the gradient back by broadcasting; max gives it to the cells holding the maximum,
 * shared equally among ties, as TF's reduce_max gradient does.
 */
final class Reductions {
    private Reductions() {}

    enum Kind { SUM("Sum"), MEAN("Mean"), MAX("Max");

        final String tfName;

        Kind(String tfName) { this.tfName = tfName; }
    }

    /** axes empty: every axis, as TF's axis=None. */
    static Tensor reduce(Kind kind, Tensor x, boolean keepDims, int... axes) {
        Shapes.requireFloat(kind.tfName, "x", x);
        int[] ax = axes.length == 0 ? java.util.stream.IntStream.range(0, x.rank()).toArray()
                : Shapes.axes(kind.tfName, x.rank(), axes);
        if (ax.length == 0) return x; // a rank-0 x: nothing to reduce
        return x.graph.apply(new Reduce(kind, ax, keepDims), Shapes.reduced(x.shape, ax, keepDims), x.dataType, x);
    }

    static final class Reduce extends Op {
        final Kind kind;
        final int[] axes;
        final boolean keepDims;

        Reduce(Kind kind, int[] axes, boolean keepDims) {
            this.kind = kind;
            this.axes = axes;
            this.keepDims = keepDims;
        }

        @Override public String type() { return kind.tfName; }

        @Override public INDArray forward(INDArray[] in) {
            return switch (kind) {
                case SUM -> in[0].sum(keepDims, axes);
                case MEAN -> in[0].mean(keepDims, axes);
                case MAX -> in[0].max(keepDims, axes);
            };
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor x = b.input(0);
            long[] kept = Shapes.reduced(x.shape, axes, true);
            Tensor g = ShapeOps.reshape(b.grad(), kept);
            Tensor dx = switch (kind) {
                case SUM -> Arithmetic.broadcastTo(g, x.shape);
                case MEAN -> {
                    long n = x.length() / Shapes.length(kept);
                    yield Ops.mul(Arithmetic.broadcastTo(g, x.shape), x.graph.scalar(1.0 / n, x.dataType));
                }
                case MAX -> {
                    Tensor mask = Activations.equalMask(x, ShapeOps.reshape(b.output(), kept));
                    Tensor count = reduce(Kind.SUM, mask, true, axes);
                    yield Ops.mul(Ops.div(g, count), mask);
                }
            };
            return new Tensor[] {dx};
        }
    }
}
