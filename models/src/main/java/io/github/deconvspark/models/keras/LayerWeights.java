package io.github.deconvspark.models.keras;

import java.util.ArrayList;
import java.util.List;

/**
 * The weights each layer class owns, in Keras' own order (trainable variables first, in creation order; a Keras 3
 * weights file numbers them so, a legacy HDF5 file lists them so), named as Keras 2 and TF.js name them
 * ("conv1/kernel", "conv_dw_1/depthwise_kernel"). Depends on the config only (use_bias, center, scale), not on shapes.
 */
final class LayerWeights {
    private LayerWeights() {}

    record Spec(String name, boolean trainable) {}

    static List<Spec> of(KerasLayer l) {
        List<Spec> w = new ArrayList<>();
        if (l.kind != KerasLayer.Kind.PLAIN) return w;
        switch (l.className) {
            case "Conv2D", "Conv2DTranspose", "Dense" -> w.add(new Spec("kernel", true));
            case "DepthwiseConv2D" -> w.add(new Spec("depthwise_kernel", true));
            case "SeparableConv2D" -> {
                w.add(new Spec("depthwise_kernel", true));
                w.add(new Spec("pointwise_kernel", true));
            }
            case "BatchNormalization" -> {
                if (flag(l, "scale")) w.add(new Spec("gamma", true));
                if (flag(l, "center")) w.add(new Spec("beta", true));
                w.add(new Spec("moving_mean", false));
                w.add(new Spec("moving_variance", false));
                return w;
            }
            case "PReLU" -> {
                w.add(new Spec("alpha", true));
                return w;
            }
            default -> { return w; }
        }
        if (flag(l, "use_bias")) w.add(new Spec("bias", true));
        return w;
    }

    /** A boolean config field, default true (its type is checked where the layer is built). */
    private static boolean flag(KerasLayer l, String k) {
        return !Boolean.FALSE.equals(l.config.get(k));
    }

    /** The index of {@code name} among the layer's weights. */
    static int index(KerasLayer l, String name) {
        List<Spec> w = of(l);
        for (int i = 0; i < w.size(); i++) if (w.get(i).name().equals(name)) return i;
        throw new IllegalStateException(l + " has no weight " + name + " (it has " + w + ")");
    }
}
