package io.github.deconvspark.models.keras;

import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.ops.Clip;
import java.util.Arrays;

/** Activation, ReLU (max_value, negative_slope, threshold), LeakyReLU (alpha / negative_slope) and PReLU (shared_axes). */
final class ActivationLayers {
    private ActivationLayers() {}

    static Tensor activation(KerasGraphBuilder b, KerasLayer l, Tensor x) {
        return b.activation(l, "activation").apply(x, b.keras3);
    }

    /**
     * Keras' relu(x, negative_slope, max_value, threshold), in its own order: x * [x &gt; threshold] (or relu, or relu6
     * when max_value is 6), clipped to [0, max_value], minus negative_slope * relu(threshold - x).
     */
    static Tensor relu(KerasLayer l, Tensor x) {
        Cfg c = l.cfg;
        Double max = c.realOrNull("max_value");
        double slope = c.real("negative_slope", 0), t = c.real("threshold", 0);
        if (max != null && max < 0) throw c.error("max_value", "= " + max + " must be >= 0");
        if (slope < 0) throw c.error("negative_slope", "= " + slope + " must be >= 0");
        if (t < 0) throw c.error("threshold", "= " + t + " must be >= 0 (Keras refuses negative thresholds)");
        if (slope != 0 && max == null && t == 0) return KerasActivation.leaky(x, slope);
        Tensor y;
        boolean clip = max != null;
        if (t != 0) {
            y = Threshold.apply(x, t);
        } else if (max != null && max == 6) {
            y = Clip.relu6(x);
            clip = false;
        } else {
            y = Ops.relu(x);
        }
        if (clip) y = Clip.apply(y, 0, max);
        if (slope != 0) y = Ops.sub(y, Ops.mul(Ops.relu(t != 0 ? Ops.add(Ops.neg(x), t) : Ops.neg(x)), slope));
        return y;
    }

    static Tensor leakyRelu(KerasLayer l, Tensor x) {
        Cfg c = l.cfg;
        Double alpha = c.realOrNull("alpha"), slope = c.realOrNull("negative_slope");
        if (alpha != null && slope != null && !alpha.equals(slope)) {
            throw c.error("alpha " + alpha + " and negative_slope " + slope + " disagree");
        }
        double a = slope != null ? slope : alpha != null ? alpha : 0.3;
        if (a < 0) throw c.error("negative_slope", "= " + a + " must be >= 0");
        return KerasActivation.leaky(x, a);
    }

    /** relu(x) - alpha * relu(-x), alpha of the input's shape without the batch, 1 along shared_axes. */
    static Tensor prelu(KerasGraphBuilder b, KerasLayer l, Tensor x) {
        Cfg c = l.cfg;
        c.inert("alpha_initializer", "alpha_regularizer", "alpha_constraint");
        long[] shape = Arrays.copyOfRange(x.shape(), 1, x.rank());
        Object sa = c.raw("shared_axes");
        long[] axes = sa == null ? new long[0] : sa instanceof java.util.List<?> ? c.longs("shared_axes") : new long[] {c.integer("shared_axes", 0)};
        for (long a : axes) {
            if (a < 1 || a >= x.rank()) throw c.error("shared_axes", Arrays.toString(axes) + " must name axes 1.." + (x.rank() - 1));
            shape[(int) a - 1] = 1;
        }
        Tensor alpha = b.weight(l, "alpha", shape);
        return Ops.sub(Ops.relu(x), Ops.mul(alpha, Ops.relu(Ops.neg(x))));
    }
}
