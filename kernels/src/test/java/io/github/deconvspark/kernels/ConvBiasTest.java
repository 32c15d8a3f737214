package io.github.deconvspark.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Conv2D#conv2dBias}: the convolution and its bias in one pass equal, bit for bit, the convolution followed by
 * a separate float32 add of the bias (so fusing the two in a graph changes no result), for plain, strided, padded,
 * grouped and depthwise geometries, with special values in the bias.
 */
class ConvBiasTest {
    static void check(long[] x, long[] filter, int stride, Padding pad, boolean depthwise) {
        Nd4j.getRandom().setSeed(x[1] * 31 + filter[3]);
        INDArray in = Nd4j.randn(DataType.FLOAT, x), w = Nd4j.randn(DataType.FLOAT, filter);
        ConvParams p = ConvParams.of("conv2d", new int[] {1, stride, stride, 1}, pad, DataFormat.NHWC, new int[] {1, 1, 1, 1});
        ConvGeometry g = depthwise ? p.depthwiseGeometry("depthwise_conv2d", x, filter) : p.geometry("conv2d", x, filter);
        float[] b = Nd4j.randn(DataType.FLOAT, g.oc()).data().asFloat();
        b[0] = -0f;
        if (b.length > 2) b[2] = Float.POSITIVE_INFINITY;
        INDArray bias = Nd4j.create(b, new long[] {g.oc()}, 'c');
        INDArray fused = Conv2D.conv2dBias(in, w, bias, p, g);
        assertNotNull(fused, g + ": not served");
        float[] conv = Conv2D.conv2d(in, w, p, g).data().asFloat(), got = fused.data().asFloat();
        assertArrayEquals(new long[] {g.n(), g.h().out(), g.w().out(), g.oc()}, fused.shape());
        for (int i = 0; i < got.length; i++) {
            float want = conv[i] + b[i % b.length];
            assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i]), g + " cell " + i + ": conv " + conv[i] + " + bias "
                    + b[i % b.length] + " = " + want + ", fused " + got[i]);
        }
    }

    @Test void fusedBiasEqualsASeparateAdd() {
        check(new long[] {2, 17, 17, 3}, new long[] {3, 3, 3, 32}, 1, Padding.VALID, false);
        check(new long[] {2, 20, 20, 64}, new long[] {3, 3, 64, 64}, 1, Padding.SAME, false);
        check(new long[] {1, 15, 15, 32}, new long[] {3, 3, 32, 48}, 2, Padding.SAME, false);
        check(new long[] {2, 9, 9, 256}, new long[] {1, 1, 256, 512}, 1, Padding.VALID, false);
        check(new long[] {2, 16, 16, 32}, new long[] {3, 3, 32, 1}, 2, Padding.SAME, true);
        check(new long[] {1, 12, 12, 8}, new long[] {5, 5, 8, 2}, 1, Padding.VALID, true);
    }

    @Test void otherCasesAreLeftToTheCaller() {
        long[] x = {1, 8, 8, 4}, f = {3, 3, 4, 8};
        ConvParams p = ConvParams.of("conv2d", new int[] {1, 1, 1, 1}, Padding.VALID, DataFormat.NHWC, new int[] {1, 1, 1, 1});
        ConvGeometry g = p.geometry("conv2d", x, f);
        INDArray in = Nd4j.rand(DataType.DOUBLE, x), w = Nd4j.rand(DataType.DOUBLE, f);
        assertNull(Conv2D.conv2dBias(in, w, Nd4j.rand(DataType.DOUBLE, 8), p, g), "float64");
        assertNull(Conv2D.conv2dBias(in.castTo(DataType.FLOAT), w.castTo(DataType.FLOAT), Nd4j.rand(DataType.FLOAT, 7), p, g),
                "a bias of the wrong length");
    }
}
