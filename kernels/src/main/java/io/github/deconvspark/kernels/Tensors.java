package io.github.deconvspark.kernels;

import io.github.deconvspark.kernels.shape.DataFormat;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Argument checks and layout moves shared by the kernels. */
final class Tensors {
    private Tensors() {}

    static String shape(INDArray a) {
        return Arrays.toString(a.shape());
    }

    static void requireRank4(String op, String name, INDArray a, String layout) {
        if (a == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (a.rank() != 4) {
            throw new IllegalArgumentException(op + ": " + name + " must be 4-D " + layout + ", got shape " + shape(a));
        }
        if (a.length() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + name + " " + shape(a) + " has " + a.length()
                    + " elements; at most " + Integer.MAX_VALUE + " are supported: split the batch");
        }
        for (long d : a.shape()) {
            if (d < 1) throw new IllegalArgumentException(op + ": " + name + " " + shape(a) + " has an empty dimension");
        }
    }

    /** The common floating type of the arrays: FLOAT or DOUBLE, all the same. */
    static DataType floatType(String op, String n1, INDArray a1, String n2, INDArray a2) {
        DataType t = a1.dataType();
        if (t != DataType.FLOAT && t != DataType.DOUBLE) {
            throw new IllegalArgumentException(op + ": " + n1 + " has type " + t + "; legal types are FLOAT and DOUBLE");
        }
        if (a2 != null && a2.dataType() != t) {
            throw new IllegalArgumentException(op + ": " + n1 + " is " + t + " but " + n2 + " is " + a2.dataType()
                    + "; they must have the same type");
        }
        return t;
    }

    /** int32 and uint8: the integer types max pooling takes, as TF's MaxPool does. */
    static boolean isInteger(INDArray a) {
        return a.dataType() == DataType.INT || a.dataType() == DataType.UBYTE;
    }

    /** Max pooling's input types: FLOAT, DOUBLE, INT (int32) and UBYTE (uint8). */
    static void maxPoolType(String op, INDArray a) {
        if (!isInteger(a) && a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE) {
            throw new IllegalArgumentException(op + ": input has type " + a.dataType()
                    + "; legal types are FLOAT, DOUBLE, INT (int32) and UBYTE (uint8)");
        }
    }

    static void requireShape(String op, String name, long[] shape) {
        if (shape == null || shape.length != 4) {
            throw new IllegalArgumentException(op + ": " + name + " must have 4 entries, got "
                    + (shape == null ? "null" : Arrays.toString(shape)));
        }
    }

    /** A shape the caller asks us to produce: positive entries, at most 2^31-1 elements in all. */
    static void requireSize(String op, String name, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 1 || d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": " + name + " " + Arrays.toString(shape)
                        + " must have entries from 1 to " + Integer.MAX_VALUE);
            }
            n = d > Integer.MAX_VALUE / Math.max(1, n) + 1 ? Long.MAX_VALUE : n * d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + name + " " + Arrays.toString(shape) + " has more than "
                    + Integer.MAX_VALUE + " elements: split the batch");
        }
    }

    /** A dense C-ordered NHWC array: the array itself, or a dense view of it, when it already is one (not to be closed). */
    static INDArray toNhwc(INDArray a, DataFormat format) {
        return dense(format == DataFormat.NCHW ? a.permute(0, 2, 3, 1) : a);
    }

    static INDArray fromNhwc(INDArray a, DataFormat format) {
        return format == DataFormat.NCHW ? a.permute(0, 3, 1, 2).dup('c') : a;
    }

    /** Channels [from, from + count) of a along axis, as a new dense array (the caller closes it). */
    static INDArray channels(INDArray a, int axis, long from, long count) {
        return a.get(channelIndex(a.rank(), axis, from, count)).dup('c');
    }

    /** Writes block into target's channels [from, from + block's count) along axis, then closes block and the temporaries. */
    static void putChannels(INDArray target, int axis, long from, INDArray block, INDArray... temporaries) {
        target.get(channelIndex(target.rank(), axis, from, block.size(axis))).assign(block);
        close(block);
        for (INDArray t : temporaries) close(t);
    }

    private static INDArrayIndex[] channelIndex(int rank, int axis, long from, long count) {
        INDArrayIndex[] idx = new INDArrayIndex[rank];
        for (int i = 0; i < rank; i++) idx[i] = i == axis ? NDArrayIndex.interval(from, from + count) : NDArrayIndex.all();
        return idx;
    }

    private static void close(INDArray a) {
        if (a.closeable()) a.close();
    }

    static INDArray dense(INDArray a) {
        return Layouts.dense(a);
    }

    static INDArray uninitialized(DataType t, long... shape) {
        return Nd4j.createUninitialized(t, shape);
    }
}
