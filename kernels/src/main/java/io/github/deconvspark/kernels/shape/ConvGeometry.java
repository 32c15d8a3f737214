package io.github.deconvspark.kernels.shape;

/**
 * A 2-D convolution in NHWC terms: batch {@code n}, input channels {@code c}, output channels
 * {@code oc}, the window along height and width, and the channel groups (TF's grouped conv2d: input channel
 * group {@code i} of {@code c / groups} channels feeds only output channel group {@code i}; depthwise is
 * {@code groups == c}). In the im2col view each group is a product of a {@code rows() x patch()} matrix by
 * that group's {@code patch() x oc / groups} filter matrix.
 */
public record ConvGeometry(int n, int c, int oc, Window h, Window w, int groups) {

    /** An ungrouped convolution (or a pooling window: {@code oc == c}). */
    public ConvGeometry(int n, int c, int oc, Window h, Window w) {
        this(n, c, oc, h, w, 1);
    }

    /** Output cells per channel over the batch: {@code n * outH * outW}. */
    public int rows() {
        return Math.multiplyExact(n, Math.multiplyExact(h.out(), w.out()));
    }

    /** Length of one im2col row: {@code kh * kw * c / groups}, the filter's [kh, kw, in] prefix. */
    public int patch() {
        return h.k() * w.k() * groupChannels();
    }

    /** Input channels per group: the filter's in-channels {@code c / groups}. */
    public int groupChannels() {
        return c / groups;
    }

    /** Output channels per group: {@code oc / groups} (a depthwise conv's channel multiplier). */
    public int groupOutChannels() {
        return oc / groups;
    }

    /** A 1x1 ungrouped kernel with stride 1 and no padding: the convolution is a single matrix product. */
    public boolean pointwise() {
        return groups == 1 && h.k() == 1 && w.k() == 1 && h.stride() == 1 && w.stride() == 1
                && h.padBefore() == 0 && w.padBefore() == 0 && h.out() == h.in() && w.out() == w.in();
    }
}
