package io.github.deconvspark.models.viz;

import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.autodiff.Windowed;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Window;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The input region that one position of a layer sees: per axis, position {@code p} of the layer
 * covers input rows {@code [start + p*jump, start + p*jump + size)} (before clipping to the image).
 * Pure shape arithmetic over the graph, from its input to the layer: convolutions and pools
 * compose the windows they computed when they were built (kernel, stride, dilation, padding
 * before); ops that keep the spatial size (activations, batch-norm, bias, element-wise
 * arithmetic, channel concat; NHWC axes) take the union of their non-constant inputs; anything
 * else (reshape, dense, spatial reductions) sees the whole image ({@link #global()}).
 *
 * @param h      the height axis
 * @param w      the width axis
 * @param global true when the layer sees the whole image (then {@link #box} is the whole image)
 */
public record ReceptiveField(Axis h, Axis w, boolean global) {

    /** One axis: position p covers [start + p*jump, start + p*jump + size). */
    public record Axis(long start, long jump, long size) {
        static final Axis IDENTITY = new Axis(0, 1, 1);

        Axis through(Window win) {
            return new Axis(start - (long) win.padBefore() * jump, jump * win.stride(), size + (long) (win.extent() - 1) * jump);
        }

        long from(int p) { return start + p * jump; }

        long to(int p) { return from(p) + size; }
    }

    private static final ReceptiveField IDENTITY = new ReceptiveField(Axis.IDENTITY, Axis.IDENTITY, false);
    private static final ReceptiveField GLOBAL = new ReceptiveField(Axis.IDENTITY, Axis.IDENTITY, true);

    /**
     * The input box {y0, x0, y1, x1} (ends exclusive) seen by layer position (y, x), clipped to an
     * image of {@code imageH x imageW}.
     */
    public int[] box(int y, int x, int imageH, int imageW) {
        if (global) return new int[] {0, 0, imageH, imageW};
        return new int[] {clip(h.from(y), imageH), clip(w.from(x), imageW), clip(h.to(y), imageH), clip(w.to(x), imageW)};
    }

    private static int clip(long v, int n) {
        return (int) Math.max(0, Math.min(n, v));
    }

    /**
     * The receptive field of {@code layer} (a 4-D tensor of the graph) with respect to {@code input}, from the windows
     * the graph's own ops computed when they were built ({@link Windowed}): the patch shown is the one the graph reads.
     */
    public static ReceptiveField of(Tensor input, Tensor layer) {
        if (input.graph() != layer.graph()) throw new IllegalArgumentException("receptive field: " + layer + " and " + input
                + " belong to different graphs");
        return walk(input, layer, new IdentityHashMap<>());
    }

    /** Null: the tensor sees no pixels (a constant, another input). */
    private static ReceptiveField walk(Tensor input, Tensor t, Map<Tensor, ReceptiveField> memo) {
        if (memo.containsKey(t)) return memo.get(t);
        ReceptiveField rf;
        if (t == input) {
            rf = IDENTITY;
        } else if (t.kind() != Tensor.Kind.OP) {
            rf = null;                                            // constants, variables, other placeholders see no pixels
        } else if (t.op() instanceof Windowed w && w.geometry() != null) {
            ReceptiveField below = walk(input, t.input(0), memo);
            ConvGeometry g = w.geometry();
            rf = below == null || below.global ? below : new ReceptiveField(below.h.through(g.h()), below.w.through(g.w()), false);
        } else {
            rf = union(input, t, memo);
        }
        memo.put(t, rf);
        return rf;
    }

    /** Spatial-size-preserving ops: the union of the non-constant inputs' fields; otherwise the whole image. */
    private static ReceptiveField union(Tensor input, Tensor t, Map<Tensor, ReceptiveField> memo) {
        List<ReceptiveField> parts = new ArrayList<>();
        List<Tensor> ins = new ArrayList<>();
        for (Tensor i : t.inputs()) {
            ReceptiveField r = walk(input, i, memo);
            if (r != null) {
                parts.add(r);
                ins.add(i);
            }
        }
        if (parts.isEmpty()) return null;
        long[] out = t.shape();
        for (int k = 0; k < parts.size(); k++) {
            if (parts.get(k).global) return GLOBAL;
            Tensor in = ins.get(k);
            if (out.length != 4 || in.rank() != 4 || in.size(1) != out[1] || in.size(2) != out[2]) return GLOBAL;
        }
        ReceptiveField r = parts.get(0);
        for (ReceptiveField q : parts.subList(1, parts.size())) {
            if (q.h.jump != r.h.jump || q.w.jump != r.w.jump) return GLOBAL;
            r = new ReceptiveField(merge(r.h, q.h), merge(r.w, q.w), false);
        }
        return r;
    }

    private static Axis merge(Axis a, Axis b) {
        long start = Math.min(a.start, b.start);
        long end = Math.max(a.start + a.size, b.start + b.size);
        return new Axis(start, a.jump, end - start);
    }
}
