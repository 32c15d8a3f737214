package io.github.deconvspark.kernels.internal;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-thread scratch matrices (im2col columns, padded images) reused across kernel calls.
 * Measured here: allocating a fresh 100 MB ND4J buffer costs 13-15 ms (fresh pages), more than
 * the GEMM it feeds; reusing one costs nothing. A thread keeps its largest buffer per slot and
 * type; {@link #release()} gives them back (e.g. at the end of a Spark task).
 */
public final class Scratch {
    private static final int SLOTS = 2;
    private static final ThreadLocal<INDArray[]> CACHE = ThreadLocal.withInitial(() -> new INDArray[SLOTS * 2]);

    private Scratch() {}

    /** A dense C-ordered [rows, cols] matrix of uninitialized memory, valid until this thread asks again for the slot. */
    static INDArray matrix(int slot, DataType type, long rows, long cols) {
        INDArray[] cache = CACHE.get();
        int i = slot * 2 + (type == DataType.DOUBLE ? 1 : 0);
        long need = Math.max(1, rows * cols);
        INDArray buf = cache[i];
        if (buf == null || buf.length() < need) {
            if (buf != null) buf.close();
            // Outside any workspace the caller has open: this buffer outlives the call.
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                buf = Nd4j.createUninitialized(type, need + need / 8);
            }
            cache[i] = buf;
        }
        return Nd4j.create(buf.data(), new long[] {rows, cols});
    }

    private static final ThreadLocal<Object[]> HEAP = ThreadLocal.withInitial(() -> new Object[SLOTS * 2]);

    /** A heap float[] or double[] of at least len elements (contents undefined), reused per thread and slot. */
    static Object heapArray(int slot, DataType type, int len) {
        Object[] cache = HEAP.get();
        int i = slot * 2 + (type == DataType.DOUBLE ? 1 : 0);
        Object a = cache[i];
        int have = a == null ? -1 : (type == DataType.DOUBLE ? ((double[]) a).length : ((float[]) a).length);
        if (have < len) {
            a = type == DataType.DOUBLE ? new double[len] : new float[len];
            cache[i] = a;
        }
        return a;
    }

    public static void release() {
        HEAP.remove();
        INDArray[] cache = CACHE.get();
        for (int i = 0; i < cache.length; i++) {
            if (cache[i] != null) cache[i].close();
            cache[i] = null;
        }
    }
}
