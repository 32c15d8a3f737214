package io.github.deconvspark.kernels.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Wrong arguments fail when the graph is built (or fed), with messages naming what was given, TF style. */
class AutodiffErrorMessageTest {

    static String message(Executable e) {
        return assertThrows(IllegalArgumentException.class, e).getMessage();
    }

    static void contains(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "'" + p + "' not in: " + message);
    }

    @Test
    void gradYsCountAndShape() {
        try (Graph g = new Graph()) {
            Tensor a = g.placeholder("a", DataType.FLOAT, 2);
            Tensor b = g.placeholder("b", DataType.FLOAT, 3);
            Tensor gy = g.placeholder("gy", DataType.FLOAT, 2);
            assertEquals("Passed 1 grad_ys for 2 ys", message(() -> Gradients.gradients(List.of(a, b), List.of(a), List.of(gy))));
            contains(message(() -> Gradients.gradients(List.of(b), List.of(b), List.of(gy))),
                    "grad_ys[0] 'gy' [2] FLOAT", "ys[0] 'b' [3] FLOAT", "shape and type");
            Tensor gd = g.placeholder("gd", DataType.DOUBLE, 2);
            contains(message(() -> Gradients.gradients(List.of(a), List.of(a), List.of(gd))), "'gd' [2] DOUBLE", "'a' [2] FLOAT");
        }
    }

    @Test
    void tensorsOfAnotherGraph() {
        try (Graph g = new Graph(); Graph h = new Graph()) {
            Tensor a = g.placeholder("a", DataType.FLOAT, 2);
            Tensor b = h.placeholder("b", DataType.FLOAT, 2);
            contains(message(() -> Ops.add(a, b)), "belongs to another graph");
            contains(message(() -> Gradients.gradient(a, b)), "belongs to another graph");
        }
    }

    @Test
    void shapesAtBuildTime() {
        try (Graph g = new Graph()) {
            Tensor a = g.placeholder("a", DataType.FLOAT, 2, 3);
            Tensor b = g.placeholder("b", DataType.FLOAT, 4);
            contains(message(() -> Ops.add(a, b)), "AddV2", "[2, 3]", "[4]", "do not broadcast");
            contains(message(() -> Ops.matmul(a, a)), "MatMul", "inner dimensions", "3 columns", "2 rows");
            contains(message(() -> Ops.reshape(a, 4, 2)), "Reshape", "6 elements", "[4, 2]");
            contains(message(() -> Ops.reduceSum(a, false, 2)), "axis 2 is out of range for rank 2");
            Tensor x = g.placeholder("x", DataType.FLOAT, 1, 5, 5, 3);
            Tensor w = g.placeholder("w", DataType.FLOAT, 3, 3, 2, 4);
            contains(message(() -> Ops.conv2d(x, w, new int[] {1}, Padding.SAME)), "has 3 channels", "expects 2");
            Tensor w3 = g.placeholder("w3", DataType.FLOAT, 3, 3, 3, 4);
            Tensor v = g.placeholder("v", DataType.FLOAT, 1, 3, 3, 3);
            contains(message(() -> Ops.conv2dTranspose(v, w3, new long[] {1, 9, 9, 3}, new int[] {2}, Padding.SAME, DataFormat.NHWC,
                    new int[] {1})), "Conv2DBackpropInput", "[1, 9, 9, 3]", "legal heights 5..6");
            contains(message(() -> Ops.maxPool(x, new int[] {7}, new int[] {1}, Padding.VALID, DataFormat.NHWC)), "MaxPool", "VALID", "(5)", "= 7");
            contains(message(() -> Ops.biasAdd(x, g.placeholder("bias", DataType.FLOAT, 4))), "BiasAdd", "3 entries");
        }
    }

    @Test
    void feedsAtRunTime() {
        try (Graph g = new Graph()) {
            Tensor x = g.placeholder("x", DataType.FLOAT, 2);
            Tensor y = Ops.square(x);
            contains(message(() -> g.run(y)), "placeholder 'x' [2] FLOAT must be fed");
            contains(message(() -> g.run(y, Map.of(x, Nd4j.ones(DataType.FLOAT, 3)))), "'x' [2] FLOAT", "[3] FLOAT", "static");
            contains(message(() -> g.run(y, Map.of(x, Nd4j.ones(DataType.DOUBLE, 2)))), "[2] DOUBLE");
        }
    }
}
