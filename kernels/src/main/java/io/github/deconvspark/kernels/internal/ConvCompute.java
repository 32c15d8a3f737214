package io.github.deconvspark.kernels.internal;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * conv2d and its two gradients (NHWC, dense C-ordered arrays): stride-1 convolutions with enough
 * channels go to {@link TapGemm}; the rest are im2col + one BLAS GEMM per chunk of output rows. Chunks keep the column matrix near cache size; GEMM itself is multi-threaded.
 *
 * <pre>
 *   forward:        out[rows, oc]   = cols[rows, patch] x W[patch, oc]
 *   input grad:     cols[rows, patch] = dy[rows, oc] x W^T ; then col2im-add into dx
 *   filter grad:    dW[patch, oc]   = sum over chunks cols^T x dy
 * </pre>
 */
public final class ConvCompute {
    /** Target size of one column chunk, in elements (8 MiB of float32). */
    private static final int CHUNK_ELEMENTS = Integer.getInteger("deconv.im2col.chunk", 1 << 21);

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
        Buf xb = Buf.of(x);
        int chunk = chunkRows(rows, patch);
        INDArray cols = Nd4j.createUninitialized(x.dataType(), chunk, patch);
        Buf cb = Buf.of(cols);
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int len = Math.min(chunk, rows - r0);
            int base = r0;
            Parallel.ranges(len, 32, (a, b) -> Im2col.rows(xb, g, base + a, base + b, cb, a * patch));
            Nd4j.gemm(rowsOf(cols, 0, len), wMat, rowsOf(outMat, r0, len), false, false, 1.0, 0.0);
        }
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
        Parallel.ranges(total, 1 << 16, (a, b) -> dxb.zero(a, b - a));
        int chunk = chunkRows(rows, patch);
        INDArray cols = Nd4j.createUninitialized(dy.dataType(), chunk, patch);
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
                // Images never share output cells: one task per image.
                Parallel.ranges(lastImage - firstImage + 1, 1, (a, b) -> {
                    for (int img = firstImage + a; img < firstImage + b; img++) {
                        int s = Math.max(base, img * perImage);
                        int e = Math.min(base + len, (img + 1) * perImage);
                        Im2col.addRows(cb, (s - base) * patch, g, s, e, 0, c, dxb);
                    }
                });
            } else {
                // One image: split by channel, which never share cells either.
                Parallel.ranges(c, 16, (c0, c1) -> Im2col.addRows(cb, 0, g, base, base + len, c0, c1, dxb));
            }
        }
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
        if (TapGemm.applies(g)) {
            TapGemm.backpropFilter(x, dy, dwMat, g);
            return;
        }
        Buf xb = Buf.of(x);
        int chunk = chunkRows(rows, patch);
        INDArray cols = Nd4j.createUninitialized(x.dataType(), chunk, patch);
        Buf cb = Buf.of(cols);
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int len = Math.min(chunk, rows - r0);
            int base = r0;
            Parallel.ranges(len, 32, (a, b) -> Im2col.rows(xb, g, base + a, base + b, cb, a * patch));
            Nd4j.gemm(rowsOf(cols, 0, len), rowsOf(dyMat, r0, len), dwMat, true, false, 1.0, r0 == 0 ? 0.0 : 1.0);
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
