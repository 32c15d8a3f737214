package io.github.deconvspark.kernels.internal;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Window;

/**
 * im2col and its adjoint col2im for NHWC tensors. Row r of the column matrix is the receptive
 * field of output cell r = (n, oy, ox), laid out [kh, kw, c] like the filter, so that
 * conv2d is one matrix product with the filter seen as a (kh*kw*c) x oc matrix.
 */
final class Im2col {
    private Im2col() {}

    /** Writes rows [rowStart, rowEnd) of the column matrix of x into cols, starting at element colOff. */
    static void rows(Buf x, ConvGeometry g, int rowStart, int rowEnd, Buf cols, int colOff) {
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
                    cols.zero(dst, rowLen);
                    continue;
                }
                int src = (n * wh.in() + iy) * ww.in() * c;
                if (ww.dilation() == 1) {
                    int lo = Math.min(kw, Math.max(0, -ix0));
                    int hi = Math.max(lo, Math.min(kw, ww.in() - ix0));
                    if (lo > 0) cols.zero(dst, lo * c);
                    if (hi > lo) cols.copy(dst + lo * c, x, src + (ix0 + lo) * c, (hi - lo) * c);
                    if (hi < kw) cols.zero(dst + hi * c, (kw - hi) * c);
                } else {
                    for (int kx = 0; kx < kw; kx++) {
                        int ix = ix0 + kx * ww.dilation();
                        if (ix < 0 || ix >= ww.in()) cols.zero(dst + kx * c, c);
                        else cols.copy(dst + kx * c, x, src + ix * c, c);
                    }
                }
            }
        }
    }

    /**
     * Adds rows [rowStart, rowEnd) of the column matrix (starting at element colOff of cols)
     * back into x, for channels [c0, c1) only: callers split work by image or by channel so
     * that no two threads touch the same cell.
     */
    static void addRows(Buf cols, int colOff, ConvGeometry g, int rowStart, int rowEnd, int c0, int c1, Buf x) {
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
                    x.add(dstRow + ix * c + c0, cols, rowBase + (ky * kw + kx) * c + c0, width);
                }
            }
        }
    }
}
