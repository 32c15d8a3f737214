package io.github.deconvspark.kernels.autodiff;

import org.nd4j.linalg.api.ndarray.INDArray;

/** 2-D matrix product; its gradients are products with the other factor transposed. */
final class MatMul extends Op {
    static Tensor matmul(Tensor a, Tensor b) {
        String op = "MatMul";
        Shapes.sameGraph(op, a, b);
        Shapes.sameFloat(op, a, b);
        Shapes.requireRank(op, "a", a, 2, "[m, k]");
        Shapes.requireRank(op, "b", b, 2, "[k, n]");
        if (a.shape[1] != b.shape[0]) {
            throw new IllegalArgumentException(op + ": inner dimensions differ: a " + a + " has " + a.shape[1]
                    + " columns, b " + b + " has " + b.shape[0] + " rows");
        }
        return a.graph.apply(new MatMul(), new long[] {a.shape[0], b.shape[1]}, a.dataType, a, b);
    }

    @Override public String type() { return "MatMul"; }

    @Override public INDArray forward(INDArray[] in) { return in[0].mmul(in[1]); }

    @Override public Tensor[] backward(Backward b) {
        Tensor g = b.grad();
        return new Tensor[] {
            b.needs(0) ? matmul(g, ShapeOps.transpose(b.input(1), 1, 0)) : null,   // dA = G B^T
            b.needs(1) ? matmul(ShapeOps.transpose(b.input(0), 1, 0), g) : null,   // dB = A^T G
        };
    }
}
