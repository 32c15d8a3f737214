package io.github.deconvspark.models.keras;

import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;

/**
 * Conv2D (strides, padding, dilation_rate, groups), DepthwiseConv2D (depth_multiplier), SeparableConv2D and
 * Conv2DTranspose (output_padding), NHWC with Keras' filter layouts, which are TF's: [kh, kw, in / groups, filters],
 * [kh, kw, in, multiplier], and [kh, kw, filters, in] for the transposed one. Keras' rules are kept: strides and
 * dilation_rate cannot both exceed 1; output_padding must be smaller than the strides.
 */
final class ConvLayers {
    private ConvLayers() {}

    static final String[] INIT = {"kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
            "kernel_constraint", "bias_constraint"};
    static final String[] DEPTHWISE_INIT = {"depthwise_initializer", "depthwise_regularizer", "depthwise_constraint"};
    static final String[] POINTWISE_INIT = {"pointwise_initializer", "pointwise_regularizer", "pointwise_constraint"};

    /** The window of a conv layer: kernel_size, strides, padding, dilation_rate (checked together, as Keras checks them). */
    record Window(int[] kernel, int[] strides, int[] dilations, Padding padding) {
        ConvParams params(String op) {
            return ConvParams.of(op, new int[] {1, strides[0], strides[1], 1}, padding, DataFormat.NHWC,
                    new int[] {1, dilations[0], dilations[1], 1});
        }

        ConvParams params(String op, int groups) {
            return ConvParams.of(op, new int[] {1, strides[0], strides[1], 1}, padding, DataFormat.NHWC,
                    new int[] {1, dilations[0], dilations[1], 1}, groups);
        }
    }

    static Window window(Cfg c) {
        c.channelsLast();
        int[] k = c.ints("kernel_size", 2, null, 1);
        int[] s = c.ints("strides", 2, new int[] {1, 1}, 1);
        int[] d = c.ints("dilation_rate", 2, new int[] {1, 1}, 1);
        String p = c.oneOf("padding", "valid", "valid", "same");
        if (Math.max(s[0], s[1]) > 1 && Math.max(d[0], d[1]) > 1) {
            throw c.error("strides > 1 together with dilation_rate > 1 is not supported (Keras refuses it too)");
        }
        return new Window(k, s, d, p.equals("same") ? Padding.SAME : Padding.VALID);
    }

    static Tensor conv2d(KerasGraphBuilder b, KerasLayer l, Tensor x) {
        Cfg c = l.cfg;
        Window w = window(c);
        long filters = positive(c, "filters");
        long groups = c.integer("groups", 1);
        long in = channels(l, x);
        if (groups < 1 || in % groups != 0 || filters % groups != 0) {
            throw c.error("groups", "= " + groups + " must divide the input's " + in + " channels and the " + filters + " filters");
        }
        c.inert(INIT);
        Tensor k = b.weight(l, "kernel", w.kernel[0], w.kernel[1], in / groups, filters);
        Tensor y = Ops.conv2d(x, k, w.params("Conv2D", (int) groups));
        return finish(b, l, y, filters);
    }

    static Tensor depthwise(KerasGraphBuilder b, KerasLayer l, Tensor x) {
        Cfg c = l.cfg;
        Window w = window(c);
        long m = positive(c, "depth_multiplier", 1);
        c.only("groups", 1L, "DepthwiseConv2D has one group per channel");
        c.inert(DEPTHWISE_INIT);
        c.inert(INIT);
        long in = channels(l, x);
        Tensor k = b.weight(l, "depthwise_kernel", w.kernel[0], w.kernel[1], in, m);
        return finish(b, l, Ops.depthwiseConv2d(x, k, w.params("DepthwiseConv2dNative")), in * m);
    }

    /** tf.nn.separable_conv2d: the depthwise conv (strides, padding, dilations), then a 1x1 pointwise conv. */
    static Tensor separable(KerasGraphBuilder b, KerasLayer l, Tensor x) {
        Cfg c = l.cfg;
        Window w = window(c);
        long m = positive(c, "depth_multiplier", 1);
        long filters = positive(c, "filters");
        c.only("groups", 1L, "SeparableConv2D takes no groups");
        c.inert(DEPTHWISE_INIT);
        c.inert(POINTWISE_INIT);
        c.inert(INIT);
        long in = channels(l, x);
        Tensor dk = b.weight(l, "depthwise_kernel", w.kernel[0], w.kernel[1], in, m);
        Tensor pk = b.weight(l, "pointwise_kernel", 1, 1, in * m, filters);
        Tensor y = Ops.depthwiseConv2d(x, dk, w.params("DepthwiseConv2dNative"));
        y = Ops.conv2d(y, pk, ConvParams.of("Conv2D", new int[] {1, 1, 1, 1}, Padding.VALID, DataFormat.NHWC, new int[] {1, 1, 1, 1}));
        return finish(b, l, y, filters);
    }

    /**
     * Conv2DTranspose: the output size is Keras' deconv_output_length (SAME: in * s, VALID: in * s + max(k - s, 0); with
     * output_padding: (in - 1) * s + k - 2 * pad + output_padding, pad = k / 2 for SAME), then TF's conv2d_transpose.
     */
    static Tensor transpose(KerasGraphBuilder b, KerasLayer l, Tensor x) {
        Cfg c = l.cfg;
        Window w = window(c);
        long filters = positive(c, "filters");
        c.only("groups", 1L, "Conv2DTranspose takes no groups");
        int[] op = c.has("output_padding") ? c.ints("output_padding", 2, null, 0) : null;
        c.raw("output_padding");
        c.inert(INIT);
        long in = channels(l, x);
        long[] out = {x.size(0), 0, 0, filters};
        for (int a = 0; a < 2; a++) {
            long n = x.size(1 + a), k = (long) (w.kernel[a] - 1) * w.dilations[a] + 1, s = w.strides[a];
            boolean same = w.padding == Padding.SAME;
            if (op == null) {
                out[1 + a] = same ? n * s : n * s + Math.max(k - s, 0);
            } else {
                if (op[a] >= s) throw c.error("output_padding", java.util.Arrays.toString(op) + " must be smaller than the strides "
                        + java.util.Arrays.toString(w.strides));
                out[1 + a] = (n - 1) * s + k - 2 * (same ? k / 2 : 0) + op[a];
            }
        }
        Tensor k = b.weight(l, "kernel", w.kernel[0], w.kernel[1], filters, in);
        Tensor y = Ops.conv2dTranspose(x, k, out, new int[] {1, w.strides[0], w.strides[1], 1}, w.padding, DataFormat.NHWC,
                new int[] {1, w.dilations[0], w.dilations[1], 1});
        return finish(b, l, y, filters);
    }

    /** use_bias and activation, the tail of every conv layer. */
    private static Tensor finish(KerasGraphBuilder b, KerasLayer l, Tensor y, long channels) {
        if (l.cfg.bool("use_bias", true)) y = Ops.biasAdd(y, b.weight(l, "bias", channels));
        return b.activation(l, "activation").apply(y, b.keras3);
    }

    static long channels(KerasLayer l, Tensor x) {
        if (x.rank() != 4) throw l.error("its input " + java.util.Arrays.toString(x.shape()) + " must be 4-D NHWC");
        return x.size(3);
    }

    static long positive(Cfg c, String k) {
        if (!c.has(k)) throw c.error(k, "is missing");
        return positive(c, k, 0);
    }

    static long positive(Cfg c, String k, long dflt) {
        long v = c.integer(k, dflt);
        if (v < 1 || v > Integer.MAX_VALUE) throw c.error(k, "= " + v + " must be a positive integer");
        return v;
    }
}
