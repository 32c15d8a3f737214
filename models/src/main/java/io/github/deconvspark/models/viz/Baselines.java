package io.github.deconvspark.models.viz;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Reference images for integrated gradients and the insertion curve: the image blurred, or seeded uniform noise. */
public final class Baselines {
    private Baselines() {}

    /** The image [H, W, C] blurred with a Gaussian of {@code sigma} pixels: {@link Faithfulness#blur} (the insertion curve's canvas). */
    public static INDArray blur(INDArray image, double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) throw new IllegalArgumentException("blur: sigma " + sigma + " must be finite and > 0");
        return Faithfulness.blur(image, sigma);
    }

    /** Uniform noise in the image's [min, max], from {@code seed} alone. float64. */
    public static INDArray uniform(INDArray image, long seed) {
        double lo = image.minNumber().doubleValue(), hi = image.maxNumber().doubleValue();
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] v = new double[(int) image.length()];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rnd.nextDouble();
        return Nd4j.create(v, image.shape(), 'c');
    }
}
