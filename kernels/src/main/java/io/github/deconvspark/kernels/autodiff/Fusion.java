package io.github.deconvspark.kernels.autodiff;

import io.github.deconvspark.kernels.Conv2D;
import io.github.deconvspark.kernels.internal.DnnlBinary;
import io.github.deconvspark.kernels.shape.DataFormat;
import java.util.concurrent.atomic.LongAdder;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pairs of ops that a run computes in one pass when nothing else in the run reads the first one's result (it is
 * neither fetched nor used twice): a convolution (Conv2D, DepthwiseConv2dNative, NHWC) followed by its BiasAdd, and a
 * per-channel Mul followed by a per-channel AddV2, Sub or BiasAdd (an inference batch-norm, a channel affine).
 * float32 only, on oneDNN ({@link Conv2D#conv2dBias}, {@link DnnlBinary}); each fused pass gives the same bits as
 * the two ops apart (the kernels' tests check it), so a fused run equals an unfused one exactly. The graph stays as
 * built: gradients and fetches of either node work as before (a fetched intermediate is simply not fused).
 * {@code -Ddeconv.fuse=false} turns it off.
 */
final class Fusion {
    private Fusion() {}

    static final boolean ENABLED = !"false".equals(System.getProperty("deconv.fuse"));

    /** Fused pairs computed since the JVM started (the tests check that fusion happened). */
    static final LongAdder FUSED = new LongAdder();

    /** The second node of a fused pair and its value (the first node gets none). */
    record Fused(Tensor node, INDArray value, String type) {}

    /** Per node, the single node of this run that reads it: its id, -1 for none, -2 for several (or twice). */
    static int[] consumers(Tensor[] snapshot, boolean[] needed, java.util.Map<Tensor, INDArray> feeds) {
        int[] consumer = new int[snapshot.length];
        java.util.Arrays.fill(consumer, -1);
        for (int id = 0; id < snapshot.length; id++) {
            Tensor t = snapshot[id];
            if (!needed[id] || t.op == null || feeds.containsKey(t)) continue;
            for (Tensor in : t.inputs) consumer[in.id] = consumer[in.id] == -1 ? id : -2;
        }
        return consumer;
    }

    /**
     * The fused value of t and its consumer, or null: t (inputs {@code in}) is about to be computed; {@code values}
     * gives a tensor's value if the run has it already (computed, fed, or a variable's or constant's), else null.
     */
    static Fused of(Tensor t, INDArray[] in, Tensor[] snapshot, int[] consumer, int[] uses, boolean[] fetched,
                    java.util.function.Function<Tensor, INDArray> values) {
        if (!ENABLED || fetched[t.id] || uses[t.id] != 1 || consumer[t.id] < 0) return null;
        Tensor next = snapshot[consumer[t.id]];
        Fused f = null;
        if (t.op instanceof Convolutions.Conv conv && conv.c.format() == DataFormat.NHWC
                && next.op instanceof Channels.BiasAdd b && b.format == DataFormat.NHWC && next.inputs[0] == t) {
            INDArray bias = values.apply(next.inputs[1]);
            INDArray out = bias == null ? null : Conv2D.conv2dBias(in[0], in[1], bias, conv.c, conv.g);
            if (out != null) f = new Fused(next, out, t.op.type() + "+BiasAdd");
        } else if (t.op instanceof Arithmetic.Binary mul && mul.kind == Arithmetic.Kind.MUL) {
            f = scaleThen(t, in, next, values);
        }
        if (f != null) FUSED.increment();
        return f;
    }

    /** x * scale (per channel), then + offset, - offset (x * scale first) or BiasAdd (NHWC). */
    private static Fused scaleThen(Tensor t, INDArray[] in, Tensor next, java.util.function.Function<Tensor, INDArray> values) {
        int full = channelVector(t.inputs[1], t.shape) ? 0 : channelVector(t.inputs[0], t.shape) ? 1 : -1;
        if (full < 0 || !java.util.Arrays.equals(t.inputs[full].shape, t.shape) || !java.util.Arrays.equals(next.shape, t.shape)) {
            return null;
        }
        DnnlBinary.Op then;
        int other;
        if (next.op instanceof Channels.BiasAdd b && b.format == DataFormat.NHWC && next.inputs[0] == t) {
            then = DnnlBinary.Op.ADD;
            other = 1;
        } else if (next.op instanceof Arithmetic.Binary a && (a.kind == Arithmetic.Kind.ADD || a.kind == Arithmetic.Kind.SUB)) {
            other = next.inputs[0] == t ? 1 : 0;
            if (a.kind == Arithmetic.Kind.SUB && other == 0) return null;      // offset - x * scale: not this shape
            then = a.kind == Arithmetic.Kind.ADD ? DnnlBinary.Op.ADD : DnnlBinary.Op.SUB;
        } else {
            return null;
        }
        Tensor offset = next.inputs[other];
        INDArray off = offset == t || !channelVector(offset, t.shape) ? null : values.apply(offset);
        if (off == null) return null;
        INDArray out = DnnlBinary.rows(DnnlBinary.Op.MUL, in[full], in[1 - full], then, off);
        return out == null ? null : new Fused(next, out, t.op.type() + "+" + next.op.type());
    }

    /** v is [..1.., C] with C the last dimension of shape (a per-channel vector that broadcasts over it). */
    private static boolean channelVector(Tensor v, long[] shape) {
        if (v.shape.length == 0 || v.shape.length > shape.length || v.shape[v.shape.length - 1] != shape[shape.length - 1]) {
            return false;
        }
        for (int i = 0; i < v.shape.length - 1; i++) if (v.shape[i] != 1) return false;
        return shape[shape.length - 1] > 1 || v.shape.length == 1;
    }
}
