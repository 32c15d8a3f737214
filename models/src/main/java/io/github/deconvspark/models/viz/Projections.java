package io.github.deconvspark.models.viz;

import io.github.deconvspark.kernels.autodiff.Gradients;
import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.ReluRule;
import io.github.deconvspark.kernels.autodiff.Tensor;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Back-projection of activations to pixel space (docs SEMANTICS.md, "Visualization") for any CNN on the
 * autodiff {@link Graph}, given as (graph, input tensor, layer tensor), e.g. from {@link TfjsModel}.
 *
 * <ul>
 *   <li>{@link #deconvnet}: Zeiler and Fergus 2014. The image is forwarded, the strongest activation of
 *       the chosen channel of the layer is kept (first maximum in row-major (y, x) order on ties), and
 *       the backward pass seeded with its value at its position (zeros elsewhere) is taken down to the
 *       input with {@link ReluRule#DECONVNET}: max pools route by their forward switches (first maximum),
 *       biases drop out, a per-channel affine (inference batch-norm) multiplies by its scale, convolutions
 *       apply their transposed filters.</li>
 *   <li>{@link #guided}: the same with {@link ReluRule#GUIDED} (Springenberg et al. 2015).</li>
 *   <li>{@link #saliency}: Simonyan et al. 2013: the gradient of the pre-softmax class score w.r.t. the
 *       image, max of |.| over colour channels, [N, H, W].</li>
 *   <li>{@link #gradCam}: Selvaraju et al. 2017: weights = spatial mean of d score / d layer per channel,
 *       map = relu(sum_c weight_c * layer_c), [N, h, w] at the layer's resolution.</li>
 * </ul>
 *
 * <p>Layouts are NHWC. <b>Batch size 1 only</b>: the input tensor and the image must have batch 1 (load
 * a {@link TfjsModel} with its default batch of 1). The score tensor must be the pre-softmax scores
 * [1, classes] (the logits, e.g. a "BiasAdd" node before a "Softmax"), not the probabilities.
 *
 * <p>The backward nodes are added to the caller's graph once per (input, layer or score, rule) and
 * reused by later calls. Not thread-safe for one graph (neither is building a {@link Graph}).
 */
public final class Projections {
    private Projections() {}

    /**
     * One projection.
     *
     * @param projection input-shaped [1, H, W, C] back-projection (saliency: [1, H, W]; Grad-CAM: [1, h, w])
     * @param activation the selected activation's value (saliency / Grad-CAM: the class score)
     * @param y          row of the selected activation in the layer (-1 for saliency / Grad-CAM)
     * @param x          column of the selected activation in the layer (-1 for saliency / Grad-CAM)
     */
    public record Projection(INDArray projection, double activation, int y, int x) {}

    /** The seed placeholder (of the seeded tensor's shape) and the backward result. */
    record Built(Tensor seed, Tensor grad) {}

    /**
     * The backward nodes already built, by (x, y) tensor identity (weakly) and method. The built tensors
     * are held weakly too: the graph itself holds them, so they live exactly as long as it does, and
     * nothing here keeps a graph alive.
     */
    private static final Map<Tensor, Map<Tensor, Map<String, WeakBuilt>>> CACHE = new WeakHashMap<>();

    private record WeakBuilt(WeakReference<Tensor> seed, WeakReference<Tensor> grad) {
        Built get() {
            Tensor s = seed.get(), g = grad.get();
            return s == null || g == null ? null : new Built(s, g);
        }
    }

    /** Zeiler and Fergus's deconvnet projection of the strongest activation of {@code channel} in {@code layer}. */
    public static Projection deconvnet(Graph graph, Tensor input, Tensor layer, INDArray image, int channel) {
        return project("deconvnet", graph, input, layer, image, channel, ReluRule.DECONVNET);
    }

    /** Guided backpropagation of the strongest activation of {@code channel} in {@code layer}. */
    public static Projection guided(Graph graph, Tensor input, Tensor layer, INDArray image, int channel) {
        return project("guided", graph, input, layer, image, channel, ReluRule.GUIDED);
    }

    /**
     * Saliency map: max over colour channels of |d score[0, classIndex] / d image|, shape [1, H, W];
     * {@code activation} of the result is the class score.
     */
    public static Projection saliency(Graph graph, Tensor input, Tensor scoreTensor, INDArray image, int classIndex) {
        String m = "saliency";
        INDArray img = checkInput(m, graph, input, image);
        checkScore(m, graph, scoreTensor, classIndex);
        return BatchProjections.saliency(graph, input, scoreTensor, img, new int[] {classIndex}).get(0);
    }

    /**
     * Grad-CAM of {@code layer} (NHWC, [1, h, w, C]) for {@code classIndex}: shape [1, h, w];
     * {@code activation} of the result is the class score.
     */
    public static Projection gradCam(Graph graph, Tensor input, Tensor layer, Tensor scoreTensor, INDArray image,
                                     int classIndex) {
        String m = "gradCam";
        INDArray img = checkInput(m, graph, input, image);
        checkLayer(m, graph, layer, false);
        checkScore(m, graph, scoreTensor, classIndex);
        return BatchProjections.gradCam(graph, input, layer, scoreTensor, img, new int[] {classIndex}).get(0);
    }

    /**
     * The deconvnet ({@link ReluRule#DECONVNET}) or guided ({@link ReluRule#GUIDED}) projection of the
     * activation at a given position (y, x) of {@code channel}, e.g. the one a data-set-wide top-k chose:
     * the seed is this forward pass's value there.
     */
    public static Projection projectAt(ReluRule rule, Graph graph, Tensor input, Tensor layer, INDArray image, int channel,
                                       int y, int x) {
        String m = rule == ReluRule.GUIDED ? "guided" : "deconvnet";
        INDArray img = checkInput(m, graph, input, image);
        checkChannel(m, graph, layer, channel);
        checkPosition(m, layer, y, x);
        INDArray act = graph.run(layer, Map.of(input, img));
        return projectSeeded(rule, graph, input, layer, image, channel, y, x, act.getDouble(0, y, x, channel));
    }

    /**
     * As {@link #projectAt}, seeded with a given activation value (e.g. the one a data-set scan
     * measured there) instead of this pass's: one forward-backward run instead of two.
     */
    public static Projection projectSeeded(ReluRule rule, Graph graph, Tensor input, Tensor layer, INDArray image, int channel,
                                           int y, int x, double value) {
        String m = rule == ReluRule.GUIDED ? "guided" : "deconvnet";
        INDArray img = checkInput(m, graph, input, image);
        checkChannel(m, graph, layer, channel);
        checkPosition(m, layer, y, x);
        return seeded(rule, graph, input, img, layer, channel, value, y, x);
    }

    private static Projection project(String m, Graph graph, Tensor input, Tensor layer, INDArray image, int channel,
                                      ReluRule rule) {
        INDArray img = checkInput(m, graph, input, image);
        checkChannel(m, graph, layer, channel);
        build(graph, rule, m, input, layer, "layer");       // refuses a layer that does not depend on the input, before any work
        INDArray act = graph.run(layer, Map.of(input, img));
        long h = act.size(1), w = act.size(2);
        double best = Double.NEGATIVE_INFINITY;
        int by = -1, bx = -1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double v = act.getDouble(0, y, x, channel);
                if (v > best || by < 0) {       // strict >: the first maximum in row-major order wins
                    best = v;
                    by = y;
                    bx = x;
                }
            }
        }
        if (!Double.isFinite(best)) {
            throw new IllegalArgumentException(m + ": channel " + channel + " of layer " + layer.name()
                    + " holds a non-finite maximum " + best + " for this image");
        }
        return seeded(rule, graph, input, img, layer, channel, best, by, bx);
    }

    private static Projection seeded(ReluRule rule, Graph graph, Tensor input, INDArray img, Tensor layer, int channel, double value,
                                     int y, int x) {
        return BatchProjections.projectSeeded(rule, graph, input, layer, img, new int[] {channel}, new int[] {y}, new int[] {x},
                new double[] {value}).get(0);
    }

    static void checkPosition(String m, Tensor layer, int y, int x) {
        if (y < 0 || y >= layer.size(1) || x < 0 || x >= layer.size(2)) {
            throw new IllegalArgumentException(m + ": position (" + y + ", " + x + ") is outside layer " + layer.name()
                    + " of shape " + Arrays.toString(layer.shape()));
        }
    }

    private static void checkChannel(String m, Graph graph, Tensor layer, int channel) {
        checkLayer(m, graph, layer, false);
        checkChannelIndex(m, layer, channel);
    }

    static void checkChannelIndex(String m, Tensor layer, int channel) {
        long channels = layer.size(3);
        if (channel < 0 || channel >= channels) {
            throw new IllegalArgumentException(m + ": channel " + channel + " is out of range for layer " + layer.name()
                    + " of shape " + Arrays.toString(layer.shape()) + " (legal: 0 <= channel < " + channels + ")");
        }
    }

    static Built build(Graph graph, ReluRule rule, String m, Tensor x, Tensor y, String yWhat) {
        String key = m + "/" + rule;
        synchronized (CACHE) {
            Map<String, WeakBuilt> perPair = CACHE.computeIfAbsent(x, k -> new WeakHashMap<>())
                    .computeIfAbsent(y, k -> new HashMap<>());
            WeakBuilt ref = perPair.get(key);
            Built b = ref == null ? null : ref.get();
            if (b != null) return b;
            Tensor seed = graph.placeholder("projections/" + m + "/seed", y.dataType(), y.shape());
            Tensor grad = Gradients.gradients(List.of(y), List.of(x), List.of(seed), List.of(),
                    Gradients.Unconnected.NONE, rule).get(0);
            if (grad == null) {
                throw new IllegalArgumentException(m + ": the " + yWhat + " " + y.name() + " does not depend on "
                        + x.name() + ", nothing to project");
            }
            b = new Built(seed, grad);
            perPair.put(key, new WeakBuilt(new WeakReference<>(seed), new WeakReference<>(grad)));
            return b;
        }
    }

    static void checkGraph(String m, Graph graph, Tensor t, String what) {
        if (graph == null) throw new IllegalArgumentException(m + ": graph is null");
        if (t == null) throw new IllegalArgumentException(m + ": " + what + " is null");
        if (t.graph() != graph) throw new IllegalArgumentException(m + ": " + what + " " + t.name() + " is not a tensor of the given graph");
    }

    /** Checks the input tensor and the image; returns the image in the input's data type. */
    private static INDArray checkInput(String m, Graph graph, Tensor input, INDArray image) {
        return checkInput(m, graph, input, image, false);
    }

    /** As above; {@code anyBatch}: the input may have any batch size (the image must match it). */
    static INDArray checkInput(String m, Graph graph, Tensor input, INDArray image, boolean anyBatch) {
        checkGraph(m, graph, input, "input");
        if (input.rank() != 4) {
            throw new IllegalArgumentException(m + ": input " + input.name() + " must be 4-D NHWC, got shape "
                    + Arrays.toString(input.shape()));
        }
        if (!anyBatch && input.size(0) != 1) {
            throw new IllegalArgumentException(m + ": only batch size 1 is supported, input " + input.name()
                    + " has shape " + Arrays.toString(input.shape()) + " (load the model with batch 1)");
        }
        if (image == null) throw new IllegalArgumentException(m + ": image is null");
        if (!Arrays.equals(image.shape(), input.shape())) {
            throw new IllegalArgumentException(m + ": image shape " + Arrays.toString(image.shape())
                    + " does not match input " + input.name() + " shape " + Arrays.toString(input.shape())
                    + (anyBatch ? "" : " (batch size 1 only)"));
        }
        return image.dataType() == input.dataType() ? image : image.castTo(input.dataType());
    }

    static void checkLayer(String m, Graph graph, Tensor layer, boolean anyBatch) {
        checkGraph(m, graph, layer, "layer");
        if (layer.rank() != 4) {
            throw new IllegalArgumentException(m + ": layer " + layer.name() + " must be 4-D NHWC [" + (anyBatch ? "batch" : "1") + ", h, w, channels], got shape "
                    + Arrays.toString(layer.shape()));
        }
        if (!anyBatch && layer.size(0) != 1) {
            throw new IllegalArgumentException(m + ": only batch size 1 is supported, layer " + layer.name()
                    + " has shape " + Arrays.toString(layer.shape()));
        }
    }

    private static void checkScore(String m, Graph graph, Tensor score, int classIndex) {
        checkScore(m, graph, score, classIndex, false);
    }

    static void checkScore(String m, Graph graph, Tensor score, int classIndex, boolean anyBatch) {
        checkGraph(m, graph, score, "score tensor");
        if (score.rank() != 2 || (!anyBatch && score.size(0) != 1)) {
            throw new IllegalArgumentException(m + ": score tensor " + score.name() + " must be [" + (anyBatch ? "batch" : "1") + ", classes] (pre-softmax), got shape "
                    + Arrays.toString(score.shape()));
        }
        long classes = score.size(1);
        if (classIndex < 0 || classIndex >= classes) {
            throw new IllegalArgumentException(m + ": class " + classIndex + " is out of range for score tensor " + score.name()
                    + " of shape " + Arrays.toString(score.shape()) + " (legal: 0 <= class < " + classes + ")");
        }
    }
}
