package io.github.deconvspark.kernels.internal;

import io.github.deconvspark.kernels.shape.Window;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J (libnd4j + oneDNN) ops we delegate to where they are both right and fast: conv2d,
 * deconv2d at its one natural output size, max and average pooling. Their padding is symmetric
 * or SAME (libnd4j computes SAME exactly as TF does, the odd cell after), so callers check
 * {@link #padsFit} first. Every delegation is covered by the TensorFlow differential tests.
 */
public final class Nd4jOps {
    private Nd4jOps() {}

    /**
     * Whether libnd4j can express this window's padding: SAME (flag), VALID, or explicit padding with
     * the same amount before and after. Returns null when it cannot, else {pad, sameFlag}.
     */
    public static int[] padsFit(Window h, Window w, boolean same) {
        // Measured against TF: libnd4j fails (oneDNN: "execution failed") with dilations and gives wrong
        // values when a window is smaller than its stride; those stay on our own code.
        if (h.dilation() != 1 || w.dilation() != 1 || h.k() < h.stride() || w.k() < w.stride()) return null;
        if (same) return new int[] {0, 0, 1};
        if (h.padBefore() != h.padAfter() || w.padBefore() != w.padAfter()) return null;
        return new int[] {h.padBefore(), w.padBefore(), 0};
    }

    /** conv2d; filter [kh, kw, in, out]; x and out in the given layout. */
    public static void conv2d(INDArray x, INDArray filter, INDArray out, Window h, Window w, int[] pads, boolean nhwc) {
        exec("conv2d", new INDArray[] {x, filter}, out, h.k(), w.k(), h.stride(), w.stride(), pads[0], pads[1],
                h.dilation(), w.dilation(), pads[2], nhwc ? 1 : 0, 0);
    }

    /** deconv2d (TF conv2d_transpose at its natural output size); filter [kh, kw, out, in]. */
    public static void deconv2d(INDArray value, INDArray filter, INDArray out, Window h, Window w, int[] pads, boolean nhwc) {
        exec("deconv2d", new INDArray[] {value, filter}, out, h.k(), w.k(), h.stride(), w.stride(), pads[0], pads[1],
                h.dilation(), w.dilation(), pads[2], nhwc ? 1 : 0, 0);
    }

    /** The output size deconv2d produces along one dimension for a value of size {@code in}. */
    public static int deconvSize(int in, Window fwd, boolean same) {
        return same ? in * fwd.stride() : (in - 1) * fwd.stride() + fwd.extent() - 2 * fwd.padBefore();
    }

    public static void maxPool(INDArray x, INDArray out, Window h, Window w, int[] pads, boolean nhwc) {
        exec("maxpool2d", new INDArray[] {x}, out, h.k(), w.k(), h.stride(), w.stride(), pads[0], pads[1], 1, 1, pads[2], 0,
                nhwc ? 1 : 0);
    }

    /** Average pooling dividing by the real (non-padded) cells of each window (extraParam0 = 0). */
    public static void avgPool(INDArray x, INDArray out, Window h, Window w, int[] pads, boolean nhwc) {
        exec("avgpool2d", new INDArray[] {x}, out, h.k(), w.k(), h.stride(), w.stride(), pads[0], pads[1], 1, 1, pads[2], 0,
                nhwc ? 1 : 0);
    }

    private static void exec(String name, INDArray[] inputs, INDArray out, int... iArgs) {
        Nd4j.exec(DynamicCustomOp.builder(name).addInputs(inputs).addOutputs(out).addIntegerArguments(iArgs).build());
    }
}
