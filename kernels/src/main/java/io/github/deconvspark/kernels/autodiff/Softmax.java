package io.github.deconvspark.kernels.autodiff;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * softmax and log_softmax over the last axis (computed with the maximum subtracted, so large
 * logits do not overflow), and softmax cross-entropy built from log_softmax.
 */
final class Softmax {
    private Softmax() {}

    static Tensor softmax(Tensor logits, boolean log) {
        String op = log ? "LogSoftmax" : "Softmax";
        Shapes.requireFloat(op, "logits", logits);
        if (logits.rank() < 1) throw new IllegalArgumentException(op + ": logits " + logits + " must have rank >= 1");
        return logits.graph.apply(new SoftmaxOp(log), logits.shape, logits.dataType, logits);
    }

    static final class SoftmaxOp extends Op {
        final boolean log;

        SoftmaxOp(boolean log) { this.log = log; }

        @Override public String type() { return log ? "LogSoftmax" : "Softmax"; }

        @Override public INDArray forward(INDArray[] in) {
            INDArray x = in[0];
            int last = x.rank() - 1;
            INDArray max = x.max(true, last);
            INDArray shifted = x.sub(max);
            INDArray e = Transforms.exp(shifted, true);
            INDArray sum = e.sum(true, last);
            INDArray r;
            if (log) {
                Transforms.log(sum, false);
                r = shifted.subi(sum);
                e.close();
            } else {
                r = e.divi(sum);
                shifted.close();
            }
            max.close();
            sum.close();
            return r;
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor g = b.grad();
            Tensor y = b.output();
            int last = y.rank() - 1;
            if (log) {
                // d log_softmax: g - sum(g) * softmax(x)
                Tensor p = softmax(b.input(0), false);
                return new Tensor[] {Ops.sub(g, Ops.mul(Ops.reduceSum(g, true, last), p))};
            }
            // d softmax: y * (g - sum(g * y))
            return new Tensor[] {Ops.mul(y, Ops.sub(g, Ops.reduceSum(Ops.mul(g, y), true, last)))};
        }
    }

    /**
     * TF's softmax_cross_entropy_with_logits (v2): per row {@code -sum(labels * log_softmax(logits))}
     * over the last axis. Both arguments get gradients.
     */
    static Tensor crossEntropy(Tensor labels, Tensor logits) {
        String op = "SoftmaxCrossEntropyWithLogits";
        Shapes.sameGraph(op, labels, logits);
        Shapes.sameFloat(op, labels, logits);
        if (!java.util.Arrays.equals(labels.shape, logits.shape)) {
            throw new IllegalArgumentException(op + ": labels " + labels + " and logits " + logits + " must have the same shape");
        }
        return Ops.neg(Ops.reduceSum(Ops.mul(labels, softmax(logits, true)), false, logits.rank() - 1));
    }
}
