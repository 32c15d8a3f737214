package io.github.deconvspark.kernels.autodiff;

/** What a backward rule gets: the op's output node, the gradient arriving at it, and the call's options. */
public final class Backward {
    private final Tensor output;
    private final Tensor grad;
    private final boolean[] needs;
    private final ReluRule reluRule;

    Backward(Tensor output, Tensor grad, boolean[] needs, ReluRule reluRule) {
        this.output = output;
        this.grad = grad;
        this.needs = needs;
        this.reluRule = reluRule;
    }

    /** The forward output y (rules such as sigmoid's reuse it instead of recomputing). */
    public Tensor output() { return output; }

    /** The forward op's i-th input. */
    public Tensor input(int i) { return output.inputs[i]; }

    /** dL/dy, with y's shape and type. */
    public Tensor grad() { return grad; }

    /** Whether input i lies on a path to a requested x: rules skip building gradients nobody reads. */
    public boolean needs(int i) { return needs[i]; }

    /** What passes a ReLU backward in this gradients() call. */
    public ReluRule reluRule() { return reluRule; }

    public Graph graph() { return output.graph; }
}
