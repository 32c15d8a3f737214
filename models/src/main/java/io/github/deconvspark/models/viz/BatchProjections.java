package io.github.deconvspark.models.viz;

import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.ReluRule;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.viz.Projections.Built;
import io.github.deconvspark.models.viz.Projections.Projection;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link Projections} for a batch: one forward and one backward pass project every image of the batch,
 * each from its own target (a seeded activation, or a class), instead of one pass per projection.
 *
 * <p>The model graph may have any batch size B; {@code images} is [B, H, W, C] like its input, and slot
 * i of the batch is projected from target i. Fewer targets than slots are allowed: the slots past the
 * last target get a zero seed (their images are still forwarded; fill them with anything, e.g. zeros),
 * and no projection is returned for them. The images of a batch are independent (no op of a visualized
 * CNN mixes the batch, inference batch-norm included), so slot i's result is the single-image
 * projection of image i; the tests check that it is equal, bit for bit, to {@link Projections}' result.
 * The same image may sit in several slots with different targets.
 */
public final class BatchProjections {
    private BatchProjections() {}

    /**
     * The projections of a batch: {@code maps} is the whole batch's result ([B, H, W, C] for deconvnet and
     * guided, [B, H, W] for saliency, [B, h, w] for Grad-CAM; slots past {@link #size} are not projections),
     * and per target its activation (the seed value, or the class score) and position (-1 for classes).
     */
    public record Batch(INDArray maps, double[] activations, int[] y, int[] x) {
        public int size() { return activations.length; }

        /** Target i's map as a dense float32 row-major copy of its slot. */
        public float[] floats(int i) {
            return slot(i).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
        }

        /** Target i's projection as {@link Projections} returns it (batch 1). */
        public Projection get(int i) {
            return new Projection(slot(i).dup('c'), activations[i], y[i], x[i]);
        }

        private INDArray slot(int i) {
            if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("target " + i + " of " + size());
            INDArrayIndex[] ix = new INDArrayIndex[maps.rank()];
            ix[0] = NDArrayIndex.interval(i, i + 1);
            for (int d = 1; d < ix.length; d++) ix[d] = NDArrayIndex.all();
            return maps.get(ix);
        }
    }

    /**
     * Deconvnet ({@link ReluRule#DECONVNET}) or guided ({@link ReluRule#GUIDED}) projections: slot i seeded with
     * {@code values[i]} at ({@code ys[i]}, {@code xs[i]}) of channel {@code channels[i]} of {@code layer}.
     */
    public static Batch projectSeeded(ReluRule rule, Graph graph, Tensor input, Tensor layer, INDArray images, int[] channels,
                                      int[] ys, int[] xs, double[] values) {
        String m = rule == ReluRule.GUIDED ? "guided" : "deconvnet";
        INDArray img = Projections.checkInput(m, graph, input, images, true);
        Projections.checkLayer(m, graph, layer, true);
        int n = targets(m, input, layer, channels.length, ys.length, xs.length, values.length);
        INDArray seed = Nd4j.zeros(layer.dataType(), layer.shape());
        for (int i = 0; i < n; i++) {
            Projections.checkChannelIndex(m, layer, channels[i]);
            Projections.checkPosition(m, layer, ys[i], xs[i]);
            seed.putScalar(new long[] {i, ys[i], xs[i], channels[i]}, values[i]);
        }
        Built b = Projections.build(graph, rule, m, input, layer, "layer");
        INDArray maps = graph.run(b.grad(), Map.of(input, img, b.seed(), seed));
        return new Batch(maps, values.clone(), ys.clone(), xs.clone());
    }

    /**
     * Deconvnet or guided projections of class scores (as Grad-CAM's guided backprop): slot i seeded with 1 at
     * {@code classes[i]} of the score tensor, the signed input-shaped maps [B, H, W, C].
     */
    public static Batch classSeeded(ReluRule rule, Graph graph, Tensor input, Tensor scoreTensor, INDArray images, int[] classes) {
        String m = rule == ReluRule.GUIDED ? "guided" : "deconvnet";
        INDArray img = Projections.checkInput(m, graph, input, images, true);
        Projections.checkGraph(m, graph, scoreTensor, "score tensor");
        int n = targets(m, input, scoreTensor, classes.length);
        Built b = Projections.build(graph, rule, m, input, scoreTensor, "score tensor");
        INDArray seed = classSeed(m, graph, scoreTensor, classes);
        List<INDArray> out = graph.run(List.of(scoreTensor, b.grad()), Map.of(input, img, b.seed(), seed));
        return new Batch(out.get(1), scores(out.get(0), classes), minusOnes(n), minusOnes(n));
    }

    /** Saliency maps: slot i's max over colour channels of |d score[i, classes[i]] / d image[i]|, [B, H, W]. */
    public static Batch saliency(Graph graph, Tensor input, Tensor scoreTensor, INDArray images, int[] classes) {
        String m = "saliency";
        INDArray img = Projections.checkInput(m, graph, input, images, true);
        Projections.checkGraph(m, graph, scoreTensor, "score tensor");
        int n = targets(m, input, scoreTensor, classes.length);
        Built b = Projections.build(graph, ReluRule.GRADIENT, m, input, scoreTensor, "score tensor");
        INDArray seed = classSeed(m, graph, scoreTensor, classes);
        List<INDArray> out = graph.run(List.of(scoreTensor, b.grad()), Map.of(input, img, b.seed(), seed));
        return new Batch(Transforms.abs(out.get(1), true).max(3), scores(out.get(0), classes), minusOnes(n), minusOnes(n));
    }

    /** Grad-CAM of {@code layer} ([B, h, w, C]): slot i's map for {@code classes[i]}, [B, h, w]. */
    public static Batch gradCam(Graph graph, Tensor input, Tensor layer, Tensor scoreTensor, INDArray images, int[] classes) {
        String m = "gradCam";
        INDArray img = Projections.checkInput(m, graph, input, images, true);
        Projections.checkLayer(m, graph, layer, true);
        Projections.checkGraph(m, graph, scoreTensor, "score tensor");
        int n = targets(m, input, scoreTensor, classes.length);
        Built b = Projections.build(graph, ReluRule.GRADIENT, m, layer, scoreTensor, "score tensor");
        INDArray seed = classSeed(m, graph, scoreTensor, classes);
        List<INDArray> out = graph.run(List.of(scoreTensor, layer, b.grad()), Map.of(input, img, b.seed(), seed));
        INDArray a = out.get(1), g = out.get(2);
        long bn = a.size(0), h = a.size(1), w = a.size(2), c = a.size(3);
        INDArray weights = g.mean(1, 2);                                    // [B, C]
        INDArray map = Transforms.relu(a.mul(weights.reshape(bn, 1, 1, c)).sum(3), false);
        return new Batch(map.reshape(bn, h, w), scores(out.get(0), classes), minusOnes(n), minusOnes(n));
    }

    private static INDArray classSeed(String m, Graph graph, Tensor scoreTensor, int[] classes) {
        INDArray seed = Nd4j.zeros(scoreTensor.dataType(), scoreTensor.shape());
        for (int i = 0; i < classes.length; i++) {
            Projections.checkScore(m, graph, scoreTensor, classes[i], true);
            seed.putScalar(new long[] {i, classes[i]}, 1.0);
        }
        return seed;
    }

    private static double[] scores(INDArray score, int[] classes) {
        double[] out = new double[classes.length];
        for (int i = 0; i < classes.length; i++) out[i] = score.getDouble(i, classes[i]);
        return out;
    }

    private static int[] minusOnes(int n) {
        int[] a = new int[n];
        Arrays.fill(a, -1);
        return a;
    }

    /** The number of targets: every per-target array of one length, at most the batch, at least 1; the seeded tensor has the input's batch. */
    private static int targets(String m, Tensor input, Tensor seeded, int... lengths) {
        int n = lengths[0];
        for (int l : lengths) {
            if (l != n) throw new IllegalArgumentException(m + ": the per-target arrays differ in length " + Arrays.toString(lengths));
        }
        long batch = input.size(0);
        if (n < 1 || n > batch) {
            throw new IllegalArgumentException(m + ": " + n + " targets for a batch of " + batch + " (legal: 1 to " + batch
                    + ", one per batch slot)");
        }
        if (seeded.rank() < 1 || seeded.size(0) != batch) {
            throw new IllegalArgumentException(m + ": " + seeded.name() + " of shape " + Arrays.toString(seeded.shape())
                    + " does not have the input's batch " + batch);
        }
        return n;
    }
}
