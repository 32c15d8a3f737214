package io.github.deconvspark.kernels.internal;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * conv2d and its two gradients (NHWC, dense C-ordered arrays) where neither oneDNN ({@link Dnnl}: every float32
 * geometry it serves with a JIT kernel) nor libnd4j can serve them, which is float64 above all:
 * stride-1 forward and input-gradient convolutions with enough channels go to {@link TapGemm}; the
 * rest, and every filter gradient (measured: im2col + one GEMM beats a GEMM per tap by ~8%),
 * are im2col + one BLAS GEMM per chunk of output rows. Chunks keep the column matrix near cache size; GEMM itself is multi-threaded.
 *
 * <pre>
 *   forward:        out[rows, oc]   = cols[rows, patch] x W[patch, oc]
 *   input grad:     cols[rows, patch] = dy[rows, oc] x W^T ; then col2im-add into dx
 *   filter grad:    dW[patch, oc]   = sum over chunks cols^T x dy
 * </pre>
 */
public final class ConvCompute {
    /**
     * Largest column chunk, in elements (64 MiB of float32). Measured: one large GEMM beats many
     * cache-sized ones (an RGB first layer: 9 ms as one call, 16 ms in 16k-row chunks).
     */
    private static final int CHUNK_ELEMENTS = Integer.getInteger("deconv.im2col.chunk", 1 << 24);

    private ConvCompute() {}

    public static void forward(INDArray x, INDArray filter, INDArray out, ConvGeometry g) {
        int rows = g.rows();
        int patch = g.patch();
        INDArray wMat = filter.reshape('c', patch, g.oc());
        INDArray outMat = out.reshape('c', rows, g.oc());
        if (g.pointwise()) {
            Nd4j.gemm(x.reshape('c', rows, g.c()), wMat, outMat, false, false, 1.0, 0.0);
            return;
        }
        if (TapGemm.applies(g)) {
            TapGemm.forward(x, wMat, out, g);
            return;
        }
        forEachColumnChunk(x, g, (cols, r0, len) ->
                Nd4j.gemm(cols, wMat, rowsOf(outMat, r0, len), false, false, 1.0, 0.0));
    }

    public static void backpropInput(INDArray dy, INDArray filter, INDArray dx, ConvGeometry g) {
        int rows = g.rows();
        int patch = g.patch();
        INDArray wMat = filter.reshape('c', patch, g.oc());
        INDArray dyMat = dy.reshape('c', rows, g.oc());
        if (g.pointwise()) {
            Nd4j.gemm(dyMat, wMat, dx.reshape('c', rows, g.c()), false, true, 1.0, 0.0);
            return;
        }
        if (TapGemm.applies(g)) {
            TapGemm.backpropInput(dy, wMat, dx, g);
            return;
        }
        Buf dxb = Buf.of(dx);
        int total = (int) dx.length();
        Object dxh = dxb.newHeap(total);
        int chunk = chunkRows(rows, patch);
        INDArray cols = Scratch.matrix(0, dy.dataType(), chunk, patch);
        Buf cb = Buf.of(cols);
        int perImage = g.h().out() * g.w().out();
        int c = g.c();
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int len = Math.min(chunk, rows - r0);
            int base = r0;
            Nd4j.gemm(rowsOf(dyMat, r0, len), wMat, rowsOf(cols, 0, len), false, true, 1.0, 0.0);
            int firstImage = r0 / perImage;
            int lastImage = (r0 + len - 1) / perImage;
            if (lastImage > firstImage) {
                // Images never share input cells: one task per image.
                Parallel.ranges(lastImage - firstImage + 1, 1, (a, b) -> {
                    for (int img = firstImage + a; img < firstImage + b; img++) {
                        int s = Math.max(base, img * perImage);
                        int e = Math.min(base + len, (img + 1) * perImage);
                        addColumns(cb, base, g, s, e, 0, c, dxh);
                    }
                });
            } else {
                // One image: split by channel, which never share cells either.
                Parallel.ranges(c, 16, (c0, c1) -> addColumns(cb, base, g, base, base + len, c0, c1, dxh));
            }
        }
        dxb.fromHeap(0, dxh, 0, total);
    }

    public static void backpropFilter(INDArray x, INDArray dy, INDArray dw, ConvGeometry g) {
        int rows = g.rows();
        int patch = g.patch();
        INDArray dwMat = dw.reshape('c', patch, g.oc());
        INDArray dyMat = dy.reshape('c', rows, g.oc());
        if (g.pointwise()) {
            Nd4j.gemm(x.reshape('c', rows, g.c()), dyMat, dwMat, true, false, 1.0, 0.0);
            return;
        }
        forEachColumnChunk(x, g, (cols, r0, len) ->
                Nd4j.gemm(cols, rowsOf(dyMat, r0, len), dwMat, true, false, 1.0, r0 == 0 ? 0.0 : 1.0));
    }

    interface ColumnChunk {
        void accept(INDArray cols, int firstRow, int rows);
    }

    /** Builds the column matrix of x chunk by chunk (both cores) and hands each chunk to use. */
    private static void forEachColumnChunk(INDArray x, ConvGeometry g, ColumnChunk use) {
        int rows = g.rows();
        int patch = g.patch();
        Object xh = heapCopy(x);
        int chunk = chunkRows(rows, patch);
        INDArray cols = Scratch.matrix(0, x.dataType(), chunk, patch);
        Buf cb = Buf.of(cols);
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int len = Math.min(chunk, rows - r0);
            int base = r0;
            Parallel.ranges(len, 32, (a, b) -> fillColumns(xh, g, base + a, base + b, cb, a * patch));
            use.accept(rowsOf(cols, 0, len), r0, len);
        }
    }

    /** Rows of columns built per heap block before they are copied to native memory. */
    private static final int BLOCK_ROWS = 256;

    /** The array's elements in a per-thread heap array (slot 0; valid until the next call on this thread). */
    private static Object heapCopy(INDArray a) {
        Buf b = Buf.of(a);
        Object h = Scratch.heapArray(0, a.dataType(), (int) a.length());
        b.toHeap(0, h, 0, (int) a.length());
        return h;
    }

    /** Column rows [start, end) of image array xh into cols at element colOff, a heap block at a time. */
    private static void fillColumns(Object xh, ConvGeometry g, int start, int end, Buf cols, int colOff) {
        int patch = g.patch();
        Object block = cols.newHeap(Math.min(BLOCK_ROWS, end - start) * patch);
        for (int s = start; s < end; s += BLOCK_ROWS) {
            int e = Math.min(end, s + BLOCK_ROWS);
            Im2col.rows(xh, g, s, e, block, 0);
            cols.fromHeap(colOff + (s - start) * patch, block, 0, (e - s) * patch);
        }
    }

    /** Adds column rows [start, end) (cols holds rows from chunkStart on) into image array dxh, channels [c0, c1). */
    private static void addColumns(Buf cols, int chunkStart, ConvGeometry g, int start, int end, int c0, int c1, Object dxh) {
        int patch = g.patch();
        Object block = cols.newHeap(Math.min(BLOCK_ROWS, end - start) * patch);
        for (int s = start; s < end; s += BLOCK_ROWS) {
            int e = Math.min(end, s + BLOCK_ROWS);
            cols.toHeap((s - chunkStart) * patch, block, 0, (e - s) * patch);
            Im2col.addRows(block, 0, g, s, e, c0, c1, dxh);
        }
    }

    private static int chunkRows(int rows, int patch) {
        return Math.max(1, Math.min(rows, CHUNK_ELEMENTS / Math.max(1, patch)));
    }

    private static INDArray rowsOf(INDArray matrix, int start, int len) {
        if (start == 0 && len == matrix.rows()) return matrix;
        return matrix.get(NDArrayIndex.interval(start, start + len), NDArrayIndex.all());
    }
}
