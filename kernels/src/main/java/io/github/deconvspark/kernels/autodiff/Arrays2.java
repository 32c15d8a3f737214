package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.Layouts;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Array helpers for op forwards. Every op frees its own temporaries at once (ND4J memory is
 * native and the garbage collector does not see its size), so each helper says what it owns.
 */
final class Arrays2 {
    private Arrays2() {}

    /** a reshaped as a new array; a itself is closed when it was the caller's temporary. */
    static INDArray reshapeOwned(INDArray a, long[] shape) {
        if (Arrays.equals(a.shape(), shape)) return a;
        INDArray r = shape.length == 0 ? Nd4j.scalar(a.dataType(), a.getDouble(0)) : a.reshape('c', shape).dup('c');
        close(a);
        return r;
    }

    /** a broadcast to shape: a itself when it already has it, else a new array (the caller closes it). */
    static INDArray expand(INDArray a, long[] shape) {
        if (Arrays.equals(a.shape(), shape)) return a;
        if (a.length() == 1) return Nd4j.valueArrayOf(shape, a.getDouble(0), a.dataType());
        long[] lifted = new long[shape.length];
        Arrays.fill(lifted, 1);
        long[] s = a.shape();
        System.arraycopy(s, 0, lifted, shape.length - s.length, s.length);
        return a.reshape('c', lifted).broadcast(shape);
    }

    /** Closes a temporary, unless it is one of the arrays the caller does not own. */
    static void closeUnless(INDArray tmp, INDArray... keep) {
        for (INDArray k : keep) if (k == tmp) return;
        close(tmp);
    }

    static void close(INDArray a) {
        if (a != null && a.closeable()) a.close();
    }

    static boolean dense(INDArray a) {
        return Layouts.isDense(a);
    }

    static INDArray denseCopyIfNeeded(INDArray a) {
        return Layouts.dense(a);
    }
}
