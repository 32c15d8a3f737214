package io.github.deconvspark.kernels;

import static io.github.deconvspark.kernels.NaiveReferenceTest.array;
import static io.github.deconvspark.kernels.NaiveReferenceTest.assertClose;
import static io.github.deconvspark.kernels.NaiveReferenceTest.described;
import static io.github.deconvspark.kernels.NaiveReferenceTest.nhwc;
import static io.github.deconvspark.kernels.NaiveReferenceTest.random;
import static io.github.deconvspark.kernels.NaiveReferenceTest.shape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.github.deconvspark.kernels.NaiveReferenceTest.Config;
import io.github.deconvspark.kernels.shape.ConvParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Grouped conv2d and the depthwise conv, each with its two gradients, against {@link Naive}'s loops over seeded
 * random configurations (every stride, dilation, padding, layout and type {@link NaiveReferenceTest#config} draws).
 */
class NaiveGroupedConvTest {
    private static final int CASES = 60;

    /** A conv configuration with other channel counts: c in, o out. */
    static Config withChannels(Config cfg, int c, int o) {
        Naive.Geo g = cfg.g();
        Naive.Geo s = new Naive.Geo(g.n(), g.h(), g.w(), c, g.kh(), g.kw(), o, g.sh(), g.sw(), g.dh(), g.dw(), g.oh(), g.ow(), g.pt(), g.pl());
        return new Config(cfg.id(), s, cfg.padding(), cfg.format(), cfg.type());
    }

    @TestFactory
    Stream<DynamicTest> groupedConvolutions() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int id = 9000; id < 9000 + CASES; id++) {
            int groups = 2 + id % 3;
            Config base = NaiveReferenceTest.config(id, false, id % 6 == 0);
            Config cfg = withChannels(base, base.g().c() * groups, base.g().o() * groups);
            tests.add(DynamicTest.dynamicTest("grouped conv, " + groups + " groups " + cfg,
                    () -> described(cfg, () -> checkGrouped(cfg, groups))));
        }
        return tests.stream();
    }

    private static void checkGrouped(Config cfg, int groups) {
        Naive.Geo g = cfg.g();
        Random r = new Random(cfg.id());
        int[] strides = {g.sh(), g.sw()};
        int[] dil = {g.dh(), g.dw()};
        double[] x = random(r, g.n() * g.h() * g.w() * g.c(), false);
        double[] f = random(r, g.kh() * g.kw() * (g.c() / groups) * g.o(), false);
        double[] dy = random(r, g.n() * g.oh() * g.ow() * g.o(), false);
        long[] fs = {g.kh(), g.kw(), g.c() / groups, g.o()};
        INDArray fa = Nd4j.create(f, fs, 'c').castTo(cfg.type());
        long[] xs = shape(g.n(), g.h(), g.w(), g.c(), cfg.format());
        INDArray xa = array(x, xs, cfg.format(), cfg.type());
        INDArray dya = array(dy, shape(g.n(), g.oh(), g.ow(), g.o(), cfg.format()), cfg.format(), cfg.type());

        INDArray out = Conv2D.conv2d(xa, fa, strides, cfg.padding(), cfg.format(), dil);
        assertClose(Naive.conv2d(x, f, g, groups), nhwc(out, cfg.format()), cfg.type(), "grouped conv2d");
        INDArray tr = Conv2D.conv2dTranspose(dya, fa, xs, strides, cfg.padding(), cfg.format(), dil);
        assertArrayEquals(xs, tr.shape());
        assertClose(Naive.conv2dTranspose(dy, f, g, groups), nhwc(tr, cfg.format()), cfg.type(), "grouped conv2d_transpose");
        INDArray fg = Conv2D.conv2dBackpropFilter(xa, fs, dya, strides, cfg.padding(), cfg.format(), dil);
        assertClose(Naive.filterGrad(x, dy, g, groups), fg.castTo(DataType.DOUBLE).data().asDouble(), cfg.type(), "grouped filter grad");
        // The declared group count (ONNX's group) gives the same geometry.
        ConvParams declared = ConvParams.of("test", strides, cfg.padding(), cfg.format(), dil, groups);
        assertClose(Naive.conv2d(x, f, g, groups), nhwc(Conv2D.conv2d(xa, fa, declared, declared.geometry("test", xs, fs)), cfg.format()),
                cfg.type(), "grouped conv2d, declared groups");
    }

    @TestFactory
    Stream<DynamicTest> depthwiseConvolutions() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int id = 9500; id < 9500 + CASES; id++) {
            Config base = NaiveReferenceTest.config(id, false, id % 6 == 0);
            int multiplier = 1 + id % 3;
            Config cfg = withChannels(base, base.g().c(), base.g().c() * multiplier);
            tests.add(DynamicTest.dynamicTest("depthwise conv, multiplier " + multiplier + " " + cfg,
                    () -> described(cfg, () -> checkDepthwise(cfg))));
        }
        return tests.stream();
    }

    private static void checkDepthwise(Config cfg) {
        Naive.Geo g = cfg.g();
        Random r = new Random(cfg.id());
        int[] strides = {g.sh(), g.sw()};
        int[] dil = {g.dh(), g.dw()};
        int m = g.o() / g.c();
        double[] x = random(r, g.n() * g.h() * g.w() * g.c(), false);
        double[] f = random(r, g.kh() * g.kw() * g.o(), false);
        double[] dy = random(r, g.n() * g.oh() * g.ow() * g.o(), false);
        long[] fs = {g.kh(), g.kw(), g.c(), m};
        INDArray fa = Nd4j.create(f, fs, 'c').castTo(cfg.type());
        long[] xs = shape(g.n(), g.h(), g.w(), g.c(), cfg.format());
        INDArray xa = array(x, xs, cfg.format(), cfg.type());
        INDArray dya = array(dy, shape(g.n(), g.oh(), g.ow(), g.o(), cfg.format()), cfg.format(), cfg.type());

        INDArray out = DepthwiseConv2D.depthwiseConv2d(xa, fa, strides, cfg.padding(), cfg.format(), dil);
        assertClose(Naive.depthwise(x, f, g), nhwc(out, cfg.format()), cfg.type(), "depthwise conv");
        INDArray dx = DepthwiseConv2D.depthwiseConv2dBackpropInput(xs, fa, dya, strides, cfg.padding(), cfg.format(), dil);
        assertArrayEquals(xs, dx.shape());
        assertClose(Naive.depthwiseInputGrad(dy, f, g), nhwc(dx, cfg.format()), cfg.type(), "depthwise input grad");
        INDArray df = DepthwiseConv2D.depthwiseConv2dBackpropFilter(xa, fs, dya, strides, cfg.padding(), cfg.format(), dil);
        assertArrayEquals(fs, df.shape());
        assertClose(Naive.depthwiseFilterGrad(x, dy, g), df.castTo(DataType.DOUBLE).data().asDouble(), cfg.type(), "depthwise filter grad");
        // ONNX's depthwise form: conv2d with groups = channels and the same filter memory as [kh, kw, 1, c * m].
        INDArray asGrouped = Conv2D.conv2d(xa, fa.reshape(g.kh(), g.kw(), 1, g.o()), strides, cfg.padding(), cfg.format(), dil);
        assertClose(Naive.depthwise(x, f, g), nhwc(asGrouped, cfg.format()), cfg.type(), "conv2d with groups = channels");
    }
}
