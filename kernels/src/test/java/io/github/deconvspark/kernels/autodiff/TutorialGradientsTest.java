package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.NumpyText;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The tutorial's four tf.gradients / tf.stop_gradient cases, with its values and its printing. */
class TutorialGradientsTest {

    @Test
    void matmulGradientIsTheTransposedFactor() {
        try (Graph g = new Graph()) {
            Tensor w1 = g.variable("w1", Nd4j.create(new float[] {1, 2}, new long[] {1, 2}, DataType.FLOAT));
            Tensor y = Ops.matmul(w1, g.constant(Nd4j.create(new float[] {9, 10}, new long[] {2, 1}, DataType.FLOAT)));
            INDArray grad = g.run(Gradients.gradient(y, w1));
            assertArrayEquals(new long[] {1, 2}, grad.shape());
            assertArrayEquals(new float[] {9, 10}, grad.data().asFloat());
        }
    }

    @Test
    void twoYsWithGradYsSumAtTheSharedVariable() {
        try (Graph g = new Graph()) {
            Tensor[] w = new Tensor[4];
            for (int i = 0; i < 4; i++) w[i] = g.variable("w" + (i + 1), Nd4j.rand(DataType.FLOAT, 2));
            Tensor y1 = Ops.add(Ops.add(w[0], w[1]), w[2]);
            Tensor y2 = Ops.add(w[2], w[3]);
            Tensor gy1 = g.constant(Nd4j.create(new float[] {1, 2}, new long[] {2}, DataType.FLOAT));
            Tensor gy2 = g.constant(Nd4j.create(new float[] {3, 4}, new long[] {2}, DataType.FLOAT));
            List<INDArray> r = g.run(Gradients.gradients(List.of(y1, y2), List.of(w), List.of(gy1, gy2)), Map.of());
            assertArrayEquals(new float[] {1, 2}, r.get(0).data().asFloat());
            assertArrayEquals(new float[] {1, 2}, r.get(1).data().asFloat());
            assertArrayEquals(new float[] {4, 6}, r.get(2).data().asFloat());
            assertArrayEquals(new float[] {3, 4}, r.get(3).data().asFloat());
        }
    }

    @Test
    void stopGradientLeavesTheBlockedVariableWithoutGradient() {
        try (Graph g = new Graph()) {
            Tensor w1 = g.variable("w1", Nd4j.scalar(DataType.FLOAT, 2.0));
            Tensor w2 = g.variable("w2", Nd4j.scalar(DataType.FLOAT, 2.0));
            Tensor b = Ops.mul(Ops.stopGradient(Ops.mul(w1, 3.0)), w2);
            List<Tensor> grads = Gradients.gradients(b, List.of(w1, w2));
            assertNull(grads.get(0));
            assertNotNull(grads.get(1));
            assertEquals(0, g.run(grads.get(1)).rank());
            assertEquals(6.0f, g.run(grads.get(1)).getFloat(0));
        }
    }

    @Test
    void stopGradientOnOnePathLeavesTheOther() {
        try (Graph g = new Graph()) {
            Tensor a = g.variable("a", Nd4j.scalar(DataType.FLOAT, 1.0));
            Tensor b = g.variable("b", Nd4j.scalar(DataType.FLOAT, 1.0));
            Tensor e = Ops.add(Ops.stopGradient(Ops.add(a, b)), Ops.add(a, b));
            List<Tensor> grads = Gradients.gradients(e, List.of(a, b));
            assertEquals(1.0f, g.run(grads.get(0)).getFloat(0));
            assertEquals(1.0f, g.run(grads.get(1)).getFloat(0));
        }
    }

    @Test
    void printsAsTheTutorial() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TutorialGradients.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String expected = "\n# 3. tf.gradients and tf.stop_gradient\n"
                + "[[ 9. 10.]]\n"
                + "[array([1., 2.], dtype=float32), array([1., 2.], dtype=float32), array([4., 6.], dtype=float32), "
                + "array([3., 4.], dtype=float32)]\n"
                + "[None, 6.0]\n"
                + "[1.0, 1.0]\n";
        assertEquals(expected, bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"));
    }

    @Test
    void numpyTextOfOtherShapes() {
        INDArray a = Nd4j.create(new float[] {1.5f, -2, 10.25f, 0}, new long[] {2, 2}, DataType.FLOAT);
        assertEquals("[[ 1.5  -2.  ]\n [10.25  0.  ]]", NumpyText.str(a));
        assertEquals("array([[ 1.5 , -2.  ],\n       [10.25,  0.  ]], dtype=float32)", NumpyText.repr(a));
    }
}
