package io.github.deconvspark.models.viz;

import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.ReluRule;
import io.github.deconvspark.kernels.autodiff.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gradient-based attributions of a class score to the input pixels, signed, NHWC [H, W, C] per image, with the
 * work packed into the model's batch dimension: the steps of integrated gradients and the samples of SmoothGrad
 * fill the batch, so one forward-backward pass serves B of them.
 *
 * <ul>
 *   <li>{@link #gradient}: d score[class] / d image (Simonyan et al. 2013 before the |.| and the channel max).</li>
 *   <li>{@link #gradientTimesInput}: the gradient times the image, cell by cell (Shrikumar et al. 2016).</li>
 *   <li>{@link #integratedGradients}: (x - x') * sum_k w_k grad f(x' + a_k (x - x')) (Sundararajan et al. 2017)
 *       over m steps with a Riemann rule ({@link Riemann}); the attributions sum to about f(x) - f(x')
 *       (completeness), the closer the more steps.</li>
 *   <li>{@link #smoothGrad}: the mean of a base method over n noisy copies x + N(0, (sigma (max - min))^2)
 *       (Smilkov et al. 2017); the noise of sample s of an image comes from {@code seed} and s alone, so a run
 *       repeats bit for bit on any partitioning; sigma 0 is the base method.</li>
 *   <li>{@link #gradCamPlusPlus}: Grad-CAM++'s pixel-weighted gradients of a conv layer.</li>
 *   <li>{@link #scoreCam}: Score-CAM's softmax-weighted maps from the scores of the image masked by each map.</li>
 *   <li>{@link #occlusion}: the score's drop when a square of the image is set to a baseline value, per pixel
 *       averaged over the squares covering it.</li>
 * </ul>
 * The score tensor is the pre-softmax class scores [B, classes]; the graph's input [B, H, W, C] with any B.
 * Options out of range are refused by {@link #check} with the option, the value and the legal range.
 */
public final class Attributions {
    private Attributions() {}

    /** The gradient-based methods SmoothGrad can average. */
    public enum Base { GRADIENT, GRADIENT_X_INPUT, INTEGRATED_GRADIENTS }

    /** Where integrated gradients' m steps sit in [0, 1] and how they are weighted. */
    public enum Riemann {
        /** a_k = k/m, k = 0..m-1, weights 1/m. */ LEFT,
        /** a_k = k/m, k = 1..m, weights 1/m. */ RIGHT,
        /** a_k = (k + 1/2)/m, k = 0..m-1, weights 1/m. */ MIDDLE,
        /** a_k = k/m, k = 0..m, weights 1/(2m) at the ends and 1/m between. */ TRAPEZOID;

        /** The points a_k. */
        public double[] alphas(int m) {
            return switch (this) {
                case LEFT -> fill(m, k -> (double) k / m);
                case RIGHT -> fill(m, k -> (double) (k + 1) / m);
                case MIDDLE -> fill(m, k -> (k + 0.5) / m);
                case TRAPEZOID -> fill(m + 1, k -> (double) k / m);
            };
        }

        /** The weights w_k of the points, summing to 1. */
        public double[] weights(int m) {
            double[] w = fill(this == TRAPEZOID ? m + 1 : m, k -> 1.0 / m);
            if (this == TRAPEZOID) {
                w[0] = 0.5 / m;
                w[m] = 0.5 / m;
            }
            return w;
        }

        private static double[] fill(int n, java.util.function.IntToDoubleFunction f) {
            double[] a = new double[n];
            for (int k = 0; k < n; k++) a[k] = f.applyAsDouble(k);
            return a;
        }
    }

    /**
     * Refuses options out of range, naming them: steps >= 1, samples >= 1, sigma >= 0 (finite), the class inside the
     * score tensor's head. Call it before any work (e.g. at a job's configuration time).
     */
    public static void check(Tensor scoreTensor, int classIndex, int steps, int samples, double sigma) {
        String m = "attributions";
        if (scoreTensor.rank() != 2) {
            throw new IllegalArgumentException(m + ": the score tensor " + scoreTensor.name() + " must be [batch, classes] (pre-softmax), got "
                    + Arrays.toString(scoreTensor.shape()));
        }
        long classes = scoreTensor.size(1);
        if (classIndex < 0 || classIndex >= classes) {
            throw new IllegalArgumentException(m + ": class " + classIndex + " is outside the head " + scoreTensor.name() + " (legal: 0 to "
                    + (classes - 1) + ")");
        }
        if (steps < 1) throw new IllegalArgumentException(m + ": steps " + steps + " (integrated gradients' m) must be >= 1");
        if (samples < 1) throw new IllegalArgumentException(m + ": samples " + samples + " (SmoothGrad's n) must be >= 1");
        if (!(sigma >= 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException(m + ": sigma " + sigma + " (SmoothGrad's noise, a fraction of the input range) must be finite and >= 0");
        }
    }

    /** The predicted class of one image: the index of its largest score (the first on ties), for "the predicted class" targets. */
    public static int predictedClass(Graph graph, Tensor input, Tensor scoreTensor, INDArray image) {
        check(scoreTensor, 0, 1, 1, 0);
        INDArray s = graph.run(scoreTensor, Map.of(input, packed(input, List.of(single(image, input)), 0)));
        int best = 0;
        for (int c = 1; c < s.size(1); c++) if (s.getDouble(0, c) > s.getDouble(0, best)) best = c;
        return best;
    }

    /** d score[class] / d x for one image [1, H, W, C] (or [H, W, C]): [H, W, C]. */
    public static INDArray gradient(Graph graph, Tensor input, Tensor scoreTensor, INDArray image, int classIndex) {
        INDArray x = single(image, input);
        return gradients(graph, input, scoreTensor, List.of(x), classIndex)[0];
    }

    /** The gradient times the image: [H, W, C]. */
    public static INDArray gradientTimesInput(Graph graph, Tensor input, Tensor scoreTensor, INDArray image, int classIndex) {
        INDArray x = single(image, input);
        return gradient(graph, input, scoreTensor, x, classIndex).muli(x.castTo(DataType.DOUBLE));
    }

    /** Integrated gradients of one image from {@code baseline} (same shape) with m steps and the given rule: [H, W, C]. */
    public static INDArray integratedGradients(Graph graph, Tensor input, Tensor scoreTensor, INDArray image, INDArray baseline,
                                               int classIndex, int steps, Riemann rule) {
        return integratedGradients(graph, input, scoreTensor, image, baseline, classIndex, steps, rule, Map.of());
    }

    /** As above, {@code overrides} fed to every run besides the input (e.g. randomized parameters, {@link Sanity}). */
    static INDArray integratedGradients(Graph graph, Tensor input, Tensor scoreTensor, INDArray image, INDArray baseline, int classIndex,
                                        int steps, Riemann rule, Map<Tensor, INDArray> overrides) {
        check(scoreTensor, classIndex, steps, 1, 0);
        INDArray x = single(image, input).castTo(DataType.DOUBLE), b = single(baseline, input, "baseline").castTo(DataType.DOUBLE);
        INDArray diff = x.sub(b);
        double[] alphas = rule.alphas(steps), weights = rule.weights(steps);
        INDArray[] points = new INDArray[alphas.length];
        for (int k = 0; k < alphas.length; k++) points[k] = b.add(diff.mul(alphas[k]));
        INDArray[] grads = gradients(graph, input, scoreTensor, Arrays.asList(points), classIndex, overrides);
        INDArray sum = Nd4j.zeros(DataType.DOUBLE, diff.shape());
        for (int k = 0; k < grads.length; k++) sum.addi(grads[k].muli(weights[k]));
        return sum.muli(diff);
    }

    /**
     * SmoothGrad of a base method over {@code samples} noisy copies of one image, noise N(0, (sigma (max - min))^2)
     * per cell from {@code seed} and the sample index (integrated gradients: from {@code baseline} with m steps).
     */
    public static INDArray smoothGrad(Graph graph, Tensor input, Tensor scoreTensor, INDArray image, int classIndex, Base base,
                                      int samples, double sigma, long seed, INDArray baseline, int steps, Riemann rule) {
        check(scoreTensor, classIndex, base == Base.INTEGRATED_GRADIENTS ? steps : 1, samples, sigma);
        INDArray x = single(image, input).castTo(DataType.DOUBLE);
        double range = x.maxNumber().doubleValue() - x.minNumber().doubleValue();
        INDArray[] noisy = new INDArray[samples];
        for (int s = 0; s < samples; s++) noisy[s] = x.add(noise(x.shape(), sigma * range, seed, s));
        INDArray sum = Nd4j.zeros(DataType.DOUBLE, x.shape());
        if (base == Base.INTEGRATED_GRADIENTS) {
            for (INDArray xs : noisy) sum.addi(integratedGradients(graph, input, scoreTensor, xs, baseline, classIndex, steps, rule));
        } else {
            INDArray[] grads = gradients(graph, input, scoreTensor, Arrays.asList(noisy), classIndex);
            for (int s = 0; s < samples; s++) sum.addi(base == Base.GRADIENT ? grads[s] : grads[s].muli(noisy[s]));
        }
        return sum.divi(samples);
    }

    /**
     * Occlusion (Zeiler and Fergus 2014, as Captum computes it): a {@code window} x {@code window} square of every
     * channel set to {@code baseline}, moved by {@code stride} (a last position flush with the far edge, so every pixel
     * is covered); each pixel's attribution is the mean, over the windows covering it, of the score's drop
     * f(x) - f(x occluded). The occluded copies are packed into the model's batch. [H, W].
     */
    public static INDArray occlusion(Graph graph, Tensor input, Tensor scoreTensor, INDArray image, int classIndex, int window, int stride,
                                     double baseline) {
        check(scoreTensor, classIndex, 1, 1, 0);
        INDArray x = single(image, input).castTo(DataType.DOUBLE);
        int h = (int) x.size(0), w = (int) x.size(1);
        if (window < 1 || window > Math.min(h, w)) {
            throw new IllegalArgumentException("attributions: occlusion window " + window + " must be 1 to " + Math.min(h, w)
                    + " (the image is " + h + "x" + w + ")");
        }
        if (stride < 1) throw new IllegalArgumentException("attributions: occlusion stride " + stride + " must be >= 1");
        if (!Double.isFinite(baseline)) throw new IllegalArgumentException("attributions: occlusion baseline " + baseline + " must be finite");
        int[] ys = positions(h, window, stride), xs = positions(w, window, stride);
        List<INDArray> copies = new java.util.ArrayList<>(ys.length * xs.length + 1);
        copies.add(x);
        for (int y0 : ys) {
            for (int x0 : xs) {
                INDArray c = x.dup('c');
                c.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(y0, y0 + window), org.nd4j.linalg.indexing.NDArrayIndex.interval(x0, x0 + window),
                        org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(baseline);
                copies.add(c);
            }
        }
        double[] scores = scores(graph, input, scoreTensor, copies, classIndex);
        double[] sum = new double[h * w];
        int[] count = new int[h * w];
        int k = 1;
        for (int y0 : ys) {
            for (int x0 : xs) {
                double drop = scores[0] - scores[k++];
                for (int y = y0; y < y0 + window; y++) {
                    for (int xx = x0; xx < x0 + window; xx++) {
                        sum[y * w + xx] += drop;
                        count[y * w + xx]++;
                    }
                }
            }
        }
        for (int i = 0; i < sum.length; i++) sum[i] /= count[i];
        return Nd4j.create(sum, new long[] {h, w}, 'c');
    }

    /**
     * Grad-CAM++ (Chattopadhay et al. 2018) of {@code layer} ([B, h, w, K], a conv layer's output) for the class, as
     * pytorch-grad-cam computes it from the score's gradient g = d score / d A: a = g^2 / (2 g^2 + sum_ij A_k g^3 + 1e-6)
     * (0 where g is 0), weights w_k = sum_ij a relu(g), map = relu(sum_k w_k A_k). [h, w], float64.
     */
    public static INDArray gradCamPlusPlus(Graph graph, Tensor input, Tensor layer, Tensor scoreTensor, INDArray image, int classIndex) {
        INDArray batch = camInputs("gradCam++", graph, input, layer, scoreTensor, image, classIndex);
        Projections.Built built = Projections.build(graph, ReluRule.GRADIENT, "gradCam", layer, scoreTensor, "score tensor");
        INDArray seed = Nd4j.zeros(scoreTensor.dataType(), scoreTensor.shape());
        seed.putScalar(new long[] {0, classIndex}, 1.0);
        List<INDArray> out = graph.run(List.of(layer, built.grad()), Map.of(input, batch, built.seed(), seed));
        double[] a = out.get(0).slice(0).castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] g = out.get(1).slice(0).castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int h = (int) layer.size(1), w = (int) layer.size(2), k = (int) layer.size(3);
        double[] sumA = new double[k], weights = new double[k];
        for (int i = 0; i < a.length; i++) sumA[i % k] += a[i];
        for (int i = 0; i < g.length; i++) {
            double gi = g[i], g2 = gi * gi, g3 = g2 * gi;
            double alpha = gi == 0 ? 0 : g2 / (2 * g2 + sumA[i % k] * g3 + 1e-6);
            weights[i % k] += alpha * Math.max(gi, 0);
        }
        double[] map = new double[h * w];
        for (int p = 0; p < h * w; p++) {
            double v = 0;
            for (int c = 0; c < k; c++) v += weights[c] * a[p * k + c];
            map[p] = Math.max(v, 0);
        }
        return Nd4j.create(map, new long[] {h, w}, 'c');
    }

    /**
     * Score-CAM (Wang et al. 2020, as pytorch-grad-cam computes it): each of the layer's K maps A_k upsampled to the
     * image (bilinear, corners aligned), scaled to [0, 1] (a constant map gives a zero mask), the image times it scored;
     * weights = softmax over k of those scores, map = relu(sum_k w_k A_k). The K masked images are packed into the
     * batch. [h, w], float64.
     */
    public static INDArray scoreCam(Graph graph, Tensor input, Tensor layer, Tensor scoreTensor, INDArray image, int classIndex) {
        INDArray batch = camInputs("scoreCam", graph, input, layer, scoreTensor, image, classIndex);
        INDArray x = single(image, input).castTo(DataType.DOUBLE);
        double[] a = graph.run(layer, Map.of(input, batch)).slice(0).castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int h = (int) layer.size(1), w = (int) layer.size(2), k = (int) layer.size(3);
        int bigH = (int) x.size(0), bigW = (int) x.size(1), c = (int) x.size(2);
        List<INDArray> masked = new java.util.ArrayList<>(k);
        for (int ch = 0; ch < k; ch++) {
            double[] up = upsample(a, h, w, k, ch, bigH, bigW);
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (double v : up) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            double[] img = x.dup('c').data().asDouble();
            for (int p = 0; p < bigH * bigW; p++) {
                double mask = hi > lo ? (up[p] - lo) / (hi - lo) : 0;
                for (int q = 0; q < c; q++) img[p * c + q] *= mask;
            }
            masked.add(Nd4j.create(img, x.shape(), 'c'));
        }
        double[] scores = scores(graph, input, scoreTensor, masked, classIndex);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : scores) max = Math.max(max, v);
        double[] weights = new double[k];
        for (int ch = 0; ch < k; ch++) sum += weights[ch] = Math.exp(scores[ch] - max);
        double[] map = new double[h * w];
        for (int p = 0; p < h * w; p++) {
            double v = 0;
            for (int ch = 0; ch < k; ch++) v += weights[ch] / sum * a[p * k + ch];
            map[p] = Math.max(v, 0);
        }
        return Nd4j.create(map, new long[] {h, w}, 'c');
    }

    /** Checks a CAM method's arguments; the image in slot 0 of an input batch (the other slots zero). */
    private static INDArray camInputs(String m, Graph graph, Tensor input, Tensor layer, Tensor scoreTensor, INDArray image,
                                      int classIndex) {
        check(scoreTensor, classIndex, 1, 1, 0);
        Projections.checkGraph(m, graph, input, "input");
        Projections.checkLayer(m, graph, layer, true);
        return packed(input, List.of(single(image, input)), 0);
    }

    /** Channel ch of a [h, w, k] map, bilinear to [bigH, bigW] with corners aligned (torch's UpsamplingBilinear2d). */
    static double[] upsample(double[] a, int h, int w, int k, int ch, int bigH, int bigW) {
        double[] out = new double[bigH * bigW];
        for (int y = 0; y < bigH; y++) {
            double sy = bigH == 1 ? 0 : (double) y * (h - 1) / (bigH - 1);
            int y0 = (int) Math.floor(sy), y1 = Math.min(y0 + 1, h - 1);
            double fy = sy - y0;
            for (int xx = 0; xx < bigW; xx++) {
                double sx = bigW == 1 ? 0 : (double) xx * (w - 1) / (bigW - 1);
                int x0 = (int) Math.floor(sx), x1 = Math.min(x0 + 1, w - 1);
                double fx = sx - x0;
                double top = a[(y0 * w + x0) * k + ch] * (1 - fx) + a[(y0 * w + x1) * k + ch] * fx;
                double bottom = a[(y1 * w + x0) * k + ch] * (1 - fx) + a[(y1 * w + x1) * k + ch] * fx;
                out[y * bigW + xx] = top * (1 - fy) + bottom * fy;
            }
        }
        return out;
    }

    /** Window starts 0, stride, ... within the side, and one flush with its end if the last one falls short. */
    static int[] positions(int side, int window, int stride) {
        java.util.List<Integer> p = new java.util.ArrayList<>();
        for (int a = 0; a + window <= side; a += stride) p.add(a);
        if (p.get(p.size() - 1) + window < side) p.add(side - window);
        return p.stream().mapToInt(Integer::intValue).toArray();
    }

    /** score[class] of each input ([H, W, C]), packed B per forward pass. */
    static double[] scores(Graph graph, Tensor input, Tensor scoreTensor, List<INDArray> inputs, int classIndex) {
        int b = (int) input.size(0);
        double[] out = new double[inputs.size()];
        for (int from = 0; from < inputs.size(); from += b) {
            int n = Math.min(b, inputs.size() - from);
            INDArray s = graph.run(scoreTensor, Map.of(input, packed(input, inputs, from)));
            for (int i = 0; i < n; i++) out[from + i] = s.getDouble(i, classIndex);
        }
        return out;
    }

    /**
     * The noise of one sample: N(0, std^2) per cell, from (seed, sample) only. float64 values; a std of 0 gives
     * zeros. The same numbers in any JVM (SplittableRandom's algorithm is specified).
     */
    public static INDArray noise(long[] shape, double std, long seed, int sample) {
        long n = 1;
        for (long d : shape) n *= d;
        double[] v = new double[Math.toIntExact(n)];
        if (std > 0) {
            SplittableRandom r = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (sample + 1)));
            for (int i = 0; i < v.length; i++) v[i] = std * gaussian(r);
        }
        return Nd4j.create(v, shape, 'c');
    }

    /** A standard normal by Box-Muller from two uniforms in (0, 1]: specified, unlike Random.nextGaussian's state. */
    private static double gaussian(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * The gradients of score[class] for each of the inputs (each [H, W, C]), packed B per forward-backward pass:
     * float64 [H, W, C] each (float32 gradients widened exactly).
     */
    static INDArray[] gradients(Graph graph, Tensor input, Tensor scoreTensor, List<INDArray> inputs, int classIndex) {
        return gradients(graph, input, scoreTensor, inputs, classIndex, Map.of());
    }

    /** As above, {@code overrides} fed to every run besides the input and the seed (e.g. randomized parameters). */
    static INDArray[] gradients(Graph graph, Tensor input, Tensor scoreTensor, List<INDArray> inputs, int classIndex,
                                Map<Tensor, INDArray> overrides) {
        int[] classes = new int[inputs.size()];
        Arrays.fill(classes, classIndex);
        check(scoreTensor, classIndex, 1, 1, 0);
        return gradients(graph, input, scoreTensor, inputs, classes, overrides);
    }

    /** Input i's gradient of score[classes[i]], {@code overrides} fed besides the input and the seed. */
    static INDArray[] gradients(Graph graph, Tensor input, Tensor scoreTensor, List<INDArray> inputs, int[] classes,
                                Map<Tensor, INDArray> overrides) {
        return gradients(graph, input, scoreTensor, inputs, classes, overrides, ReluRule.GRADIENT);
    }

    /** As above with ReLUs passing the signal backward as {@code rule} says (GUIDED: guided backprop of the class). */
    static INDArray[] gradients(Graph graph, Tensor input, Tensor scoreTensor, List<INDArray> inputs, int[] classes,
                                Map<Tensor, INDArray> overrides, ReluRule rule) {
        String m = "attributions";
        Projections.checkGraph(m, graph, input, "input");
        Projections.checkGraph(m, graph, scoreTensor, "score tensor");
        for (int c : classes) check(scoreTensor, c, 1, 1, 0);
        int b = (int) input.size(0);
        Projections.Built built = Projections.build(graph, rule, rule == ReluRule.GRADIENT ? "saliency" : "guided", input, scoreTensor,
                "score tensor");
        INDArray[] out = new INDArray[inputs.size()];
        for (int from = 0; from < inputs.size(); from += b) {
            int n = Math.min(b, inputs.size() - from);
            INDArray batch = packed(input, inputs, from);
            INDArray seed = Nd4j.zeros(scoreTensor.dataType(), scoreTensor.shape());
            for (int i = 0; i < n; i++) seed.putScalar(new long[] {i, classes[from + i]}, 1.0);
            Map<Tensor, INDArray> feeds = new java.util.HashMap<>(overrides);
            feeds.putAll(Map.of(input, batch, built.seed(), seed));
            INDArray g = graph.run(built.grad(), feeds).castTo(DataType.DOUBLE);
            for (int i = 0; i < n; i++) out[from + i] = g.slice(i).dup('c');
        }
        return out;
    }

    /**
     * An input batch of the input's type holding inputs[from], inputs[from + 1], ... (each [H, W, C]) in its slots, as
     * many as fit; the slots past the last input zero.
     */
    static INDArray packed(Tensor input, List<INDArray> inputs, int from) {
        long[] one = Arrays.copyOfRange(input.shape(), 1, input.rank());
        INDArray batch = Nd4j.zeros(input.dataType(), input.shape());
        int n = (int) Math.min(input.size(0), inputs.size() - from);
        for (int i = 0; i < n; i++) {
            INDArray xi = inputs.get(from + i);
            if (!Arrays.equals(xi.shape(), one)) {
                throw new IllegalArgumentException("attributions: an image of shape " + Arrays.toString(xi.shape()) + ", the input "
                        + input.name() + " takes " + Arrays.toString(one) + " per image");
            }
            batch.putSlice(i, xi.castTo(input.dataType()));
        }
        return batch;
    }

    /** An image [1, H, W, C] or [H, W, C] as [H, W, C], checked against the input's per-image shape. */
    private static INDArray single(INDArray image, Tensor input) {
        return single(image, input, "image");
    }

    private static INDArray single(INDArray image, Tensor input, String what) {
        if (image == null) throw new IllegalArgumentException("attributions: " + what + " is null");
        long[] one = Arrays.copyOfRange(input.shape(), 1, input.rank());
        INDArray x = image.rank() == one.length + 1 && image.size(0) == 1 ? image.reshape(one) : image;
        if (!Arrays.equals(x.shape(), one)) {
            throw new IllegalArgumentException("attributions: " + what + " shape " + Arrays.toString(image.shape()) + " does not match the input "
                    + input.name() + " (per image " + Arrays.toString(one) + ")");
        }
        return x;
    }
}
