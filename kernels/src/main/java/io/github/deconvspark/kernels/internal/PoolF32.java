package io.github.deconvspark.kernels.internal;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Window;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link PoolCompute}'s float32 loops: max pooling with argmax where oneDNN cannot serve it ({@link DnnlPool}), on heap
 * rows (a task copies the input rows its windows read in bulk, scans them channel-innermost, writes its output rows in
 * bulk), and max unpooling in place. Same order of taps, same strict {@code >} (TF's first maximum), same checks and
 * messages as the general loops.
 */
final class PoolF32 {
    private PoolF32() {}

    /** The float32 buffer of a dense array (Buf.of checks it is one). */
    private static FloatBuffer floats(INDArray a) {
        return ((Buf.F32) Buf.of(a)).b;
    }

    /** Each output column's real taps along the width ({@link Window#taps}), computed once per call, not per window. */
    static int[][] columnTaps(Window w) {
        int[][] taps = new int[w.out()][];
        for (int o = 0; o < w.out(); o++) taps[o] = w.taps(o, 0, w.in());
        return taps;
    }

    static void max(INDArray input, ConvGeometry g, INDArray output, INDArray argmax, boolean batchInIndex) {
        FloatBuffer x = floats(input);
        FloatBuffer out = floats(output);
        LongBuffer arg = argmax == null ? null : argmax.data().asNioLong();
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        int width = ww.in();
        int rowLen = width * c;
        int outRow = ww.out() * c;
        long imageSize = (long) wh.in() * rowLen;
        int[][] tapsX = columnTaps(ww);
        Parallel.ranges(g.n() * wh.out(), 1, (a, b) -> {
            float[] rows = new float[wh.k() * rowLen];
            int[] rowY = new int[wh.k()];
            float[] o = new float[outRow];
            long[] oa = arg == null ? null : new long[outRow];
            float[] best = new float[c];
            int[] at = new int[c];
            for (int t = a; t < b; t++) {
                int n = t / wh.out();
                int oy = t % wh.out();
                int[] ty = wh.taps(oy, 0, wh.in());
                int real = 0;
                for (int ky = ty[0]; ky < ty[1]; ky++) {
                    int iy = wh.start(oy) + ky * wh.dilation();
                    x.get((int) (n * imageSize) + iy * rowLen, rows, real * rowLen, rowLen);
                    rowY[real++] = iy;
                }
                long offset = batchInIndex ? n * imageSize : 0;
                for (int ox = 0; ox < ww.out(); ox++) {
                    int[] tx = tapsX[ox];
                    int ix0 = ww.start(ox);
                    boolean seeded = false;
                    for (int r = 0; r < real; r++) {
                        for (int kx = tx[0]; kx < tx[1]; kx++) {
                            int ix = ix0 + kx * ww.dilation();
                            int src = r * rowLen + ix * c;
                            int cell = (rowY[r] * width + ix) * c;
                            if (!seeded) {
                                System.arraycopy(rows, src, best, 0, c);
                                for (int ch = 0; ch < c; ch++) at[ch] = cell + ch;
                                seeded = true;
                                continue;
                            }
                            for (int ch = 0; ch < c; ch++) {
                                float v = rows[src + ch];
                                boolean greater = v > best[ch];
                                best[ch] = greater ? v : best[ch];
                                at[ch] = greater ? cell + ch : at[ch];
                            }
                        }
                    }
                    System.arraycopy(best, 0, o, ox * c, c);
                    if (oa != null) for (int ch = 0; ch < c; ch++) oa[ox * c + ch] = offset + at[ch];
                }
                out.put(t * outRow, o, 0, outRow);
                if (arg != null) arg.put(t * outRow, oa, 0, outRow);
            }
        });
    }

    /**
     * Max unpooling in place: zeroes each image of output, then adds its pooled values at their indices, read in
     * bulk a block at a time; the channel check without a division per element (a double reciprocal, corrected).
     */
    static void maxUnpool(INDArray pooled, INDArray argmax, long[] outShape, boolean batchInIndex, INDArray output) {
        FloatBuffer v = floats(pooled);
        LongBuffer arg = argmax.data().asNioLong();
        Buf outBuf = Buf.of(output);
        FloatBuffer out = ((Buf.F32) outBuf).b;
        int c = (int) outShape[3];
        int imageSize = (int) (outShape[1] * outShape[2] * c);
        int perImage = (int) (pooled.length() / outShape[0]);
        double inverseC = 1.0 / c;
        int block = 4096;
        Parallel.ranges((int) outShape[0], 1, (a, b) -> {
            float[] values = new float[block];
            long[] index = new long[block];
            for (int n = a; n < b; n++) {
                outBuf.zero(n * imageSize, imageSize);
                long offset = batchInIndex ? (long) n * imageSize : 0;
                int base = n * imageSize;
                for (int j0 = 0; j0 < perImage; j0 += block) {
                    int len = Math.min(block, perImage - j0);
                    int first = n * perImage + j0;
                    v.get(first, values, 0, len);
                    arg.get(first, index, 0, len);
                    int channel = first % c;
                    for (int j = 0; j < len; j++) {
                        long idx = index[j] - offset;
                        long cell = (long) (idx * inverseC);
                        if (cell * c > idx) cell--;
                        if ((cell + 1) * c <= idx) cell++;
                        if (idx < 0 || idx >= imageSize || idx - cell * c != channel) {
                            throw PoolCompute.badArgmax(index[j], first + j, n, c, outShape, batchInIndex);
                        }
                        int at = base + (int) idx;
                        out.put(at, out.get(at) + values[j]);
                        if (++channel == c) channel = 0;
                    }
                }
            }
        });
    }
}
