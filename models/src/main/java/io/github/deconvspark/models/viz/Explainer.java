package io.github.deconvspark.models.viz;

import io.github.deconvspark.kernels.autodiff.ReluRule;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Attributions in one call, no Spark: a loaded {@link Model}, a list of images (each [H, W, C] as the model's input
 * takes it), a {@link Method} with its {@link Options} and a {@link Target} (a class, "the predicted class", or a unit
 * of a layer) give per image the signed attribution and a display map. The images are packed into the model's batch
 * (load the model with batch B: B images, or B steps, samples, masks or windows, per pass).
 *
 * <pre>{@code
 * try (Model m = Models.load(Path.of("model.onnx"), 8, DataType.FLOAT)) {
 *     Explainer e = new Explainer(m, "logits");
 *     List<Explainer.Explanation> maps = e.explain(images, Explainer.Method.INTEGRATED_GRADIENTS,
 *             Explainer.Options.defaults().withSteps(32), Explainer.Target.predicted());
 * }
 * }</pre>
 * Every option and target is checked before any work ({@link #check}), with the option, the value and the legal range
 * in the message. Results do not depend on an image's place in the list or on B (SmoothGrad's noise comes from
 * {@link Options#seed} and the sample index alone; pass a seed per image to vary it).
 */
public final class Explainer {
    /** The methods, by the names options and files use. */
    public enum Method {
        DECONVNET("deconvnet"), GUIDED("guided"), SALIENCY("saliency"), GRADIENT("gradient"), GRADIENT_X_INPUT("gradxinput"),
        INTEGRATED_GRADIENTS("ig"), SMOOTHGRAD("smoothgrad"), GRADCAM("gradcam"), GRADCAM_PLUS_PLUS("gradcam++"),
        SCORECAM("scorecam"), GUIDED_GRADCAM("guided-gradcam"), OCCLUSION("occlusion");

        public static final List<String> NAMES = Arrays.stream(values()).map(Method::toString).toList();
        private final String name;

        Method(String name) { this.name = name; }

        /** Grad-CAM, Grad-CAM++, Score-CAM and guided Grad-CAM map a conv layer ({@link Options#layer}). */
        public boolean needsLayer() {
            return this == GRADCAM || this == GRADCAM_PLUS_PLUS || this == SCORECAM || this == GUIDED_GRADCAM;
        }

        /** Deconvnet and guided backprop can start from a unit of a layer; every method can start from a class. */
        public boolean takesUnits() { return this == DECONVNET || this == GUIDED; }

        public static Method of(String name) {
            for (Method m : values()) if (m.name.equals(name)) return m;
            throw new IllegalArgumentException("explain: method '" + name + "' is not one of " + NAMES);
        }

        @Override public String toString() { return name; }
    }

    /** Integrated gradients' baseline: black (zeros of the model's input), the image blurred, or seeded uniform noise. */
    public enum Baseline { BLACK, BLUR, UNIFORM }

    /**
     * @param layer  the conv layer of the CAM methods (a name of the model's layers)
     * @param steps  integrated gradients' m, with {@code rule}; {@code baseline} (or {@code baselineImage} if not null)
     * @param blurSigma the Gaussian sigma in pixels of the BLUR baseline
     * @param samples SmoothGrad's n, noise {@code sigma} x (max - min) of the image, over {@code smoothBase}
     * @param seed   SmoothGrad's and the UNIFORM baseline's noise
     * @param window occlusion's square side, moved by {@code stride}, filled with {@code occlusionValue}
     */
    public record Options(String layer, int steps, Attributions.Riemann rule, Baseline baseline, INDArray baselineImage, double blurSigma,
                          int samples, double sigma, Attributions.Base smoothBase, long seed, int window, int stride,
                          double occlusionValue) implements java.io.Serializable {
        /** m 32 (middle rule) from black, SmoothGrad 16 samples at 15 % over the gradient, occlusion 16 by 16 by 8. */
        public static Options defaults() {
            return new Options(null, 32, Attributions.Riemann.MIDDLE, Baseline.BLACK, null, 5, 16, 0.15, Attributions.Base.GRADIENT, 0,
                    16, 8, 0);
        }

        public Options withLayer(String l) { return new Options(l, steps, rule, baseline, baselineImage, blurSigma, samples, sigma, smoothBase, seed, window, stride, occlusionValue); }
        public Options withSteps(int m, Attributions.Riemann r) { return new Options(layer, m, r, baseline, baselineImage, blurSigma, samples, sigma, smoothBase, seed, window, stride, occlusionValue); }
        public Options withSteps(int m) { return withSteps(m, rule); }
        public Options withBaseline(Baseline b) { return new Options(layer, steps, rule, b, null, blurSigma, samples, sigma, smoothBase, seed, window, stride, occlusionValue); }
        public Options withBaselineImage(INDArray b) { return new Options(layer, steps, rule, baseline, b, blurSigma, samples, sigma, smoothBase, seed, window, stride, occlusionValue); }
        public Options withSmoothGrad(int n, double s, Attributions.Base base) { return new Options(layer, steps, rule, baseline, baselineImage, blurSigma, n, s, base, seed, window, stride, occlusionValue); }
        public Options withSeed(long s) { return new Options(layer, steps, rule, baseline, baselineImage, blurSigma, samples, sigma, smoothBase, s, window, stride, occlusionValue); }
        public Options withOcclusion(int w, int st, double v) { return new Options(layer, steps, rule, baseline, baselineImage, blurSigma, samples, sigma, smoothBase, seed, w, st, v); }
    }

    /**
     * What to explain: a class of the head ({@code classIndex} >= 0), the predicted class ({@link #PREDICTED}), or the
     * strongest activation of {@code channel} of {@code layer} in each image (deconvnet and guided only).
     */
    public record Target(int classIndex, String layer, int channel) {
        public static final int PREDICTED = -1;

        public static Target predicted() { return new Target(PREDICTED, null, -1); }

        public static Target ofClass(int c) {
            if (c < 0) throw new IllegalArgumentException("explain: class " + c + " must be >= 0 (or use Target.predicted())");
            return new Target(c, null, -1);
        }

        public static Target unit(String layer, int channel) { return new Target(PREDICTED, layer, channel); }

        public boolean isUnit() { return layer != null; }
    }

    /**
     * One image's result: the signed attribution as the method defines it ([H, W, C] for deconvnet, guided, gradient,
     * gradient x input, integrated gradients, SmoothGrad and guided Grad-CAM; [H, W] for saliency and occlusion; the
     * layer's [h, w] for Grad-CAM, Grad-CAM++ and Score-CAM), float64; {@code display} [H, W] in [0, 1]: |attribution|
     * summed over channels, upsampled (bilinear, corners aligned) to the image, divided by its maximum (all zero stays
     * zero). {@code classIndex} is the class explained (-1 for a unit), {@code value} its score (or the unit's
     * activation, at {@code y}, {@code x} of the layer; -1 for classes).
     */
    public record Explanation(Method method, INDArray attribution, INDArray display, int classIndex, double value, int y, int x) {}

    private final Model model;
    private final Tensor head;

    /** A model and its pre-softmax class-score layer (null when only units are explained). */
    public Explainer(Model model, String head) {
        if (model == null) throw new IllegalArgumentException("explain: model is null");
        this.model = model;
        this.head = head == null ? null : layer(head, "head");
        if (this.head != null && this.head.rank() != 2) {
            throw new IllegalArgumentException("explain: head '" + head + "' has shape " + Arrays.toString(this.head.shape())
                    + "; it must be the pre-softmax class scores [batch, classes]");
        }
    }

    public Model model() { return model; }

    /** The head tensor, or null. */
    public Tensor head() { return head; }

    /** Refuses a method, its options and a target that cannot work on this model, before any image is read. */
    public void check(Method method, Options o, Target t) {
        if (method == null || o == null || t == null) throw new IllegalArgumentException("explain: method, options and target are required");
        if (t.isUnit()) {
            if (!method.takesUnits()) {
                throw new IllegalArgumentException("explain: " + method + " explains classes; a unit target (layer " + t.layer()
                        + ") works with deconvnet and guided only");
            }
            Tensor l = layer(t.layer(), "unit layer");
            Projections.checkLayer("explain", model.graph(), l, true);
            Projections.checkChannelIndex("explain", l, t.channel());
        } else {
            if (head == null) throw new IllegalArgumentException("explain: " + method + " of a class needs the head (the class-score layer)");
            Attributions.check(head, Math.max(0, t.classIndex()), 1, 1, 0);
        }
        if (method.needsLayer()) {
            if (o.layer() == null) throw new IllegalArgumentException("explain: " + method + " needs Options.layer, a conv layer");
            Tensor l = layer(o.layer(), "layer");
            if (l.rank() != 4) {
                throw new IllegalArgumentException("explain: " + method + " layer '" + o.layer() + "' has shape "
                        + Arrays.toString(l.shape()) + "; it must be a conv layer's 4-D NHWC feature map");
            }
        }
        switch (method) {
            case INTEGRATED_GRADIENTS -> Attributions.check(head, 0, o.steps(), 1, 0);
            case SMOOTHGRAD -> Attributions.check(head, 0, o.smoothBase() == Attributions.Base.INTEGRATED_GRADIENTS ? o.steps() : 1,
                    o.samples(), o.sigma());
            case OCCLUSION -> {
                int side = (int) Math.min(model.input().size(1), model.input().size(2));
                if (o.window() < 1 || o.window() > side) {
                    throw new IllegalArgumentException("explain: occlusion window " + o.window() + " must be 1 to " + side + " (the input is "
                            + model.input().size(1) + "x" + model.input().size(2) + ")");
                }
                if (o.stride() < 1) throw new IllegalArgumentException("explain: occlusion stride " + o.stride() + " must be >= 1");
                if (!Double.isFinite(o.occlusionValue())) throw new IllegalArgumentException("explain: occlusion value must be finite");
            }
            default -> { }
        }
        if (method == Method.INTEGRATED_GRADIENTS || (method == Method.SMOOTHGRAD && o.smoothBase() == Attributions.Base.INTEGRATED_GRADIENTS)) {
            if (o.baselineImage() == null && o.baseline() == Baseline.BLUR && !(o.blurSigma() > 0 && o.blurSigma() < 1000)) {
                throw new IllegalArgumentException("explain: blur sigma " + o.blurSigma() + " must be > 0 and < 1000 pixels");
            }
        }
    }

    /** One image. */
    public Explanation explain(INDArray image, Method method, Options o, Target t) {
        return explain(List.of(image), method, o, t).get(0);
    }

    /** Every image's explanation, in order. */
    public List<Explanation> explain(List<INDArray> images, Method method, Options o, Target t) {
        check(method, o, t);
        List<INDArray> xs = new ArrayList<>(images.size());
        for (INDArray im : images) xs.add(single(im));
        if (xs.isEmpty()) return List.of();
        if (t.isUnit()) return units(xs, method, t);
        int[] classes = new int[xs.size()];
        if (t.classIndex() == Target.PREDICTED) classes = predicted(xs);
        else Arrays.fill(classes, t.classIndex());
        return explain(xs, method, o, classes);
    }

    /** Image i's explanation for class {@code classes[i]}. */
    public List<Explanation> explain(List<INDArray> images, Method method, Options o, int[] classes) {
        if (classes.length != images.size()) {
            throw new IllegalArgumentException("explain: " + classes.length + " classes for " + images.size() + " images");
        }
        for (int c : classes) check(method, o, Target.ofClass(c));
        List<INDArray> xs = new ArrayList<>(images.size());
        for (INDArray im : images) xs.add(single(im));
        double[] scores = scores(xs, classes);
        INDArray[] maps = attribute(xs, method, o, classes);
        List<Explanation> out = new ArrayList<>(xs.size());
        for (int i = 0; i < xs.size(); i++) {
            out.add(new Explanation(method, maps[i], display(maps[i], xs.get(i)), classes[i], scores[i], -1, -1));
        }
        return out;
    }

    /** The predicted class of each image: its largest score's index (the first on ties). */
    public int[] predicted(List<INDArray> images) {
        if (head == null) throw new IllegalArgumentException("explain: the predicted class needs the head");
        int[] out = new int[images.size()];
        int b = batch();
        for (int from = 0; from < images.size(); from += b) {
            INDArray s = model.graph().run(head, Map.of(model.input(), Attributions.packed(model.input(), images, from)));
            for (int i = 0; i < Math.min(b, images.size() - from); i++) {
                int best = 0;
                for (int c = 1; c < s.size(1); c++) if (s.getDouble(i, c) > s.getDouble(i, best)) best = c;
                out[from + i] = best;
            }
        }
        return out;
    }

    private double[] scores(List<INDArray> xs, int[] classes) {
        double[] out = new double[xs.size()];
        int b = batch();
        for (int from = 0; from < xs.size(); from += b) {
            INDArray s = model.graph().run(head, Map.of(model.input(), Attributions.packed(model.input(), xs, from)));
            for (int i = 0; i < Math.min(b, xs.size() - from); i++) out[from + i] = s.getDouble(i, classes[from + i]);
        }
        return out;
    }

    private INDArray[] attribute(List<INDArray> xs, Method method, Options o, int[] classes) {
        var g = model.graph();
        Tensor in = model.input();
        INDArray[] out = new INDArray[xs.size()];
        switch (method) {
            case GRADIENT, GRADIENT_X_INPUT, SALIENCY -> {
                INDArray[] grads = Attributions.gradients(g, in, head, xs, classes, Map.of());
                for (int i = 0; i < out.length; i++) {
                    out[i] = method == Method.GRADIENT ? grads[i]
                            : method == Method.GRADIENT_X_INPUT ? grads[i].muli(xs.get(i).castTo(DataType.DOUBLE))
                            : org.nd4j.linalg.ops.transforms.Transforms.abs(grads[i], false).max(2);
                }
            }
            case INTEGRATED_GRADIENTS -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Attributions.integratedGradients(g, in, head, xs.get(i), baseline(xs.get(i), o), classes[i], o.steps(), o.rule());
                }
            }
            case SMOOTHGRAD -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Attributions.smoothGrad(g, in, head, xs.get(i), classes[i], o.smoothBase(), o.samples(), o.sigma(), o.seed(),
                            baseline(xs.get(i), o), o.steps(), o.rule());
                }
            }
            case OCCLUSION -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Attributions.occlusion(g, in, head, xs.get(i), classes[i], o.window(), o.stride(), o.occlusionValue());
                }
            }
            case GRADCAM_PLUS_PLUS, SCORECAM -> {
                Tensor l = layer(o.layer(), "layer");
                for (int i = 0; i < out.length; i++) {
                    out[i] = method == Method.SCORECAM ? Attributions.scoreCam(g, in, l, head, xs.get(i), classes[i])
                            : Attributions.gradCamPlusPlus(g, in, l, head, xs.get(i), classes[i]);
                }
            }
            case GRADCAM, GUIDED_GRADCAM, DECONVNET, GUIDED -> {
                int b = batch();
                for (int from = 0; from < xs.size(); from += b) {
                    int n = Math.min(b, xs.size() - from);
                    INDArray batch = Attributions.packed(in, xs, from);
                    int[] cls = Arrays.copyOfRange(classes, from, from + n);
                    INDArray cams = method == Method.GRADCAM || method == Method.GUIDED_GRADCAM
                            ? BatchProjections.gradCam(g, in, layer(o.layer(), "layer"), head, batch, cls).maps() : null;
                    INDArray guided = method == Method.GRADCAM ? null : BatchProjections.classSeeded(
                            method == Method.DECONVNET ? ReluRule.DECONVNET : ReluRule.GUIDED, g, in, head, batch, cls).maps();
                    for (int i = 0; i < n; i++) {
                        INDArray cam = cams == null ? null : cams.slice(i).castTo(DataType.DOUBLE).dup('c');
                        INDArray gb = guided == null ? null : guided.slice(i).castTo(DataType.DOUBLE).dup('c');
                        out[from + i] = method == Method.GRADCAM ? cam : method == Method.GUIDED_GRADCAM ? guidedGradCam(gb, cam) : gb;
                    }
                }
            }
        }
        return out;
    }

    /**
     * Guided Grad-CAM (Selvaraju et al. 2017): the guided backprop map [H, W, C] times the Grad-CAM map [h, w] upsampled to
     * [H, W] (bilinear, corners aligned), pixel by pixel over the channels.
     */
    static INDArray guidedGradCam(INDArray guided, INDArray cam) {
        int bigH = (int) guided.size(0), bigW = (int) guided.size(1), c = (int) guided.size(2);
        double[] up = Attributions.upsample(cam.dup('c').data().asDouble(), (int) cam.size(0), (int) cam.size(1), 1, 0, bigH, bigW);
        double[] gb = guided.dup('c').data().asDouble();
        for (int p = 0; p < bigH * bigW; p++) for (int q = 0; q < c; q++) gb[p * c + q] *= up[p];
        return Nd4j.create(gb, guided.shape(), 'c');
    }

    /** Deconvnet / guided projections of each image's strongest activation of the unit, B per pass. */
    private List<Explanation> units(List<INDArray> xs, Method method, Target t) {
        Tensor l = layer(t.layer(), "unit layer"), in = model.input();
        ReluRule rule = method == Method.GUIDED ? ReluRule.GUIDED : ReluRule.DECONVNET;
        int b = batch(), w = (int) l.size(2);
        List<Explanation> out = new ArrayList<>(xs.size());
        for (int from = 0; from < xs.size(); from += b) {
            int n = Math.min(b, xs.size() - from);
            INDArray batch = Attributions.packed(in, xs, from);
            double[][] best = Strongest.of(model.graph().run(l, Map.of(in, batch)), t.channel(), n);
            int[] ch = new int[n], ys = new int[n], xx = new int[n];
            double[] values = new double[n];
            for (int i = 0; i < n; i++) {
                ch[i] = t.channel();
                values[i] = best[i][0];
                ys[i] = (int) best[i][1] / w;
                xx[i] = (int) best[i][1] % w;
            }
            BatchProjections.Batch p = BatchProjections.projectSeeded(rule, model.graph(), in, l, batch, ch, ys, xx, values);
            for (int i = 0; i < n; i++) {
                INDArray map = p.maps().slice(i).castTo(DataType.DOUBLE).dup('c');
                out.add(new Explanation(method, map, display(map, xs.get(from + i)), -1, values[i], ys[i], xx[i]));
            }
        }
        return out;
    }

    private INDArray baseline(INDArray x, Options o) {
        if (o.baselineImage() != null) return single(o.baselineImage());
        return switch (o.baseline()) {
            case BLACK -> Nd4j.zeros(DataType.DOUBLE, x.shape());
            case BLUR -> Baselines.blur(x, o.blurSigma());
            case UNIFORM -> Baselines.uniform(x, o.seed());
        };
    }

    /** The display map of an attribution for an image [H, W, C]. */
    public static INDArray display(INDArray attribution, INDArray image) {
        int bigH = (int) image.size(0), bigW = (int) image.size(1);
        INDArray a = attribution.castTo(DataType.DOUBLE);
        INDArray mag = org.nd4j.linalg.ops.transforms.Transforms.abs(a, true);
        if (mag.rank() == 3) mag = mag.sum(2);
        double[] v = mag.dup('c').data().asDouble();
        if (mag.size(0) != bigH || mag.size(1) != bigW) v = Attributions.upsample(v, (int) mag.size(0), (int) mag.size(1), 1, 0, bigH, bigW);
        double max = 0;
        for (double d : v) max = Math.max(max, d);
        if (max > 0) for (int i = 0; i < v.length; i++) v[i] /= max;
        return Nd4j.create(v, new long[] {bigH, bigW}, 'c');
    }

    private int batch() { return (int) model.input().size(0); }

    private INDArray single(INDArray image) {
        if (image == null) throw new IllegalArgumentException("explain: an image is null");
        long[] one = Arrays.copyOfRange(model.input().shape(), 1, 4);
        INDArray x = image.rank() == 4 && image.size(0) == 1 ? image.reshape(one) : image;
        if (!Arrays.equals(x.shape(), one)) {
            throw new IllegalArgumentException("explain: image shape " + Arrays.toString(image.shape()) + " does not match the model's input "
                    + model.input().name() + " (per image " + Arrays.toString(one) + ")");
        }
        return x;
    }

    /** A layer by its name, or by a unique suffix after '/'. */
    Tensor layer(String name, String what) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("explain: the " + what + " is empty");
        if (model.hasLayer(name)) return model.layer(name);
        List<String> hits = new ArrayList<>();
        for (String n : model.layerNames()) if (n.endsWith("/" + name)) hits.add(n);
        if (hits.size() == 1) return model.layer(hits.get(0));
        throw new IllegalArgumentException("explain: the " + what + " '" + name + "' " + (hits.isEmpty() ? "is not a layer of " + model.path()
                : "is ambiguous: it matches " + hits));
    }
}
