package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.shape.ConvGeometry;

/**
 * An op whose every output cell reads a window of its input 0 (conv2d, the pools, max_pool_with_argmax): its
 * geometry, computed once when the node was built. Receptive fields are composed from these windows.
 */
public interface Windowed {
    /** The windows along height and width of the input this node reads (its input 0). */
    ConvGeometry geometry();
}
