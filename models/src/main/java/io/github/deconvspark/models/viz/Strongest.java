package io.github.deconvspark.models.viz;

import io.github.deconvspark.kernels.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The in-process top-k for library users: the k images of an iterator with the strongest activation of a unit (a
 * feature map's maximum over positions) or the highest score of a class, read B at a time (the model's batch), in
 * memory for k entries only. Ranked strongest first; on equal values the earlier image first; NaN never ranks.
 */
public final class Strongest {
    private Strongest() {}

    /** The image's place in the iterator (0-based), its value, and the position (y, x) in the layer (-1 for classes). */
    public record Ranked(long index, double value, int y, int x) {}

    private static final Comparator<Ranked> WORST_FIRST =
            Comparator.comparingDouble(Ranked::value).thenComparing(Comparator.comparingLong(Ranked::index).reversed());

    /** The top k of the images for a unit ({@link Explainer.Target#unit}) or a class ({@link Explainer.Target#ofClass}). */
    public static List<Ranked> top(Explainer e, Iterator<INDArray> images, Explainer.Target t, int k) {
        if (k < 1) throw new IllegalArgumentException("top: k " + k + " must be >= 1");
        if (!t.isUnit() && t.classIndex() == Explainer.Target.PREDICTED) {
            throw new IllegalArgumentException("top: rank by a class or a unit; 'the predicted class' differs from image to image");
        }
        e.check(Explainer.Method.GUIDED, Explainer.Options.defaults(), t);
        Tensor in = e.model().input(), out = t.isUnit() ? e.layer(t.layer(), "unit layer") : e.head();
        int b = (int) in.size(0);
        PriorityQueue<Ranked> heap = new PriorityQueue<>(WORST_FIRST);
        long index = 0;
        List<INDArray> chunk = new ArrayList<>(b);
        while (images.hasNext() || !chunk.isEmpty()) {
            while (chunk.size() < b && images.hasNext()) chunk.add(images.next());
            INDArray v = e.model().graph().run(out, Map.of(in, Attributions.packed(in, chunk, 0)));
            double[][] best = t.isUnit() ? of(v, t.channel(), chunk.size()) : null;
            for (int i = 0; i < chunk.size(); i++, index++) {
                Ranked r;
                if (t.isUnit()) {
                    int w = (int) out.size(2);
                    r = new Ranked(index, best[i][0], best[i][1] < 0 ? -1 : (int) best[i][1] / w, best[i][1] < 0 ? -1 : (int) best[i][1] % w);
                } else {
                    r = new Ranked(index, v.getDouble(i, t.classIndex()), -1, -1);
                }
                if (Double.isNaN(r.value())) continue;
                heap.add(r);
                if (heap.size() > k) heap.poll();
            }
            chunk.clear();
        }
        List<Ranked> ranked = new ArrayList<>(heap);
        ranked.sort(WORST_FIRST.reversed());
        return ranked;
    }

    /**
     * Per image i < n of a layer's output [B, h, w, C]: {value, position y*w+x} of the channel's first maximum in
     * row-major order (NaN only if every value is NaN, position -1 then).
     */
    static double[][] of(INDArray layerOut, int channel, int n) {
        int hw = (int) (layerOut.size(1) * layerOut.size(2)), c = (int) layerOut.size(3);
        float[] d = layerOut.castTo(DataType.FLOAT).dup('c').data().asFloat();
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            float best = Float.NaN;
            int at = -1;
            for (int p = 0; p < hw; p++) {
                float v = d[(i * hw + p) * c + channel];
                if (v > best || (Float.isNaN(best) && !Float.isNaN(v))) {
                    best = v;
                    at = p;
                }
            }
            out[i] = new double[] {best, at};
        }
        return out;
    }
}
