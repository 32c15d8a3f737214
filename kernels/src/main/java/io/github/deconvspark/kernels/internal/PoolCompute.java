package io.github.deconvspark.kernels.internal;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Window;
import java.nio.LongBuffer;
import java.util.Arrays;
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
        int yLo = Math.max(0, ceilDiv(-iy0, wh.dilation()));
        int yHi = Math.min(wh.k(), ceilDiv(wh.in() - iy0, wh.dilation()));
        int xLo = Math.max(0, ceilDiv(-ix0, ww.dilation()));
        int xHi = Math.min(ww.k(), ceilDiv(ww.in() - ix0, ww.dilation()));
        int imageBase = n * wh.in() * ww.in() * c;
        boolean seeded = false;
        for (int ky = yLo; ky < yHi; ky++) {
            int iy = iy0 + ky * wh.dilation();
            for (int kx = xLo; kx < xHi; kx++) {
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

    /** Average pool over the real (non-padded) cells of each window. */
    public static void avg(INDArray input, ConvGeometry g, INDArray output) {
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
                for (int ox = 0; ox < ww.out(); ox++) {
                    Arrays.fill(sum, 0);
                    int count = 0;
                    int iy0 = wh.start(oy);
                    int ix0 = ww.start(ox);
                    // Only the taps inside the input: a window may be far larger than the image.
                    int yLo = Math.max(0, ceilDiv(-iy0, wh.dilation()));
                    int yHi = Math.min(wh.k(), ceilDiv(wh.in() - iy0, wh.dilation()));
                    int xLo = Math.max(0, ceilDiv(-ix0, ww.dilation()));
                    int xHi = Math.min(ww.k(), ceilDiv(ww.in() - ix0, ww.dilation()));
                    for (int ky = yLo; ky < yHi; ky++) {
                        int iy = iy0 + ky * wh.dilation();
                        for (int kx = xLo; kx < xHi; kx++) {
                            int ix = ix0 + kx * ww.dilation();
                            int base = ((n * wh.in() + iy) * ww.in() + ix) * c;
                            for (int ch = 0; ch < c; ch++) sum[ch] += x.get(base + ch);
                            count++;
                        }
                    }
                    int o = (t * ww.out() + ox) * c;
                    for (int ch = 0; ch < c; ch++) out.set(o + ch, sum[ch] / count);
                }
            }
        });
    }

    /**
     * Spreads every output cell back over the real cells of its window, adding where windows
     * overlap: divided by the window's real-cell count this is TF's AvgPoolGrad; undivided it is
     * the tutorial's average unpooling.
     */
    public static void spread(INDArray pooled, ConvGeometry g, INDArray target, boolean divideByCount) {
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
                    int iy0 = wh.start(oy);
                    int yLo = Math.max(0, ceilDiv(-iy0, wh.dilation()));
                    int yHi = Math.min(wh.k(), ceilDiv(wh.in() - iy0, wh.dilation()));
                    for (int ox = 0; ox < ww.out(); ox++) {
                        int ix0 = ww.start(ox);
                        int xLo = Math.max(0, ceilDiv(-ix0, ww.dilation()));
                        int xHi = Math.min(ww.k(), ceilDiv(ww.in() - ix0, ww.dilation()));
                        int count = Math.max(0, yHi - yLo) * Math.max(0, xHi - xLo);
                        double scale = divideByCount ? 1.0 / count : 1.0;
                        int o = ((n * wh.out() + oy) * ww.out() + ox) * c;
                        for (int ky = yLo; ky < yHi; ky++) {
                            int iy = iy0 + ky * wh.dilation();
                            for (int kx = xLo; kx < xHi; kx++) {
                                int ix = ix0 + kx * ww.dilation();
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
                    if (idx < 0 || idx >= imageSize || idx % c != i % c) {
                        throw new IllegalArgumentException("max_unpool: argmax value " + arg.get(i) + " at pooled element "
                                + i + " (image " + n + ", channel " + (i % c) + ") does not point into that image and channel of "
                                + "output " + Arrays.toString(outShape) + " (include_batch_in_index=" + batchInIndex
                                + "; legal: (y*W + x)*C + c" + (batchInIndex ? " + b*H*W*C" : "") + ")");
                    }
                    int cell = n * imageSize + (int) idx;
                    out.set(cell, out.get(cell) + v.get(i));
                }
            }
        });
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

    private static int ceilDiv(int a, int b) {
        return Math.floorDiv(a + b - 1, b);
    }
}
