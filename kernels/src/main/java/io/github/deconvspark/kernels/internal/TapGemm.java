package io.github.deconvspark.kernels.internal;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Window;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Stride-1 convolutions without im2col: one GEMM per filter tap over a zero-padded copy of the
 * image. In a padded NHWC image of width Wp, the receptive cells of tap (ky, kx) for the output
 * rows oy = 0..OH-1 and "wide" columns x' = 0..Wp-1 are one contiguous block of rows starting at
 * {@code ky*dh*Wp + kx*dw}; columns x' >= OW are garbage and dropped. So every tap is a single
 * {@code [OH*Wp, C] x [C, OC]} product accumulated into a per-image buffer, and nothing is
 * copied kh*kw times. The input gradient uses the same trick: it is the stride-1 convolution of
 * the padded output gradient with the flipped filter.
 */
final class TapGemm {
    private TapGemm() {}

    /** Stride 1, pads within the kernel's reach, and enough channels for efficient products. */
    static boolean applies(ConvGeometry g) {
        Window h = g.h();
        Window w = g.w();
        return h.stride() == 1 && w.stride() == 1 && g.c() >= 16 && g.oc() >= 16
                && Math.max(h.padBefore(), h.padAfter()) <= h.extent() - 1
                && Math.max(w.padBefore(), w.padAfter()) <= w.extent() - 1;
    }

    static void forward(INDArray x, INDArray wMat, INDArray out, ConvGeometry g) {
        Window h = g.h();
        Window w = g.w();
        int hp = h.in() + h.padBefore() + h.padAfter();
        int wp = w.in() + w.padBefore() + w.padAfter();
        INDArray padded = pad(0, x, g.n(), h.in(), w.in(), g.c(), hp, wp, h.padBefore(), w.padBefore(), slack(w));
        int m = h.out() * wp;
        INDArray wide = Scratch.matrix(1, x.dataType(), m, g.oc());
        Buf wideBuf = Buf.of(wide);
        Buf outBuf = Buf.of(out);
        int taps = h.k() * w.k();
        for (int n = 0; n < g.n(); n++) {
            for (int t = 0; t < taps; t++) {
                int ky = t / w.k();
                int kx = t % w.k();
                int start = n * hp * wp + ky * h.dilation() * wp + kx * w.dilation();
                Nd4j.gemm(rows(padded, start, m), rows(wMat, t * g.c(), g.c()), wide, false, false, 1.0, t == 0 ? 0.0 : 1.0);
            }
            narrow(wideBuf, wp, outBuf, n, h.out(), w.out(), g.oc());
        }

    }

    static void backpropInput(INDArray dy, INDArray wMat, INDArray dx, ConvGeometry g) {
        Window h = g.h();
        Window w = g.w();
        int reachH = h.extent() - 1;
        int reachW = w.extent() - 1;
        int hq = h.in() + reachH;
        int wq = w.in() + reachW;
        INDArray q = pad(0, dy, g.n(), h.out(), w.out(), g.oc(), hq, wq, reachH - h.padBefore(), reachW - w.padBefore(), slack(w));
        int m = h.in() * wq;
        INDArray wide = Scratch.matrix(1, dy.dataType(), m, g.c());
        Buf wideBuf = Buf.of(wide);
        Buf dxBuf = Buf.of(dx);
        int taps = h.k() * w.k();
        for (int n = 0; n < g.n(); n++) {
            for (int t = 0; t < taps; t++) {
                int ky = t / w.k();
                int kx = t % w.k();
                int start = n * hq * wq + (h.k() - 1 - ky) * h.dilation() * wq + (w.k() - 1 - kx) * w.dilation();
                Nd4j.gemm(rows(q, start, m), rows(wMat, t * g.c(), g.c()), wide, false, true, 1.0, t == 0 ? 0.0 : 1.0);
            }
            narrow(wideBuf, wq, dxBuf, n, h.in(), w.in(), g.c());
        }

    }

    /** Rows a tap may read past the last image's end (garbage columns only). */
    private static int slack(Window w) {
        return w.extent() - 1;
    }

    /**
     * Copies NHWC images [n, h, w, c] into a zeroed [n*hp*wp + slack, c] matrix, each image at
     * (top, left) of its hp x wp frame. Rows outside the frame's picture are zero.
     */
    private static INDArray pad(int slot, INDArray src, int n, int h, int w, int c, int hp, int wp, int top, int left, int slack) {
        INDArray dst = Scratch.matrix(slot, src.dataType(), (long) n * hp * wp + slack, c);
        Buf s = Buf.of(src);
        Buf d = Buf.of(dst);
        int frame = hp * wp * c;
        Parallel.ranges(n, 1, (a, b) -> {
            for (int img = a; img < b; img++) {
                int base = img * frame;
                for (int y = 0; y < hp; y++) {
                    int sy = y - top;
                    int row = base + y * wp * c;
                    if (sy < 0 || sy >= h) {
                        d.zero(row, wp * c);
                        continue;
                    }
                    int copy = Math.min(w, wp - left);
                    d.zero(row, left * c);
                    d.copy(row + left * c, s, ((img * h + sy) * w) * c, copy * c);
                    d.zero(row + (left + copy) * c, (wp - left - copy) * c);
                }
            }
        });
        d.zero(n * frame, slack * c);
        return dst;
    }

    /** Copies the first outW columns of each of the outH wide rows of image n into out. */
    private static void narrow(Buf wide, int wideW, Buf out, int n, int outH, int outW, int c) {
        Parallel.ranges(outH, 8, (a, b) -> {
            for (int y = a; y < b; y++) out.copy(((n * outH + y) * outW) * c, wide, y * wideW * c, outW * c);
        });
    }

    private static INDArray rows(INDArray matrix, long start, long len) {
        if (start == 0 && len == matrix.rows()) return matrix;
        return matrix.get(NDArrayIndex.interval(start, start + len), NDArrayIndex.all());
    }
}
