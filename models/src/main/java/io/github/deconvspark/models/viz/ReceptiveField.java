package io.github.deconvspark.models.viz;

import io.github.deconvspark.models.tfjs.TfjsGraphBuilder;
import io.github.deconvspark.models.tfjs.TfjsModel;
import io.github.deconvspark.models.tfjs.TfjsNode;

import io.github.deconvspark.kernels.DataFormat;
import io.github.deconvspark.kernels.Padding;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.Window;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The input region that one position of a layer sees: per axis, position {@code p} of the layer
 * covers input rows {@code [start + p*jump, start + p*jump + size)} (before clipping to the image).
 * Pure shape arithmetic over a {@link TfjsModel}'s nodes, from the model's input to the layer:
 * convolutions and pools compose their windows (kernel, stride, dilation, padding before);
 * ops that keep the spatial size (activations, batch-norm, bias, element-wise arithmetic,
 * channel concat) take the union of their non-constant inputs; anything else (reshape, dense,
 * spatial reductions) sees the whole image ({@link #global()}).
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

    private static final Set<String> CONVS = Set.of("Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "_FusedDepthwiseConv2dNative");
    private static final Set<String> POOLS = Set.of("MaxPool", "AvgPool");

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

    /** The receptive field of layer {@code layerName} (a node with a 4-D NHWC or NCHW tensor) w.r.t. the model's input. */
    public static ReceptiveField of(TfjsModel model, String layerName) {
        Map<String, TfjsNode> byName = new HashMap<>();
        for (TfjsNode n : model.nodes()) byName.put(n.name(), n);
        if (!byName.containsKey(layerName)) throw new IllegalArgumentException("no node '" + layerName + "' in " + model.path());
        return walk(model, byName, layerName, new HashMap<>());
    }

    private static ReceptiveField walk(TfjsModel m, Map<String, TfjsNode> byName, String name, Map<String, ReceptiveField> memo) {
        ReceptiveField done = memo.get(name);
        if (done != null) return done;
        TfjsNode n = byName.get(name);
        ReceptiveField rf;
        if (n == null || n.op().equals("Const")) {
            rf = null;                                            // constants see no pixels
        } else if (n.op().equals("Placeholder")) {
            rf = IDENTITY;
        } else if (CONVS.contains(n.op()) || POOLS.contains(n.op())) {
            rf = window(m, byName, n, memo);
        } else {
            rf = union(m, byName, n, memo);
        }
        memo.put(name, rf);
        return rf;
    }

    private static String node(String input) {
        int colon = input.indexOf(':');
        return colon < 0 ? input : input.substring(0, colon);
    }

    private static ReceptiveField window(TfjsModel m, Map<String, TfjsNode> byName, TfjsNode n, Map<String, ReceptiveField> memo) {
        String src = m.path().toString();
        String in = node(n.dataInputs().get(0));
        ReceptiveField below = walk(m, byName, in, memo);
        if (below == null || below.global) return below;
        DataFormat f = TfjsGraphBuilder.format(n, src);
        int hd = f == DataFormat.NHWC ? 1 : 2, wd = hd + 1;
        long[] inShape = m.layer(in).shape();
        int kh, kw;
        int[] strides, dil;
        if (CONVS.contains(n.op())) {
            long[] filter = m.layer(node(n.dataInputs().get(1))).shape();     // HWIO / HW-C-multiplier
            kh = (int) filter[0];
            kw = (int) filter[1];
            strides = n.ints("strides", new int[] {1, 1, 1, 1});
            dil = n.ints("dilations", new int[] {1, 1, 1, 1});
        } else {
            int[] k = n.ints("ksize", null);
            kh = k[hd];
            kw = k[wd];
            strides = n.ints("strides", null);
            dil = new int[] {1, 1, 1, 1};
        }
        Padding p = TfjsGraphBuilder.padding(n, f, src);
        Window wh = Window.forward(n.op(), "height", (int) inShape[hd], kh, strides[hd], dil.length == 4 ? dil[hd] : 1, p);
        Window ww = Window.forward(n.op(), "width", (int) inShape[wd], kw, strides[wd], dil.length == 4 ? dil[wd] : 1, p);
        return new ReceptiveField(below.h.through(wh), below.w.through(ww), false);
    }

    /** Spatial-size-preserving ops: the union of the non-constant inputs' fields; otherwise the whole image. */
    private static ReceptiveField union(TfjsModel m, Map<String, TfjsNode> byName, TfjsNode n, Map<String, ReceptiveField> memo) {
        List<ReceptiveField> parts = new ArrayList<>();
        List<String> ins = new ArrayList<>();
        for (String i : n.dataInputs()) {
            ReceptiveField r = walk(m, byName, node(i), memo);
            if (r != null) {
                parts.add(r);
                ins.add(node(i));
            }
        }
        if (parts.isEmpty()) return null;
        if (!m.hasLayer(n.name())) return GLOBAL;
        long[] out = m.layer(n.name()).shape();
        for (int k = 0; k < parts.size(); k++) {
            if (parts.get(k).global) return GLOBAL;
            Tensor t = m.layer(ins.get(k));
            if (out.length != 4 || t.rank() != 4 || t.size(1) != out[1] || t.size(2) != out[2]) return GLOBAL;
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
