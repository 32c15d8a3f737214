package io.github.deconvspark.models.keras;

import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.DataFormat;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Dense (on the last axis of any rank), BatchNormalization (inference: moving statistics; the last axis only),
 * Flatten, Reshape, Dropout (identity at inference), Rescaling, and the merges Add, Multiply, Concatenate.
 */
final class CoreLayers {
    private CoreLayers() {}

    static Tensor dense(KerasGraphBuilder b, KerasLayer l, Tensor x) {
        Cfg c = l.cfg;
        long units = ConvLayers.positive(c, "units");
        c.only("lora_rank", null, "LoRA-adapted Dense layers are not supported");
        c.only("quantization_config", null, "quantized Dense layers are not supported");
        c.inert("lora_alpha");
        c.inert(ConvLayers.INIT);
        if (x.rank() < 2) throw l.error("its input " + Arrays.toString(x.shape()) + " must have a batch and a feature axis");
        long in = x.size(x.rank() - 1);
        Tensor k = b.weight(l, "kernel", in, units);
        Tensor y;
        if (x.rank() == 2) {
            y = Ops.matmul(x, k);
        } else { // Keras' tensordot on the last axis
            long[] s = x.shape().clone();
            s[s.length - 1] = units;
            y = Ops.reshape(Ops.matmul(Ops.reshape(x, -1, in), k), s);
        }
        if (c.bool("use_bias", true)) y = Ops.biasAdd(y, b.weight(l, "bias", units));
        return b.activation(l, "activation").apply(y, b.keras3);
    }

    static Tensor batchNorm(KerasGraphBuilder b, KerasLayer l, Tensor x) {
        Cfg c = l.cfg;
        Object axis = c.raw("axis");
        if (axis instanceof List<?> list && list.size() == 1) axis = list.get(0);
        long a = axis == null ? -1 : c.integer("axis", axis);
        if (a < 0) a += x.rank();
        if (x.rank() < 2 || a != x.rank() - 1) {
            throw c.error("axis", "= " + Cfg.show(c.raw("axis")) + " is not supported for an input of " + Arrays.toString(x.shape())
                    + ": only the last axis (channels_last) is");
        }
        double eps = c.real("epsilon", 1e-3);
        if (!(eps > 0)) throw c.error("epsilon", "= " + eps + " must be > 0");
        c.only("renorm", false, "batch renormalization keeps other weights");
        c.only("virtual_batch_size", null, "ghost batch normalization is a training-time setting this loader does not build");
        c.only("adjustment", null, "a custom adjustment function");
        c.inert("momentum", "beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
                "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint", "synchronized", "fused",
                "renorm_clipping", "renorm_momentum");
        long ch = x.size(x.rank() - 1);
        Tensor gamma = c.bool("scale", true) ? b.weight(l, "gamma", ch) : b.constant(Nd4j.ones(ch));
        Tensor beta = c.bool("center", true) ? b.weight(l, "beta", ch) : b.constant(Nd4j.zeros(ch));
        Tensor mean = b.weight(l, "moving_mean", ch), var = b.weight(l, "moving_variance", ch);
        return Ops.batchNormInference(x, mean, var, beta, gamma, eps, DataFormat.NHWC);
    }

    static Tensor flatten(KerasLayer l, Tensor x) {
        l.cfg.channelsLast();
        return x.rank() == 2 ? x : Ops.reshape(x, x.size(0), -1);
    }

    static Tensor reshape(KerasLayer l, Tensor x) {
        long[] t = l.cfg.longs("target_shape");
        if (t == null) throw l.cfg.error("target_shape", "is missing");
        long[] s = new long[t.length + 1];
        s[0] = x.size(0);
        int unknown = 0;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == -1) unknown++;
            else if (t[i] < 1) throw l.cfg.error("target_shape", Arrays.toString(t) + " must hold positive sizes and at most one -1");
            s[i + 1] = t[i];
        }
        if (unknown > 1) throw l.cfg.error("target_shape", Arrays.toString(t) + " holds more than one -1");
        return Ops.reshape(x, s);
    }

    static Tensor dropout(KerasLayer l, Tensor x) {
        double rate = l.cfg.real("rate", 0);
        if (rate < 0 || rate >= 1) throw l.cfg.error("rate", "= " + rate + " must be in [0, 1)");
        l.cfg.inert("noise_shape", "seed");
        return x;
    }

    /** x * scale + offset (numbers, or per-channel lists), as Keras' and TF.js' Rescaling. */
    static Tensor rescaling(KerasGraphBuilder b, KerasLayer l, Tensor x) {
        Tensor y = Ops.mul(x, factor(b, l, "scale", 1, x));
        return Ops.add(y, factor(b, l, "offset", 0, x));
    }

    private static Tensor factor(KerasGraphBuilder b, KerasLayer l, String k, double dflt, Tensor x) {
        Object v = l.cfg.raw(k);
        if (!(v instanceof List<?> list)) return x.graph().scalar(l.cfg.real(k, dflt), x.dataType());
        double[] d = new double[list.size()];
        for (int i = 0; i < d.length; i++) {
            if (!(list.get(i) instanceof Number n)) throw l.cfg.error(k, Cfg.show(v) + " must be a number or a list of numbers");
            d[i] = n.doubleValue();
        }
        if (d.length != x.size(x.rank() - 1) && d.length != 1) {
            throw l.cfg.error(k, "has " + d.length + " entries for " + x.size(x.rank() - 1) + " channels");
        }
        return b.constant(Nd4j.createFromArray(d));
    }

    static Tensor merge(KerasLayer l, List<Tensor> in, boolean add) {
        Tensor y = in.get(0);
        for (int i = 1; i < in.size(); i++) {
            if (in.get(i).rank() != y.rank()) {
                throw l.error("inputs " + in.stream().map(t -> Arrays.toString(t.shape())).toList() + " have different ranks");
            }
            y = add ? Ops.add(y, in.get(i)) : Ops.mul(y, in.get(i));
        }
        return y;
    }

    static Tensor concatenate(KerasLayer l, List<Tensor> in) {
        int rank = in.get(0).rank();
        long a = l.cfg.integer("axis", -1);
        if (a < 0) a += rank;
        if (a < 1 || a >= rank) throw l.cfg.error("axis", "= " + l.cfg.raw("axis") + " is not an axis of rank-" + rank + " inputs (batch excluded)");
        for (Tensor t : in) {
            if (t.rank() != rank) throw l.error("inputs " + in.stream().map(x -> Arrays.toString(x.shape())).toList() + " have different ranks");
        }
        return in.size() == 1 ? in.get(0) : Ops.concat((int) a, in);
    }
}
