package io.github.deconvspark.kernels;

/**
 * Direct-definition loops over NHWC double arrays, written from SEMANTICS.md alone (they share
 * no code with the kernels): the reference for properties TensorFlow cannot check.
 */
final class Naive {
    private Naive() {}

    /**
     * ONNX's ceil_mode=1 (VALID or explicit; SEMANTICS.md): out = ceil((in + pads - ke) / s) + 1, less one when the last
     * window would start at or past the end of the input; explicit = {before, after} or null (VALID).
     */
    static int[] ceilWindow(int in, int k, int s, int d, int[] explicit) {
        int before = explicit == null ? 0 : explicit[0];
        int span = in + before + (explicit == null ? 0 : explicit[1]) - ((k - 1) * d + 1);
        int out = (span + s - 1) / s + 1;
        if ((out - 1) * s >= in + before) out--;
        return new int[] {out, before};
    }

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
        return conv2d(x, f, g, 1);
    }

    static double[] conv2dTranspose(double[] v, double[] f, Geo g) {
        return conv2dTranspose(v, f, g, 1);
    }

    static double[] filterGrad(double[] x, double[] dy, Geo g) {
        return filterGrad(x, dy, g, 1);
    }

    /** Grouped conv2d (TF's rule): filter [kh, kw, c / groups, o]; output channel oc reads only its group's input channels. */
    static double[] conv2d(double[] x, double[] f, Geo g, int groups) {
        double[] out = new double[g.n * g.oh * g.ow * g.o];
        forEachLink(g, groups, (b, oy, ox, iy, ix, ch, oc, fi) -> out[g.y(b, oy, ox, oc)] += x[g.x(b, iy, ix, ch)] * f[fi]);
        return out;
    }

    static double[] conv2dTranspose(double[] v, double[] f, Geo g, int groups) {
        double[] out = new double[g.n * g.h * g.w * g.c];
        forEachLink(g, groups, (b, oy, ox, iy, ix, ch, oc, fi) -> out[g.x(b, iy, ix, ch)] += v[g.y(b, oy, ox, oc)] * f[fi]);
        return out;
    }

    static double[] filterGrad(double[] x, double[] dy, Geo g, int groups) {
        double[] out = new double[g.kh * g.kw * (g.c / groups) * g.o];
        forEachLink(g, groups, (b, oy, ox, iy, ix, ch, oc, fi) -> out[fi] += x[g.x(b, iy, ix, ch)] * dy[g.y(b, oy, ox, oc)]);
        return out;
    }

    interface Link {
        void at(int b, int oy, int ox, int iy, int ix, int ch, int oc, int filterIndex);
    }

    /** Every (in-bounds tap, input channel, output channel of its group) of a grouped conv, with the filter entry joining them. */
    static void forEachLink(Geo g, int groups, Link l) {
        int cg = g.c / groups;
        int og = g.o / groups;
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int oc = 0; oc < g.o; oc++) {
                int first = oc / og * cg;
                for (int i = 0; i < cg; i++) l.at(b, oy, ox, iy, ix, first + i, oc, ((ky * g.kw + kx) * cg + i) * g.o + oc);
            }
        });
    }

    /**
     * TF's depthwise_conv2d, from its documented formula: output[b, i, j, k*m + q] = sum over (di, dj) of
     * input[b, i*s + di*d - pad, j*s + dj*d - pad, k] * filter[di, dj, k, q]; g.o is c * m.
     */
    static double[] depthwise(double[] x, double[] f, Geo g) {
        int m = g.o / g.c;
        double[] out = new double[g.n * g.oh * g.ow * g.o];
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int k = 0; k < g.c; k++)
                for (int q = 0; q < m; q++) out[g.y(b, oy, ox, k * m + q)] += x[g.x(b, iy, ix, k)] * f[((ky * g.kw + kx) * g.c + k) * m + q];
        });
        return out;
    }

    /** The depthwise input gradient: every output gradient cell scattered back through its filter entries. */
    static double[] depthwiseInputGrad(double[] dy, double[] f, Geo g) {
        int m = g.o / g.c;
        double[] out = new double[g.n * g.h * g.w * g.c];
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int k = 0; k < g.c; k++)
                for (int q = 0; q < m; q++) out[g.x(b, iy, ix, k)] += dy[g.y(b, oy, ox, k * m + q)] * f[((ky * g.kw + kx) * g.c + k) * m + q];
        });
        return out;
    }

    static double[] depthwiseFilterGrad(double[] x, double[] dy, Geo g) {
        int m = g.o / g.c;
        double[] out = new double[g.kh * g.kw * g.o];
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int k = 0; k < g.c; k++)
                for (int q = 0; q < m; q++) out[((ky * g.kw + kx) * g.c + k) * m + q] += x[g.x(b, iy, ix, k)] * dy[g.y(b, oy, ox, k * m + q)];
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

    /**
     * Per window (index oy * ow + ox), what an average pool divides its sum by: its taps inside the input (TF), or with
     * ONNX's count_include_pad=1 its taps inside the padded input [-pt, h + pb) x [-pl, w + pr) (PyTorch's rule where a
     * ceil-mode window passes the end padding).
     */
    static double[] divisors(Geo g, int pb, int pr, boolean includePad) {
        double[] d = new double[g.oh * g.ow];
        forEachWindowTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            boolean counts = includePad ? iy >= -g.pt && iy < g.h + pb && ix >= -g.pl && ix < g.w + pr
                    : iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
            if (b == 0 && counts) d[oy * g.ow + ox]++;
        });
        return d;
    }

    /** Each window's sum over its real cells divided by divisor[window]. */
    static double[] avgPool(double[] x, Geo g, double[] divisor) {
        double[] out = new double[g.n * g.oh * g.ow * g.c];
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int ch = 0; ch < g.c; ch++) out[g.y(b, oy, ox, ch)] += x[g.x(b, iy, ix, ch)] / divisor[oy * g.ow + ox];
        });
        return out;
    }

    /** The gradient of an average pool whose window i divides by divisor[i]: dy / divisor spread over the real cells. */
    static double[] avgPoolGrad(double[] dy, Geo g, double[] divisor) {
        double[] out = new double[g.n * g.h * g.w * g.c];
        forEachTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            for (int ch = 0; ch < g.c; ch++) out[g.x(b, iy, ix, ch)] += dy[g.y(b, oy, ox, ch)] / divisor[(oy * g.ow + ox)];
        });
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
        forEachWindowTap(g, (b, oy, ox, ky, kx, iy, ix) -> {
            if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) t.at(b, oy, ox, ky, kx, iy, ix);
        });
    }

    /** Every (output cell, tap) pair, taps in the padding included, in row-major window order. */
    static void forEachWindowTap(Geo g, Tap t) {
        for (int b = 0; b < g.n; b++)
            for (int oy = 0; oy < g.oh; oy++)
                for (int ox = 0; ox < g.ow; ox++)
                    for (int ky = 0; ky < g.kh; ky++)
                        for (int kx = 0; kx < g.kw; kx++) t.at(b, oy, ox, ky, kx, oy * g.sh - g.pt + ky * g.dh, ox * g.sw - g.pl + kx * g.dw);
    }
}
