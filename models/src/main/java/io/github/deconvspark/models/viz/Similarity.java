package io.github.deconvspark.models.viz;

import java.util.Arrays;

/**
 * How alike two attribution maps are, the measures of Adebayo et al. 2018 ("Sanity Checks for Saliency Maps"):
 * pure functions over row-major {@code double[]} maps, as their reference implementations compute them.
 *
 * <ul>
 *   <li>{@link #spearman}: Spearman's rank correlation with average ranks for ties, as {@code scipy.stats.spearmanr}
 *       (the Pearson correlation of the ranks, clipped to [-1, 1]). Undefined, and so NaN as scipy gives, when either
 *       map is constant (its ranks have no variance), has fewer than 2 cells or holds a NaN; -0.0 ties with 0.0.</li>
 *   <li>{@link #ssim}: the structural similarity of two 2-D maps as {@code skimage.metrics.structural_similarity}
 *       computes it by default (Wang et al. 2004): a 7 x 7 uniform window, K1 = 0.01, K2 = 0.03, the sample
 *       (co)variances (use_sample_covariance=True, a factor 49/48), the given data range R (C1 = (K1 R)^2,
 *       C2 = (K2 R)^2), and the mean of the SSIM map over the windows that fit inside the maps (skimage crops
 *       (7 - 1) / 2 = 3 cells from every border before averaging, so its border padding never counts). Two equal
 *       maps give exactly 1, constant ones included; two constant maps of means a, b give (2ab + C1) / (a^2 + b^2 + C1).</li>
 *   <li>{@link #grayscale}: the paper's normalization of an absolute map to [0, 1], the saliency library's
 *       VisualizeImageGrayscale after its channel sum: (a - min) / (p99 - min) clipped to [0, 1], p99 the 99th
 *       percentile (numpy's default "linear" method); a map whose p99 is its minimum gives zeros.</li>
 * </ul>
 */
public final class Similarity {
    private Similarity() {}

    /** skimage's default window side. */
    public static final int WINDOW = 7;
    static final double K1 = 0.01, K2 = 0.03;

    /** Spearman's rho of two maps of one length (average ranks for ties); NaN when undefined (see the class comment). */
    public static double spearman(double[] a, double[] b) {
        if (a == null || b == null) throw new IllegalArgumentException("spearman: a map is null");
        if (a.length != b.length) {
            throw new IllegalArgumentException("spearman: the maps differ in length (" + a.length + " and " + b.length + " cells)");
        }
        if (a.length < 2 || hasNaN(a) || hasNaN(b)) return Double.NaN;
        return pearson(ranks(a), ranks(b));
    }

    /**
     * The ranks 1..n of the values, ties sharing the mean of their ranks (scipy.stats.rankdata's "average");
     * -0.0 ties with 0.0. The values must not be NaN.
     */
    public static double[] ranks(double[] v) {
        int n = v.length;
        double[] sorted = new double[n];
        for (int i = 0; i < n; i++) sorted[i] = v[i] + 0.0;        // -0.0 + 0.0 == +0.0: one key for both zeros
        Arrays.sort(sorted);
        double[] average = new double[n];          // at the first position of each run of equal values: the run's mean rank
        for (int lo = 0, hi; lo < n; lo = hi) {
            for (hi = lo + 1; hi < n && sorted[hi] == sorted[lo]; hi++) { }
            average[lo] = (lo + hi - 1) / 2.0 + 1;
        }
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = average[lowerBound(sorted, v[i] + 0.0)];
        return r;
    }

    /** The first index whose value is >= x. */
    private static int lowerBound(double[] s, double x) {
        int lo = 0, hi = s.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (s[mid] < x) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /** Pearson's r, clipped to [-1, 1] as numpy's corrcoef; NaN when either has no variance. Equal inputs give exactly 1. */
    static double pearson(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++) {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx == 0 || syy == 0) return Double.NaN;
        double r = sxy / Math.sqrt(sxx * syy);            // sqrt(fl(s * s)) == s: exactly 1 for x == y
        return Math.max(-1, Math.min(1, r));
    }

    /**
     * SSIM of two h x w maps (row-major) with the given data range, as skimage's structural_similarity by default
     * (see the class comment). The maps must be at least 7 x 7 (skimage refuses smaller ones too).
     */
    public static double ssim(double[] a, double[] b, int h, int w, double dataRange) {
        if (a == null || b == null) throw new IllegalArgumentException("ssim: a map is null");
        if (h < WINDOW || w < WINDOW) {
            throw new IllegalArgumentException("ssim: maps of " + h + " x " + w + " are smaller than the " + WINDOW + " x " + WINDOW
                    + " window (skimage: win_size exceeds image extent)");
        }
        if (a.length != (long) h * w || b.length != (long) h * w) {
            throw new IllegalArgumentException("ssim: maps of " + a.length + " and " + b.length + " cells for " + h + " x " + w + " = "
                    + (long) h * w);
        }
        if (!(dataRange > 0) || Double.isInfinite(dataRange)) {
            throw new IllegalArgumentException("ssim: data range " + dataRange + " must be finite and > 0 (the maps' max - min possible)");
        }
        int pad = (WINDOW - 1) / 2, np = WINDOW * WINDOW;
        double covNorm = np / (np - 1.0), c1 = (K1 * dataRange) * (K1 * dataRange), c2 = (K2 * dataRange) * (K2 * dataRange);
        double total = 0;
        long count = 0;
        for (int y = pad; y < h - pad; y++) {
            for (int x = pad; x < w - pad; x++) {
                double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
                for (int dy = -pad; dy <= pad; dy++) {
                    int row = (y + dy) * w;
                    for (int dx = -pad; dx <= pad; dx++) {
                        double va = a[row + x + dx], vb = b[row + x + dx];
                        sa += va;
                        sb += vb;
                        saa += va * va;
                        sbb += vb * vb;
                        sab += va * vb;
                    }
                }
                double ux = sa / np, uy = sb / np, uxx = saa / np, uyy = sbb / np, uxy = sab / np;
                double vx = covNorm * (uxx - ux * ux), vy = covNorm * (uyy - uy * uy), vxy = covNorm * (uxy - ux * uy);
                double a1 = 2 * ux * uy + c1, a2 = 2 * vxy + c2, b1 = ux * ux + uy * uy + c1, b2 = vx + vy + c2;
                total += (a1 * a2) / (b1 * b2);
                count++;
            }
        }
        return total / count;
    }

    /** The paper's [0, 1] normalization of an absolute map (see the class comment), a new array. */
    public static double[] grayscale(double[] abs) {
        if (abs == null || abs.length == 0) throw new IllegalArgumentException("grayscale: the map is null or empty");
        if (hasNaN(abs)) throw new IllegalArgumentException("grayscale: the map holds NaN");
        double min = Double.POSITIVE_INFINITY;
        for (double v : abs) min = Math.min(min, v);
        double span = percentile(abs, 99) - min;
        double[] out = new double[abs.length];
        if (span > 0) for (int i = 0; i < abs.length; i++) out[i] = Math.max(0, Math.min(1, (abs[i] - min) / span));
        return out;
    }

    /** The q-th percentile (0..100) with numpy's default linear interpolation between the order statistics. */
    public static double percentile(double[] v, double q) {
        if (!(q >= 0 && q <= 100)) throw new IllegalArgumentException("percentile: q " + q + " must be in [0, 100]");
        double[] s = v.clone();
        Arrays.sort(s);
        double pos = (s.length - 1) * (q / 100);
        int lo = (int) Math.floor(pos), hi = Math.min(lo + 1, s.length - 1);
        double t = pos - lo, d = s[hi] - s[lo];
        return t >= 0.5 ? s[hi] - d * (1 - t) : s[lo] + d * t;         // numpy's _lerp, both halves
    }

    private static boolean hasNaN(double[] v) {
        for (double x : v) if (Double.isNaN(x)) return true;
        return false;
    }
}
