package io.github.deconvspark.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The tutorial's examples (../shared/seed), with the values it prints. */
class TutorialTest {
    private static final int[] S2 = {1, 2, 2, 1};

    private static INDArray ones4x4() {
        return Nd4j.ones(DataType.FLOAT, 1, 4, 4, 1);
    }

    private static INDArray kernel() {
        return Nd4j.create(new float[] {1, 0, -1, -2}, new long[] {2, 2, 1, 1}, DataType.FLOAT);
    }

    @Test
    void convolutionThenTransposeValidAndSame() {
        for (Padding p : new Padding[] {Padding.VALID, Padding.SAME}) {
            INDArray conv = Conv2D.conv2d(ones4x4(), kernel(), S2, p, DataFormat.NHWC, new int[] {1});
            assertArrayEquals(new long[] {1, 2, 2, 1}, conv.shape(), p.toString());
            assertArrayEquals(new float[] {-2, -2, -2, -2}, conv.data().asFloat(), p.toString());
            INDArray back = Conv2D.conv2dTranspose(conv, kernel(), new long[] {1, 4, 4, 1}, S2, p, DataFormat.NHWC, new int[] {1});
            assertArrayEquals(new long[] {1, 4, 4, 1}, back.shape());
            assertArrayEquals(new float[] {-2, 0, -2, 0, 2, 4, 2, 4, -2, 0, -2, 0, 2, 4, 2, 4}, back.data().asFloat(), p.toString());
        }
    }

    /** The tutorial's 4x4x2 image: channel 0 holds the row number, channel 1 the row number + 4. */
    static INDArray poolingImage() {
        float[] v = new float[32];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                v[(y * 4 + x) * 2] = y;
                v[(y * 4 + x) * 2 + 1] = y + 4;
            }
        }
        return Nd4j.create(v, new long[] {1, 4, 4, 2}, DataType.FLOAT);
    }

    @Test
    void maxPoolArgmaxAndUnpool() {
        INDArray img = poolingImage();
        int[] k = {1, 2, 2, 1};
        INDArray pooled = Pool2D.maxPool(img, k, k, Padding.SAME, DataFormat.NHWC);
        float[] expected = {1, 5, 1, 5, 3, 7, 3, 7};
        assertArrayEquals(expected, pooled.data().asFloat());

        MaxPoolWithArgmax pa = Pool2D.maxPoolWithArgmax(img, k, k, Padding.SAME, false);
        assertArrayEquals(expected, pa.output().data().asFloat());
        // Ties in every window: the first maximum in row-major order, row 1 (or 3), column 0 (or 2).
        assertArrayEquals(new long[] {8, 9, 12, 13, 24, 25, 28, 29}, pa.argmax().data().asLong());

        INDArray unpooled = Unpool2D.maxUnpool(pa.output(), pa.argmax(), new long[] {1, 4, 4, 2}, false);
        float[] u = new float[32];
        u[8] = 1; u[9] = 5; u[12] = 1; u[13] = 5; u[24] = 3; u[25] = 7; u[28] = 3; u[29] = 7;
        assertArrayEquals(u, unpooled.data().asFloat());
    }

    @Test
    void avgUnpoolFillsEachWindowWithItsValue() {
        INDArray img = poolingImage();
        int[] k = {2, 2};
        INDArray pooled = Pool2D.avgPool(img, k, k, Padding.SAME, DataFormat.NHWC);
        assertArrayEquals(new float[] {0.5f, 4.5f, 0.5f, 4.5f, 2.5f, 6.5f, 2.5f, 6.5f}, pooled.data().asFloat());
        INDArray up = Unpool2D.avgUnpool(pooled, new long[] {1, 4, 4, 2}, k, k, Padding.SAME, DataFormat.NHWC);
        float[] expected = new float[32];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                expected[(y * 4 + x) * 2] = y < 2 ? 0.5f : 2.5f;
                expected[(y * 4 + x) * 2 + 1] = y < 2 ? 4.5f : 6.5f;
            }
        }
        assertArrayEquals(expected, up.data().asFloat());
    }
}
