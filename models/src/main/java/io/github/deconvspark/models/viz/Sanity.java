package io.github.deconvspark.models.viz;

import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.ReluRule;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The model-parameter randomization test of Adebayo et al. 2018 ("Sanity Checks for Saliency Maps", section 3.1,
 * cascading randomization): a method whose maps barely change when the model's learned weights are replaced by random
 * ones cannot be explaining what the model learned.
 *
 * <ul>
 *   <li>{@link #cascade}: the layers that hold parameters, from the output back to the input, each with its parameters
 *       (weights and bias of one conv or dense layer together; a per-channel affine right after one, e.g. inference
 *       batch-norm's scale and offset, joins it, as one tf-slim Inception layer holds its conv and its batch-norm).</li>
 *   <li>{@link #randomized}: the parameters of the top s layers re-drawn, as feeds: {@link Graph#run} lets a feed
 *       override any tensor, constants included, so a randomized model is the same graph run with these values fed.
 *       Nothing is copied and the model's own parameters are never written. Each parameter is re-drawn from a truncated
 *       normal at its own mean mu and standard deviation sigma (population): mu + sigma z / 0.8796, z a standard normal
 *       re-drawn outside [-2, 2] (TF's truncated_normal, the re-initialization Adebayo et al. used; 0.8796 is the
 *       truncated normal's standard deviation, so the new values spread as the trained ones). A parameter's values come
 *       from (seed, its name) alone, so it keeps them at every later step of the cascade and a run repeats bit for bit.</li>
 *   <li>{@link #run}: step 0 is the trained model, step s = 1..L has the top s layers randomized (cumulatively); at each
 *       step each image's map is compared with the trained model's map of it: Spearman's rank correlation of the
 *       absolute maps and of the signed maps, and SSIM of the absolute maps normalized to [0, 1] (data range 1), all as
 *       {@link Similarity} computes them.</li>
 *   <li>{@link #svg}: the per-step curves (mean Spearman of the absolute maps per method) as the paper's figure.</li>
 * </ul>
 * The 2-D maps compared, from a method's [H, W, C] map M: absolute = sum_c |M_c| and signed = sum_c M_c (the saliency
 * library's VisualizeImageGrayscale and VisualizeImageDiverging before their scaling); the absolute one normalized with
 * {@link Similarity#grayscale} for SSIM. The score tensor is the pre-softmax class scores [B, classes] of the model's graph.
 */
public final class Sanity {
    private Sanity() {}

    /** {@link Step#layer} of step 0, the trained model. */
    public static final String TRAINED = "(trained)";
    /** The standard deviation of a standard normal truncated to [-2, 2]. */
    static final double TRUNCATED_STD = 0.8796256610342398;

    /** The methods tested, their maps [H, W, C] (SALIENCY: [H, W]) float64. */
    public enum Method {
        /** d score[class] / d image, signed (Simonyan et al. 2013 before the |.| and the channel max). */ GRADIENT,
        /** max over colour channels of |d score / d image| (Simonyan et al. 2013), [H, W]. */ SALIENCY,
        /** The gradient times the image (Shrikumar et al. 2016). */ GRADIENT_X_INPUT,
        /** Integrated gradients from a black (zero) baseline, right Riemann sum over m steps (Sundararajan et al. 2017). */
        INTEGRATED_GRADIENTS,
        /** Guided backpropagation ({@link ReluRule#GUIDED}, Springenberg et al. 2015) seeded at the class score. */ GUIDED_BACKPROP
    }

    /** One randomization step of the cascade: its first layer (the one named in plots), all its layers and their parameters. */
    public record Group(String layer, List<String> layers, List<String> parameters) {}

    /**
     * One step of a method: {@code randomized} layers (groups) from the top, {@code layer} the last one randomized
     * ({@link #TRAINED} at step 0), and per image the three similarities to the trained model's map.
     */
    public record Step(int randomized, String layer, double[] spearmanAbs, double[] spearmanSigned, double[] ssim) {
        public double meanSpearmanAbs() { return mean(spearmanAbs); }

        public double meanSpearmanSigned() { return mean(spearmanSigned); }

        public double meanSsim() { return mean(ssim); }
    }

    /** A method's steps 0..L. */
    public record Result(Method method, List<Step> steps) {}

    /**
     * The groups of parameters the score depends on, from the output back to the input. A layer is a tensor of
     * {@link Model#layerNames()}; its parameters are the {@link Model#parameters()} reached walking back from it through
     * ops that are no layer, and its input layers the layers reached so; its position is the longest path of layers from
     * the input (a robust order whatever order the file lists its nodes in; ties: later in layerNames() first). A layer
     * whose parameters are all per-channel (at most one axis longer than 1) and whose only input layer is in a group
     * joins that group; any other layer with parameters starts one. A parameter shared by several groups goes with the topmost.
     */
    public static List<Group> cascade(Model model, Tensor scoreTensor) {
        Projections.checkGraph("sanity", model.graph(), scoreTensor, "score tensor");
        List<String> names = model.layerNames();
        Map<Tensor, String> layerName = new IdentityHashMap<>(), paramName = new IdentityHashMap<>();
        Map<Tensor, Integer> index = new IdentityHashMap<>();
        List<String> allParams = model.parameters();
        for (String p : allParams) paramName.put(model.layer(p), p);
        for (int i = 0; i < names.size(); i++) {
            Tensor t = model.layer(names.get(i));
            if (t.op() != null && layerName.putIfAbsent(t, names.get(i)) == null) index.put(t, i);
        }
        layerName.putIfAbsent(scoreTensor, scoreTensor.name());
        index.putIfAbsent(scoreTensor, names.size());
        Map<Tensor, List<Tensor>> preds = new IdentityHashMap<>();
        Map<Tensor, List<String>> params = new IdentityHashMap<>();
        List<Tensor> todo = new ArrayList<>(List.of(scoreTensor));
        while (!todo.isEmpty()) {
            Tensor l = todo.remove(todo.size() - 1);
            if (preds.containsKey(l)) continue;
            List<Tensor> in = new ArrayList<>();
            List<String> own = new ArrayList<>();
            Set<Tensor> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            List<Tensor> walk = new ArrayList<>(l.inputs());
            while (!walk.isEmpty()) {
                Tensor t = walk.remove(walk.size() - 1);
                if (!seen.add(t)) continue;
                if (paramName.containsKey(t)) own.add(paramName.get(t));
                else if (layerName.containsKey(t)) in.add(t);
                else if (t.op() != null) walk.addAll(t.inputs());
            }
            own.sort(java.util.Comparator.comparingInt(allParams::indexOf));         // the model's order
            preds.put(l, in);
            params.put(l, own);
            todo.addAll(in);
        }
        Map<Tensor, Integer> depth = new IdentityHashMap<>();
        for (Tensor l : preds.keySet()) depth(l, preds, depth);
        java.util.Comparator<Tensor> up = java.util.Comparator.<Tensor>comparingInt(depth::get).thenComparingInt(index::get);
        List<Tensor> layers = new ArrayList<>(preds.keySet());
        layers.sort(up);
        Map<Tensor, List<Tensor>> groupOf = new IdentityHashMap<>();
        List<List<Tensor>> groups = new ArrayList<>();
        for (Tensor l : layers) {
            if (params.get(l).isEmpty()) continue;
            boolean perChannel = params.get(l).stream().allMatch(p -> Arrays.stream(model.layer(p).shape()).filter(d -> d > 1).count() <= 1);
            List<Tensor> in = preds.get(l);
            List<Tensor> g = perChannel && in.size() == 1 ? groupOf.get(in.get(0)) : null;
            if (g == null) groups.add(g = new ArrayList<>());
            g.add(l);
            groupOf.put(l, g);
        }
        groups.sort((a, b) -> up.compare(b.get(0), a.get(0)));
        List<Group> out = new ArrayList<>();
        Set<String> taken = new LinkedHashSet<>();
        for (List<Tensor> g : groups) {
            List<String> ps = new ArrayList<>();
            for (Tensor l : g) for (String p : params.get(l)) if (taken.add(p)) ps.add(p);
            if (!ps.isEmpty()) out.add(new Group(layerName.get(g.get(0)), g.stream().map(layerName::get).toList(), List.copyOf(ps)));
        }
        return out;
    }

    private static int depth(Tensor l, Map<Tensor, List<Tensor>> preds, Map<Tensor, Integer> memo) {
        Integer d = memo.get(l);
        if (d != null) return d;
        int best = 0;
        for (Tensor p : preds.get(l)) best = Math.max(best, depth(p, preds, memo));
        memo.put(l, best + 1);
        return best + 1;
    }

    /** The feeds of step s: the parameters of the first s groups of the cascade re-drawn from (seed, name) (see the class comment). */
    public static Map<Tensor, INDArray> randomized(Model model, List<Group> cascade, int s, long seed) {
        return randomized(model, cascade, s, seed, new HashMap<>());
    }

    private static Map<Tensor, INDArray> randomized(Model model, List<Group> cascade, int s, long seed, Map<String, INDArray> memo) {
        if (s < 0 || s > cascade.size()) {
            throw new IllegalArgumentException("sanity: step " + s + " is outside the cascade of " + cascade.size() + " groups (legal: 0 to "
                    + cascade.size() + ")");
        }
        Map<Tensor, INDArray> feeds = new IdentityHashMap<>();
        for (Group g : cascade.subList(0, s)) {
            for (String p : g.parameters()) {
                if (!model.hasLayer(p)) throw new IllegalArgumentException("sanity: parameter " + p + " of group " + g.layer() + " is no tensor of the model");
                Tensor t = model.layer(p);
                if (t.value() == null) throw new IllegalArgumentException("sanity: " + p + " of group " + g.layer() + " is a " + t.kind() + ", not a parameter");
                feeds.put(t, memo.computeIfAbsent(p, k -> redraw(t.value(), p, seed)));
            }
        }
        return feeds;
    }

    /** A parameter re-drawn: its mean + its std / 0.8796 * (a standard normal truncated to [-2, 2]), from (seed, name). */
    static INDArray redraw(INDArray trained, String name, long seed) {
        double[] v = trained.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double mean = 0, var = 0;
        for (double x : v) mean += x;
        mean /= v.length;
        for (double x : v) var += (x - mean) * (x - mean);
        double scale = Math.sqrt(var / v.length) / TRUNCATED_STD;
        SplittableRandom r = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (name.hashCode() + 1L)));
        double[] out = new double[v.length];
        for (int i = 0; i < out.length; i++) {
            double z;
            do {
                z = Math.sqrt(-2 * Math.log(1.0 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());       // Box-Muller
            } while (Math.abs(z) > 2);
            out[i] = mean + scale * z;
        }
        return Nd4j.create(out, trained.shape(), 'c').castTo(trained.dataType());
    }

    /**
     * Each image's map by each method (images [H, W, C] or [1, H, W, C]), the graph run with {@code overrides} fed
     * (e.g. {@link #randomized}; empty for the trained model), packed into the model's batch; integrated gradients with
     * {@code igSteps} steps. The gradient-derived methods share one gradient pass.
     */
    public static Map<Method, List<INDArray>> maps(Model model, Tensor scoreTensor, List<Method> methods, List<INDArray> images,
                                                   int classIndex, int igSteps, Map<Tensor, INDArray> overrides) {
        Graph graph = model.graph();
        Tensor input = model.input();
        List<INDArray> xs = checked(model, scoreTensor, methods, images, classIndex, igSteps);
        Map<Method, List<INDArray>> out = new LinkedHashMap<>();
        INDArray[] grads = methods.stream().anyMatch(m -> m.ordinal() <= Method.GRADIENT_X_INPUT.ordinal())
                ? Attributions.gradients(graph, input, scoreTensor, xs, classIndex, overrides) : null;
        for (Method m : methods) {
            List<INDArray> maps = new ArrayList<>();
            for (int i = 0; i < xs.size(); i++) {
                INDArray x = xs.get(i).castTo(DataType.DOUBLE);
                switch (m) {
                    case GRADIENT -> maps.add(grads[i].dup());
                    case SALIENCY -> maps.add(org.nd4j.linalg.ops.transforms.Transforms.abs(grads[i], true).max(2));
                    case GRADIENT_X_INPUT -> maps.add(grads[i].mul(x));
                    case INTEGRATED_GRADIENTS -> maps.add(Attributions.integratedGradients(graph, input, scoreTensor, x, Nd4j.zeros(DataType.DOUBLE, x.shape()), classIndex,
                            igSteps, Attributions.Riemann.RIGHT, overrides));
                    case GUIDED_BACKPROP -> { }
                }
            }
            out.put(m, m == Method.GUIDED_BACKPROP ? guided(graph, input, scoreTensor, xs, classIndex, overrides) : maps);
        }
        return out;
    }

    /** Guided backpropagation from score[class], images packed B per pass: [H, W, C] float64 each. */
    private static List<INDArray> guided(Graph graph, Tensor input, Tensor score, List<INDArray> xs, int cls, Map<Tensor, INDArray> overrides) {
        int[] classes = new int[xs.size()];
        java.util.Arrays.fill(classes, cls);
        return List.of(Attributions.gradients(graph, input, score, xs, classes, overrides, ReluRule.GUIDED));
    }

    /** {@link #run} over the whole {@link #cascade} of the score. */
    public static List<Result> run(Model model, Tensor scoreTensor, List<INDArray> images, int classIndex, List<Method> methods,
                                   int igSteps, long seed) {
        return run(model, scoreTensor, images, classIndex, methods, cascade(model, scoreTensor), igSteps, seed);
    }

    /**
     * The cascading randomization test: steps 0 (trained) to cascade.size(), the first s groups of {@code cascade}
     * randomized at step s (pass a prefix of {@link #cascade} for fewer steps, or coarser groups); per method and step
     * the similarities of each image's map to its trained map. The class is explained in every image.
     */
    public static List<Result> run(Model model, Tensor scoreTensor, List<INDArray> images, int classIndex, List<Method> methods,
                                   List<Group> cascade, int igSteps, long seed) {
        checked(model, scoreTensor, methods, images, classIndex, igSteps);
        if (cascade == null || cascade.isEmpty()) throw new IllegalArgumentException("sanity: the cascade is empty, nothing to randomize");
        Map<String, INDArray> memo = new HashMap<>();
        List<Method> ms = List.copyOf(new LinkedHashSet<>(methods));
        Map<Method, List<double[][]>> trained = reduced(maps(model, scoreTensor, ms, images, classIndex, igSteps, Map.of()));
        Map<Method, List<double[]>> trainedGray = new HashMap<>();
        for (Method m : ms) trainedGray.put(m, trained.get(m).stream().map(r -> Similarity.grayscale(r[0])).toList());
        Map<Method, List<Step>> steps = new LinkedHashMap<>();
        for (Method m : ms) steps.put(m, new ArrayList<>());
        long[] shape = model.input().shape();
        int h = (int) shape[1], w = (int) shape[2];
        for (int s = 0; s <= cascade.size(); s++) {
            Map<Method, List<double[][]>> now = s == 0 ? trained
                    : reduced(maps(model, scoreTensor, ms, images, classIndex, igSteps, randomized(model, cascade, s, seed, memo)));
            for (Method m : ms) {
                int n = images.size();
                double[] abs = new double[n], signed = new double[n], ssim = new double[n];
                for (int i = 0; i < n; i++) {
                    double[][] t = trained.get(m).get(i), r = now.get(m).get(i);
                    abs[i] = Similarity.spearman(t[0], r[0]);
                    signed[i] = Similarity.spearman(t[1], r[1]);
                    ssim[i] = Similarity.ssim(trainedGray.get(m).get(i), Similarity.grayscale(r[0]), h, w, 1);
                }
                steps.get(m).add(new Step(s, s == 0 ? TRAINED : cascade.get(s - 1).layer(), abs, signed, ssim));
            }
        }
        List<Result> out = new ArrayList<>();
        for (Method m : ms) out.add(new Result(m, List.copyOf(steps.get(m))));
        return out;
    }

    /** Per method and image: {absolute 2-D map, signed 2-D map} (sums over channels; a 2-D map is both). */
    private static Map<Method, List<double[][]>> reduced(Map<Method, List<INDArray>> maps) {
        Map<Method, List<double[][]>> out = new LinkedHashMap<>();
        for (Map.Entry<Method, List<INDArray>> e : maps.entrySet()) {
            List<double[][]> l = new ArrayList<>();
            for (INDArray m : e.getValue()) {
                double[] v = m.castTo(DataType.DOUBLE).dup('c').data().asDouble();
                if (m.rank() == 2) {
                    l.add(new double[][] {v, v});
                    continue;
                }
                int c = (int) m.size(2), n = v.length / c;
                double[] abs = new double[n], signed = new double[n];
                for (int p = 0; p < n; p++) {
                    for (int q = 0; q < c; q++) {
                        abs[p] += Math.abs(v[p * c + q]);
                        signed[p] += v[p * c + q];
                    }
                }
                l.add(new double[][] {abs, signed});
            }
            out.put(e.getKey(), l);
        }
        return out;
    }

    /** Checks the arguments, naming the cause; the images as [H, W, C]. */
    private static List<INDArray> checked(Model model, Tensor scoreTensor, List<Method> methods, List<INDArray> images, int classIndex,
                                          int igSteps) {
        if (model == null) throw new IllegalArgumentException("sanity: model is null");
        Projections.checkGraph("sanity", model.graph(), scoreTensor, "score tensor");
        Attributions.check(scoreTensor, classIndex, igSteps, 1, 0);
        if (methods == null || methods.isEmpty() || methods.stream().anyMatch(java.util.Objects::isNull)) throw new IllegalArgumentException("sanity: no methods given (or a null one)");
        if (images == null || images.isEmpty()) throw new IllegalArgumentException("sanity: no images given");
        long[] one = Arrays.copyOfRange(model.input().shape(), 1, model.input().rank());
        if (one.length != 3 || one[0] < Similarity.WINDOW || one[1] < Similarity.WINDOW) {
            throw new IllegalArgumentException("sanity: the input " + model.input().name() + " must be NHWC of at least " + Similarity.WINDOW
                    + " x " + Similarity.WINDOW + " pixels (SSIM's window), got " + Arrays.toString(model.input().shape()));
        }
        List<INDArray> xs = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            INDArray x = images.get(i);
            if (x != null && x.rank() == 4 && x.size(0) == 1) x = x.reshape(one);
            if (x == null || !Arrays.equals(x.shape(), one)) {
                throw new IllegalArgumentException("sanity: image " + i + " of shape " + (x == null ? "null" : Arrays.toString(images.get(i).shape()))
                        + " does not match the input " + model.input().name() + " (per image " + Arrays.toString(one) + ")");
            }
            xs.add(x);
        }
        return xs;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** The per-step curves as a standalone inline SVG; see {@link SanityChart#svg}. */
    public static String svg(List<Result> results) {
        return SanityChart.svg(results);
    }
}
