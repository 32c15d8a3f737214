package io.github.deconvspark.kernels;

import io.github.deconvspark.kernels.internal.Dnnl;
import io.github.deconvspark.kernels.internal.Scratch;

/**
 * The kernels keep, per thread, their largest scratch buffers (im2col columns, padded images, a heap
 * copy of the input) and their oneDNN primitives and reuse them from call to call. A thread that is done with kernels for a while
 * (the end of a Spark task, a pool thread going idle) gives them back here.
 */
public final class KernelMemory {
    private KernelMemory() {}

    /** Frees the calling thread's scratch buffers; the next kernel call on it allocates anew. */
    public static void releaseThreadBuffers() {
        Scratch.release();
        Dnnl.releaseThread();
    }
}
