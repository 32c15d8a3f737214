package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.Pool2D;
import io.github.deconvspark.kernels.Unpool2D;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.PoolParams;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Average pooling and its linear partners, in two transpose pairs:
 * avg_pool with avg_pool_grad (TF's AvgPoolGrad, spreading divided by each window's real-cell
 * count, or its padded-window count with countIncludePad), and avg_unpool (the tutorial's: spreading undivided)
 * with sum_pool (each window's sum over its real cells). Every option of {@link PoolParams} (dilations, ceil mode)
 * holds for all four, so each pair stays exact transposes.
 */
final class AvgPooling {
    private AvgPooling() {}

    enum Kind { AVG_POOL("AvgPool"), AVG_POOL_GRAD("AvgPoolGrad"), AVG_UNPOOL("AvgUnpool"), SUM_POOL("SumPool");

        final String tfName;

        Kind(String tfName) { this.tfName = tfName; }

        boolean pools() { return this == AVG_POOL || this == SUM_POOL; }
    }

    /** A pooling op (x to pooled) or a spreading op (pooled to an input of inputShape, format order; batch may be -1). */
    static Tensor apply(Kind kind, Tensor x, PoolParams p, long[] inputShape) {
        String op = kind.tfName;
        Shapes.requireFloat(op, "input", x);
        if (kind.pools()) {
            ConvGeometry g = p.geometry(op, x.shape);
            return x.graph.apply(new AvgPoolOp(kind, p, g, x.shape), p.pooledShape(g), x.dataType, x);
        }
        if (inputShape == null || inputShape.length != 4) {
            throw new IllegalArgumentException(op + ": the input shape must have 4 entries, got " + Arrays.toString(inputShape));
        }
        long[] shape = inputShape.clone();
        if (shape[0] == -1) shape[0] = x.shape[0];
        ConvGeometry g = MaxPooling.requirePooled(op, "pooled", x, shape, p);
        return x.graph.apply(new AvgPoolOp(kind, p, g, shape), shape, x.dataType, x);
    }

    static final class AvgPoolOp extends Op implements Windowed {
        final Kind kind;
        final PoolParams p;
        /** The pooling's geometry over the unpooled side. */
        final ConvGeometry g;
        /** The shape of the unpooled side (format order). */
        final long[] full;

        AvgPoolOp(Kind kind, PoolParams p, ConvGeometry g, long[] full) {
            this.kind = kind;
            this.p = p;
            this.g = g;
            this.full = full;
        }

        @Override public String type() { return kind.tfName; }

        /** The windows of the pooling ops; the spreading ones (grad, unpool) write windows, they read none. */
        @Override public ConvGeometry geometry() { return kind.pools() ? g : null; }

        @Override public INDArray forward(INDArray[] in) {
            INDArray x = in[0];
            return switch (kind) {
                case AVG_POOL -> Pool2D.avgPool(x, p, g);
                case AVG_POOL_GRAD -> Pool2D.avgPoolGrad(x, p, g);
                case AVG_UNPOOL -> Unpool2D.avgUnpool(x, p, g);
                case SUM_POOL -> Pool2D.sumPool(x, p, g);
            };
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor g = b.grad();
            return new Tensor[] {switch (kind) {
                case AVG_POOL -> apply(Kind.AVG_POOL_GRAD, g, p, full);
                case AVG_POOL_GRAD -> apply(Kind.AVG_POOL, g, p, null);
                case AVG_UNPOOL -> apply(Kind.SUM_POOL, g, p, null);
                case SUM_POOL -> apply(Kind.AVG_UNPOOL, g, p, full);
            }};
        }
    }
}
