package io.github.deconvspark.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Releasing a thread's scratch buffers between calls changes nothing but memory. */
class KernelMemoryTest {
    @Test
    void kernelsWorkAfterTheirBuffersAreReleased() {
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 9, 9, 3);
        INDArray f = Nd4j.rand(DataType.FLOAT, 3, 3, 3, 4);
        int[] s2 = {2};
        // Explicit asymmetric padding takes the im2col path, which uses the scratch buffers.
        Padding p = Padding.explicit(0, 1, 1, 0);
        INDArray before = Conv2D.conv2dBackpropFilter(x, f.shape(), Conv2D.conv2d(x, f, s2, p, DataFormat.NHWC, new int[] {1}),
                s2, p, DataFormat.NHWC, new int[] {1});
        KernelMemory.releaseThreadBuffers();
        INDArray after = Conv2D.conv2dBackpropFilter(x, f.shape(), Conv2D.conv2d(x, f, s2, p, DataFormat.NHWC, new int[] {1}),
                s2, p, DataFormat.NHWC, new int[] {1});
        assertEquals(before, after);
    }
}
