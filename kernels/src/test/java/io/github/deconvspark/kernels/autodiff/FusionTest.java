package io.github.deconvspark.kernels.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Fusion}: a CNN block (conv, bias, ReLU, batch-norm as Mul and AddV2; a depthwise conv, bias, channel affine)
 * run with only its output fetched fuses conv+bias and mul+add, and gives the same bits as a run that fetches the
 * intermediates (so nothing is fused); gradients through the block too.
 */
class FusionTest {
    static final int[] ONE = {1, 1}, TWO = {2, 2};

    static final class Block {
        final Graph g = new Graph();
        final Tensor x, conv, bias, relu, mul, out, dw, dwBias, affine, loss;
        final INDArray image;

        Block(DataType type) {
            Nd4j.getRandom().setSeed(5);
            image = Nd4j.randn(type, 2, 21, 21, 3);
            x = g.placeholder("x", type, 2, 21, 21, 3);
            conv = Ops.conv2d(x, g.variable("w", Nd4j.randn(type, 3, 3, 3, 16)), ONE, Padding.VALID);
            bias = Ops.biasAdd(conv, g.variable("b", Nd4j.randn(type, 16)));
            relu = Ops.relu(bias);
            mul = Ops.mul(relu, g.variable("scale", Nd4j.rand(type, 16)));
            out = Ops.add(mul, g.variable("offset", Nd4j.randn(type, 1, 1, 1, 16)));
            dw = Ops.depthwiseConv2d(out, g.variable("dw", Nd4j.randn(type, 3, 3, 16, 2)), TWO, Padding.SAME, DataFormat.NHWC,
                    new int[] {1, 1});
            dwBias = Ops.biasAdd(dw, g.variable("db", Nd4j.randn(type, 32)));
            affine = Ops.channelAffine(dwBias, g.variable("s2", Nd4j.rand(type, 32)), g.variable("o2", Nd4j.randn(type, 32)),
                    DataFormat.NHWC);
            loss = Ops.reduceSum(Ops.mul(affine, affine));
        }
    }

    static float[] floats(INDArray a) {
        return a.castTo(DataType.FLOAT).data().asFloat();
    }

    @Test void fusedRunsEqualUnfusedRunsBitForBit() {
        Block b = new Block(DataType.FLOAT);
        long before = Fusion.FUSED.sum();
        INDArray fused = b.g.run(b.affine, Map.of(b.x, b.image));
        assertEquals(4, Fusion.FUSED.sum() - before, "conv+bias, mul+add, depthwise+bias, mul+bias fused");
        before = Fusion.FUSED.sum();
        List<INDArray> apart = b.g.run(List.of(b.affine, b.conv, b.mul, b.dw, b.dwBias), Map.of(b.x, b.image));
        assertEquals(1, Fusion.FUSED.sum() - before, "only the last Mul (its result not fetched) fused");
        assertArrayEquals(floats(apart.get(0)), floats(fused));
        List<INDArray> none = b.g.run(List.of(b.affine, b.conv, b.mul, b.dw, Ops.mul(b.dwBias, 1.0)), Map.of(b.x, b.image));
        assertArrayEquals(floats(none.get(0)), floats(fused), "dwBias read twice: nothing fused");

        // gradients: the backward graph reads the forward values it needs; results equal with and without fusion
        List<Tensor> grads = Gradients.gradients(List.of(b.loss), List.of(b.x));
        before = Fusion.FUSED.sum();
        INDArray g1 = b.g.run(grads.get(0), Map.of(b.x, b.image));
        assertTrue(Fusion.FUSED.sum() > before, "nothing fused in the gradient run");
        INDArray g2 = b.g.run(List.of(grads.get(0), b.conv, b.bias, b.mul, b.dw, b.dwBias), Map.of(b.x, b.image)).get(0);
        assertArrayEquals(floats(g2), floats(g1));
    }

    @Test void float64IsNotFused() {
        Block b = new Block(DataType.DOUBLE);
        long before = Fusion.FUSED.sum();
        b.g.run(b.affine, Map.of(b.x, b.image));
        assertEquals(0, Fusion.FUSED.sum() - before);
    }
}
