package io.github.deconvspark.kernels;

/**
 * Direct-definition loops over NHWC double arrays, written from SEMANTICS.md alone (they share
 * no code with the kernels): the reference for properties TensorFlow cannot check.
 */
final class Naive {
    private Naive() {}

    /** out size and pad-before per SEMANTICS.md; explicit = {before, after} or null. */
    static int[] window(int in, int k, int s, int d, String padding, int[] explicit) {
        int ke = (k - 1) * d + 1;
        return switch (padding) {
            case "VALID" -> new int[] {(in - ke) / s + 1, 0};
            case "SAME" -> {
                int out = (in + s - 1) / s;
                int p = Math.max(0, (out - 1) * s + ke - in);
                yield new int[] {out, p / 2};
            }
            default -> new int[] {(in + explicit[0] + explicit[1] - ke) / s + 1, explicit[0]};
        };
    }

    record Geo(int n, int h, int w, int c, int kh, int kw, int o, int sh, int sw, int dh, int dw,
               int oh, int ow, int pt, int pl) {
        int x(int b, int y, int xx, int ch) { return ((b * h + y) * w + xx) * c + ch; }
        int f(int ky, int kx, int ch, int oc) { return ((ky * kw + kx) * c + ch) * o + oc; }
        int y(int b, int yy, int xx, int oc) { return ((b * oh + yy) * ow + xx) * o + oc; }
    }

    static double[] conv2d(double[] x, double[] f, Geo g) {
        double[] out = new double[g.n * g.oh * g.ow * g.o];
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int ch = 0; ch < g.c; ch++)
                for (int oc = 0; oc < g.o; oc++) out[g.y(b, oy, ox, oc)] += x[g.x(b, iy, ix, ch)] * f[g.f(ky, kx, ch, oc)];
        });
        return out;
    }

    static double[] conv2dTranspose(double[] v, double[] f, Geo g) {
        double[] out = new double[g.n * g.h * g.w * g.c];
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int ch = 0; ch < g.c; ch++)
                for (int oc = 0; oc < g.o; oc++) out[g.x(b, iy, ix, ch)] += v[g.y(b, oy, ox, oc)] * f[g.f(ky, kx, ch, oc)];
        });
        return out;
    }

    static double[] filterGrad(double[] x, double[] dy, Geo g) {
        double[] out = new double[g.kh * g.kw * g.c * g.o];
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int ch = 0; ch < g.c; ch++)
                for (int oc = 0; oc < g.o; oc++) out[g.f(ky, kx, ch, oc)] += x[g.x(b, iy, ix, ch)] * dy[g.y(b, oy, ox, oc)];
        });
        return out;
    }

    /** Max pool (o == c): values, argmax (y*W+x)*C+c with the first maximum, and the unpool sum rule. */
    static double[][] maxPool(double[] x, Geo g) {
        double[] out = new double[g.n * g.oh * g.ow * g.c];
        double[] arg = new double[out.length];
        java.util.Arrays.fill(out, Double.NEGATIVE_INFINITY);
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int ch = 0; ch < g.c; ch++) {
                int o = g.y(b, oy, ox, ch);
                double v = x[g.x(b, iy, ix, ch)];
                if (v > out[o]) {
                    out[o] = v;
                    arg[o] = (iy * g.w + ix) * g.c + ch;
                }
            }
        });
        return new double[][] {out, arg};
    }

    static double[] avgPool(double[] x, Geo g) {
        double[] out = new double[g.n * g.oh * g.ow * g.c];
        int[] count = new int[out.length];
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int ch = 0; ch < g.c; ch++) {
                out[g.y(b, oy, ox, ch)] += x[g.x(b, iy, ix, ch)];
                count[g.y(b, oy, ox, ch)]++;
            }
        });
        for (int i = 0; i < out.length; i++) out[i] /= count[i];
        return out;
    }

    /** The tutorial's un_max_pool: scatter_nd of pooled values at (b, argmax); duplicates add. */
    static double[] maxUnpool(double[] pooled, double[] argmax, int n, int imageSize) {
        double[] out = new double[n * imageSize];
        int per = pooled.length / n;
        for (int i = 0; i < pooled.length; i++) out[(i / per) * imageSize + (int) argmax[i]] += pooled[i];
        return out;
    }

    /** Average unpool: every pooled value added into each real cell of its window. */
    static double[] avgUnpool(double[] pooled, Geo g) {
        double[] out = new double[g.n * g.h * g.w * g.c];
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int ch = 0; ch < g.c; ch++) out[g.x(b, iy, ix, ch)] += pooled[g.y(b, oy, ox, ch)];
        });
        return out;
    }

    interface Tap {
        void at(int b, int oy, int ox, int ky, int kx, int iy, int ix);
    }

    /** Every (output cell, in-bounds tap) pair of the window, in row-major window order. */
    static void forEachTap(Geo g, Tap t) {
        for (int b = 0; b < g.n; b++)
            for (int oy = 0; oy < g.oh; oy++)
                for (int ox = 0; ox < g.ow; ox++)
                    for (int ky = 0; ky < g.kh; ky++)
                        for (int kx = 0; kx < g.kw; kx++) {
                            int iy = oy * g.sh - g.pt + ky * g.dh;
                            int ix = ox * g.sw - g.pl + kx * g.dw;
                            if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) t.at(b, oy, ox, ky, kx, iy, ix);
                        }
    }
}
