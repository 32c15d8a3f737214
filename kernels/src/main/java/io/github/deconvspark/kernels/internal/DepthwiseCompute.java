package io.github.deconvspark.kernels.internal;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Window;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Convolutions with one input channel per group (TF's DepthwiseConv2dNative, and conv2d with groups == channels) and
 * their two gradients, as direct loops over dense NHWC arrays: output channel {@code c*m + j} (m = oc / c, the
 * channel multiplier) reads input channel c through filter entry [ky, kx, c, j], which is the same memory as a
 * [kh, kw, 1, c*m] grouped filter. A GEMM per channel would multiply [rows, kh*kw] by [kh*kw, m]: far too thin;
 * these loops run over contiguous channels instead (every sum in float64, a float32 result rounded once at the end;
 * summing float32 operands in float32 was measured too inexact: through MobileNet's depthwise layers the error grew to
 * 1.5e-4 of a layer's largest value against ONNX Runtime), a
 * whole output row (forward), input row (input gradient: gathered, so threads never share a cell) or filter tap
 * (filter gradient) per task. (libnd4j's depthwise_conv2d refuses some legal shapes: "Op validation failed".)
 */
public final class DepthwiseCompute {
    private DepthwiseCompute() {}

    /** out[n, oy, ox, c*m + j] = sum over the window's input taps of x[n, iy, ix, c] * f[ky, kx, c, j]. */
    public static void forward(INDArray x, INDArray filter, INDArray out, ConvGeometry g) {
        double[] xs = doubles(x);
        double[] fs = doubles(filter);
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        int oc = g.oc();
        eachRow(Buf.of(out), g.n() * wh.out(), ww.out() * oc, (t, acc) -> {
            int n = t / wh.out();
            int oy = t % wh.out();
            int[] ty = wh.taps(oy, 0, wh.in());
            for (int ky = ty[0]; ky < ty[1]; ky++) {
                int row = (n * wh.in() + wh.start(oy) + ky * wh.dilation()) * ww.in();
                for (int kx = 0; kx < ww.k(); kx++) {
                    int f = (ky * ww.k() + kx) * oc;
                    for (int ox = 0; ox < ww.out(); ox++) {
                        int ix = ww.start(ox) + kx * ww.dilation();
                        if (ix >= 0 && ix < ww.in()) multiplyAdd(acc, ox * oc, xs, (row + ix) * c, fs, f, c, oc / c);
                    }
                }
            }
        });
    }

    /** dx[n, iy, ix, c] = sum over the output cells whose window reads (iy, ix) of sum_j dy[.., c*m + j] * f[ky, kx, c, j]. */
    public static void backpropInput(INDArray dy, INDArray filter, INDArray dx, ConvGeometry g) {
        double[] ds = doubles(dy);
        double[] fs = doubles(filter);
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        int oc = g.oc();
        eachRow(Buf.of(dx), g.n() * wh.in(), ww.in() * c, (t, acc) -> {
            int n = t / wh.in();
            int iy = t % wh.in();
            for (int ky = 0; ky < wh.k(); ky++) {
                int oy = reader(wh, iy, ky);
                if (oy < 0) continue;
                int row = (n * wh.out() + oy) * ww.out();
                for (int kx = 0; kx < ww.k(); kx++) {
                    int f = (ky * ww.k() + kx) * oc;
                    for (int ix = 0; ix < ww.in(); ix++) {
                        int ox = reader(ww, ix, kx);
                        if (ox >= 0) dotAdd(acc, ix * c, ds, (row + ox) * oc, fs, f, c, oc / c);
                    }
                }
            }
        });
    }

    /** dw[ky, kx, c, j] = sum over output cells of x[n, iy, ix, c] * dy[n, oy, ox, c*m + j] (taps inside the input). */
    public static void backpropFilter(INDArray x, INDArray dy, INDArray dw, ConvGeometry g) {
        double[] xs = doubles(x);
        double[] ds = doubles(dy);
        Window wh = g.h();
        Window ww = g.w();
        int c = g.c();
        int oc = g.oc();
        eachRow(Buf.of(dw), wh.k() * ww.k(), oc, (tap, acc) -> {
            int ky = tap / ww.k();
            int kx = tap % ww.k();
            for (int n = 0; n < g.n(); n++) {
                for (int oy = 0; oy < wh.out(); oy++) {
                    int iy = wh.start(oy) + ky * wh.dilation();
                    if (iy < 0 || iy >= wh.in()) continue;
                    for (int ox = 0; ox < ww.out(); ox++) {
                        int ix = ww.start(ox) + kx * ww.dilation();
                        if (ix < 0 || ix >= ww.in()) continue;
                        multiplyAdd(acc, 0, xs, ((n * wh.in() + iy) * ww.in() + ix) * c, ds, ((n * wh.out() + oy) * ww.out() + ox) * oc,
                                c, oc / c);
                    }
                }
            }
        });
    }

    interface Row {
        /** Adds row {@code index}'s values into acc (zeroed). */
        void fill(int index, double[] acc);
    }

    /** Rows [0, count) of rowLen elements of b, in parallel: each summed by body in float64, then stored at index * rowLen. */
    private static void eachRow(Buf b, int count, int rowLen, Row body) {
        Parallel.ranges(count, 1, (first, end) -> {
            double[] acc = new double[rowLen];
            Object typed = b.newHeap(rowLen);
            for (int t = first; t < end; t++) {
                Arrays.fill(acc, 0);
                body.fill(t, acc);
                store(b, t * rowLen, acc, typed);
            }
        });
    }

    /** acc[at + k*m + j] += x[xOff + k] * w[wOff + k*m + j] for k < c, j < m. */
    private static void multiplyAdd(double[] acc, int at, double[] x, int xOff, double[] w, int wOff, int c, int m) {
        if (m == 1) {
            for (int k = 0; k < c; k++) acc[at + k] += x[xOff + k] * w[wOff + k];
            return;
        }
        for (int k = 0; k < c; k++) {
            double v = x[xOff + k];
            int base = k * m;
            for (int j = base; j < base + m; j++) acc[at + j] += v * w[wOff + j];
        }
    }

    /** acc[at + k] += sum over j < m of d[dOff + k*m + j] * w[wOff + k*m + j] for k < c. */
    private static void dotAdd(double[] acc, int at, double[] d, int dOff, double[] w, int wOff, int c, int m) {
        if (m == 1) {
            for (int k = 0; k < c; k++) acc[at + k] += d[dOff + k] * w[wOff + k];
            return;
        }
        for (int k = 0; k < c; k++) {
            double s = 0;
            for (int j = k * m; j < (k + 1) * m; j++) s += d[dOff + j] * w[wOff + j];
            acc[at + k] += s;
        }
    }

    /** The output cell whose tap {@code i} reads input cell {@code in} along this dimension, or -1. */
    private static int reader(Window w, int in, int i) {
        int at = in + w.padBefore() - i * w.dilation();
        if (at < 0 || at % w.stride() != 0) return -1;
        int o = at / w.stride();
        return o < w.out() ? o : -1;
    }

    /** b[at ..] = v, through the typed heap array (float[] or double[], v's length) in one copy. */
    private static void store(Buf b, int at, double[] v, Object typed) {
        if (typed instanceof float[] f) {
            for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        } else {
            System.arraycopy(v, 0, typed, 0, v.length);
        }
        b.fromHeap(at, typed, 0, v.length);
    }

    /** The elements of a dense float32 or float64 array as a new double[]. */
    private static double[] doubles(INDArray a) {
        Buf b = Buf.of(a);
        int n = (int) a.length();
        if (a.dataType() == DataType.DOUBLE) {
            double[] d = new double[n];
            b.toHeap(0, d, 0, n);
            return d;
        }
        float[] f = new float[n];
        b.toHeap(0, f, 0, n);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = f[i];
        return d;
    }
}
