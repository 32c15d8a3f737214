package io.github.deconvspark.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.PoolParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Every validation rule: an IllegalArgumentException naming the op, the values given and the rule. */
class ErrorMessageTest {
    private static final DataFormat F = DataFormat.NHWC;
    private static final int[] ONE = {1};
    private static final int[] TWO = {2};

    private static INDArray x(long... shape) {
        return Nd4j.rand(DataType.FLOAT, shape);
    }

    private static void fails(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    @Test
    void conv2dArguments() {
        fails(() -> Conv2D.conv2d(x(4, 4, 1), x(2, 2, 1, 1), ONE, Padding.SAME, F, ONE), "conv2d", "input", "4-D", "[4, 4, 1]");
        fails(() -> Conv2D.conv2d(x(1, 4, 4, 2), x(2, 2, 3, 1), ONE, Padding.SAME, F, ONE), "conv2d", "2 channels", "[2, 2, 3, 1]");
        fails(() -> Conv2D.conv2d(x(1, 2, 2, 1), x(3, 3, 1, 1), ONE, Padding.VALID, F, ONE), "conv2d", "VALID", "height (2)", "3");
        fails(() -> Conv2D.conv2d(x(1, 4, 4, 1), x(2, 2, 1, 1), new int[] {2, 2, 2, 1}, Padding.SAME, F, ONE),
                "conv2d", "strides", "[2, 2, 2, 1]", "batch and channel");
        fails(() -> Conv2D.conv2d(x(1, 4, 4, 1), x(2, 2, 1, 1), new int[] {1, 2, 3}, Padding.SAME, F, ONE),
                "conv2d", "strides", "3 entries", "1, 2 or 4");
        fails(() -> Conv2D.conv2d(x(1, 4, 4, 1), x(2, 2, 1, 1), new int[] {0}, Padding.SAME, F, ONE), "strides", ">= 1");
        fails(() -> Conv2D.conv2d(x(1, 4, 4, 1), x(2, 2, 1, 1), ONE, Padding.SAME, F, new int[] {0, 1}), "dilations", ">= 1");
        fails(() -> Conv2D.conv2d(Nd4j.rand(DataType.DOUBLE, 1, 4, 4, 1), x(2, 2, 1, 1), ONE, Padding.SAME, F, ONE),
                "conv2d", "DOUBLE", "FLOAT", "same type");
        fails(() -> Conv2D.conv2d(Nd4j.create(DataType.INT, 1, 4, 4, 1), Nd4j.create(DataType.INT, 2, 2, 1, 1), ONE,
                Padding.SAME, F, ONE), "conv2d", "INT", "FLOAT and DOUBLE");
        fails(() -> Padding.explicit(-1, 0, 0, 0), "explicit padding", ">= 0");
        fails(() -> Padding.parse("FULL"), "FULL", "SAME, VALID");
    }

    @Test
    void groupedAndDepthwiseArguments() {
        fails(() -> Conv2D.conv2d(x(1, 4, 4, 6), x(2, 2, 2, 4), ONE, Padding.SAME, F, ONE),
                "conv2d", "6 channels = 3 groups", "4 out-channels", "not a multiple of 3 groups");
        fails(() -> ConvParams.of("conv2d", ONE, Padding.SAME, F, ONE, 2).geometry("conv2d", new long[] {1, 4, 4, 6}, new long[] {2, 2, 2, 6}),
                "conv2d", "groups 2 given", "6 / 2 = 3 groups");
        fails(() -> ConvParams.of("conv2d", ONE, Padding.SAME, F, ONE, 0), "conv2d", "groups 0", ">= 1");
        fails(() -> Conv2D.conv2dTranspose(x(1, 2, 2, 4), x(2, 2, 1, 4), new long[] {1, 4, 4, 3}, TWO, Padding.SAME, F, ONE),
                "conv2d_transpose", "output_shape channels 3", "multiple g", "in_channels 4");
        fails(() -> DepthwiseConv2D.depthwiseConv2d(x(1, 4, 4, 3), x(2, 2, 2, 1), ONE, Padding.SAME, F, ONE),
                "depthwise_conv2d", "3 channels", "expects 2", "[kh, kw, in, multiplier]");
        fails(() -> DepthwiseConv2D.depthwiseConv2dBackpropInput(new long[] {1, 4, 4, 3}, x(2, 2, 3, 2), x(1, 4, 4, 5), ONE, Padding.SAME,
                F, ONE), "depthwise_conv2d_backprop_input", "value has 5 channels", "in x multiplier is 6");
        fails(() -> DepthwiseConv2D.depthwiseConv2dBackpropInput(new long[] {1, 4, 4, 2}, x(2, 2, 3, 2), x(1, 4, 4, 6), ONE, Padding.SAME,
                F, ONE), "input_sizes channels 2", "in_channels 3");
        fails(() -> DepthwiseConv2D.depthwiseConv2dBackpropInput(new long[] {1, 7, 4, 3}, x(2, 2, 3, 1), x(1, 2, 2, 3), TWO, Padding.SAME,
                F, ONE), "input_sizes height 7", "3 <= height <= 4");
        fails(() -> DepthwiseConv2D.depthwiseConv2dBackpropFilter(x(1, 4, 4, 2), new long[] {2, 2, 2, 1}, x(1, 3, 3, 2), TWO, Padding.SAME,
                F, ONE), "depthwise_conv2d_backprop_filter", "out_backprop [1, 3, 3, 2]", "depthwise conv output", "[1, 2, 2, 2]");
    }

    @Test
    void poolingOptionsAndTypes() {
        fails(() -> PoolParams.builder("max_pool", TWO, ONE, Padding.SAME, F).dilations(0).build(), "max_pool", "dilations", ">= 1");
        PoolParams between = PoolParams.builder("max_pool", TWO, ONE, Padding.explicit(1, 1, 0, 0), F).dilations(3, 1).build();
        fails(() -> Pool2D.maxPool(x(1, 2, 2, 1), between), "max_pool", "window 0 along height", "dilation 3", "holds no cell");
        fails(() -> PoolParams.builder("avg_pool", TWO, ONE, Padding.explicit(2, 0, 0, 0), F).ceilMode(true).build(),
                "avg_pool", "explicit padding", "smaller than ksize");
        fails(() -> Pool2D.avgPool(Nd4j.create(DataType.INT, 1, 4, 4, 1), TWO, TWO, Padding.SAME, F), "avg_pool", "INT", "FLOAT and DOUBLE");
        fails(() -> Pool2D.maxPool(Nd4j.create(DataType.LONG, 1, 4, 4, 1), TWO, TWO, Padding.SAME, F),
                "max_pool", "LONG", "INT (int32) and UBYTE (uint8)");
        fails(() -> Pool2D.maxPoolGrad(Nd4j.create(DataType.INT, 1, 4, 4, 1), Nd4j.create(DataType.INT, 1, 2, 2, 1), TWO, TWO, Padding.SAME, F),
                "max_pool_grad", "INT", "FLOAT and DOUBLE");
    }

    @Test
    void conv2dTransposeOutputShape() {
        INDArray value = x(1, 2, 2, 1);
        INDArray k = x(2, 2, 1, 1);
        fails(() -> Conv2D.conv2dTranspose(value, k, new long[] {1, 5, 4, 1}, TWO, Padding.SAME, F, ONE),
                "conv2d_transpose", "output_shape", "[1, 5, 4, 1]", "height 5", "3 <= height <= 4");
        fails(() -> Conv2D.conv2dTranspose(value, k, new long[] {1, 4, 6, 1}, TWO, Padding.VALID, F, ONE),
                "conv2d_transpose", "width 6", "4 <= width <= 5");
        fails(() -> Conv2D.conv2dTranspose(value, k, new long[] {2, 4, 4, 1}, TWO, Padding.SAME, F, ONE),
                "output_shape batch 2", "value's batch 1");
        fails(() -> Conv2D.conv2dTranspose(value, k, new long[] {1, 4, 4, 3}, TWO, Padding.SAME, F, ONE),
                "output_shape channels 3", "out_channels 1");
        fails(() -> Conv2D.conv2dTranspose(value, x(2, 2, 1, 4), new long[] {1, 4, 4, 1}, TWO, Padding.SAME, F, ONE),
                "value has 1 channels", "in_channels", "4");
        fails(() -> Conv2D.conv2dTranspose(value, k, new long[] {1, 4, 4}, TWO, Padding.SAME, F, ONE), "output_shape", "4 entries");
    }

    @Test
    void hugeOrMissingArgumentsAreRejectedNotWrapped() {
        // (k-1)*dilation+1 overflowing int would wrap to a wrong window.
        fails(() -> Conv2D.conv2d(x(1, 8, 1, 1), x(2, 1, 1, 1), ONE, Padding.SAME, F, new int[] {Integer.MAX_VALUE, 1}),
                "conv2d", "effective kernel", "2^30");
        fails(() -> Conv2D.conv2d(x(1, 4, 4, 1), x(2, 2, 1, 1), ONE, Padding.SAME, null, ONE), "conv2d", "data_format is null");
        fails(() -> Pool2D.avgPoolGrad(new long[] {1, 4294967300L, 4, 1}, x(1, 2, 2, 1), TWO, TWO, Padding.VALID, F),
                "avg_pool_grad", "orig_input_shape", "2147483647");
        fails(() -> Conv2D.conv2dTranspose(x(1, 256, 256, 1), x(4, 4, 2048, 1), new long[] {1, 1024, 1024, 2048},
                new int[] {4}, Padding.SAME, F, ONE), "conv2d_transpose", "output_shape", "split the batch");
        fails(() -> Unpool2D.maxUnpool(x(1, 1, 1, 1), Nd4j.zeros(DataType.LONG, 1, 1, 1, 1), new long[] {1, 1L << 32, 1L << 32, 1}, false),
                "max_unpool", "output_shape");
    }

    @Test
    void windowMuchLargerThanTheImageStaysFast() {
        INDArray img = x(1, 8, 8, 2);
        int[] k = {1 << 20};
        long t0 = System.nanoTime();
        INDArray max = Pool2D.maxPool(img, k, ONE, Padding.SAME, F);
        INDArray avg = Pool2D.avgPool(img, k, ONE, Padding.SAME, F);
        assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "a 2^20 window on an 8x8 image must not walk every tap");
        // Every SAME window covers the whole image: the global max and mean per channel.
        assertEquals(img.max(0, 1, 2).getDouble(0), max.getDouble(0), 0);
        assertEquals(img.mean(0, 1, 2).getDouble(1), avg.getDouble(1), 1e-6);
    }

    @Test
    void backpropFilterShapes() {
        fails(() -> Conv2D.conv2dBackpropFilter(x(1, 4, 4, 1), new long[] {2, 2, 1, 1}, x(1, 3, 3, 1), TWO, Padding.SAME, F, ONE),
                "conv2d_backprop_filter", "out_backprop [1, 3, 3, 1]", "[1, 2, 2, 1]");
    }

    @Test
    void poolingArguments() {
        fails(() -> Pool2D.maxPool(x(1, 2, 2, 1), new int[] {3}, ONE, Padding.VALID, F), "max_pool", "VALID", "height (2)");
        fails(() -> Pool2D.avgPool(x(1, 4, 4, 1), new int[] {2}, ONE, Padding.explicit(2, 0, 0, 0), F),
                "avg_pool", "explicit padding", "smaller than ksize");
        fails(() -> Pool2D.maxPoolGrad(x(1, 4, 4, 1), x(1, 3, 3, 1), TWO, TWO, Padding.SAME, F),
                "max_pool_grad", "grad [1, 3, 3, 1]", "[1, 2, 2, 1]");
        fails(() -> Pool2D.avgPoolGrad(new long[] {1, 4, 4}, x(1, 2, 2, 1), TWO, TWO, Padding.SAME, F), "orig_input_shape", "4 entries");
        fails(() -> Pool2D.maxPoolWithArgmax(x(1, 4, 4, 1), new int[] {1, 2, 2, 2}, TWO, Padding.SAME, false),
                "max_pool_with_argmax", "ksize", "batch and channel");
    }

    @Test
    void unpoolingArguments() {
        MaxPoolWithArgmax p = Pool2D.maxPoolWithArgmax(x(1, 4, 4, 2), TWO, TWO, Padding.SAME, false);
        fails(() -> Unpool2D.maxUnpool(p.output(), p.argmax(), new long[] {1, 4, 4, 3}, false), "max_unpool", "output_shape", "channels");
        fails(() -> Unpool2D.maxUnpool(p.output(), Nd4j.zeros(DataType.LONG, 1, 1, 2, 2), new long[] {1, 4, 4, 2}, false),
                "max_unpool", "argmax [1, 1, 2, 2]", "pooled's shape");
        INDArray bad = p.argmax().dup();
        bad.putScalar(new long[] {0, 0, 0, 0}, 1000L);
        fails(() -> Unpool2D.maxUnpool(p.output(), bad, new long[] {1, 4, 4, 2}, false), "max_unpool", "argmax value 1000", "image 0");
        INDArray wrongChannel = p.argmax().dup();
        wrongChannel.putScalar(new long[] {0, 0, 0, 0}, 1L);
        fails(() -> Unpool2D.maxUnpool(p.output(), wrongChannel, new long[] {1, 4, 4, 2}, false), "argmax value 1", "channel 0");
        fails(() -> Unpool2D.maxUnpool(p.output(), p.argmax().castTo(DataType.FLOAT), new long[] {1, 4, 4, 2}, false),
                "argmax has type FLOAT", "LONG and INT");
        fails(() -> Unpool2D.avgUnpool(p.output(), new long[] {1, 6, 6, 2}, TWO, TWO, Padding.SAME, F),
                "avg_unpool", "pooled [1, 2, 2, 2]", "[1, 3, 3, 2]");
    }
}
