package io.github.deconvspark.kernels.autodiff;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** One gradient-check configuration: float64 placeholders fed from kink-free generators, and how y is built from them. */
record OpCase(String name, List<Input> inputs, Function<List<Tensor>, Tensor> build) {

    interface Gen {
        INDArray make(long seed, long[] shape);
    }

    record Input(long[] shape, Gen gen) {
        @Override public String toString() { return Arrays.toString(shape); }
    }

    static Input in(Gen gen, long... shape) { return new Input(shape, gen); }

    static final Gen DISTINCT = (seed, shape) -> GradientCheck.distinct(DataType.DOUBLE, seed, shape);
    static final Gen AWAY = (seed, shape) -> GradientCheck.awayFromZero(DataType.DOUBLE, seed, 0.2, 1.0, shape);
    static final Gen POSITIVE = (seed, shape) -> GradientCheck.uniform(DataType.DOUBLE, seed, 0.5, 2.0, shape);
    static final Gen ANY = (seed, shape) -> GradientCheck.uniform(DataType.DOUBLE, seed, -1, 1, shape);

    /** A graph with one placeholder per input, their feeds (seeded) and y. */
    static final class Built implements AutoCloseable {
        final Graph graph = new Graph();
        final List<Tensor> xs = new ArrayList<>();
        final Map<Tensor, INDArray> feeds = new HashMap<>();
        final Tensor y;

        Built(OpCase c, long seed) {
            for (int i = 0; i < c.inputs.size(); i++) {
                Input in = c.inputs.get(i);
                Tensor x = graph.placeholder("x" + i, DataType.DOUBLE, in.shape);
                xs.add(x);
                feeds.put(x, in.gen.make(seed * 31 + i, in.shape));
            }
            y = c.build.apply(xs);
        }

        @Override public void close() {
            feeds.values().forEach(INDArray::close);
            graph.close();
        }
    }

    @Override public String toString() {
        return name + " " + inputs;
    }
}
