package io.github.deconvspark.models.viz;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Reference images for integrated gradients and the insertion curve: the image blurred, or seeded uniform noise. */
public final class Baselines {
    private Baselines() {}

    /**
     * The image [H, W, C] blurred with a Gaussian of {@code sigma} pixels, per channel, separable, kernel radius
     * ceil(3 sigma) (weights normalized to 1), the border replicated. float64.
     */
    public static INDArray blur(INDArray image, double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) throw new IllegalArgumentException("blur: sigma " + sigma + " must be finite and > 0");
        int h = (int) image.size(0), w = (int) image.size(1), c = (int) image.size(2);
        double[] k = kernel(sigma);
        int r = k.length / 2;
        double[] x = image.castTo(DataType.DOUBLE).dup('c').data().asDouble(), tmp = new double[x.length], out = new double[x.length];
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                for (int q = 0; q < c; q++) {
                    double s = 0;
                    for (int j = -r; j <= r; j++) s += k[j + r] * x[(y * w + clamp(xx + j, w)) * c + q];
                    tmp[(y * w + xx) * c + q] = s;
                }
            }
        }
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                for (int q = 0; q < c; q++) {
                    double s = 0;
                    for (int j = -r; j <= r; j++) s += k[j + r] * tmp[(clamp(y + j, h) * w + xx) * c + q];
                    out[(y * w + xx) * c + q] = s;
                }
            }
        }
        return Nd4j.create(out, image.shape(), 'c');
    }

    /** The normalized Gaussian weights at -r..r, r = ceil(3 sigma). */
    static double[] kernel(double sigma) {
        int r = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * r + 1];
        double sum = 0;
        for (int j = -r; j <= r; j++) sum += k[j + r] = Math.exp(-0.5 * j * j / (sigma * sigma));
        for (int j = 0; j < k.length; j++) k[j] /= sum;
        return k;
    }

    private static int clamp(int i, int n) { return Math.max(0, Math.min(n - 1, i)); }

    /** Uniform noise in the image's [min, max], from {@code seed} alone. float64. */
    public static INDArray uniform(INDArray image, long seed) {
        double lo = image.minNumber().doubleValue(), hi = image.maxNumber().doubleValue();
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] v = new double[(int) image.length()];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rnd.nextDouble();
        return Nd4j.create(v, image.shape(), 'c');
    }
}
