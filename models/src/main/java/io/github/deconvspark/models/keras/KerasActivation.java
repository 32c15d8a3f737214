package io.github.deconvspark.models.keras;

import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.ops.Clip;
import java.util.Arrays;
import java.util.Map;

/**
 * Keras' activation functions (the {@code activation} of Activation, Conv2D, Dense, ...), by their Keras names and
 * TF.js' camelCase ones, as Keras computes them. hard_sigmoid is the one whose definition changed: Keras 2 (and TF.js)
 * max(0, min(1, 0.2 x + 0.5)), Keras 3 relu6(x + 3) / 6; the file's writer decides ({@link KerasFiles.Source#keras3}).
 * gelu is refused (it needs erf, which the engine does not have).
 */
enum KerasActivation {
    LINEAR("linear"),
    RELU("relu"),
    RELU6("relu6"),
    SIGMOID("sigmoid"),
    TANH("tanh"),
    SOFTMAX("softmax"),
    LOG_SOFTMAX("log_softmax", "logSoftmax"),
    SWISH("swish", "silu"),
    HARD_SIGMOID("hard_sigmoid", "hardSigmoid"),
    HARD_SILU("hard_silu", "hard_swish"),
    ELU("elu"),
    SELU("selu"),
    SOFTPLUS("softplus"),
    SOFTSIGN("softsign"),
    EXPONENTIAL("exponential"),
    LEAKY_RELU("leaky_relu"),
    MISH("mish");

    static final double SELU_ALPHA = 1.6732632423543772848170429916717, SELU_SCALE = 1.0507009873554804934193349852946;

    final String[] names;

    KerasActivation(String... names) { this.names = names; }

    /** The layer's {@code key} field: a name, a Keras 3 serialized function ({"class_name": "function", "config": name}), or null (linear). */
    static KerasActivation of(Cfg cfg, String key) {
        Object v = cfg.raw(key);
        if (v instanceof Map<?, ?> m && "function".equals(m.get("class_name")) && m.get("config") instanceof String s) v = s;
        if (v == null) return LINEAR;
        if (!(v instanceof String name)) throw cfg.error(key, Cfg.show(v) + " is not an activation name");
        for (KerasActivation a : values()) if (Arrays.asList(a.names).contains(name)) return a;
        throw cfg.error(key, "'" + name + "' is not supported (supported: "
                + String.join(", ", Arrays.stream(values()).map(a -> a.names[0]).toList()) + ")");
    }

    Tensor apply(Tensor x, boolean keras3) {
        return switch (this) {
            case LINEAR -> x;
            case RELU -> Ops.relu(x);
            case RELU6 -> Clip.relu6(x);
            case SIGMOID -> Ops.sigmoid(x);
            case TANH -> Ops.tanh(x);
            case SOFTMAX -> Ops.softmax(x);
            case LOG_SOFTMAX -> Ops.logSoftmax(x);
            case SWISH -> Ops.mul(x, Ops.sigmoid(x));
            case HARD_SIGMOID -> hardSigmoid(x, keras3);
            case HARD_SILU -> Ops.mul(x, hardSigmoid(x, true));
            case ELU -> elu(x, 1.0);
            case SELU -> Ops.mul(elu(x, SELU_ALPHA), SELU_SCALE);
            case SOFTPLUS -> softplus(x);
            case SOFTSIGN -> Ops.div(x, Ops.add(abs(x), 1));
            case EXPONENTIAL -> Ops.exp(x);
            case LEAKY_RELU -> leaky(x, 0.2);
            case MISH -> Ops.mul(x, Ops.tanh(softplus(x)));
        };
    }

    static Tensor hardSigmoid(Tensor x, boolean keras3) {
        if (keras3) return Ops.div(Clip.relu6(Ops.add(x, 3)), x.graph().scalar(6, x.dataType()));
        return Clip.apply(Ops.add(Ops.mul(x, 0.2), 0.5), 0, 1);
    }

    /** x for x &gt; 0, alpha (e^x - 1) else: relu(x) + alpha (e^-relu(-x) - 1). */
    static Tensor elu(Tensor x, double alpha) {
        Tensor neg = Ops.add(Ops.exp(Ops.neg(Ops.relu(Ops.neg(x)))), -1);
        return Ops.add(Ops.relu(x), alpha == 1 ? neg : Ops.mul(neg, alpha));
    }

    /** log(1 + e^x), stably: relu(x) + log(1 + e^-|x|). */
    static Tensor softplus(Tensor x) {
        return Ops.add(Ops.relu(x), Ops.log(Ops.add(Ops.exp(Ops.neg(abs(x))), 1)));
    }

    /** max(x, 0) - slope max(-x, 0). */
    static Tensor leaky(Tensor x, double slope) {
        return slope == 0 ? Ops.relu(x) : Ops.sub(Ops.relu(x), Ops.mul(Ops.relu(Ops.neg(x)), slope));
    }

    static Tensor abs(Tensor x) {
        return Ops.add(Ops.relu(x), Ops.relu(Ops.neg(x)));
    }
}
