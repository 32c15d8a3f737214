package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.NumpyText;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The tutorial's four tf.gradients / tf.stop_gradient examples (../shared/seed), run on this
 * engine and printed as the tutorial prints them; an unconnected gradient shows as None.
 */
public final class TutorialGradients {
    private TutorialGradients() {}

    public static void print(PrintStream out) {
        out.println();
        out.println("# 3. tf.gradients and tf.stop_gradient");
        for (String line : lines()) out.println(line);
    }

    /** The four printed results, in the tutorial's order. */
    public static List<String> lines() {
        return List.of(matmulGradient(), twoYsWithGradYs(), stopGradientBlocks(), stopGradientOtherPath());
    }

    /** y = w1 @ [[9], [10]] with w1 = [[1, 2]]: dy/dw1 = [[9, 10]], printed as {@code [[ 9. 10.]]}. */
    static String matmulGradient() {
        try (Graph g = new Graph()) {
            INDArray w = Nd4j.create(new float[] {1, 2}, new long[] {1, 2}, DataType.FLOAT);
            INDArray c = Nd4j.create(new float[] {9, 10}, new long[] {2, 1}, DataType.FLOAT);
            Tensor w1 = g.variable("w1", w);
            Tensor y = Ops.matmul(w1, g.constant(c));
            INDArray grad = g.run(Gradients.gradient(y, w1));
            String s = NumpyText.str(grad);
            close(grad, w, c);
            return s;
        }
    }

    /** y1 = w1 + w2 + w3, y2 = w3 + w4, grad_ys = ([1, 2], [3, 4]): w3 gets the sum of both. */
    static String twoYsWithGradYs() {
        try (Graph g = new Graph()) {
            List<INDArray> made = new ArrayList<>();
            List<Tensor> w = new ArrayList<>();
            for (int i = 1; i <= 4; i++) {
                INDArray v = Nd4j.create(new float[] {0.1f * i, -0.2f * i}, new long[] {2}, DataType.FLOAT); // any values
                made.add(v);
                w.add(g.variable("w" + i, v));
            }
            Tensor y1 = Ops.add(Ops.add(w.get(0), w.get(1)), w.get(2));
            Tensor y2 = Ops.add(w.get(2), w.get(3));
            INDArray gy1 = Nd4j.create(new float[] {1, 2}, new long[] {2}, DataType.FLOAT);
            INDArray gy2 = Nd4j.create(new float[] {3, 4}, new long[] {2}, DataType.FLOAT);
            made.add(gy1);
            made.add(gy2);
            List<Tensor> grads = Gradients.gradients(List.of(y1, y2), w, List.of(g.constant(gy1), g.constant(gy2)));
            List<INDArray> values = g.run(grads, java.util.Map.of());
            StringBuilder b = new StringBuilder("[");
            for (INDArray v : values) {
                b.append(b.length() > 1 ? ", " : "").append(NumpyText.repr(v));
                made.add(v);
            }
            made.forEach(TutorialGradients::close);
            return b.append("]").toString();
        }
    }

    /** a = 3 w1, b = stop_gradient(a) * w2, w1 = w2 = 2: [None, 6.0]. */
    static String stopGradientBlocks() {
        try (Graph g = new Graph()) {
            INDArray two1 = Nd4j.scalar(DataType.FLOAT, 2.0);
            INDArray two2 = Nd4j.scalar(DataType.FLOAT, 2.0);
            Tensor w1 = g.variable("w1", two1);
            Tensor w2 = g.variable("w2", two2);
            Tensor a = Ops.mul(w1, 3.0);
            Tensor b = Ops.mul(Ops.stopGradient(a), w2);
            String s = show(g, Gradients.gradients(b, List.of(w1, w2)));
            close(two1, two2);
            return s;
        }
    }

    /** c = a + b, e = stop_gradient(c) + (a + b), a = b = 1: the second path still carries [1.0, 1.0]. */
    static String stopGradientOtherPath() {
        try (Graph g = new Graph()) {
            INDArray one1 = Nd4j.scalar(DataType.FLOAT, 1.0);
            INDArray one2 = Nd4j.scalar(DataType.FLOAT, 1.0);
            Tensor a = g.variable("a", one1);
            Tensor b = g.variable("b", one2);
            Tensor c = Ops.add(a, b);
            Tensor d = Ops.add(a, b);
            Tensor e = Ops.add(Ops.stopGradient(c), d);
            String s = show(g, Gradients.gradients(e, List.of(a, b)));
            close(one1, one2);
            return s;
        }
    }

    /** Python's print of a list of session results: None for a missing gradient. */
    private static String show(Graph g, List<Tensor> grads) {
        StringBuilder b = new StringBuilder("[");
        for (Tensor t : grads) {
            if (b.length() > 1) b.append(", ");
            if (t == null) {
                b.append("None");
            } else {
                INDArray v = g.run(t);
                b.append(NumpyText.scalar(v));
                v.close();
            }
        }
        return b.append("]").toString();
    }

    private static void close(INDArray... arrays) {
        for (INDArray a : arrays) Arrays2.close(a);
    }
}
