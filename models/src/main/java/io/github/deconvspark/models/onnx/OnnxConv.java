package io.github.deconvspark.models.onnx;

import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.models.onnx.OnnxGraphBuilder.Val;
import java.util.Arrays;

/**
 * The windowed ops of an ONNX graph on the kernels, in NHWC: Conv (groups, depthwise, dilations, pads, auto_pad),
 * ConvTranspose (output_padding, output_shape, groups), BatchNormalization (inference), the global pools, and
 * MaxPool/AveragePool ({@link OnnxPool}). ONNX filters [out, in/groups, kh, kw] become TF's [kh, kw, in/groups, out]
 * once, at load time; a transposed convolution's [in, out/groups, kh, kw] becomes [kh, kw, out/groups, in].
 */
final class OnnxConv {
    private OnnxConv() {}

    static Val[] convert(OnnxGraphBuilder b, OnnxNode n) {
        return switch (n.op) {
            case "Conv" -> new Val[] {Val.nhwc(conv(b, n))};
            case "ConvTranspose" -> new Val[] {Val.nhwc(convTranspose(b, n))};
            case "MaxPool" -> OnnxPool.maxPool(b, n);
            case "AveragePool" -> new Val[] {Val.nhwc(OnnxPool.avgPool(b, n))};
            case "GlobalAveragePool" -> { n.allow(); yield new Val[] {Val.nhwc(Ops.reduceMean(b.nhwcInput(n, 0), true, 1, 2))}; }
            case "GlobalMaxPool" -> { n.allow(); yield new Val[] {Val.nhwc(Ops.reduceMax(b.nhwcInput(n, 0), true, 1, 2))}; }
            case "BatchNormalization" -> new Val[] {batchNorm(b, n)};
            default -> throw n.error("op " + n.op + " has no converter");
        };
    }

    /** The spatial window attributes shared by convolutions and pools, read and checked once. */
    record Spatial(int[] kernel, int[] strides, int[] dilations, Padding padding) {}

    /**
     * kernel_shape (checked against the filter's when one is given), strides, dilations, and pads/auto_pad as a Padding
     * over an input of [h, w]: SAME_UPPER is TF's SAME; SAME_LOWER puts the odd cell before.
     */
    static Spatial spatial(OnnxNode n, int[] filterHw, long h, long w, boolean dilated) {
        int[] k = n.ints32("kernel_shape", 2, filterHw);
        if (k == null) throw n.error("attribute kernel_shape is required");
        if (filterHw != null && !Arrays.equals(k, filterHw)) {
            throw n.error("kernel_shape " + Arrays.toString(k) + " differs from the weight's " + Arrays.toString(filterHw));
        }
        int[] s = n.ints32("strides", 2, new int[] {1, 1});
        int[] d = dilated ? n.ints32("dilations", 2, new int[] {1, 1}) : new int[] {1, 1};
        for (int v : k) if (v < 1) throw n.error("kernel_shape " + Arrays.toString(k) + " must be positive");
        for (int v : s) if (v < 1) throw n.error("strides " + Arrays.toString(s) + " must be positive");
        for (int v : d) if (v < 1) throw n.error("dilations " + Arrays.toString(d) + " must be positive");
        String auto = n.string("auto_pad", "NOTSET");
        int[] p = n.ints32("pads", 4, new int[4]);
        if (n.has("pads") && !auto.equals("NOTSET")) throw n.error("pads and auto_pad " + auto + " are both given; ONNX allows one");
        Padding padding = switch (auto) {
            case "NOTSET" -> {
                for (int v : p) if (v < 0) throw n.error("pads " + Arrays.toString(p) + " must be >= 0");
                yield Padding.explicit(p[0], p[2], p[1], p[3]);      // ONNX [top, left, bottom, right]
            }
            case "VALID" -> Padding.VALID;
            case "SAME_UPPER" -> Padding.SAME;
            case "SAME_LOWER" -> {
                int th = same(h, k[0], s[0], d[0]), tw = same(w, k[1], s[1], d[1]);
                yield Padding.explicit(th - th / 2, th / 2, tw - tw / 2, tw / 2);
            }
            default -> throw n.error("auto_pad '" + auto + "' is not legal (NOTSET, VALID, SAME_UPPER, SAME_LOWER)");
        };
        return new Spatial(k, s, d, padding);
    }

    /** Total SAME padding along one axis. */
    private static int same(long in, int k, int s, int d) {
        long out = (in + s - 1) / s;
        return (int) Math.max(0, (out - 1) * s + (long) (k - 1) * d + 1 - in);
    }

    private static int[] hw(long[] filter) { return new int[] {(int) filter[2], (int) filter[3]}; }

    private static Tensor conv(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        Val xv = b.floatVal(n, 0), wv = b.floatVal(n, 1);
        if (xv.rank() != 4 || wv.rank() != 4) {
            throw n.error("only 2-D convolutions are supported (input " + Arrays.toString(xv.shape()) + " and weight "
                    + Arrays.toString(wv.shape()) + " must be 4-D NCHW and [out, in/group, kh, kw])");
        }
        long[] ws = wv.shape(), xs = xv.shape();
        long group = n.integer("group", 1);
        if (group < 1 || xs[1] % group != 0 || ws[0] % group != 0 || ws[1] * group != xs[1]) {
            throw n.error("group " + group + " does not fit the input's " + xs[1] + " channels and the weight " + Arrays.toString(ws)
                    + " (in/group channels = weight dim 1, out channels divisible by group)");
        }
        Spatial sp = spatial(n, hw(ws), xs[2], xs[3], true);
        ConvParams p = ConvParams.of("Conv", new int[] {1, sp.strides[0], sp.strides[1], 1}, sp.padding, DataFormat.NHWC,
                new int[] {1, sp.dilations[0], sp.dilations[1], 1}, (int) group);
        Tensor x = b.nhwcInput(n, 0);
        Tensor y;
        if (group > 1 && group == xs[1] && ws[1] == 1) {
            // depthwise: [C*m, 1, kh, kw] -> [kh, kw, C, m] (output channel c*m + j is TF's depthwise order)
            Tensor w = b.reshape(wv.t(), xs[1], ws[0] / xs[1], ws[2], ws[3]);
            y = Ops.depthwiseConv2d(x, b.permute(w, 2, 3, 0, 1), ConvParams.of("Conv", p.strides(), p.padding(), DataFormat.NHWC,
                    p.dilations()));
        } else {
            y = Ops.conv2d(x, b.permute(wv.t(), 2, 3, 1, 0), p);
        }
        if (b.present(n, 2)) y = Ops.biasAdd(y, bias(b, n, 2, ws[0]));
        return y;
    }

    private static Tensor bias(OnnxGraphBuilder b, OnnxNode n, int i, long channels) {
        Tensor bias = b.t(n, i);
        if (bias.rank() != 1 || bias.size(0) != channels) {
            throw n.error("bias " + Arrays.toString(bias.shape()) + " must be [" + channels + "] (one per output channel)");
        }
        return bias;
    }

    /**
     * ConvTranspose as TF's conv2d_transpose with explicit pads: the output size is ONNX's
     * s*(in-1) + output_padding + (k-1)*d+1 - pads (or output_shape, with the pads it implies).
     */
    private static Tensor convTranspose(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads", "strides");
        Val xv = b.floatVal(n, 0), wv = b.floatVal(n, 1);
        if (xv.rank() != 4 || wv.rank() != 4) {
            throw n.error("only 2-D transposed convolutions are supported (input " + Arrays.toString(xv.shape()) + ", weight "
                    + Arrays.toString(wv.shape()) + ")");
        }
        long[] ws = wv.shape(), xs = xv.shape();
        long group = n.integer("group", 1);
        if (group < 1 || ws[0] != xs[1] || xs[1] % group != 0) {
            throw n.error("the weight " + Arrays.toString(ws) + " must be [in, out/group, kh, kw] for an input of " + xs[1]
                    + " channels and group " + group);
        }
        long outC = ws[1] * group;
        int[] k = n.ints32("kernel_shape", 2, hw(ws));
        if (!Arrays.equals(k, hw(ws))) throw n.error("kernel_shape " + Arrays.toString(k) + " differs from the weight's " + Arrays.toString(hw(ws)));
        int[] s = n.ints32("strides", 2, new int[] {1, 1});
        int[] d = n.ints32("dilations", 2, new int[] {1, 1});
        int[] op = n.ints32("output_padding", 2, new int[2]);
        int[] outShape = n.ints32("output_shape", 2, null);
        String auto = n.string("auto_pad", "NOTSET");
        int[] pads = n.ints32("pads", 4, new int[4]);
        long[] out = new long[2];
        int[] pb = new int[2], pe = new int[2];
        for (int a = 0; a < 2; a++) {
            if (s[a] < 1 || d[a] < 1 || op[a] < 0) throw n.error("strides, dilations must be positive and output_padding >= 0");
            if (op[a] >= s[a]) {
                throw n.error("output_padding " + Arrays.toString(op) + " must be smaller than the strides " + Arrays.toString(s)
                        + " (larger ones add rows no input reaches, which TF's conv2d_transpose does not define)");
            }
            long ke = (long) (k[a] - 1) * d[a] + 1;
            long full = (long) s[a] * (xs[2 + a] - 1) + op[a] + ke;
            if (outShape != null || !auto.equals("NOTSET")) {
                long target = outShape != null ? outShape[a] : xs[2 + a] * s[a];
                long total = full - target;
                if (total < 0) throw n.error("output_shape " + Arrays.toString(outShape) + " is larger than the transposed convolution reaches");
                boolean upper = auto.equals("SAME_UPPER");
                pb[a] = (int) (upper ? total / 2 : total - total / 2);
                pe[a] = (int) (total - pb[a]);
                out[a] = target;
            } else {
                pb[a] = pads[a];
                pe[a] = pads[a + 2];
                if (pb[a] < 0 || pe[a] < 0) throw n.error("pads " + Arrays.toString(pads) + " must be >= 0");
                out[a] = full - pb[a] - pe[a];
            }
            if (out[a] < 1) throw n.error("the output would have " + out[a] + " rows/columns along axis " + (2 + a));
        }
        ConvParams p = ConvParams.of("ConvTranspose", new int[] {1, s[0], s[1], 1}, Padding.explicit(pb[0], pe[0], pb[1], pe[1]),
                DataFormat.NHWC, new int[] {1, d[0], d[1], 1}, (int) group);
        Tensor x = b.nhwcInput(n, 0);
        Tensor y = Ops.conv2dTranspose(x, b.permute(wv.t(), 2, 3, 1, 0), new long[] {xs[0], out[0], out[1], outC}, p);
        if (b.present(n, 2)) y = Ops.biasAdd(y, bias(b, n, 2, outC));
        return y;
    }

    private static Val batchNorm(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("epsilon", "momentum", "spatial", "training_mode");
        if (n.integer("training_mode", 0) != 0) throw n.error("training_mode=1 is not supported (inference only)");
        if (n.integer("spatial", 1) != 1) throw n.error("spatial=0 is not supported");
        for (int k = 1; k < n.outputs(); k++) {
            if (!n.output(k).isEmpty()) throw n.error("its running mean/variance outputs are training outputs: not supported (inference only)");
        }
        Val x = b.floatVal(n, 0);
        long c = x.shape().length >= 2 ? x.shape()[1] : -1;
        Tensor scale = b.t(n, 1), bias = b.t(n, 2), mean = b.t(n, 3), var = b.t(n, 4);
        for (Tensor t : new Tensor[] {scale, bias, mean, var}) {
            if (t.rank() != 1 || t.size(0) != c) throw n.error("scale, B, mean and var must be [" + c + "] (one per channel), got " + Arrays.toString(t.shape()));
        }
        double eps = n.real("epsilon", 1e-5f);
        if (x.rank() == 2) {     // [N, C]: normalize per column
            Tensor inv = Ops.div(scale, Ops.sqrt(Ops.add(var, eps)));
            return Val.of(Ops.add(Ops.mul(Ops.sub(x.t(), mean), inv), bias));
        }
        if (x.rank() != 4) throw n.error("input " + Arrays.toString(x.shape()) + " must be 4-D NCHW (or 2-D)");
        return Val.nhwc(Ops.batchNormInference(b.nhwcInput(n, 0), mean, var, bias, scale, eps, DataFormat.NHWC));
    }
}
