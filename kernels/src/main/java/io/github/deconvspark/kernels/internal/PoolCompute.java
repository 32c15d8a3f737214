package io.github.deconvspark.kernels.internal;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Window;
import java.nio.LongBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pooling, its gradients and unpooling over dense NHWC arrays, as plain loops split by batch
 * rows (forward) or by image (scatters, whose windows may overlap within an image only).
 * Window scans go taps-outer, channels-inner, so reads are contiguous and a strict {@code >}
 * keeps TF's first maximum in row-major window order.
 */
public final class PoolCompute {
    private PoolCompute() {}

    /** Max pool; when argmax is non-null also TF's argmax index (y*W + x)*C + c (+ b*H*W*C). */
    public static void max(INDArray input, ConvGeometry g, INDArray output, INDArray argmax, boolean batchInIndex) {
        if (input.dataType() == DataType.FLOAT) {
            if (argmax == null || !DnnlPool.maxWithArgmax(input, g, output, argmax, batchInIndex)) {
                PoolF32.max(input, g, output, argmax, batchInIndex);
            }
            return;
        }
        Buf x = Buf.of(input);
        Buf out = Buf.of(output);
        LongBuffer arg = argmax == null ? null : argmax.data().asNioLong();
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        long imageSize = (long) wh.in() * ww.in() * c;
        Parallel.ranges(g.n() * wh.out(), 1, (a, b) -> {
            double[] best = new double[c];
            int[] at = new int[c];
            for (int t = a; t < b; t++) {
                int n = t / wh.out();
                int oy = t % wh.out();
                for (int ox = 0; ox < ww.out(); ox++) {
                    scanMax(x, g, n, oy, ox, best, at);
                    int o = (t * ww.out() + ox) * c;
                    for (int ch = 0; ch < c; ch++) out.set(o + ch, best[ch]);
                    if (arg != null) {
                        long offset = batchInIndex ? n * imageSize : 0;
                        for (int ch = 0; ch < c; ch++) arg.put(o + ch, offset + at[ch]);
                    }
                }
            }
        });
    }

    /** TF's MaxPoolGrad: each window's gradient goes to its (first) maximum; overlaps add up. */
    public static void maxGrad(INDArray input, INDArray outGrad, ConvGeometry g, INDArray inGrad) {
        Buf x = Buf.of(input);
        Buf dy = Buf.of(outGrad);
        Buf dx = Buf.of(inGrad);
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        int imageSize = wh.in() * ww.in() * c;
        Parallel.ranges(g.n(), 1, (a, b) -> {
            double[] best = new double[c];
            int[] at = new int[c];
            for (int n = a; n < b; n++) {
                dx.zero(n * imageSize, imageSize);
                for (int oy = 0; oy < wh.out(); oy++) {
                    for (int ox = 0; ox < ww.out(); ox++) {
                        scanMax(x, g, n, oy, ox, best, at);
                        int o = ((n * wh.out() + oy) * ww.out() + ox) * c;
                        for (int ch = 0; ch < c; ch++) {
                            int i = n * imageSize + at[ch];
                            dx.set(i, dx.get(i) + dy.get(o + ch));
                        }
                    }
                }
            }
        });
    }

    /**
     * Finds per channel the first maximum of window (oy, ox) of image n: value and in-image index.
     * The first real cell seeds the scan; a strict, branch-free {@code >} keeps the first maximum.
     */
    private static void scanMax(Buf x, ConvGeometry g, int n, int oy, int ox, double[] best, int[] at) {
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        int iy0 = wh.start(oy);
        int ix0 = ww.start(ox);
        int[] ty = wh.taps(oy, 0, wh.in());
        int[] tx = ww.taps(ox, 0, ww.in());
        int imageBase = n * wh.in() * ww.in() * c;
        boolean seeded = false;
        for (int ky = ty[0]; ky < ty[1]; ky++) {
            int iy = iy0 + ky * wh.dilation();
            for (int kx = tx[0]; kx < tx[1]; kx++) {
                int cell = (iy * ww.in() + ix0 + kx * ww.dilation()) * c;
                int base = imageBase + cell;
                if (!seeded) {
                    for (int ch = 0; ch < c; ch++) {
                        best[ch] = x.get(base + ch);
                        at[ch] = cell + ch;
                    }
                    seeded = true;
                    continue;
                }
                for (int ch = 0; ch < c; ch++) {
                    double v = x.get(base + ch);
                    boolean greater = v > best[ch];
                    best[ch] = greater ? v : best[ch];
                    at[ch] = greater ? cell + ch : at[ch];
                }
            }
        }
    }

    /** What an average divides each window's sum by. */
    public enum Divisor {
        /** Nothing: window sums (sum pooling, average unpooling). */
        NONE,
        /** The window's real (non-padded) cells: TF's average pooling. */
        REAL_CELLS,
        /** The window's cells inside the padded input, padding included: ONNX's count_include_pad=1. */
        PADDED_WINDOW;

        double of(Window wh, int oy, Window ww, int ox) {
            return switch (this) {
                case NONE -> 1;
                case REAL_CELLS -> span(wh.taps(oy, 0, wh.in())) * (double) span(ww.taps(ox, 0, ww.in()));
                case PADDED_WINDOW -> span(padded(wh, oy)) * (double) span(padded(ww, ox));
            };
        }

        private static int[] padded(Window w, int o) {
            return w.taps(o, -w.padBefore(), w.in() + w.padAfter());
        }

        private static int span(int[] taps) {
            return taps[1] - taps[0];
        }
    }

    /** Average pool: each window's sum over its real cells, divided as {@code divisor} says. */
    public static void avg(INDArray input, ConvGeometry g, INDArray output, Divisor divisor) {
        Buf x = Buf.of(input);
        Buf out = Buf.of(output);
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        Parallel.ranges(g.n() * wh.out(), 1, (a, b) -> {
            double[] sum = new double[c];
            for (int t = a; t < b; t++) {
                int n = t / wh.out();
                int oy = t % wh.out();
                // Only the taps inside the input: a window may be far larger than the image.
                int[] ty = wh.taps(oy, 0, wh.in());
                for (int ox = 0; ox < ww.out(); ox++) {
                    Arrays.fill(sum, 0);
                    int[] tx = ww.taps(ox, 0, ww.in());
                    for (int ky = ty[0]; ky < ty[1]; ky++) {
                        int iy = wh.start(oy) + ky * wh.dilation();
                        for (int kx = tx[0]; kx < tx[1]; kx++) {
                            int ix = ww.start(ox) + kx * ww.dilation();
                            int base = ((n * wh.in() + iy) * ww.in() + ix) * c;
                            for (int ch = 0; ch < c; ch++) sum[ch] += x.get(base + ch);
                        }
                    }
                    double count = divisor.of(wh, oy, ww, ox);
                    int o = (t * ww.out() + ox) * c;
                    for (int ch = 0; ch < c; ch++) out.set(o + ch, sum[ch] / count);
                }
            }
        });
    }

    /**
     * Spreads every output cell back over the real cells of its window, adding where windows
     * overlap: divided as average pooling divides, this is its gradient (TF's AvgPoolGrad for REAL_CELLS);
     * undivided it is the tutorial's average unpooling.
     */
    public static void spread(INDArray pooled, ConvGeometry g, INDArray target, Divisor divisor) {
        Buf dy = Buf.of(pooled);
        Buf dx = Buf.of(target);
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        int imageSize = wh.in() * ww.in() * c;
        Parallel.ranges(g.n(), 1, (a, b) -> {
            for (int n = a; n < b; n++) {
                dx.zero(n * imageSize, imageSize);
                for (int oy = 0; oy < wh.out(); oy++) {
                    int[] ty = wh.taps(oy, 0, wh.in());
                    for (int ox = 0; ox < ww.out(); ox++) {
                        int[] tx = ww.taps(ox, 0, ww.in());
                        double scale = 1.0 / divisor.of(wh, oy, ww, ox);
                        int o = ((n * wh.out() + oy) * ww.out() + ox) * c;
                        for (int ky = ty[0]; ky < ty[1]; ky++) {
                            int iy = wh.start(oy) + ky * wh.dilation();
                            for (int kx = tx[0]; kx < tx[1]; kx++) {
                                int ix = ww.start(ox) + kx * ww.dilation();
                                int base = n * imageSize + (iy * ww.in() + ix) * c;
                                for (int ch = 0; ch < c; ch++) dx.set(base + ch, dx.get(base + ch) + dy.get(o + ch) * scale);
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * Max unpooling: writes each pooled value at its argmax in a zeroed output, summing where
     * several windows chose the same cell (as TF's scatter_nd does). Rejects an index outside
     * its image or in another channel, naming the pooled position.
     */
    public static void maxUnpool(INDArray pooled, INDArray argmax, long[] outShape, boolean batchInIndex, INDArray output) {
        if (pooled.dataType() == DataType.FLOAT) {
            PoolF32.maxUnpool(pooled, argmax, outShape, batchInIndex, output);
            return;
        }
        Buf v = Buf.of(pooled);
        LongBuffer arg = argmax.data().asNioLong();
        Buf out = Buf.of(output);
        int c = (int) outShape[3];
        int imageSize = (int) (outShape[1] * outShape[2] * c);
        int pooledPerImage = (int) (pooled.length() / outShape[0]);
        Parallel.ranges((int) outShape[0], 1, (a, b) -> {
            for (int n = a; n < b; n++) {
                out.zero(n * imageSize, imageSize);
                long offset = batchInIndex ? (long) n * imageSize : 0;
                for (int i = n * pooledPerImage; i < (n + 1) * pooledPerImage; i++) {
                    long idx = arg.get(i) - offset;
                    if (idx < 0 || idx >= imageSize || idx % c != i % c) throw badArgmax(arg.get(i), i, n, c, outShape, batchInIndex);
                    int cell = n * imageSize + (int) idx;
                    out.set(cell, out.get(cell) + v.get(i));
                }
            }
        });
    }

    static IllegalArgumentException badArgmax(long value, int i, int n, int c, long[] outShape, boolean batchInIndex) {
        return new IllegalArgumentException("max_unpool: argmax value " + value + " at pooled element "
                + i + " (image " + n + ", channel " + (i % c) + ") does not point into that image and channel of "
                + "output " + Arrays.toString(outShape) + " (include_batch_in_index=" + batchInIndex
                + "; legal: (y*W + x)*C + c" + (batchInIndex ? " + b*H*W*C" : "") + ")");
    }

    /**
     * Reads source at each argmax (max unpooling's transpose): output[i] = source[argmax[i]] within image i's image.
     * The message of an index outside its image is the autodiff's GatherArgmax message.
     */
    public static void gather(INDArray source, INDArray argmax, boolean batchInIndex, INDArray output) {
        Buf s = Buf.of(source);
        Buf o = Buf.of(output);
        LongBuffer idx = argmax.data().asNioLong();
        long n = source.size(0);
        long image = source.length() / n;
        long perImage = output.length() / n;
        for (int i = 0; i < output.length(); i++) {
            long b = i / perImage;
            long at = idx.get(i) + (batchInIndex ? 0 : b * image);
            if (at < b * image || at >= (b + 1) * image) {
                throw new IllegalArgumentException("GatherArgmax: argmax " + idx.get(i) + " at element " + i
                        + " points outside image " + b + " of " + Arrays.toString(source.shape()) + " NHWC (include_batch_in_index="
                        + batchInIndex + ")");
            }
            o.set(i, s.get((int) at));
        }
    }
}
