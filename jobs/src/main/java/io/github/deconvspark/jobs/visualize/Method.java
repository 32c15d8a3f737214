package io.github.deconvspark.jobs.visualize;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The visualization methods of the visualize job; the name is what options, file names and tables say. */
public enum Method {
    /** Zeiler and Fergus: the strongest activations of feature maps projected through the switches. */
    DECONVNET,
    /** Guided backprop (Springenberg et al.), the same selections. */
    GUIDED,
    /** Simonyan et al.: |d class score / d image|, the top-scoring images of each class. */
    SALIENCY,
    /** Selvaraju et al.: class activation maps of a conv layer. */
    GRADCAM;

    public static final List<String> NAMES = Arrays.stream(values()).map(Method::toString).toList();

    /** Deconvnet and guided rank feature maps' activations; saliency and Grad-CAM rank class scores. */
    public boolean perFeatureMap() {
        return this == DECONVNET || this == GUIDED;
    }

    public static Method of(String name) {
        for (Method m : values()) if (m.toString().equals(name)) return m;
        throw new IllegalArgumentException("visualize: --method must be one of " + NAMES + ", got '" + name + "'");
    }

    @Override public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
