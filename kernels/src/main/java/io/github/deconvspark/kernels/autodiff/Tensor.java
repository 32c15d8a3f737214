package io.github.deconvspark.kernels.autodiff;

import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A node of a {@link Graph}: a placeholder (fed at each run), a variable (a value the graph
 * reads at each run and that {@link #assign} replaces), a constant, or the output of an
 * {@link Op}. Shape and type are static, known when the node is built, so that shape errors
 * surface while the graph is built, not in the middle of a run.
 */
public final class Tensor {
    public enum Kind { PLACEHOLDER, VARIABLE, CONSTANT, OP }

    final Graph graph;
    final int id;
    final String name;
    final Kind kind;
    final Op op;
    final Tensor[] inputs;
    final long[] shape;
    final DataType dataType;
    /** The value of a variable or constant; null for placeholders and op outputs. */
    volatile INDArray value;

    Tensor(Graph graph, int id, String name, Kind kind, Op op, Tensor[] inputs, long[] shape, DataType dataType,
           INDArray value) {
        this.graph = graph;
        this.id = id;
        this.name = name;
        this.kind = kind;
        this.op = op;
        this.inputs = inputs;
        this.shape = shape;
        this.dataType = dataType;
        this.value = value;
    }

    public Graph graph() { return graph; }

    /** Unique within the graph, TF style: "Conv2D", "Conv2D_1", ... */
    public String name() { return name; }

    public Kind kind() { return kind; }

    /** The op that computes this tensor; null for placeholders, variables and constants. */
    public Op op() { return op; }

    public List<Tensor> inputs() { return List.of(inputs); }

    public Tensor input(int i) { return inputs[i]; }

    public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    /** The size of one dimension; a negative axis counts from the end. */
    public long size(int axis) { return shape[axis < 0 ? shape.length + axis : axis]; }

    public long length() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public DataType dataType() { return dataType; }

    /** The current value of a variable or constant (not a copy); null for the other kinds. */
    public INDArray value() { return value; }

    /** Replaces a variable's value (the graph keeps a reference, not a copy); shape and type must stay. */
    public void assign(INDArray newValue) {
        if (kind != Kind.VARIABLE) {
            throw new IllegalArgumentException("assign: " + this + " is a " + kind + ", only variables can be assigned");
        }
        Shapes.requireValue("assign", this, newValue);
        value = newValue;
    }

    boolean isFloat() {
        return dataType == DataType.FLOAT || dataType == DataType.DOUBLE;
    }

    @Override public String toString() {
        return "'" + name + "' " + Arrays.toString(shape) + " " + dataType;
    }
}
