package io.github.deconvspark.kernels.internal;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Window;

/**
 * im2col and its adjoint col2im for NHWC tensors, on heap arrays (float[] or double[]) so that
 * runs are copied with System.arraycopy and sums run in JIT-vectorized loops. Row r of the
 * column matrix is the receptive field of output cell r = (n, oy, ox), laid out [kh, kw, c] like
 * the filter, so that conv2d is one matrix product with the filter as a (kh*kw*c) x oc matrix.
 */
final class Im2col {
    private static final float[] ZEROS_F = new float[4096];
    private static final double[] ZEROS_D = new double[4096];

    private Im2col() {}

    /** Writes rows [rowStart, rowEnd) of the column matrix of image array x into cols, from element colOff. */
    static void rows(Object x, ConvGeometry g, int rowStart, int rowEnd, Object cols, int colOff) {
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        int kw = ww.k();
        int rowLen = kw * c;
        int perImage = wh.out() * ww.out();
        int dst = colOff;
        for (int r = rowStart; r < rowEnd; r++) {
            int n = r / perImage;
            int oy = (r % perImage) / ww.out();
            int ox = r % ww.out();
            int iy0 = wh.start(oy);
            int ix0 = ww.start(ox);
            for (int ky = 0; ky < wh.k(); ky++, dst += rowLen) {
                int iy = iy0 + ky * wh.dilation();
                if (iy < 0 || iy >= wh.in()) {
                    zero(cols, dst, rowLen);
                    continue;
                }
                int src = (n * wh.in() + iy) * ww.in() * c;
                if (ww.dilation() == 1) {
                    int lo = Math.min(kw, Math.max(0, -ix0));
                    int hi = Math.max(lo, Math.min(kw, ww.in() - ix0));
                    if (lo > 0) zero(cols, dst, lo * c);
                    if (hi > lo) System.arraycopy(x, src + (ix0 + lo) * c, cols, dst + lo * c, (hi - lo) * c);
                    if (hi < kw) zero(cols, dst + hi * c, (kw - hi) * c);
                } else {
                    for (int kx = 0; kx < kw; kx++) {
                        int ix = ix0 + kx * ww.dilation();
                        if (ix < 0 || ix >= ww.in()) zero(cols, dst + kx * c, c);
                        else System.arraycopy(x, src + ix * c, cols, dst + kx * c, c);
                    }
                }
            }
        }
    }

    /**
     * Adds rows [rowStart, rowEnd) of the column matrix (starting at element colOff of cols)
     * back into image array x, for channels [c0, c1) only: callers split work by image or by
     * channel so that no two threads touch the same cell.
     */
    static void addRows(Object cols, int colOff, ConvGeometry g, int rowStart, int rowEnd, int c0, int c1, Object x) {
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        int kw = ww.k();
        int patch = g.patch();
        int perImage = wh.out() * ww.out();
        int width = c1 - c0;
        for (int r = rowStart; r < rowEnd; r++) {
            int n = r / perImage;
            int oy = (r % perImage) / ww.out();
            int ox = r % ww.out();
            int iy0 = wh.start(oy);
            int ix0 = ww.start(ox);
            int rowBase = colOff + (r - rowStart) * patch;
            for (int ky = 0; ky < wh.k(); ky++) {
                int iy = iy0 + ky * wh.dilation();
                if (iy < 0 || iy >= wh.in()) continue;
                int dstRow = (n * wh.in() + iy) * ww.in() * c;
                for (int kx = 0; kx < kw; kx++) {
                    int ix = ix0 + kx * ww.dilation();
                    if (ix < 0 || ix >= ww.in()) continue;
                    add(x, dstRow + ix * c + c0, cols, rowBase + (ky * kw + kx) * c + c0, width);
                }
            }
        }
    }

    private static void zero(Object a, int at, int len) {
        Object zeros = a instanceof float[] ? ZEROS_F : ZEROS_D;
        for (int done = 0; done < len; done += 4096) System.arraycopy(zeros, 0, a, at + done, Math.min(4096, len - done));
    }

    private static void add(Object dst, int d, Object src, int s, int len) {
        if (dst instanceof float[] f) {
            float[] g = (float[]) src;
            for (int j = 0; j < len; j++) f[d + j] += g[s + j];
        } else {
            double[] f = (double[]) dst;
            double[] g = (double[]) src;
            for (int j = 0; j < len; j++) f[d + j] += g[s + j];
        }
    }
}
