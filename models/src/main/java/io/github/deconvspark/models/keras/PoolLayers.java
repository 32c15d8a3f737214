package io.github.deconvspark.models.keras;

import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.PoolParams;
import java.util.List;

/**
 * MaxPooling2D and AveragePooling2D (TF semantics: SAME averages exclude the padding), the global pools (keepdims),
 * and ZeroPadding2D (an int, symmetric (h, w), or ((top, bottom), (left, right))), NHWC.
 */
final class PoolLayers {
    private PoolLayers() {}

    static Tensor pool(KerasLayer l, Tensor x, boolean max) {
        Cfg c = l.cfg;
        c.channelsLast();
        ConvLayers.channels(l, x);
        int[] k = c.ints("pool_size", 2, new int[] {2, 2}, 1);
        int[] s = c.ints("strides", 2, k, 1);
        Padding p = c.oneOf("padding", "valid", "valid", "same").equals("same") ? Padding.SAME : Padding.VALID;
        PoolParams params = PoolParams.of(max ? "MaxPool" : "AvgPool", new int[] {1, k[0], k[1], 1}, new int[] {1, s[0], s[1], 1}, p,
                DataFormat.NHWC);
        return max ? Ops.maxPool(x, params) : Ops.avgPool(x, params);
    }

    static Tensor global(KerasLayer l, Tensor x, boolean max) {
        Cfg c = l.cfg;
        c.channelsLast();
        ConvLayers.channels(l, x);
        boolean keep = c.bool("keepdims", false);
        return max ? Ops.reduceMax(x, keep, 1, 2) : Ops.reduceMean(x, keep, 1, 2);
    }

    static Tensor zeroPadding(KerasLayer l, Tensor x) {
        Cfg c = l.cfg;
        c.channelsLast();
        ConvLayers.channels(l, x);
        long[] p = padding(c);
        return Ops.pad(x, new long[] {0, p[0], p[2], 0}, new long[] {0, p[1], p[3], 0});
    }

    /** {top, bottom, left, right}. */
    private static long[] padding(Cfg c) {
        Object v = c.raw("padding");
        if (v == null) return new long[] {1, 1, 1, 1};
        String bad = "must be an int, (symmetric_height, symmetric_width) or ((top, bottom), (left, right)) of integers >= 0, got "
                + Cfg.show(v);
        long[] p = new long[4];
        if (v instanceof List<?> outer) {
            if (outer.size() != 2) throw c.error("padding", bad);
            for (int a = 0; a < 2; a++) {
                Object e = outer.get(a);
                if (e instanceof List<?> inner) {
                    if (inner.size() != 2) throw c.error("padding", bad);
                    p[2 * a] = c.integer("padding", inner.get(0));
                    p[2 * a + 1] = c.integer("padding", inner.get(1));
                } else {
                    p[2 * a] = p[2 * a + 1] = c.integer("padding", e);
                }
            }
        } else {
            java.util.Arrays.fill(p, c.integer("padding", v));
        }
        for (long q : p) if (q < 0 || q > Integer.MAX_VALUE) throw c.error("padding", bad);
        return p;
    }
}
