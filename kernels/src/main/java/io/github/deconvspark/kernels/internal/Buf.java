package io.github.deconvspark.kernels.internal;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Direct access to the native memory of a C-ordered, non-view INDArray of float32 or float64,
 * so that kernels run as plain loops without copying tensors onto the Java heap.
 * Two implementations only, so call sites stay bimorphic and the JIT inlines them.
 */
public abstract sealed class Buf permits Buf.F32, Buf.F64 {

    /** Whether a is laid out exactly as a fresh C-ordered array (no offset, no permuted strides). */
    public static boolean isDense(INDArray a) {
        if (a.offset() != 0 || a.data().length() < a.length()) return false;
        long expected = 1;
        for (int i = a.rank() - 1; i >= 0; i--) {
            if (a.size(i) != 1 && a.stride(i) != expected) return false;
            expected *= a.size(i);
        }
        return true;
    }

    public static Buf of(INDArray a) {
        if (!isDense(a)) {
            throw new IllegalStateException("internal: Buf needs a dense C-ordered array, got " + a.shapeInfoToString());
        }
        if (a.dataType() == DataType.FLOAT) return new F32(a.data().asNioFloat());
        if (a.dataType() == DataType.DOUBLE) return new F64(a.data().asNioDouble());
        throw new IllegalStateException("internal: Buf supports FLOAT and DOUBLE, got " + a.dataType());
    }

    public abstract double get(int i);

    public abstract void set(int i, double v);

    /** this[dst .. dst+len) = src[from .. from+len); src has the same element type. */
    public abstract void copy(int dst, Buf src, int from, int len);


    public abstract void zero(int dst, int len);

    /** A new heap array (float[] or double[]) of this buffer's element type. */
    public abstract Object newHeap(int len);

    /** Copies [from, from+len) of this buffer into the heap array at dst. */
    public abstract void toHeap(int from, Object heap, int dst, int len);

    /** Copies [from, from+len) of the heap array into this buffer at dst. */
    public abstract void fromHeap(int dst, Object heap, int from, int len);

    static final class F32 extends Buf {
        private static final float[] ZEROS = new float[4096];
        final FloatBuffer b;

        F32(FloatBuffer b) { this.b = b; }

        @Override public Object newHeap(int len) { return new float[len]; }

        @Override public void toHeap(int from, Object heap, int dst, int len) { b.get(from, (float[]) heap, dst, len); }

        @Override public void fromHeap(int dst, Object heap, int from, int len) { b.put(dst, (float[]) heap, from, len); }

        @Override public double get(int i) { return b.get(i); }

        @Override public void set(int i, double v) { b.put(i, (float) v); }

        @Override public void copy(int dst, Buf src, int from, int len) {
            FloatBuffer s = ((F32) src).b;
            if (len >= 16) {
                b.put(dst, s, from, len);
            } else {
                for (int j = 0; j < len; j++) b.put(dst + j, s.get(from + j));
            }
        }


        @Override public void zero(int dst, int len) {
            if (len < 16) {
                for (int j = 0; j < len; j++) b.put(dst + j, 0f);
                return;
            }
            for (int done = 0; done < len; done += ZEROS.length) {
                b.put(dst + done, ZEROS, 0, Math.min(ZEROS.length, len - done));
            }
        }
    }

    static final class F64 extends Buf {
        private static final double[] ZEROS = new double[4096];
        final DoubleBuffer b;

        F64(DoubleBuffer b) { this.b = b; }

        @Override public Object newHeap(int len) { return new double[len]; }

        @Override public void toHeap(int from, Object heap, int dst, int len) { b.get(from, (double[]) heap, dst, len); }

        @Override public void fromHeap(int dst, Object heap, int from, int len) { b.put(dst, (double[]) heap, from, len); }

        @Override public double get(int i) { return b.get(i); }

        @Override public void set(int i, double v) { b.put(i, v); }

        @Override public void copy(int dst, Buf src, int from, int len) {
            DoubleBuffer s = ((F64) src).b;
            if (len >= 16) {
                b.put(dst, s, from, len);
            } else {
                for (int j = 0; j < len; j++) b.put(dst + j, s.get(from + j));
            }
        }


        @Override public void zero(int dst, int len) {
            if (len < 16) {
                for (int j = 0; j < len; j++) b.put(dst + j, 0d);
                return;
            }
            for (int done = 0; done < len; done += ZEROS.length) {
                b.put(dst + done, ZEROS, 0, Math.min(ZEROS.length, len - done));
            }
        }
    }
}
