package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.images.ImagePrep;
import io.github.deconvspark.jobs.images.Normalize;
import io.github.deconvspark.kernels.autodiff.ReluRule;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import io.github.deconvspark.models.viz.BatchProjections;
import io.github.deconvspark.models.viz.Explainer;
import io.github.deconvspark.models.viz.Explainer.Method;
import io.github.deconvspark.models.viz.ReceptiveField;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The compute of the visualize job, with no Spark and no storage in it, so that the Spark job and
 * the in-process loop ({@link VisualizeLoop}) run exactly the same code:
 * {@link #scan} runs a batch of images through the model and keeps, per unit, the strongest value
 * and its position; {@link #project} projects chosen activations of one image back to pixels.
 *
 * <p>A unit is what the top-k ranks: a feature map (layer, channel) for deconvnet and guided
 * backprop, a class of the score head for saliency and (layer, class) for Grad-CAM.
 * Not thread-safe: one instance per thread (it owns a model graph).
 */
public final class Visualizer implements AutoCloseable {

    /** One ranked unit. {@code label} is the layer (or head) as the user named it. */
    public record Unit(int index, String node, String label, int channel, String scoreNode) implements Serializable {
        public String dir() {
            String base = label.replaceAll("[^A-Za-z0-9_.-]+", "-");
            return base + "/" + (scoreNode == null ? "c" : "class") + channel;
        }
    }

    /**
     * What to compute, resolved against the model (on the driver) and shipped to executors.
     *
     * @param methods   the methods, each run on every selection (several per pass: --method a,b,c)
     * @param options   the methods' options, the CAM methods' layer resolved to its node
     * @param inputSize the image side a model with a dynamic spatial size is loaded with (--input-size), 0 for the model's own
     * @param normalize what the model expects of its pixels (--normalize)
     */
    public record Plan(List<Method> methods, List<Unit> units, int size, String modelSha256, int batch, int inputSize, Normalize normalize,
                       Explainer.Options options, int faithfulnessSteps) implements Serializable {
        /** Only deconvnet and guided: units are feature maps; any other method makes them classes of the head. */
        public boolean perFeatureMap() { return methods.stream().allMatch(Method::takesUnits); }

        /** The methods as --method names them, comma-separated. */
        public String method() { return String.join(",", methods.stream().map(Method::toString).toList()); }

        /** {h, w} to load the model with, or null for its own size. */
        public int[] inputHw() { return inputSize > 0 ? new int[] {inputSize, inputSize} : null; }
    }

    /** A selected activation of one image to project. */
    public record Selection(int unit, int rank, String path, float value, int position) implements Serializable {}

    /** One projection, ready to write. */
    /**
     * One method's map of a selection; {@code patchPng} null when another method of the same selection wrote it;
     * {@code curves} its deletion and insertion curves (--faithfulness-steps), or null.
     */
    public record Projected(Selection sel, Method method, int y, int x, int[] box, int[] shape, float[] values, byte[] projectionPng,
                            byte[] patchPng, io.github.deconvspark.models.viz.Faithfulness.Curves curves) {}

    private final Plan plan;
    private final Model model;
    private final Map<String, ReceptiveField> fields = new HashMap<>();

    /** Loads the model (a local model.json) with the given batch size. */
    public Visualizer(Plan plan, Path modelJson, int batch) {
        this.plan = plan;
        try {
            this.model = Models.load(modelJson, batch, org.nd4j.linalg.api.buffer.DataType.FLOAT, plan.inputHw());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the model " + modelJson + ": " + e.getMessage(), e);
        }
        if (!model.sha256().equals(plan.modelSha256())) {
            throw new IllegalStateException("the model " + modelJson + " changed during the run: SHA-256 " + model.sha256()
                    + ", the driver planned with " + plan.modelSha256());
        }
    }

    /**
     * Resolves the job's layers, channels, head and classes against the model. Every error names the
     * option, the value, and the legal values.
     */
    public static Plan plan(Model m, Method method, List<String> layers, String channels, String head, String classes, int batch) {
        return plan(m, List.of(method), layers, channels, head, classes, batch, 0, Normalize.NONE, Explainer.Options.defaults(), 0);
    }

    /**
     * As above for several methods, a model loaded with {@code inputSize} (0: its own) whose pixels are normalized as
     * {@code normalize}. Only deconvnet and guided: feature-map units of {@code layers}; otherwise class units of the
     * head (deconvnet and guided then project the class score), and the CAM methods map the one layer of {@code layers}.
     */
    public static Plan plan(Model m, List<Method> methods, List<String> layers, String channels, String head, String classes, int batch,
                            int inputSize, Normalize normalize, Explainer.Options options, int faithfulnessSteps) {
        int size = inputSize(m);
        long fixed = m.declaredBatch();
        if (fixed > 1) {
            throw new IllegalArgumentException("visualize: the model's input " + m.input().name() + " has a fixed batch dimension of " + fixed
                    + "; the scan and the projections run --batch images per pass, so the batch dimension must be -1 (any) or 1");
        }
        if (fixed == 1 && batch != 1) {
            throw new IllegalArgumentException("visualize: --batch " + batch + ", but the model's input " + m.input().name()
                    + " has a fixed batch dimension of 1: use --batch 1");
        }
        if (methods.isEmpty()) throw new IllegalArgumentException("visualize: --method is empty; use one or more of " + Method.NAMES);
        List<Unit> units = new ArrayList<>();
        Explainer.Options o = options;
        if (methods.stream().allMatch(Method::takesUnits)) {
            if (layers.isEmpty()) throw new IllegalArgumentException("visualize: --layers is empty; give one or more layers, e.g. "
                    + String.join(",", featureLayers(m).subList(0, Math.min(3, featureLayers(m).size()))));
            for (String l : layers) {
                String node = resolve(m, l, "layers");
                Tensor t = m.layer(node);
                requireFeatureMap(m, t, l);
                for (int c : indices(channels, (int) t.size(3), "channels", l)) units.add(new Unit(units.size(), node, l, c, null));
            }
        } else {
            String hn = resolve(m, head, "head");
            int classesN = classes(m, hn, head);
            if (methods.stream().anyMatch(Method::needsLayer)) {
                String cams = String.join(",", methods.stream().filter(Method::needsLayer).map(Method::toString).toList());
                if (layers.size() != 1) {
                    throw new IllegalArgumentException("visualize: " + cams + " map one convolutional layer: give it as --layers (got "
                            + (layers.isEmpty() ? "none" : layers) + "); layers with feature maps: " + featureLayers(m));
                }
                String node = resolve(m, layers.get(0), "layers");
                requireFeatureMap(m, m.layer(node), layers.get(0));
                o = o.withLayer(node);
            }
            Explainer explainer = new Explainer(m, hn);
            for (Method method : methods) explainer.check(method, o, Explainer.Target.ofClass(0));
            for (int c : indices(classes, classesN, "classes", head)) units.add(new Unit(units.size(), hn, head, c, hn));
        }
        if (faithfulnessSteps > 0) {
            if (units.get(0).scoreNode() == null) {
                throw new IllegalArgumentException("visualize: --faithfulness-steps scores class maps; deconvnet/guided of feature maps "
                        + "have no class: add a class method (and --head) or use --faithfulness-steps 0");
            }
            io.github.deconvspark.models.viz.Faithfulness.check(m.input(), m.layer(units.get(0).scoreNode()), 0,
                    io.github.deconvspark.models.viz.Faithfulness.Options.of(faithfulnessSteps));
        }
        return new Plan(List.copyOf(methods), units, size, m.sha256(), batch, inputSize, normalize, o, faithfulnessSteps);
    }

    static int inputSize(Model m) {
        long[] s = m.input().shape();
        if (s.length != 4 || (s[3] != 3 && s[3] != 1) || s[1] != s[2] || s[1] < 1) {
            throw new IllegalArgumentException("visualize: the model's input must be NHWC RGB or grayscale with a square image, "
                    + "[batch, S, S, 3] or [batch, S, S, 1]; " + m.input().name() + " of " + m.path() + " is " + Arrays.toString(s));
        }
        return (int) s[1];
    }

    /** The model's input channels: 3 (RGB) or 1 (grayscale: images are converted with {@link ImagePrep#toChannels}). */
    int channels() {
        return (int) model.input().size(3);
    }

    private static void requireFeatureMap(Model m, Tensor t, String l) {
        if (t.rank() != 4) {
            throw new IllegalArgumentException("visualize: layer '" + l + "' has shape " + Arrays.toString(t.shape())
                    + "; projections need a 4-D NHWC feature map. Layers with feature maps: " + featureLayers(m));
        }
    }

    private static int classes(Model m, String node, String given) {
        Tensor t = m.layer(node);
        if (t.rank() != 2) {
            throw new IllegalArgumentException("visualize: --head '" + given + "' has shape " + Arrays.toString(t.shape())
                    + "; it must be the pre-softmax class scores [batch, classes] (e.g. a dense layer's BiasAdd)");
        }
        return (int) t.size(1);
    }

    /** Short names of the layers with 4-D outputs (for messages). */
    static List<String> featureLayers(Model m) {
        List<String> out = new ArrayList<>();
        for (String n : m.layerNames()) {
            Tensor t = m.layer(n);
            if (t.rank() == 4 && !m.opOf(n).equals("Const") && !m.opOf(n).equals("Placeholder")) out.add(shortName(n));
        }
        return out;
    }

    private static String shortName(String node) {
        String[] p = node.split("/");
        return p.length >= 2 ? p[p.length - 2] + "/" + p[p.length - 1] : node;
    }

    /**
     * A layer by its node name, or by a unique suffix after a '/' (e.g. "conv2d_3/Relu"), or by a
     * scope (e.g. "conv2d_3": the last node inside ".../conv2d_3/").
     */
    public static String resolve(Model m, String given, String option) {
        if (given == null || given.isBlank()) throw new IllegalArgumentException("visualize: --" + option + " is empty");
        if (m.hasLayer(given)) return given;
        List<String> suffix = new ArrayList<>(), scope = new ArrayList<>();
        for (String n : m.layerNames()) {
            if (n.endsWith("/" + given)) suffix.add(n);
            if (n.contains("/" + given + "/")) scope.add(n);
        }
        if (suffix.size() == 1) return suffix.get(0);
        if (suffix.size() > 1) {
            throw new IllegalArgumentException("visualize: --" + option + " '" + given + "' is ambiguous; it matches " + suffix);
        }
        if (!scope.isEmpty()) return scope.get(scope.size() - 1);
        throw new IllegalArgumentException("visualize: --" + option + " '" + given + "' is not a layer of " + m.path()
                + "; layers with feature maps: " + featureLayers(m));
    }

    /** "all", "a-b" (inclusive), or "a,b,c" (and mixes), each in [0, n). */
    static List<Integer> indices(String spec, int n, String option, String layer) {
        List<Integer> out = new ArrayList<>();
        String s = spec == null ? "" : spec.trim();
        if (s.equals("all")) {
            for (int i = 0; i < n; i++) out.add(i);
            return out;
        }
        for (String part : s.split(",")) {
            part = part.trim();
            if (part.isEmpty()) continue;
            try {
                int dash = part.indexOf('-');
                int a = Integer.parseInt(dash < 0 ? part : part.substring(0, dash).trim());
                int b = dash < 0 ? a : Integer.parseInt(part.substring(dash + 1).trim());
                if (a < 0 || b < a) throw new NumberFormatException();
                for (int i = a; i <= b; i++) {
                    if (i >= n) {
                        throw new IllegalArgumentException("visualize: --" + option + " " + spec + ": index " + i + " is out of range for '"
                                + layer + "', which has " + n + " (legal: 0-" + (n - 1) + ")");
                    }
                    if (!out.contains(i)) out.add(i);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("visualize: --" + option + " '" + spec + "': '" + part
                        + "' is not an index or a range a-b (use e.g. 0-7, 0,3,5 or all)");
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("visualize: --" + option + " '" + spec + "' selects nothing");
        return out;
    }

    /** The top-k entries of every unit as selections, grouped by image (path order), rank 1 = strongest. */
    public static Map<String, List<Selection>> selections(TopK top) {
        Map<String, List<Selection>> byImage = new java.util.TreeMap<>();
        for (int u = 0; u < top.units(); u++) {
            List<TopK.Entry> es = top.of(u);
            for (int r = 0; r < es.size(); r++) {
                TopK.Entry e = es.get(r);
                byImage.computeIfAbsent(e.path(), x -> new ArrayList<>()).add(new Selection(u, r + 1, e.path(), e.value(), e.position()));
            }
        }
        return byImage;
    }

    public Plan plan() { return plan; }

    public Model model() { return model; }

    /** Per-unit strongest values (and positions y*w+x, -1 for class scores) of up to batch images. */
    public record Scan(float[][] values, int[][] positions) {}

    /** Runs up to {@code plan.batch()} images (size*size*3 floats each) through the model; unused slots are zeros. */
    public Scan scan(List<float[]> images) {
        int b = (int) model.input().size(0), s = plan.size(), n = images.size();
        if (n > b) throw new IllegalArgumentException("scan: " + n + " images > batch " + b);
        int ch = channels();
        float[] x = new float[b * s * s * ch];
        for (int i = 0; i < n; i++) System.arraycopy(pixels(images.get(i), ch), 0, x, i * s * s * ch, s * s * ch);
        Map<String, Tensor> fetch = new LinkedHashMap<>();
        for (Unit u : plan.units()) {
            String node = plan.perFeatureMap() ? u.node() : u.scoreNode();
            fetch.putIfAbsent(node, model.layer(node));
        }
        List<String> names = new ArrayList<>(fetch.keySet());
        float[][] values = new float[n][plan.units().size()];
        int[][] positions = new int[n][plan.units().size()];
        // The activations are read where the run left them (its workspace): copying a batch's layers out would cost
        // more than computing them (fresh memory is ~0.6 ms/MB here).
        model.graph().read(new ArrayList<>(fetch.values()), Map.of(model.input(),
                Nd4j.create(x, new long[] {b, s, s, ch}, 'c').castTo(model.input().dataType())), outs -> {
            Map<String, java.nio.FloatBuffer> data = new HashMap<>();
            for (int k = 0; k < names.size(); k++) data.put(names.get(k), floats(outs.get(k)));
            for (Unit u : plan.units()) {
                String node = plan.perFeatureMap() ? u.node() : u.scoreNode();
                java.nio.FloatBuffer d = data.get(node);
                Tensor t = fetch.get(node);
                if (plan.perFeatureMap()) {
                    int hw = (int) (t.size(1) * t.size(2)), c = (int) t.size(3);
                    for (int i = 0; i < n; i++) {
                        float best = Float.NaN;
                        int at = -1, base = i * hw * c + u.channel();
                        for (int p = 0; p < hw; p++) {
                            float v = d.get(base + p * c);
                            if (v > best || (Float.isNaN(best) && !Float.isNaN(v))) {     // first maximum in row-major order
                                best = v;
                                at = p;
                            }
                        }
                        values[i][u.index()] = best;
                        positions[i][u.index()] = at;
                    }
                } else {
                    int classes = (int) t.size(1);
                    for (int i = 0; i < n; i++) {
                        values[i][u.index()] = d.get(i * classes + u.channel());
                        positions[i][u.index()] = -1;
                    }
                }
            }
            return null;
        });
        return new Scan(values, positions);
    }

    /** A fetched array's float32 values as they lie (a dense float32 array), or a dense float32 copy of it. */
    private static java.nio.FloatBuffer floats(INDArray a) {
        boolean asIs = a.dataType() == org.nd4j.linalg.api.buffer.DataType.FLOAT && io.github.deconvspark.kernels.Layouts.isDense(a);
        return (asIs ? a : a.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c')).data().asNioFloat();
    }

    /** The model's input values of a prepared RGB image: its channels, normalized as the plan says. */
    /** A prepared image as the model's input takes it: [S, S, C], normalized. */
    public INDArray input(ImagePrep.Result img) {
        int s = plan.size(), c = channels();
        return Nd4j.create(pixels(img.pixels(), c), new long[] {s, s, c}, 'c');
    }

    private float[] pixels(float[] rgb, int channels) {
        return plan.normalize().apply(ImagePrep.toChannels(rgb, channels), channels);
    }

    /** A selection and its prepared image: one slot of a projection batch. */
    public record Target(ImagePrep.Result img, Selection sel) {}

    /**
     * Projects the targets in order, as many per forward-backward pass as the model's batch holds
     * ({@link BatchProjections}: each slot its own image and seed; the same image may fill several).
     */
    public List<Projected> project(List<Target> targets) {
        int b = (int) model.input().size(0);
        Map<String, List<Target>> byLayer = new LinkedHashMap<>();        // one pass serves one layer (or head)
        for (Target t : targets) byLayer.computeIfAbsent(plan.units().get(t.sel().unit()).node(), k -> new ArrayList<>()).add(t);
        List<Projected> out = new ArrayList<>(targets.size());
        for (List<Target> ts : byLayer.values()) {
            for (int from = 0; from < ts.size(); from += b) out.addAll(projectBatch(ts.subList(from, Math.min(ts.size(), from + b))));
        }
        return out;
    }

    /** Up to a batch of targets of one layer (or head): one pass per method. */
    private List<Projected> projectBatch(List<Target> ts) {
        int b = (int) model.input().size(0), s = plan.size(), c = channels(), n = ts.size();
        float[] pixels = new float[b * s * s * c];
        for (int i = 0; i < n; i++) System.arraycopy(pixels(ts.get(i).img().pixels(), c), 0, pixels, i * s * s * c, s * s * c);
        INDArray x = Nd4j.create(pixels, new long[] {b, s, s, c}, 'c').castTo(model.input().dataType());
        if (!plan.perFeatureMap()) return ClassMaps.project(plan, model, x, ts, blackInput());
        Unit first = plan.units().get(ts.get(0).sel().unit());
        int[] channel = new int[n], ys = new int[n], xs = new int[n];
        double[] values = new double[n];
        Tensor layer = model.layer(first.node());
        int w = (int) layer.size(2);
        for (int i = 0; i < n; i++) {
            Selection sel = ts.get(i).sel();
            channel[i] = plan.units().get(sel.unit()).channel();
            ys[i] = sel.position() / w;
            xs[i] = sel.position() % w;
            values[i] = sel.value();
        }
        List<Projected> out = new ArrayList<>(n * plan.methods().size());
        ReceptiveField field = fields.computeIfAbsent(first.node(), nd -> ReceptiveField.of(model.input(), model.layer(nd)));
        for (int mi = 0; mi < plan.methods().size(); mi++) {
            Method method = plan.methods().get(mi);
            ReluRule rule = method == Method.GUIDED ? ReluRule.GUIDED : ReluRule.DECONVNET;
            BatchProjections.Batch p = BatchProjections.projectSeeded(rule, model.graph(), model.input(), layer, x, channel, ys, xs, values);
            float[] all = p.maps().castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
            for (int i = 0; i < n; i++) {
                int[] box = field.box(ys[i], xs[i], s, s);
                int bh = box[2] - box[0], bw = box[3] - box[1];
                float[] crop = new float[bh * bw * c];
                for (int r = 0; r < bh; r++) {
                    System.arraycopy(all, i * s * s * c + ((box[0] + r) * s + box[1]) * c, crop, r * bw * c, bw * c);
                }
                ImagePrep.Result img = ts.get(i).img();
                out.add(new Projected(ts.get(i).sel(), method, ys[i], xs[i], box, new int[] {bh, bw, c}, crop,
                        Render.png(Render.signed(ImagePrep.toRgb(crop, c), bh, bw)), mi == 0 ? Render.png(Render.crop(img.rgb(), box)) : null, null));
            }
        }
        return out;
    }

    /** Black as the model sees it (zeros through --normalize), for integrated gradients' black baseline. */
    private INDArray blackInput() {
        int s = plan.size(), c = channels();
        return Nd4j.create(pixels(new float[s * s * 3], c), new long[] {s, s, c}, 'c');
    }

    @Override public void close() {
        model.close();
    }
}
