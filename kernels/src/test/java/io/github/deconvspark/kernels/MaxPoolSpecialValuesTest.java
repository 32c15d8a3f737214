package io.github.deconvspark.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.deconvspark.kernels.shape.Padding;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * max_pool_with_argmax on NaN, -inf and the lowest float, by TF's CPU kernel's rule (maxpooling_op.cc,
 * SpatialMaxPoolWithArgMaxHelper): each window's first real cell seeds the maximum, later cells replace it only when
 * strictly greater, so a NaN first cell stays and any later NaN is never taken. Inputs where oneDNN's pooling (which
 * starts from the lowest float) would differ, and ordinary ones beside them, in float32 and float64.
 */
class MaxPoolSpecialValuesTest {
    private static final int N = 2, H = 7, W = 6, C = 5;

    /** TF's rule, NHWC, square window k, stride s; SAME pads (total / 2 before); returns {values, indices}. */
    private static double[][] tfRule(double[] x, int k, int s, boolean same) {
        int oh = same ? (H + s - 1) / s : (H - k) / s + 1;
        int ow = same ? (W + s - 1) / s : (W - k) / s + 1;
        int pt = same ? Math.max(0, (oh - 1) * s + k - H) / 2 : 0;
        int pl = same ? Math.max(0, (ow - 1) * s + k - W) / 2 : 0;
        double[] out = new double[N * oh * ow * C];
        double[] arg = new double[out.length];
        for (int b = 0; b < N; b++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) for (int c = 0; c < C; c++) {
            int o = ((b * oh + oy) * ow + ox) * C + c;
            boolean seeded = false;
            for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++) {
                int iy = oy * s - pt + ky, ix = ox * s - pl + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                int cell = (iy * W + ix) * C + c;
                double v = x[b * H * W * C + cell];
                if (!seeded || out[o] < v) {
                    out[o] = v;
                    arg[o] = cell;
                    seeded = true;
                }
            }
        }
        return new double[][] {out, arg};
    }

    @Test
    void specialValuesFollowTfsRule() {
        Random r = new Random(11);
        for (int trial = 0; trial < 24; trial++) {
            double[] x = new double[N * H * W * C];
            for (int i = 0; i < x.length; i++) {
                // Odd trials: few specials, so that most windows (and some whole calls) take oneDNN's path.
                double u = trial % 2 == 0 ? r.nextDouble() : r.nextDouble() < 0.005 ? 0.1 : r.nextDouble() < 0.05 ? 0.35 : 0.5;
                x[i] = u < 0.15 ? Double.NaN : u < 0.3 ? Double.NEGATIVE_INFINITY : u < 0.4 ? -Float.MAX_VALUE
                        : Math.round(r.nextGaussian() * 2) / 2.0;
            }
            if (trial % 3 == 0) java.util.Arrays.fill(x, 0, H * W * C, Double.NEGATIVE_INFINITY); // a whole image of -inf
            for (int[] ks : new int[][] {{2, 2, 0}, {3, 2, 1}, {3, 1, 1}}) {
                double[][] want = tfRule(x, ks[0], ks[1], ks[2] == 1);
                for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                    INDArray in = Nd4j.create(x, new long[] {N, H, W, C}).castTo(t);
                    MaxPoolWithArgmax got = Pool2D.maxPoolWithArgmax(in, new int[] {ks[0]}, new int[] {ks[1]},
                            ks[2] == 1 ? Padding.SAME : Padding.VALID, false);
                    double[] v = got.output().castTo(DataType.DOUBLE).data().asDouble();
                    long[] a = got.argmax().data().asLong();
                    for (int i = 0; i < v.length; i++) {
                        String where = t + " trial " + trial + " k" + ks[0] + " s" + ks[1] + (ks[2] == 1 ? " SAME" : " VALID")
                                + " element " + i;
                        assertEquals(want[0][i], v[i], 0.0, where);
                        assertEquals((long) want[1][i], a[i], where);
                    }
                }
            }
        }
    }
}
