package io.github.deconvspark.models.onnx;

import io.github.deconvspark.kernels.autodiff.Backward;
import io.github.deconvspark.kernels.autodiff.Op;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.PoolParams;
import io.github.deconvspark.kernels.shape.Window;
import io.github.deconvspark.models.onnx.OnnxGraphBuilder.Val;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ONNX MaxPool (pads, auto_pad, ceil_mode, dilations, storage_order, the Indices output) and AveragePool
 * (count_include_pad, ceil_mode) on the kernels' pools, NHWC. ceil_mode's output size is ONNX's (and PyTorch's):
 * ceil((in + pads - extent) / stride) + 1, less one when the last window would start in the end padding.
 */
final class OnnxPool {
    private OnnxPool() {}

    /**
     * The kernels' pooling parameters for a node's window attributes: kernel_shape, strides, dilations (MaxPool), pads or
     * auto_pad, ceil_mode (ONNX's and PyTorch's rule: ceil((in + pads - extent) / stride) + 1 windows, less one when the
     * last would start in the end padding), count_include_pad (AveragePool).
     */
    static PoolParams params(OnnxNode n, long h, long w, boolean dilated, boolean countIncludePad) {
        OnnxConv.Spatial sp = OnnxConv.spatial(n, null, h, w, dilated);
        int[] k = sp.kernel(), s = sp.strides(), d = sp.dilations();
        return PoolParams.builder(n.op, new int[] {1, k[0], k[1], 1}, new int[] {1, s[0], s[1], 1}, sp.padding(), DataFormat.NHWC)
                .dilations(1, d[0], d[1], 1).ceilMode(n.integer("ceil_mode", 0) != 0).countIncludePad(countIncludePad).build();
    }

    static Val[] maxPool(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides");
        Val xv = b.floatVal(n, 0);
        if (xv.rank() != 4) throw n.error("only 2-D pooling is supported (input " + Arrays.toString(xv.shape()) + " must be 4-D NCHW)");
        long storage = n.integer("storage_order", 0);
        if (storage != 0 && storage != 1) throw n.error("storage_order " + storage + " is not legal (0 row major, 1 column major)");
        PoolParams p = params(n, xv.shape()[2], xv.shape()[3], true, false);
        Tensor x = b.nhwcInput(n, 0);
        Tensor y = Ops.maxPool(x, p);
        Tensor idx = null;
        if (n.outputs() > 1 && !n.output(1).isEmpty()) {
            ConvGeometry geo = p.geometry("MaxPool", x.shape());
            idx = b.g.apply(new Indices(geo, storage == 1), y.shape(), DataType.INT64, x);
        }
        return new Val[] {Val.nhwc(y), idx == null ? null : Val.nhwc(idx)};
    }

    static Tensor avgPool(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides");
        Val xv = b.floatVal(n, 0);
        if (xv.rank() != 4) throw n.error("only 2-D pooling is supported (input " + Arrays.toString(xv.shape()) + " must be 4-D NCHW)");
        return Ops.avgPool(b.nhwcInput(n, 0), params(n, xv.shape()[2], xv.shape()[3], false, n.integer("count_include_pad", 0) != 0));
    }

    /**
     * MaxPool's Indices: per output cell the flat index of its window's first maximum in the NCHW input (row major, or
     * column major within each plane for storage_order 1), as ONNX Runtime computes it. No gradient.
     */
    static final class Indices extends Op {
        private final ConvGeometry g;
        private final boolean columnMajor;

        Indices(ConvGeometry g, boolean columnMajor) {
            this.g = g;
            this.columnMajor = columnMajor;
        }

        @Override public String type() { return "MaxPoolIndices"; }

        @Override public INDArray forward(INDArray[] in) {
            INDArray x = in[0];
            Window h = g.h(), w = g.w();
            int n = g.n(), c = g.c(), H = h.in(), W = w.in();
            long[] out = new long[n * h.out() * w.out() * c];
            double[] v = x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            int o = 0;
            for (int b = 0; b < n; b++) {
                for (int oy = 0; oy < h.out(); oy++) {
                    for (int ox = 0; ox < w.out(); ox++) {
                        for (int ch = 0; ch < c; ch++) {
                            double best = Double.NEGATIVE_INFINITY;
                            long at = -1;
                            for (int ky = 0; ky < h.k(); ky++) {
                                int y = h.start(oy) + ky * h.dilation();
                                if (y < 0 || y >= H) continue;
                                for (int kx = 0; kx < w.k(); kx++) {
                                    int xx = w.start(ox) + kx * w.dilation();
                                    if (xx < 0 || xx >= W) continue;
                                    double val = v[((b * H + y) * W + xx) * c + ch];
                                    if (val > best || at < 0) {
                                        best = val;
                                        at = columnMajor ? (long) xx * H + y : (long) y * W + xx;
                                    }
                                }
                            }
                            out[o++] = ((long) b * c + ch) * H * W + at;
                        }
                    }
                }
            }
            return Nd4j.createFromArray(out).reshape(n, h.out(), w.out(), c);
        }

        @Override public Tensor[] backward(Backward b) { return new Tensor[] {null}; }

        @Override public boolean passesGradient() { return false; }
    }
}
