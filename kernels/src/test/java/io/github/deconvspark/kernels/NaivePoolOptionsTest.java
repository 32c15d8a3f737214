package io.github.deconvspark.kernels;

import static io.github.deconvspark.kernels.NaiveReferenceTest.array;
import static io.github.deconvspark.kernels.NaiveReferenceTest.assertClose;
import static io.github.deconvspark.kernels.NaiveReferenceTest.described;
import static io.github.deconvspark.kernels.NaiveReferenceTest.nhwc;
import static io.github.deconvspark.kernels.NaiveReferenceTest.random;
import static io.github.deconvspark.kernels.NaiveReferenceTest.shape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.NaiveReferenceTest.Config;
import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.PoolParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The pooling options TF lacks, against {@link Naive}'s loops: dilated windows, ONNX's ceil_mode and count_include_pad,
 * average pooling with explicit padding, each with its gradient, and max pooling of int32 and uint8 inputs; over seeded
 * random pool configurations (SAME/VALID/explicit, overlapping windows, NHWC/NCHW, float32/float64).
 */
class NaivePoolOptionsTest {
    private static final int CASES = 160;

    /** A configuration with its options; pb, pr: the padding after (bottom, right) the windows use. */
    record Case(Config cfg, PoolParams p, int pb, int pr, boolean empty) {
        @Override public String toString() {
            return cfg + " " + p;
        }
    }

    /** NaiveReferenceTest's pool configuration id, redrawn with dilations, ceil mode and counting padding; null if illegal. */
    static Case draw(int id) {
        Config base = NaiveReferenceTest.config(id, true);
        Naive.Geo b = base.g();
        Random r = new Random(id);
        int dh = r.nextBoolean() ? 1 : 1 + r.nextInt(3);
        int dw = r.nextBoolean() ? 1 : 1 + r.nextInt(3);
        boolean ceil = r.nextBoolean();
        boolean includePad = r.nextBoolean();
        Padding pad = base.padding();
        String mode = pad.kind().name();
        int[] ph = mode.equals("EXPLICIT") ? new int[] {pad.top(), pad.bottom()} : null;
        int[] pw = mode.equals("EXPLICIT") ? new int[] {pad.left(), pad.right()} : null;
        int[] wy = window(b.h(), b.kh(), b.sh(), dh, mode, ph, ceil);
        int[] wx = window(b.w(), b.kw(), b.sw(), dw, mode, pw, ceil);
        if (wy == null || wx == null) return null;
        Naive.Geo g = new Naive.Geo(b.n(), b.h(), b.w(), b.c(), b.kh(), b.kw(), b.c(), b.sh(), b.sw(), dh, dw, wy[0], wx[0], wy[1], wx[1]);
        PoolParams p = PoolParams.builder("test", new int[] {b.kh(), b.kw()}, new int[] {b.sh(), b.sw()}, pad, base.format())
                .dilations(dh, dw).ceilMode(ceil).countIncludePad(includePad).build();
        int pb = after(b.h(), b.kh(), b.sh(), dh, mode, ph, wy);
        int pr = after(b.w(), b.kw(), b.sw(), dw, mode, pw, wx);
        double[] real = Naive.divisors(g, pb, pr, false);
        boolean empty = Arrays.stream(real).anyMatch(v -> v == 0);
        return new Case(new Config(id, g, pad, base.format(), base.type()), p, pb, pr, empty);
    }

    /** {out, padBefore} of SEMANTICS.md / ONNX's ceil_mode; null when VALID or explicit padding cannot hold the window. */
    private static int[] window(int in, int k, int s, int d, String mode, int[] explicit, boolean ceil) {
        int ke = (k - 1) * d + 1;
        int padded = in + (explicit == null ? 0 : explicit[0] + explicit[1]);
        if (!mode.equals("SAME") && padded < ke) return null;
        return ceil && !mode.equals("SAME") ? Naive.ceilWindow(in, k, s, d, explicit) : Naive.window(in, k, s, d, mode, explicit);
    }

    private static int after(int in, int k, int s, int d, String mode, int[] explicit, int[] w) {
        return switch (mode) {
            case "SAME" -> Math.max(0, (w[0] - 1) * s + (k - 1) * d + 1 - in) - w[1];
            case "VALID" -> 0;
            default -> explicit[1];
        };
    }

    @TestFactory
    Stream<DynamicTest> pools() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int id = 11000; id < 11000 + CASES; id++) {
            Case c = draw(id);
            if (c == null) continue;
            tests.add(DynamicTest.dynamicTest("pool " + c, () -> described(c.cfg(), () -> check(c))));
        }
        return tests.stream();
    }

    @Test
    void drawsCoverEveryOption() {
        int dilated = 0, pastPadding = 0, countingPad = 0, empty = 0, drawn = 0;
        for (int id = 11000; id < 11000 + CASES; id++) {
            Case c = draw(id);
            if (c == null) continue;
            drawn++;
            Naive.Geo g = c.cfg().g();
            dilated += g.dh() > 1 || g.dw() > 1 ? 1 : 0;
            empty += c.empty() ? 1 : 0;
            if (c.empty()) continue;
            ConvGeometry geo = c.p().geometry("test", shape(g.n(), g.h(), g.w(), g.c(), c.cfg().format()));
            pastPadding += geo.h().overhang() + geo.w().overhang() > 0 ? 1 : 0;
            countingPad += c.p().countIncludePad() && g.pt() + g.pl() + c.pb() + c.pr() > 0 ? 1 : 0;
        }
        String counts = drawn + " drawn: " + dilated + " dilated, " + pastPadding + " ceil windows past the padding, " + countingPad
                + " counting padding cells, " + empty + " with an empty window";
        assertTrue(drawn >= CASES * 3 / 4 && dilated >= 20 && pastPadding >= 8 && countingPad >= 10 && empty >= 1, counts);
    }

    private static void check(Case c) {
        Config cfg = c.cfg();
        Naive.Geo g = cfg.g();
        Random r = new Random(cfg.id());
        double[] x = random(r, g.n() * g.h() * g.w() * g.c(), true);
        double[] dy = random(r, g.n() * g.oh() * g.ow() * g.c(), false);
        long[] xs = shape(g.n(), g.h(), g.w(), g.c(), cfg.format());
        INDArray xa = array(x, xs, cfg.format(), cfg.type());
        if (c.empty()) {
            // A dilated window can fall between the input cells: the rule every pool keeps is that each reads one.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pool2D.maxPool(xa, c.p()));
            assertTrue(e.getMessage().contains("holds no cell"), e.getMessage());
            return;
        }
        INDArray dya = array(dy, shape(g.n(), g.oh(), g.ow(), g.c(), cfg.format()), cfg.format(), cfg.type());
        ConvGeometry geo = c.p().geometry("test", xs);
        assertArrayEquals(shape(g.n(), g.oh(), g.ow(), g.c(), cfg.format()), c.p().pooledShape(geo), "pooled shape");
        double[][] max = Naive.maxPool(x, g);
        double[] divisor = Naive.divisors(g, c.pb(), c.pr(), c.p().countIncludePad());

        assertClose(max[0], nhwc(Pool2D.maxPool(xa, c.p()), cfg.format()), cfg.type(), "max_pool");
        assertClose(Naive.avgPool(x, g, divisor), nhwc(Pool2D.avgPool(xa, c.p()), cfg.format()), cfg.type(), "avg_pool");
        assertClose(Naive.maxUnpool(dy, max[1], g.n(), g.h() * g.w() * g.c()), nhwc(Pool2D.maxPoolGrad(xa, dya, c.p()), cfg.format()),
                cfg.type(), "max_pool_grad");
        assertClose(Naive.avgPoolGrad(dy, g, divisor), nhwc(Pool2D.avgPoolGrad(xs, dya, c.p()), cfg.format()), cfg.type(),
                "avg_pool_grad");
        assertClose(Naive.avgUnpool(dy, g), nhwc(Unpool2D.avgUnpool(dya, c.p(), geo), cfg.format()), cfg.type(), "avg_unpool");
        double[] ones = new double[divisor.length];
        Arrays.fill(ones, 1);
        assertClose(Naive.avgPool(x, g, ones), nhwc(Pool2D.sumPool(xa, c.p(), geo), cfg.format()), cfg.type(), "sum_pool");
        if (cfg.format() == DataFormat.NHWC) {
            long[] arg = Pool2D.maxPoolWithArgmax(xa, geo, false).argmax().data().asLong();
            for (int i = 0; i < arg.length; i++) assertEquals((long) max[1][i], arg[i], "argmax element " + i);
        }
        checkIntegers(c, r, xs);
    }

    /** int32 (signed, ties) and uint8 (the whole 0..255 range) max pooling: exact, in the input's type. */
    private static void checkIntegers(Case c, Random r, long[] xs) {
        Config cfg = c.cfg();
        Naive.Geo g = cfg.g();
        for (DataType t : new DataType[] {DataType.INT, DataType.UBYTE}) {
            double[] v = new double[g.n() * g.h() * g.w() * g.c()];
            for (int i = 0; i < v.length; i++) v[i] = t == DataType.INT ? r.nextInt(2001) - 1000 : r.nextInt(256);
            INDArray in = array(v, xs, cfg.format(), DataType.DOUBLE).castTo(t);
            INDArray out = Pool2D.maxPool(in, c.p());
            assertEquals(t, out.dataType(), "max_pool of " + t + ": type");
            assertArrayEquals(Naive.maxPool(v, g)[0], nhwc(out, cfg.format()), 0, "max_pool of " + t);
        }
    }
}
