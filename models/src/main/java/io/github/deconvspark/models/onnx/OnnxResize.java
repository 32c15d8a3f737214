package io.github.deconvspark.models.onnx;

import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.onnx.OnnxGraphBuilder.Val;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ONNX Resize (opsets 10-17) and Upsample (7-9), modes nearest and linear, with every coordinate transformation mode
 * but tf_crop_and_resize and every nearest mode, computed as ONNX Runtime computes them (float32 coordinates). Each
 * resized axis is one interpolation matrix applied along it (a matmul, so gradients flow); the other axes must keep
 * their size. An NHWC value stays NHWC.
 */
final class OnnxResize {
    private OnnxResize() {}

    static Val convert(OnnxGraphBuilder b, OnnxNode n) {
        Val v = b.floatVal(n, 0);
        int r = v.rank();
        String mode, transform, nearest;
        float[] scales = null;
        long[] sizes = null;
        if (n.op.equals("Upsample")) {
            n.allow("mode", "scales");
            mode = n.string("mode", "nearest");
            transform = "asymmetric";
            nearest = "simple";
            scales = b.opset < 9 ? n.floats("scales") : b.floats(n, 1);
            if (scales == null) throw n.error("its scales must be constant");
        } else if (b.opset < 11) {
            n.allow("mode");
            mode = n.string("mode", "nearest");
            transform = "asymmetric";
            nearest = "simple";
            scales = b.floats(n, 1);
            if (scales == null) throw n.error("its scales (input 1) must be constant");
        } else {
            n.allow("mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value");
            mode = n.string("mode", "nearest");
            transform = n.string("coordinate_transformation_mode", "half_pixel");
            nearest = n.string("nearest_mode", "round_prefer_floor");
            if (n.integer("exclude_outside", 0) != 0) throw n.error("exclude_outside=1 is not supported");
            if (b.present(n, 2)) {
                scales = b.floats(n, 2);
                if (scales == null) throw n.error("its scales (input 2) must be constant");
                if (scales.length == 0) scales = null;
            }
            if (b.present(n, 3)) sizes = b.ints(n, 3, "sizes");
            if (scales != null && sizes != null) throw n.error("scales and sizes are both given; ONNX allows one");
            if (scales == null && sizes == null) throw n.error("neither scales nor sizes is given");
        }
        if (!mode.equals("nearest") && !mode.equals("linear") && !mode.equals("bilinear")) {
            throw n.error("mode '" + mode + "' is not supported (nearest, linear)");
        }
        boolean linear = !mode.equals("nearest");
        if (!Arrays.asList("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn").contains(transform)) {
            throw n.error("coordinate_transformation_mode '" + transform + "' is not supported (half_pixel, pytorch_half_pixel, "
                    + "align_corners, asymmetric, tf_half_pixel_for_nn)");
        }
        if (!Arrays.asList("round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple").contains(nearest)) {
            throw n.error("nearest_mode '" + nearest + "' is not legal (round_prefer_floor, round_prefer_ceil, floor, ceil)");
        }
        if ((scales != null && scales.length != r) || (sizes != null && sizes.length != r)) {
            throw n.error("scales/sizes must have one entry per axis of the input " + Arrays.toString(v.shape()));
        }
        long[] in = v.shape();
        Tensor x = v.t();
        for (int a = 0; a < r; a++) {
            long out = sizes != null ? sizes[a] : (long) Math.floor(in[a] * (double) scales[a]);
            float scale = sizes != null ? (float) sizes[a] / in[a] : scales[a];
            if (!(scale > 0) || out < 1) throw n.error("axis " + a + " would be resized to " + out + " (scale " + scale + ")");
            if (out > 1 << 16) throw n.error("axis " + a + " would be resized to " + out + " entries; at most 65536 are allowed");
            if (out == in[a] && scale == 1f) continue;
            INDArray m = matrix((int) in[a], (int) out, scale, linear, transform, nearest, b);
            x = along(b, x, OnnxGraphBuilder.physical(v, a), b.g.constant(m));
        }
        return OnnxMath.like(v, x);
    }

    /** Applies an [in, out] matrix along one axis of x. */
    private static Tensor along(OnnxGraphBuilder b, Tensor x, int axis, Tensor m) {
        int r = x.rank();
        int[] perm = new int[r];
        for (int k = 0, j = 0; k < r; k++) if (k != axis) perm[j++] = k;
        perm[r - 1] = axis;
        Tensor t = b.permute(x, perm);
        long[] s = t.shape();
        long rows = 1;
        for (int k = 0; k < r - 1; k++) rows *= s[k];
        Tensor y = Ops.matmul(Ops.reshape(t, rows, s[r - 1]), m);
        s[r - 1] = m.size(1);
        int[] back = new int[r];
        for (int k = 0; k < r; k++) back[perm[k]] = k;
        return b.permute(Ops.reshape(y, s), back);
    }

    /** The [in, out] interpolation matrix of one axis: column o holds the weights of output o. */
    static INDArray matrix(int in, int out, float scale, boolean linear, String transform, String nearest, OnnxGraphBuilder b) {
        float[][] w = new float[in][out];
        for (int o = 0; o < out; o++) {
            float xo = original(o, in, out, scale, transform);
            if (linear) {
                float c = Math.max(0f, Math.min(xo, in - 1));
                int x1 = Math.min((int) c, in - 1), x2 = Math.min(x1 + 1, in - 1);
                float f = c - x1;
                w[x1][o] += 1f - f;
                w[x2][o] += f;
            } else {
                long i = round(xo, nearest, scale < 1f);
                w[(int) Math.max(0, Math.min(in - 1, i))][o] = 1f;
            }
        }
        INDArray m = Nd4j.create(w);
        return m.dataType() == b.dtype ? m : m.castTo(b.dtype);
    }

    /** The input coordinate of output coordinate o (ONNX Runtime's float arithmetic). */
    static float original(int o, int in, int out, float scale, String transform) {
        return switch (transform) {
            case "half_pixel" -> (o + 0.5f) / scale - 0.5f;
            case "pytorch_half_pixel" -> out > 1 ? (o + 0.5f) / scale - 0.5f : 0f;
            case "align_corners" -> out == 1 ? 0f : o * (float) (in - 1) / (out - 1);
            case "tf_half_pixel_for_nn" -> (o + 0.5f) / scale;
            default -> o / scale;                                        // asymmetric
        };
    }

    static long round(float x, String mode, boolean downsample) {
        return switch (mode) {
            case "round_prefer_floor" -> x == (float) Math.floor(x) + 0.5f ? (long) Math.floor(x) : Math.round(x);
            case "round_prefer_ceil" -> (long) Math.floor(x + 0.5f);
            case "floor" -> (long) Math.floor(x);
            case "ceil" -> (long) Math.ceil(x);
            default -> downsample ? (long) Math.ceil(x) : (long) x;    // simple (Upsample, Resize-10)
        };
    }
}
