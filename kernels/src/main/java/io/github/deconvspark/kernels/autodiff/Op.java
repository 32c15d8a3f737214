package io.github.deconvspark.kernels.autodiff;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One operation of the engine: its forward computation over arrays and, beside it, its backward
 * rule. The backward rule builds the input gradients as new graph nodes made of forward ops of
 * this same engine (conv2d's is conv2d_backprop_input and conv2d_backprop_filter, max pool's is
 * unpooling by argmax, ...), which is what makes gradients of gradients work without more code.
 * Subclass it for a custom op and add it with {@link Graph#apply}.
 */
public abstract class Op {

    /** TF's name for the op type ("Conv2D", "MaxPool", ...): node names and messages use it. */
    public abstract String type();

    /**
     * Computes the output from the input values (dense, C-ordered). It must not modify its inputs.
     * The result belongs to the engine, which frees it when no later op needs it; returning an
     * input or a view of one is allowed (the engine then copies it).
     */
    public abstract INDArray forward(INDArray[] inputs);

    /**
     * The gradient for each input, given the gradient of the output ({@link Backward#grad()}), as
     * tensors of the inputs' shapes; an entry may be null where {@link Backward#needs} is false
     * or where no gradient exists (an integer index input, say).
     */
    public abstract Tensor[] backward(Backward b);

    /**
     * Whether a gradient can flow from this op's output to its inputs at all. False for
     * stop_gradient, argmax and fills, so that {@link Gradients} does not even visit the paths
     * through them.
     */
    public boolean passesGradient() {
        return true;
    }

    @Override public String toString() {
        return type();
    }
}
