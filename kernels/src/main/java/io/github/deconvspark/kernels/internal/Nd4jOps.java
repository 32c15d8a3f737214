package io.github.deconvspark.kernels.internal;

import io.github.deconvspark.kernels.shape.Window;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J (libnd4j + oneDNN) ops we delegate to where they are both right and fast: conv2d and
 * max and average pooling. (deconv2d is right only at one output size and 5-15x slower than TF
 * here, so transposed convolutions stay on our own code.) Their padding is symmetric
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
        // libnd4j walks every tap of a window, padded ones too: a window larger than the input would take
        // O(k^2) per cell (ksize 2^20 on an 8x8 image never finishes); our loops clamp to the input.
        if (h.k() > h.in() || w.k() > w.in()) return null;
        // libnd4j sizes its output from the padding: a ceil-mode window reaching past the padded input is ours.
        if (h.overhang() > 0 || w.overhang() > 0) return null;
        if (same) return new int[] {0, 0, 1};
        if (h.padBefore() != h.padAfter() || w.padBefore() != w.padAfter()) return null;
        return new int[] {h.padBefore(), w.padBefore(), 0};
    }

    /** conv2d; filter [kh, kw, in, out]; x and out in the given layout. */
    public static void conv2d(INDArray x, INDArray filter, INDArray out, Window h, Window w, int[] pads, boolean nhwc) {
        exec("conv2d", new INDArray[] {x, filter}, out, h.k(), w.k(), h.stride(), w.stride(), pads[0], pads[1],
                h.dilation(), w.dilation(), pads[2], nhwc ? 1 : 0, 0);
    }

    /**
     * The stride-1 input gradient (conv2d_transpose) as a conv2d of dy with the filter flipped in
     * space and with in/out swapped, padded by reach - pad on each side. libnd4j's conv2d runs at
     * TF's speed, its transposed ops do not. Only where {@link #backpropInputFitsConv} says so.
     */
    public static void backpropInputAsConv(INDArray dy, INDArray filter, INDArray dx, Window h, Window w, boolean nhwc) {
        INDArray flipped = flip(filter);
        int[] pads = {h.k() - 1 - h.padBefore(), w.k() - 1 - w.padBefore(), 0};
        conv2d(dy, flipped, dx, h, w, pads, nhwc);
        flipped.close();
    }

    /** Stride 1, no dilation, symmetric padding within the kernel's reach, >= 16 channels on both sides. */
    public static boolean backpropInputFitsConv(Window h, Window w, int dyChannels, int dxChannels) {
        return h.stride() == 1 && w.stride() == 1 && h.dilation() == 1 && w.dilation() == 1
                && dyChannels >= 16 && dxChannels >= 16
                && h.padBefore() == h.padAfter() && w.padBefore() == w.padAfter()
                && h.padBefore() <= h.k() - 1 && w.padBefore() <= w.k() - 1;
    }

    /** [kh, kw, c, oc] to [kh, kw, oc, c], reversed in kh and kw (libnd4j's reverse op is ~100x slower). */
    static INDArray flip(INDArray filter) {
        int kh = (int) filter.size(0), kw = (int) filter.size(1), c = (int) filter.size(2), oc = (int) filter.size(3);
        Buf src = Buf.of(filter);
        INDArray out = Nd4j.createUninitialized(filter.dataType(), kh, kw, oc, c);
        Buf dst = Buf.of(out);
        int tap = c * oc;
        Parallel.ranges(kh * kw, 1, (a, b) -> {
            Object in = src.newHeap(tap);
            Object flipped = src.newHeap(tap);
            for (int t = a; t < b; t++) {
                int from = (kh * kw - 1 - t) * tap;
                src.toHeap(from, in, 0, tap);
                transpose(in, c, oc, flipped);
                dst.fromHeap(t * tap, flipped, 0, tap);
            }
        });
        return out;
    }

    /** out[j][i] = in[i][j] for an rows x cols heap matrix. */
    private static void transpose(Object in, int rows, int cols, Object out) {
        if (in instanceof float[] f) {
            float[] o = (float[]) out;
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) o[j * rows + i] = f[i * cols + j];
        } else {
            double[] f = (double[]) in;
            double[] o = (double[]) out;
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) o[j * rows + i] = f[i * cols + j];
        }
    }

    /**
     * TF's MaxPoolGrad through libnd4j's maxpool2d_bp: each window's gradient goes to its first
     * maximum in row-major window order (checked against TF and, with ties, against a naive loop).
     */
    public static void maxPoolGrad(INDArray x, INDArray dy, INDArray dx, Window h, Window w, int[] pads, boolean nhwc) {
        Nd4j.exec(DynamicCustomOp.builder("maxpool2d_bp").addInputs(x, dy).addOutputs(dx)
                .addIntegerArguments(h.k(), w.k(), h.stride(), w.stride(), pads[0], pads[1], 1, 1, pads[2], 0, nhwc ? 1 : 0)
                .build());
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
