package io.github.deconvspark.models.viz;

import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Tensor;
import java.io.Serializable;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Deletion and insertion curves of a saliency map and their areas (Petsiuk, Das and Saenko 2018, "RISE", section
 * 4.1): how fast the class's probability falls when the most salient pixels go first, and how fast it rises when they
 * come back first. A faithful map gives a low deletion AUC and a high insertion AUC.
 *
 * <p>For an image x [H, W, C], a map [H, W] (a smaller [h, w] one, e.g. a CAM map, is first upsampled to [H, W],
 * bilinear with corners aligned, {@code Attributions.upsample}), a class and n steps:
 * <ul>
 *   <li>the pixels are ordered by decreasing saliency, ties (-0 equal to +0) by the pixel index y W + x
 *       ({@link #order});</li>
 *   <li>step k = 0..n covers the first m_k = round(k H W / n) pixels of that order, rounded half up ({@link #count});</li>
 *   <li>deletion: image k is x with those pixels set to the deletion baseline (default 0, black) in every channel,
 *       so image 0 is x and image n the all-baseline image (scattered baseline pixels are out of the training
 *       distribution: on gear's gender head a random order deletes to black faster than gradient maps do, to grey not);</li>
 *   <li>insertion: image k is a blurred copy of x with those pixels restored from x, so image 0 is the blurred copy
 *       and image n is x. RISE starts from a blurred canvas (its code: a Gaussian of sigma 5 cut to 11 taps); here a
 *       Gaussian of sigma {@link #BLUR_SIGMA} = 5 px by default, cut at 2 sigma (a kernel of 4 sigma + 1 = 21 taps),
 *       separable, edges clamped ({@link #blur});</li>
 *   <li>the curve's value at k is the class's probability, softmax over the score tensor's classes in float64 with
 *       the largest score subtracted, p_c = exp(s_c - max) / sum_j exp(s_j - max) ({@link Value#PROBABILITY}), or the
 *       raw score s_c ({@link Value#SCORE});</li>
 *   <li>the AUC is the trapezoid rule over k/n in [0, 1]: (1/n) sum_k (v_k + v_(k+1)) / 2 ({@link #auc}).</li>
 * </ul>
 * The n + 1 images of each curve (and of every image of a batch call) are built one batch at a time and packed into
 * the model's batch ({@code Attributions.packed}): one forward pass serves B of them. {@link Aggregate} is the mean
 * and standard deviation over images, mergeable across a job's partitions. Options out of range are refused by
 * {@link #check} with the option, the value and the legal range.
 */
public final class Faithfulness {
    private Faithfulness() {}

    /** The default sigma of the insertion canvas's Gaussian blur, in pixels. */
    public static final double BLUR_SIGMA = 5;

    /** What a curve records per step. */
    public enum Value {
        /** The class's softmax probability over the score tensor's classes. */ PROBABILITY,
        /** The raw (pre-softmax) class score. */ SCORE
    }

    /**
     * @param steps            n, the number of steps (1 to H W); a curve has n + 1 points
     * @param deletionBaseline the value deleted pixels take in every channel (finite)
     * @param blurSigma        the sigma of the insertion canvas's blur in pixels (0 to max(H, W); 0 leaves x as is)
     * @param value            what the curves record
     */
    public record Options(int steps, double deletionBaseline, double blurSigma, Value value) {
        /** n steps, a black baseline, blur sigma {@link #BLUR_SIGMA}, probabilities. */
        public static Options of(int steps) {
            return new Options(steps, 0, BLUR_SIGMA, Value.PROBABILITY);
        }
    }

    /** The n + 1 points of both curves (index k is step k) and their areas. */
    public record Curves(double[] deletion, double[] insertion, double deletionAuc, double insertionAuc) {
        /** n, the number of steps. */
        public int steps() { return deletion.length - 1; }
    }

    /**
     * Refuses options out of range, naming them: steps 1 to H W, a finite deletion baseline, blur sigma 0 to max(H, W),
     * a value, the class inside the score tensor's head ([batch, classes]); the input 4-D NHWC.
     */
    public static void check(Tensor input, Tensor scoreTensor, int classIndex, Options o) {
        String m = "faithfulness";
        if (input == null || scoreTensor == null) throw new IllegalArgumentException(m + ": input or score tensor is null");
        if (input.rank() != 4) {
            throw new IllegalArgumentException(m + ": input " + input.name() + " must be 4-D NHWC, got " + Arrays.toString(input.shape()));
        }
        if (scoreTensor.rank() != 2) {
            throw new IllegalArgumentException(m + ": the score tensor " + scoreTensor.name() + " must be [batch, classes], got "
                    + Arrays.toString(scoreTensor.shape()));
        }
        long classes = scoreTensor.size(1), h = input.size(1), w = input.size(2);
        if (classIndex < 0 || classIndex >= classes) {
            throw new IllegalArgumentException(m + ": class " + classIndex + " is outside the head " + scoreTensor.name() + " (legal: 0 to "
                    + (classes - 1) + ")");
        }
        if (o == null || o.value() == null) throw new IllegalArgumentException(m + ": options and their value must not be null");
        if (o.steps() < 1 || o.steps() > h * w) {
            throw new IllegalArgumentException(m + ": steps " + o.steps() + " must be 1 to " + h * w + " (the pixels of a " + h + "x" + w + " image)");
        }
        if (!Double.isFinite(o.deletionBaseline())) {
            throw new IllegalArgumentException(m + ": deletion baseline " + o.deletionBaseline() + " must be finite");
        }
        if (!(o.blurSigma() >= 0 && o.blurSigma() <= Math.max(h, w))) {
            throw new IllegalArgumentException(m + ": blur sigma " + o.blurSigma() + " must be 0 to " + Math.max(h, w) + " (pixels)");
        }
    }

    /** Both curves of one image [H, W, C] (or [1, H, W, C]) for a map [h, w], h <= H, w <= W. */
    public static Curves curves(Graph graph, Tensor input, Tensor scoreTensor, INDArray image, INDArray map, int classIndex, Options o) {
        return curves(graph, input, scoreTensor, List.of(image), List.of(map), new int[] {classIndex}, o).get(0);
    }

    /**
     * Both curves of each image with its map and class; the 2 (n + 1) images of every image are packed together, B per
     * forward pass, and built only when their batch is.
     */
    public static List<Curves> curves(Graph graph, Tensor input, Tensor scoreTensor, List<INDArray> images, List<INDArray> maps,
                                      int[] classes, Options o) {
        String m = "faithfulness";
        Projections.checkGraph(m, graph, input, "input");
        Projections.checkGraph(m, graph, scoreTensor, "score tensor");
        if (images == null || maps == null || classes == null || images.size() != maps.size() || images.size() != classes.length) {
            throw new IllegalArgumentException(m + ": images, maps and classes must be as many, got " + (images == null ? null : images.size())
                    + ", " + (maps == null ? null : maps.size()) + ", " + (classes == null ? null : classes.length));
        }
        for (int c : classes) check(input, scoreTensor, c, o);
        int h = (int) input.size(1), w = (int) input.size(2), ch = (int) input.size(3), n = o.steps(), per = 2 * (n + 1);
        int count = images.size();
        double[][] xs = new double[count][], blurred = new double[count][];
        int[][] orders = new int[count][];
        for (int i = 0; i < count; i++) {
            xs[i] = pixels(images.get(i), input, i);
            orders[i] = order(saliency(maps.get(i), h, w, i));
            blurred[i] = blur(xs[i], h, w, ch, o.blurSigma());
        }
        long[] shape = {h, w, ch};
        List<INDArray> perturbed = new AbstractList<>() {
            @Override public int size() { return count * per; }

            @Override public INDArray get(int j) {
                int i = j / per, r = j % per;
                boolean deletion = r <= n;
                int k = deletion ? r : r - n - 1, first = count(k, n, h * w);
                double[] img = (deletion ? xs[i] : blurred[i]).clone();
                for (int p = 0; p < first; p++) {
                    int at = orders[i][p] * ch;
                    for (int q = 0; q < ch; q++) img[at + q] = deletion ? o.deletionBaseline() : xs[i][at + q];
                }
                return Nd4j.create(img, shape, 'c');
            }
        };
        double[] v = values(graph, input, scoreTensor, perturbed, j -> classes[j / per], o.value());
        Curves[] out = new Curves[count];
        for (int i = 0; i < count; i++) {
            double[] del = Arrays.copyOfRange(v, i * per, i * per + n + 1), ins = Arrays.copyOfRange(v, i * per + n + 1, (i + 1) * per);
            out[i] = new Curves(del, ins, auc(del), auc(ins));
        }
        return List.of(out);
    }

    /**
     * The value of each input's class ({@code classOf} its index), B inputs per forward pass in the model's batch. Not
     * {@code Attributions.scores}, which reads one class: the softmax needs every class's score.
     */
    static double[] values(Graph graph, Tensor input, Tensor scoreTensor, List<INDArray> inputs, java.util.function.IntUnaryOperator classOf,
                           Value value) {
        int b = (int) input.size(0), classes = (int) scoreTensor.size(1);
        double[] out = new double[inputs.size()];
        for (int from = 0; from < inputs.size(); from += b) {
            int n = Math.min(b, inputs.size() - from);
            INDArray s = graph.run(scoreTensor, Map.of(input, Attributions.packed(input, inputs, from)));
            double[] all = s.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            for (int i = 0; i < n; i++) {
                int row = i * classes, c = classOf.applyAsInt(from + i);
                if (value == Value.SCORE) {
                    out[from + i] = all[row + c];
                    continue;
                }
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int q = 0; q < classes; q++) max = Math.max(max, all[row + q]);
                for (int q = 0; q < classes; q++) sum += Math.exp(all[row + q] - max);
                out[from + i] = Math.exp(all[row + c] - max) / sum;
            }
        }
        return out;
    }

    /** The area under a curve of n + 1 points at k/n, k = 0..n, by the trapezoid rule. */
    public static double auc(double[] curve) {
        if (curve == null || curve.length < 2) throw new IllegalArgumentException("faithfulness: a curve needs at least 2 points");
        int n = curve.length - 1;
        double sum = 0;
        for (int k = 0; k < n; k++) sum += (curve[k] + curve[k + 1]) / 2;
        return sum / n;
    }

    /** m_k = round(k hw / n), half up, in exact integer arithmetic: the pixels that step k of n covers. */
    public static int count(int k, int n, int hw) {
        return (int) ((2L * k * hw + n) / (2L * n));
    }

    /** The pixel indices by decreasing saliency, ties (-0 equal to +0) by increasing index. The map must hold no NaN. */
    public static int[] order(double[] saliency) {
        Integer[] idx = new Integer[saliency.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> saliency[a] > saliency[b] ? -1 : saliency[a] < saliency[b] ? 1 : Integer.compare(a, b));
        int[] out = new int[idx.length];
        for (int i = 0; i < out.length; i++) out[i] = idx[i];
        return out;
    }

    /** An image [H, W, C] blurred by {@link #blur(double[], int, int, int, double)}: float64 [H, W, C]. */
    public static INDArray blur(INDArray image, double sigma) {
        if (image == null || image.rank() != 3) {
            throw new IllegalArgumentException("faithfulness: blur takes an image [H, W, C], got " + (image == null ? null : Arrays.toString(image.shape())));
        }
        int h = (int) image.size(0), w = (int) image.size(1), c = (int) image.size(2);
        if (!(sigma >= 0 && sigma <= Math.max(h, w))) {
            throw new IllegalArgumentException("faithfulness: blur sigma " + sigma + " must be 0 to " + Math.max(h, w) + " (pixels)");
        }
        double[] x = image.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        return Nd4j.create(blur(x, h, w, c, sigma), new long[] {h, w, c}, 'c');
    }

    /**
     * Gaussian blur of an [h, w, c] image (row-major, channels last), each channel alone: weights exp(-i^2 / (2 sigma^2))
     * for i = -r..r, r = ceil(2 sigma), divided by their sum; along x, then along y; pixels past an edge take the edge's
     * value. Sigma 0 returns a copy.
     */
    static double[] blur(double[] x, int h, int w, int c, double sigma) {
        if (sigma == 0) return x.clone();
        int r = (int) Math.ceil(2 * sigma);
        double[] k = new double[2 * r + 1];
        double z = 0;
        for (int i = -r; i <= r; i++) z += k[i + r] = Math.exp(-(double) i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.length; i++) k[i] /= z;
        double[] along = new double[x.length], out = new double[x.length];
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                for (int q = 0; q < c; q++) {
                    double v = 0;
                    for (int i = -r; i <= r; i++) v += k[i + r] * x[(y * w + Math.min(w - 1, Math.max(0, xx + i))) * c + q];
                    along[(y * w + xx) * c + q] = v;
                }
            }
        }
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                for (int q = 0; q < c; q++) {
                    double v = 0;
                    for (int i = -r; i <= r; i++) v += k[i + r] * along[(Math.min(h - 1, Math.max(0, y + i)) * w + xx) * c + q];
                    out[(y * w + xx) * c + q] = v;
                }
            }
        }
        return out;
    }

    /** Image i, [H, W, C] or [1, H, W, C], checked against the input's per-image shape: float64, row-major. */
    private static double[] pixels(INDArray image, Tensor input, int i) {
        long[] one = Arrays.copyOfRange(input.shape(), 1, 4);
        if (image == null) throw new IllegalArgumentException("faithfulness: image " + i + " is null");
        INDArray x = image.rank() == 4 && image.size(0) == 1 ? image.reshape(one) : image;
        if (!Arrays.equals(x.shape(), one)) {
            throw new IllegalArgumentException("faithfulness: image " + i + " shape " + Arrays.toString(image.shape()) + " does not match the input "
                    + input.name() + " (per image " + Arrays.toString(one) + ")");
        }
        return x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /** Map i as [H, W] saliency (upsampled from a smaller [h, w]), checked: 2-D, no larger than the image, finite. */
    static double[] saliency(INDArray map, int bigH, int bigW, int i) {
        if (map == null) throw new IllegalArgumentException("faithfulness: map " + i + " is null");
        if (map.rank() != 2 || map.size(0) < 1 || map.size(0) > bigH || map.size(1) < 1 || map.size(1) > bigW) {
            throw new IllegalArgumentException("faithfulness: map " + i + " shape " + Arrays.toString(map.shape()) + " must be [h, w] with h 1 to "
                    + bigH + " and w 1 to " + bigW + " (the image's " + bigH + "x" + bigW + "; sum an [H, W, C] attribution over its channels)");
        }
        int h = (int) map.size(0), w = (int) map.size(1);
        double[] a = map.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        for (int p = 0; p < a.length; p++) {
            if (!Double.isFinite(a[p])) {
                throw new IllegalArgumentException("faithfulness: map " + i + " value " + a[p] + " at (" + p / w + ", " + p % w
                        + ") must be finite");
            }
        }
        return h == bigH && w == bigW ? a : Attributions.upsample(a, h, w, 1, 0, bigH, bigW);
    }

    /**
     * Mean and standard deviation (population, divided by the count) over images of both AUCs and of every point of
     * both curves, for curves of one n. {@link #add} takes an image's curves, {@link #merge} another partial aggregate
     * (Welford's update, Chan et al.'s merge); both return {@code this}, as Spark's seqOp/combOp want. Empty: NaN.
     */
    public static final class Aggregate implements Serializable {
        private static final long serialVersionUID = 1L;

        private final int steps;
        private long count;
        /** [deletion AUC, insertion AUC, deletion curve (n + 1), insertion curve (n + 1)]. */
        private final double[] mean, m2;

        public Aggregate(int steps) {
            if (steps < 1) throw new IllegalArgumentException("faithfulness: aggregate steps " + steps + " must be >= 1");
            this.steps = steps;
            mean = new double[2 * steps + 4];
            m2 = new double[2 * steps + 4];
        }

        public int steps() { return steps; }

        public long count() { return count; }

        public Aggregate add(Curves c) {
            if (c.steps() != steps) throw new IllegalArgumentException("faithfulness: curves of " + c.steps() + " steps, the aggregate has " + steps);
            double[] v = new double[mean.length];
            v[0] = c.deletionAuc();
            v[1] = c.insertionAuc();
            System.arraycopy(c.deletion(), 0, v, 2, steps + 1);
            System.arraycopy(c.insertion(), 0, v, steps + 3, steps + 1);
            count++;
            for (int i = 0; i < v.length; i++) {
                double d = v[i] - mean[i];
                mean[i] += d / count;
                m2[i] += d * (v[i] - mean[i]);
            }
            return this;
        }

        public Aggregate merge(Aggregate o) {
            if (o.steps != steps) throw new IllegalArgumentException("faithfulness: merging an aggregate of " + o.steps + " steps into " + steps);
            if (o.count == 0) return this;
            if (count == 0) {
                System.arraycopy(o.mean, 0, mean, 0, mean.length);
                System.arraycopy(o.m2, 0, m2, 0, m2.length);
                count = o.count;
                return this;
            }
            long n = count + o.count;
            for (int i = 0; i < mean.length; i++) {
                double d = o.mean[i] - mean[i];
                mean[i] += d * o.count / n;
                m2[i] += o.m2[i] + d * d * ((double) count * o.count / n);
            }
            count = n;
            return this;
        }

        public double meanDeletionAuc() { return mean(0); }

        public double stdDeletionAuc() { return std(0); }

        public double meanInsertionAuc() { return mean(1); }

        public double stdInsertionAuc() { return std(1); }

        public double[] meanDeletionCurve() { return range(2, true); }

        public double[] stdDeletionCurve() { return range(2, false); }

        public double[] meanInsertionCurve() { return range(steps + 3, true); }

        public double[] stdInsertionCurve() { return range(steps + 3, false); }

        private double mean(int i) { return count == 0 ? Double.NaN : mean[i]; }

        private double std(int i) { return count == 0 ? Double.NaN : Math.sqrt(m2[i] / count); }

        private double[] range(int from, boolean means) {
            double[] out = new double[steps + 1];
            for (int k = 0; k <= steps; k++) out[k] = means ? mean(from + k) : std(from + k);
            return out;
        }

        @Override public String toString() {
            return String.format("faithfulness over %d images, %d steps: deletion AUC %.4f +- %.4f, insertion AUC %.4f +- %.4f", count, steps,
                    meanDeletionAuc(), stdDeletionAuc(), meanInsertionAuc(), stdInsertionAuc());
        }
    }
}
