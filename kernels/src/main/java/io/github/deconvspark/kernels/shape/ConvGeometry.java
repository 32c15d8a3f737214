package io.github.deconvspark.kernels.shape;

/**
 * A 2-D convolution in NHWC terms: batch {@code n}, input channels {@code c}, output channels
 * {@code oc}, and the window along height and width. In the im2col view it is a product of a
 * {@code rows() x patch()} matrix by the {@code patch() x oc} filter matrix.
 */
public record ConvGeometry(int n, int c, int oc, Window h, Window w) {

    /** Output cells per channel over the batch: {@code n * outH * outW}. */
    public int rows() {
        return Math.multiplyExact(n, Math.multiplyExact(h.out(), w.out()));
    }

    /** Length of one im2col row: {@code kh * kw * c}, the filter's [kh, kw, in] prefix. */
    public int patch() {
        return h.k() * w.k() * c;
    }

    /** A 1x1 kernel with stride 1 and no padding: the convolution is a single matrix product. */
    public boolean pointwise() {
        return h.k() == 1 && w.k() == 1 && h.stride() == 1 && w.stride() == 1
                && h.padBefore() == 0 && w.padBefore() == 0 && h.out() == h.in() && w.out() == w.in();
    }
}
