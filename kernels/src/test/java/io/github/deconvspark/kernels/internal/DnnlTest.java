package io.github.deconvspark.kernels.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.Window;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The fast path is taken: oneDNN serves the common float32 convolutions (VGG/ResNet/MobileNet shapes, each direction)
 * with a JIT kernel, not its reference one, and float64 stays on our own code. (Their values are judged by the TF
 * differential and naive-loop tests, which run through this path.)
 */
class DnnlTest {
    private static ConvGeometry geometry(int n, int h, int c, int k, int oc, int s, Padding pad, boolean depthwise) {
        ConvParams p = ConvParams.of("conv2d", new int[] {1, s, s, 1}, pad, DataFormat.NHWC, new int[] {1, 1, 1, 1});
        long[] x = {n, h, h, c};
        return depthwise ? p.depthwiseGeometry("depthwise_conv2d", x, new long[] {k, k, c, 1})
                : p.geometry("conv2d", x, new long[] {k, k, c, oc});
    }

    @Test
    void commonGeometriesRunOnJitKernels() {
        ConvGeometry[] cases = {
            geometry(8, 224, 3, 3, 64, 1, Padding.SAME, false),
            geometry(8, 56, 128, 3, 128, 2, Padding.SAME, false),
            geometry(8, 28, 256, 3, 256, 1, Padding.VALID, false),
            geometry(8, 14, 512, 1, 512, 1, Padding.VALID, false),
            geometry(8, 112, 32, 3, 32, 2, Padding.SAME, true),
        };
        for (ConvGeometry g : cases) {
            for (Dnnl.Kind kind : Dnnl.Kind.values()) {
                String impl = Dnnl.implementation(kind, g);
                assertNotNull(impl, kind + " " + g + ": oneDNN refused it");
                assertTrue(!impl.startsWith("ref"), kind + " " + g + ": " + impl);
                assertTrue(Dnnl.supports(kind, g, DataType.FLOAT));
                assertTrue(!Dnnl.supports(kind, g, DataType.DOUBLE), "float64 has no oneDNN convolution");
            }
        }
    }

    @Test
    void rightPaddingFollowsOneDnnsFloorRule() {
        // VALID, stride 2, 224 -> 111: TF leaves input cell 223 unused; oneDNN needs right padding 0 there.
        assertEquals(0, Dnnl.padRight(new Window(224, 3, 2, 1, 0, 0, 111)));
        // SAME, stride 2, 224 -> 112: TF pads 0 before and 1 after.
        assertEquals(1, Dnnl.padRight(new Window(224, 3, 2, 1, 0, 1, 112)));
        // conv2d_transpose 28 -> 56, k3 s2 SAME, as the forward conv 56 -> 28.
        assertEquals(1, Dnnl.padRight(new Window(56, 3, 2, 1, 0, 1, 28)));
    }
}
