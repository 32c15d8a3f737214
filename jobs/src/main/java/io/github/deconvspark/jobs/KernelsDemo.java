package io.github.deconvspark.jobs;

import static io.github.deconvspark.kernels.NumpyText.shape;

import io.github.deconvspark.kernels.Conv2D;
import io.github.deconvspark.kernels.MaxPoolWithArgmax;
import io.github.deconvspark.kernels.NumpyText;
import io.github.deconvspark.kernels.Pool2D;
import io.github.deconvspark.kernels.Unpool2D;
import io.github.deconvspark.kernels.autodiff.TutorialGradients;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.io.PrintStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code bin/deconv-spark kernels-demo}: every example of the tutorial (../shared/seed), run on
 * our kernels and printed as the tutorial prints it.
 */
public final class KernelsDemo {
    private KernelsDemo() {}

    public static void main(String[] args) {
        run(System.out);
    }

    public static void run(PrintStream out) {
        deconvolution(out);
        unpooling(out);
        TutorialGradients.print(out);
    }

    /** Part two: conv2d then conv2d_transpose on a 4x4 image of ones, VALID and SAME. */
    static void deconvolution(PrintStream out) {
        out.println("# 1. conv2d and conv2d_transpose (deconvolution)");
        INDArray img = Nd4j.ones(DataType.FLOAT, 1, 4, 4, 1);
        INDArray kernel = Nd4j.create(new float[] {1.0f, 0, -1, -2}, new long[] {2, 2, 1, 1}, DataType.FLOAT);
        int[] strides = {1, 2, 2, 1};
        int[] noDilation = {1, 1, 1, 1};
        INDArray conv = Conv2D.conv2d(img, kernel, strides, Padding.VALID, DataFormat.NHWC, noDilation);
        INDArray cons = Conv2D.conv2d(img, kernel, strides, Padding.SAME, DataFormat.NHWC, noDilation);
        out.println(shape(conv));
        out.println(shape(cons));
        long[] outputShape = {1, 4, 4, 1};
        INDArray contv = Conv2D.conv2dTranspose(conv, kernel, outputShape, strides, Padding.VALID, DataFormat.NHWC, noDilation);
        INDArray conts = Conv2D.conv2dTranspose(cons, kernel, outputShape, strides, Padding.SAME, DataFormat.NHWC, noDilation);
        out.println("kernel:\n " + NumpyText.str(kernel));
        out.println("conv:\n " + NumpyText.str(conv));
        out.println("cons:\n " + NumpyText.str(cons));
        out.println("contv:\n " + NumpyText.str(contv));
        out.println("conts:\n " + NumpyText.str(conts));
    }

    /** Part four: max pool, max pool with argmax (on the CPU here) and un_max_pool on a 4x4x2 image. */
    static void unpooling(PrintStream out) {
        out.println();
        out.println("# 2. max_pool_with_argmax and un_max_pool (unpooling)");
        float[] v = new float[32];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                v[(y * 4 + x) * 2] = y;
                v[(y * 4 + x) * 2 + 1] = y + 4;
            }
        }
        INDArray img = Nd4j.create(v, new long[] {1, 4, 4, 2}, DataType.FLOAT);
        int[] k = {1, 2, 2, 1};
        INDArray pooling1 = Pool2D.maxPool(img, k, k, Padding.SAME, DataFormat.NHWC);
        MaxPoolWithArgmax pooling2 = Pool2D.maxPoolWithArgmax(img, k, k, Padding.SAME, false);
        INDArray img2 = Unpool2D.maxUnpool(pooling2.output(), pooling2.argmax(), img.shape(), false);
        out.println("image:");
        out.println(NumpyText.str(img));
        out.println("max_pool:\n " + NumpyText.str(pooling1));
        out.println("max_pool_with_argmax:\n " + NumpyText.str(pooling2.output()) + " " + NumpyText.str(pooling2.argmax()));
        out.println("un_max_pool " + NumpyText.str(img2));
    }
}
