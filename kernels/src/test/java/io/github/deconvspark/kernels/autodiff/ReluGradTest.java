package io.github.deconvspark.kernels.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** ReLU's backward under the three rules, at the kink too: TF's ReluGrad passes nothing at x == 0. */
class ReluGradTest {
    @Test
    void rulesAtNegativeZeroAndPositiveInputs() {
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            try (Graph g = new Graph()) {
                Tensor x = g.variable("x", Nd4j.create(new double[] {-2, 0, 3, 0.5}, new long[] {4}).castTo(t));
                Tensor gy = g.constant("gy", Nd4j.create(new double[] {5, 7, -1, 2}, new long[] {4}).castTo(t));
                Tensor y = Ops.relu(x);
                double[][] expected = {{0, 0, -1, 2}, {5, 7, 0, 2}, {0, 0, 0, 2}};
                ReluRule[] rules = {ReluRule.GRADIENT, ReluRule.DECONVNET, ReluRule.GUIDED};
                for (int i = 0; i < rules.length; i++) {
                    Tensor dx = Gradients.gradients(List.of(y), List.of(x), List.of(gy), List.of(),
                            Gradients.Unconnected.NONE, rules[i]).get(0);
                    assertArrayEquals(expected[i], g.run(dx, Map.of()).castTo(DataType.DOUBLE).toDoubleVector(), 0, rules[i] + " " + t);
                }
            }
        }
    }
}
