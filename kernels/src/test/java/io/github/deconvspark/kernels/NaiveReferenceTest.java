package io.github.deconvspark.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Seeded random configurations, every kernel against the direct-definition loops of {@link Naive}. */
class NaiveReferenceTest {
    private static final int CASES = 160;

    /** A random legal configuration: geometry, padding, layout and type. */
    record Config(int id, Naive.Geo g, Padding padding, DataFormat format, DataType type) {
        @Override public String toString() {
            return "#" + id + " " + g + " " + padding + " " + format + " " + type;
        }
    }

    static Config config(int id, boolean pool) {
        return config(id, pool, false);
    }

    /** wide: 16-20 channels at stride 1, the shapes that take the per-tap GEMM path. */
    static Config config(int id, boolean pool, boolean wide) {
        Random r = new Random(1000 + id);
        while (true) {
            int n = 1 + r.nextInt(3), h = 1 + r.nextInt(9), w = 1 + r.nextInt(9);
            int c = wide ? 16 + r.nextInt(5) : 1 + r.nextInt(5);
            int kh = 1 + r.nextInt(4), kw = 1 + r.nextInt(4), o = pool ? c : wide ? 16 + r.nextInt(5) : 1 + r.nextInt(5);
            int sh = wide ? 1 : 1 + r.nextInt(3), sw = wide ? 1 : 1 + r.nextInt(3);
            int dh = pool ? 1 : 1 + r.nextInt(2), dw = pool ? 1 : 1 + r.nextInt(2);
            String mode = new String[] {"SAME", "VALID", "EXPLICIT"}[r.nextInt(3)];
            int[] ph = {r.nextInt(pool ? kh : 5), r.nextInt(pool ? kh : 5)};
            int[] pw = {r.nextInt(pool ? kw : 5), r.nextInt(pool ? kw : 5)};
            int keh = (kh - 1) * dh + 1, kew = (kw - 1) * dw + 1;
            if (mode.equals("VALID") && (h < keh || w < kew)) continue;
            if (mode.equals("EXPLICIT") && (h + ph[0] + ph[1] < keh || w + pw[0] + pw[1] < kew)) continue;
            int[] wy = Naive.window(h, kh, sh, dh, mode, ph);
            int[] wx = Naive.window(w, kw, sw, dw, mode, pw);
            Padding p = switch (mode) {
                case "SAME" -> Padding.SAME;
                case "VALID" -> Padding.VALID;
                default -> Padding.explicit(ph[0], ph[1], pw[0], pw[1]);
            };
            DataFormat f = r.nextBoolean() ? DataFormat.NHWC : DataFormat.NCHW;
            DataType t = r.nextBoolean() ? DataType.FLOAT : DataType.DOUBLE;
            return new Config(id, new Naive.Geo(n, h, w, c, kh, kw, o, sh, sw, dh, dw, wy[0], wx[0], wy[1], wx[1]), p, f, t);
        }
    }

    static double[] random(Random r, int len, boolean distinct) {
        double[] v = new double[len];
        for (int i = 0; i < len; i++) v[i] = distinct ? (i + r.nextDouble() * 0.5) / len * (r.nextBoolean() ? 1 : -1) : r.nextDouble() * 2 - 1;
        return v;
    }

    /** An NHWC double[] as an array of the config's layout and type. */
    static INDArray array(double[] nhwc, long[] shape, DataFormat f, DataType t) {
        long[] s = f == DataFormat.NCHW ? new long[] {shape[0], shape[2], shape[3], shape[1]} : shape;
        INDArray a = Nd4j.create(nhwc, s, 'c').castTo(t);
        return f == DataFormat.NCHW ? a.permute(0, 3, 1, 2).dup('c') : a;
    }

    static double[] nhwc(INDArray a, DataFormat f) {
        INDArray v = f == DataFormat.NCHW ? a.permute(0, 2, 3, 1) : a;
        return v.dup('c').castTo(DataType.DOUBLE).data().asDouble();
    }

    static long[] shape(int n, int h, int w, int c, DataFormat f) {
        return f == DataFormat.NCHW ? new long[] {n, c, h, w} : new long[] {n, h, w, c};
    }

    static void assertClose(double[] expected, double[] actual, DataType t, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 1;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        double tol = (t == DataType.FLOAT ? 1e-5 : 1e-12) * scale;
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(expected[i] - actual[i]) > tol) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " got " + actual[i]);
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> convolutions() {
        return convolutions(0, CASES, false);
    }

    @TestFactory
    Stream<DynamicTest> wideChannelConvolutions() {
        return convolutions(5000, 40, true);
    }

    /** Wide channels at strides 1-3, undilated: the libnd4j conv2d and the im2col paths. */
    @TestFactory
    Stream<DynamicTest> wideChannelStridedConvolutions() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int id = 6000; id < 6040; id++) {
            Config wide = config(id, false, true);
            Random r = new Random(id);
            Naive.Geo g = wide.g();
            int sh = 1 + r.nextInt(3), sw = 1 + r.nextInt(3);
            String mode = wide.padding().kind() == Padding.Kind.EXPLICIT ? "VALID" : wide.padding().kind().name();
            if (mode.equals("VALID") && (g.h() < g.kh() || g.w() < g.kw())) continue;
            int[] wy = Naive.window(g.h(), g.kh(), sh, 1, mode, null);
            int[] wx = Naive.window(g.w(), g.kw(), sw, 1, mode, null);
            Naive.Geo sg = new Naive.Geo(g.n(), g.h(), g.w(), g.c(), g.kh(), g.kw(), g.o(), sh, sw, 1, 1, wy[0], wx[0], wy[1], wx[1]);
            Config cfg = new Config(id, sg, mode.equals("SAME") ? Padding.SAME : Padding.VALID, wide.format(), wide.type());
            tests.add(DynamicTest.dynamicTest("strided conv " + cfg, () -> described(cfg, () -> checkConvolutions(cfg))));
        }
        return tests.stream();
    }

    private Stream<DynamicTest> convolutions(int first, int count, boolean wide) {
        List<DynamicTest> tests = new ArrayList<>();
        for (int id = first; id < first + count; id++) {
            Config cfg = config(id, false, wide);
            tests.add(DynamicTest.dynamicTest("conv " + cfg, () -> described(cfg, () -> checkConvolutions(cfg))));
        }
        return tests.stream();
    }

    private static void checkConvolutions(Config cfg) {
        Naive.Geo g = cfg.g();
        Random r = new Random(cfg.id());
        int[] strides = {g.sh(), g.sw()};
        int[] dil = {g.dh(), g.dw()};
        double[] x = random(r, g.n() * g.h() * g.w() * g.c(), false);
        double[] f = random(r, g.kh() * g.kw() * g.c() * g.o(), false);
        double[] dy = random(r, g.n() * g.oh() * g.ow() * g.o(), false);
        INDArray fa = Nd4j.create(f, new long[] {g.kh(), g.kw(), g.c(), g.o()}, 'c').castTo(cfg.type());
        long[] xs = shape(g.n(), g.h(), g.w(), g.c(), cfg.format());
        INDArray xa = array(x, xs, cfg.format(), cfg.type());
        INDArray dya = array(dy, shape(g.n(), g.oh(), g.ow(), g.o(), cfg.format()), cfg.format(), cfg.type());

        INDArray out = Conv2D.conv2d(xa, fa, strides, cfg.padding(), cfg.format(), dil);
        assertArrayEquals(shape(g.n(), g.oh(), g.ow(), g.o(), cfg.format()), out.shape());
        assertClose(Naive.conv2d(x, f, g), nhwc(out, cfg.format()), cfg.type(), "conv2d");

        INDArray tr = Conv2D.conv2dTranspose(dya, fa, xs, strides, cfg.padding(), cfg.format(), dil);
        assertArrayEquals(xs, tr.shape());
        assertClose(Naive.conv2dTranspose(dy, f, g), nhwc(tr, cfg.format()), cfg.type(), "conv2d_transpose");

        INDArray fg = Conv2D.conv2dBackpropFilter(xa, fa.shape(), dya, strides, cfg.padding(), cfg.format(), dil);
        assertClose(Naive.filterGrad(x, dy, g), fg.castTo(DataType.DOUBLE).data().asDouble(), cfg.type(), "filter grad");
    }

    @TestFactory
    Stream<DynamicTest> pools() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int id = 0; id < CASES; id++) {
            Config cfg = config(CASES + id, true);
            tests.add(DynamicTest.dynamicTest("pool " + cfg, () -> described(cfg, () -> {
                Naive.Geo g = cfg.g();
                Random r = new Random(cfg.id());
                int[] k = {g.kh(), g.kw()};
                int[] s = {g.sh(), g.sw()};
                double[] x = random(r, g.n() * g.h() * g.w() * g.c(), true);
                double[] dy = random(r, g.n() * g.oh() * g.ow() * g.c(), false);
                long[] xs = shape(g.n(), g.h(), g.w(), g.c(), cfg.format());
                INDArray xa = array(x, xs, cfg.format(), cfg.type());
                INDArray dya = array(dy, shape(g.n(), g.oh(), g.ow(), g.c(), cfg.format()), cfg.format(), cfg.type());
                double[][] ref = Naive.maxPool(x, g);

                assertClose(ref[0], nhwc(Pool2D.maxPool(xa, k, s, cfg.padding(), cfg.format()), cfg.format()), cfg.type(), "max_pool");
                assertClose(Naive.avgPool(x, g), nhwc(Pool2D.avgPool(xa, k, s, cfg.padding(), cfg.format()), cfg.format()),
                        cfg.type(), "avg_pool");
                // Max pool's gradient is the tutorial's unpool of the gradient by the argmax (duplicates add).
                int imageSize = g.h() * g.w() * g.c();
                assertClose(Naive.maxUnpool(dy, ref[1], g.n(), imageSize),
                        nhwc(Pool2D.maxPoolGrad(xa, dya, k, s, cfg.padding(), cfg.format()), cfg.format()), cfg.type(), "max_pool_grad");
                assertClose(Naive.avgUnpool(dy, g), nhwc(Unpool2D.avgUnpool(dya, xs, k, s, cfg.padding(), cfg.format()), cfg.format()),
                        cfg.type(), "avg_unpool");

                INDArray xn = Nd4j.create(x, new long[] {g.n(), g.h(), g.w(), g.c()}, 'c').castTo(cfg.type());
                boolean batch = r.nextBoolean();
                MaxPoolWithArgmax pa = Pool2D.maxPoolWithArgmax(xn, k, s, cfg.padding(), batch);
                assertClose(ref[0], pa.output().castTo(DataType.DOUBLE).data().asDouble(), cfg.type(), "max_pool_with_argmax");
                long[] arg = pa.argmax().data().asLong();
                for (int i = 0; i < arg.length; i++) {
                    long expected = (long) ref[1][i] + (batch ? (long) (i / (arg.length / g.n())) * imageSize : 0);
                    assertEquals(expected, arg[i], "argmax element " + i);
                }
                INDArray dyn = Nd4j.create(dy, pa.output().shape(), 'c').castTo(cfg.type());
                assertClose(Naive.maxUnpool(dy, ref[1], g.n(), imageSize),
                        Unpool2D.maxUnpool(dyn, pa.argmax(), new long[] {-1, g.h(), g.w(), g.c()}, batch)
                                .castTo(DataType.DOUBLE).data().asDouble(), cfg.type(), "max_unpool");
            })));
        }
        return tests.stream();
    }

    /** Runs a case and names its configuration in any failure. */
    static void described(Config cfg, org.junit.jupiter.api.function.Executable body) throws Throwable {
        try {
            body.execute();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(cfg + ": " + e.getMessage(), e);
        }
    }

    /**
     * Pools of inputs with many ties (ReLU'd values on a coarse grid, as after ReLU in real nets): the
     * gradient and the argmax must pick the first maximum in row-major window order, exactly.
     */
    @TestFactory
    Stream<DynamicTest> tiedPools() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int id = 7000; id < 7060; id++) {
            Config cfg = config(id, true);
            tests.add(DynamicTest.dynamicTest("tied pool " + cfg, () -> described(cfg, () -> {
                Naive.Geo g = cfg.g();
                Random r = new Random(cfg.id());
                int[] k = {g.kh(), g.kw()};
                int[] s = {g.sh(), g.sw()};
                double[] x = new double[g.n() * g.h() * g.w() * g.c()];
                for (int i = 0; i < x.length; i++) x[i] = Math.max(0, r.nextInt(5) - 2); // 0, 0, 0, 1, 2
                double[] dy = random(r, g.n() * g.oh() * g.ow() * g.c(), false);
                long[] xs = shape(g.n(), g.h(), g.w(), g.c(), cfg.format());
                INDArray xa = array(x, xs, cfg.format(), cfg.type());
                INDArray dya = array(dy, shape(g.n(), g.oh(), g.ow(), g.c(), cfg.format()), cfg.format(), cfg.type());
                double[][] ref = Naive.maxPool(x, g);
                int imageSize = g.h() * g.w() * g.c();
                assertClose(Naive.maxUnpool(dy, ref[1], g.n(), imageSize),
                        nhwc(Pool2D.maxPoolGrad(xa, dya, k, s, cfg.padding(), cfg.format()), cfg.format()), cfg.type(), "max_pool_grad");
                INDArray xn = Nd4j.create(x, new long[] {g.n(), g.h(), g.w(), g.c()}, 'c').castTo(cfg.type());
                long[] arg = Pool2D.maxPoolWithArgmax(xn, k, s, cfg.padding(), false).argmax().data().asLong();
                for (int i = 0; i < arg.length; i++) assertEquals((long) ref[1][i], arg[i], "argmax element " + i);
            })));
        }
        return tests.stream();
    }

    @Test
    void intArgmaxInAnyOrderUnpoolsLikeLongArgmax() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 4, 4, 3);
        MaxPoolWithArgmax p = Pool2D.maxPoolWithArgmax(x, new int[] {2}, new int[] {2}, Padding.VALID, false);
        INDArray expected = Unpool2D.maxUnpool(p.output(), p.argmax(), x.shape(), false);
        INDArray fOrderInt = p.argmax().castTo(DataType.INT).dup('f');
        assertEquals(expected, Unpool2D.maxUnpool(p.output(), fOrderInt, x.shape(), false));
    }

    @Test
    void overlappingWindowsSumIntoTheSharedMaximum() {
        // 1x3x3x1, k3 s1 SAME: the centre 9 is the maximum of all nine windows.
        INDArray x = Nd4j.create(new float[] {1, 2, 3, 4, 9, 5, 6, 7, 8}, new long[] {1, 3, 3, 1}, DataType.FLOAT);
        MaxPoolWithArgmax pa = Pool2D.maxPoolWithArgmax(x, new int[] {3}, new int[] {1}, Padding.SAME, false);
        INDArray up = Unpool2D.maxUnpool(pa.output(), pa.argmax(), new long[] {1, 3, 3, 1}, false);
        assertArrayEquals(new float[] {0, 0, 0, 0, 81, 0, 0, 0, 0}, up.data().asFloat());
    }
}
