package io.github.deconvspark.kernels.internal;

import static org.bytedeco.dnnl.global.dnnl.*;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Window;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_pooling_v2_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * TF's MaxPoolWithArgmax (float32, NHWC) on oneDNN's max pooling: its forward-training workspace holds, per output
 * cell, the window tap (ky * kw + kx) of the maximum, which one pass turns into TF's flat index
 * {@code (y * W + x) * C + c} (+ {@code b * H * W * C}). oneDNN's scan is TF's (taps in row-major order, a strict
 * comparison, padding excluded), but it starts from the lowest float where TF starts from the first cell in the
 * window: the two differ only where that first cell is NaN or where a window's maximum is the lowest float (or
 * -inf). The pass checks both and reports them, and the caller then uses the exact loop for the whole call.
 */
final class DnnlPool {
    private DnnlPool() {}

    /** The pooling primitive for this window (c == oc), or null when oneDNN has only a reference kernel for it. */
    static Dnnl.Plan build(ConvGeometry g) {
        Window h = g.h();
        Window w = g.w();
        int prH = Dnnl.padRight(h);
        int prW = Dnnl.padRight(w);
        if (prH < 0 || prW < 0 || h.k() * w.k() > 255) return null;
        dnnl_memory_desc_t src = Dnnl.desc(new long[] {g.n(), g.c(), h.in(), w.in()}, dnnl_nhwc);
        long[] dstDims = {g.n(), g.c(), h.out(), w.out()};
        dnnl_memory_desc_t dst = Dnnl.desc(dstDims, dnnl_nhwc);
        dnnl_pooling_v2_desc_t pool = new dnnl_pooling_v2_desc_t();
        if (dnnl_pooling_v2_forward_desc_init(pool, dnnl_forward_training, dnnl_pooling_max, src, dst,
                new long[] {h.stride(), w.stride()}, new long[] {h.k(), w.k()}, new long[] {h.dilation() - 1, w.dilation() - 1},
                new long[] {h.padBefore(), w.padBefore()}, new long[] {prH, prW}) != dnnl_success) {
            return null;
        }
        dnnl_primitive_desc pd = Dnnl.primitiveDesc(pool, null);
        if (pd == null) return null;
        String impl = Dnnl.implInfo(pd);
        dnnl_memory_desc_t workspace = Dnnl.copy(dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0));
        // The tap per output cell, one byte each, laid out as the output: anything else is not read here.
        boolean readable = dnnl_memory_desc_equal(workspace, Dnnl.desc(dstDims, dnnl_u8, dnnl_nhwc)) != 0;
        if (impl.startsWith("ref") || !readable) {
            dnnl_primitive_desc_destroy(pd);
            return null;
        }
        PointerPointer<dnnl_primitive> out = new PointerPointer<>(1);
        Dnnl.check(dnnl_primitive_create(out, pd), "pooling primitive_create");
        dnnl_primitive_desc_destroy(pd);
        Pointer buffer = Pointer.malloc(dnnl_memory_desc_get_size(workspace));
        return new Dnnl.Plan(impl, out.get(dnnl_primitive.class, 0), src, dst, null, workspace, null, buffer);
    }

    /**
     * Max pooling with TF's argmax into out and argmax (dense, NHWC, float32 and int64). Returns false, having written
     * nothing reliable, when oneDNN cannot serve the window or the input has a window where its result is not TF's.
     */
    static boolean maxWithArgmax(INDArray input, ConvGeometry g, INDArray output, INDArray argmax, boolean batchInIndex) {
        if (!Dnnl.enabled()) return false;
        Dnnl.Plan p = Dnnl.plan(Dnnl.Kind.MAX_POOL, g);
        if (p == null) return false;
        Dnnl.PerThread t = Dnnl.perThread();
        dnnl_memory s = Dnnl.memory(p.srcMd, Dnnl.address(input));
        dnnl_memory d = Dnnl.memory(p.dstMd, Dnnl.address(output));
        dnnl_memory ws = Dnnl.memory(p.bufferMd, p.buffer);
        try {
            Dnnl.execute(p.primitive, t.stream, DNNL_ARG_SRC, s, DNNL_ARG_DST, d, DNNL_ARG_WORKSPACE, ws);
            Dnnl.check(dnnl_stream_wait(t.stream), "stream_wait");
        } finally {
            dnnl_memory_destroy(s);
            dnnl_memory_destroy(d);
            dnnl_memory_destroy(ws);
        }
        ByteBuffer taps = new BytePointer(p.buffer).capacity(dnnl_memory_desc_get_size(p.bufferMd)).asByteBuffer();
        return indices(input.data().asNioFloat(), output.data().asNioFloat(), taps, argmax.data().asNioLong(), g, batchInIndex);
    }

    /** Workspace taps to TF's indices, checking each window's first cell and maximum; false when one is not TF's. */
    private static boolean indices(FloatBuffer x, FloatBuffer out, ByteBuffer taps, LongBuffer arg, ConvGeometry g,
                                   boolean batchInIndex) {
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        int width = ww.in();
        int rowLen = width * c;
        int outRow = ww.out() * c;
        long imageSize = (long) wh.in() * rowLen;
        int[] tapOffset = new int[wh.k() * ww.k()];
        for (int ky = 0; ky < wh.k(); ky++) {
            for (int kx = 0; kx < ww.k(); kx++) tapOffset[ky * ww.k() + kx] = (ky * wh.dilation() * width + kx * ww.dilation()) * c;
        }
        int[][] tapsX = PoolF32.columnTaps(ww);
        AtomicBoolean exact = new AtomicBoolean(true);
        Parallel.ranges(g.n() * wh.out(), 1, (a, b) -> {
            byte[] tap = new byte[outRow];
            float[] value = new float[outRow];
            float[] first = new float[rowLen];
            long[] index = new long[outRow];
            for (int r = a; r < b && exact.get(); r++) {
                int n = r / wh.out();
                int oy = r % wh.out();
                taps.get(r * outRow, tap, 0, outRow);
                out.get(r * outRow, value, 0, outRow);
                int[] ty = wh.taps(oy, 0, wh.in());
                int firstY = wh.start(oy) + ty[0] * wh.dilation();
                x.get((int) (n * imageSize) + firstY * rowLen, first, 0, rowLen);
                long base = (batchInIndex ? n * imageSize : 0) + (long) wh.start(oy) * rowLen;
                for (int ox = 0; ox < ww.out(); ox++) {
                    int ix0 = ww.start(ox);
                    int firstX = ix0 + tapsX[ox][0] * ww.dilation();
                    long cellBase = base + (long) ix0 * c;
                    int o = ox * c;
                    for (int ch = 0; ch < c; ch++) {
                        float v = value[o + ch];
                        if (v <= -Float.MAX_VALUE || Float.isNaN(first[firstX * c + ch])) {
                            exact.set(false);
                            return;
                        }
                        index[o + ch] = cellBase + tapOffset[tap[o + ch] & 0xff] + ch;
                    }
                }
                arg.put(r * outRow, index, 0, outRow);
            }
        });
        return exact.get();
    }
}
