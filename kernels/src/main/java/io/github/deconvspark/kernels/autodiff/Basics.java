package io.github.deconvspark.kernels.autodiff;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** stop_gradient and fills: ops that carry no gradient. */
final class Basics {
    private Basics() {}

    /** Identity forward; no gradient of any order passes it (its backward is never called). */
    static final class StopGradient extends Op {
        @Override public String type() { return "StopGradient"; }

        @Override public INDArray forward(INDArray[] in) { return in[0]; } // the engine copies it

        @Override public Tensor[] backward(Backward b) { return null; }

        @Override public boolean passesGradient() { return false; }
    }

    /** A constant array made at each run (not kept between runs, unlike a constant node). */
    static final class Fill extends Op {
        final long[] shape;
        final double value;
        final DataType type;

        Fill(long[] shape, double value, DataType type) {
            this.shape = shape.clone();
            this.value = value;
            this.type = type;
        }

        @Override public String type() { return value == 0 ? "ZerosLike" : value == 1 ? "OnesLike" : "Fill"; }

        @Override public INDArray forward(INDArray[] in) { return Nd4j.valueArrayOf(shape, value, type); }

        @Override public Tensor[] backward(Backward b) { return new Tensor[0]; }

        @Override public boolean passesGradient() { return false; }
    }
}
