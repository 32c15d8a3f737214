package io.github.deconvspark.models.ops;

import io.github.deconvspark.kernels.autodiff.Backward;
import io.github.deconvspark.kernels.autodiff.Op;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A batch of matrix products [B, M, K] x [B, K, N] -> [B, M, N] (attention's products), one 2-D product per batch entry;
 * its gradients are batched products with the other factor's matrices transposed.
 */
public final class BatchMatMul extends Op {
    public static Tensor apply(Tensor a, Tensor b) {
        long[] x = a.shape(), y = b.shape();
        if (x.length != 3 || y.length != 3 || x[0] != y[0] || x[2] != y[1]) {
            throw new IllegalArgumentException("batched matmul: " + Arrays.toString(x) + " by " + Arrays.toString(y)
                    + " must be [B, M, K] by [B, K, N]");
        }
        return a.graph().apply(new BatchMatMul(), new long[] {x[0], x[1], y[2]}, a.dataType(), a, b);
    }

    @Override public String type() { return "BatchMatMul"; }

    @Override public INDArray forward(INDArray[] in) {
        long n = in[0].size(0);
        INDArray out = Nd4j.create(in[0].dataType(), n, in[0].size(1), in[1].size(2));
        for (long i = 0; i < n; i++) {
            INDArray a = in[0].get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
            INDArray b = in[1].get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
            out.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all()).assign(a.mmul(b));
        }
        return out;
    }

    @Override public Tensor[] backward(Backward b) {
        Tensor g = b.grad();
        return new Tensor[] {
            b.needs(0) ? apply(g, Ops.transpose(b.input(1), 0, 2, 1)) : null,     // dA = G B^T
            b.needs(1) ? apply(Ops.transpose(b.input(0), 0, 2, 1), g) : null,     // dB = A^T G
        };
    }
}
