package io.github.deconvspark.kernels.autodiff;

/**
 * What a ReLU passes backward, chosen per {@link Gradients#gradients} call; R is the signal from
 * above and x the ReLU's forward input. The three back-projection methods of CNN visualization
 * differ only in this (Zeiler and Fergus 2014; Springenberg et al. 2015).
 */
public enum ReluRule {
    /** The true gradient, {@code R * [x > 0]} (saliency maps, training). */
    GRADIENT,
    /** Zeiler and Fergus's deconvnet: {@code max(R, 0)}, blind to the forward input. */
    DECONVNET,
    /** Guided backpropagation: {@code max(R, 0) * [x > 0]}. */
    GUIDED
}
