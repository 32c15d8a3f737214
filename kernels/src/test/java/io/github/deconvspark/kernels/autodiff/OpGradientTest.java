package io.github.deconvspark.kernels.autodiff;

import static io.github.deconvspark.kernels.autodiff.OpCase.ANY;
import static io.github.deconvspark.kernels.autodiff.OpCase.AWAY;
import static io.github.deconvspark.kernels.autodiff.OpCase.DISTINCT;
import static io.github.deconvspark.kernels.autodiff.OpCase.POSITIVE;
import static io.github.deconvspark.kernels.autodiff.OpCase.in;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.PoolParams;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Every op's gradient, and the gradient of its gradient, against float64 central differences
 * (GradientCheck's defaults: eps 1e-6, atol 1e-5, rtol 1e-3), on fixed and seeded configurations.
 */
class OpGradientTest {
    /** Full Jacobians for every case here: their runs are tiny. */
    static final GradientCheck.Options OPTIONS = GradientCheck.Options.defaults().withDirections(60_000, 12);

    static List<OpCase> cases() {
        List<OpCase> c = new ArrayList<>();
        // arithmetic, with broadcasting on either side
        c.add(new OpCase("add [2,3]+[3]", List.of(in(ANY, 2, 3), in(ANY, 3)), x -> Ops.add(x.get(0), x.get(1))));
        c.add(new OpCase("sub [2,1]-[1,3]", List.of(in(ANY, 2, 1), in(ANY, 1, 3)), x -> Ops.sub(x.get(0), x.get(1))));
        c.add(new OpCase("mul []*[2,2]", List.of(in(ANY), in(ANY, 2, 2)), x -> Ops.mul(x.get(0), x.get(1))));
        c.add(new OpCase("mul [3,1,2]*[4,1]", List.of(in(ANY, 3, 1, 2), in(ANY, 4, 1)), x -> Ops.mul(x.get(0), x.get(1))));
        c.add(new OpCase("div [2,3]/[2,1]", List.of(in(ANY, 2, 3), in(POSITIVE, 2, 1)), x -> Ops.div(x.get(0), x.get(1))));
        c.add(new OpCase("neg", List.of(in(ANY, 3, 2)), x -> Ops.neg(x.get(0))));
        c.add(new OpCase("broadcastTo", List.of(in(ANY, 3, 1)), x -> Ops.broadcastTo(x.get(0), 2, 3, 4)));
        c.add(new OpCase("matmul", List.of(in(ANY, 2, 3), in(ANY, 3, 4)), x -> Ops.matmul(x.get(0), x.get(1))));
        // elementwise
        c.add(new OpCase("relu", List.of(in(AWAY, 3, 4)), x -> Ops.relu(x.get(0))));
        c.add(new OpCase("sigmoid", List.of(in(ANY, 3, 4)), x -> Ops.sigmoid(x.get(0))));
        c.add(new OpCase("tanh", List.of(in(ANY, 3, 4)), x -> Ops.tanh(x.get(0))));
        c.add(new OpCase("exp", List.of(in(ANY, 3, 4)), x -> Ops.exp(x.get(0))));
        c.add(new OpCase("log", List.of(in(POSITIVE, 3, 4)), x -> Ops.log(x.get(0))));
        c.add(new OpCase("square", List.of(in(ANY, 3, 4)), x -> Ops.square(x.get(0))));
        c.add(new OpCase("sqrt", List.of(in(POSITIVE, 3, 4)), x -> Ops.sqrt(x.get(0))));
        // shapes
        c.add(new OpCase("reshape", List.of(in(ANY, 2, 3, 4)), x -> Ops.reshape(x.get(0), 4, -1)));
        c.add(new OpCase("transpose", List.of(in(ANY, 2, 3, 4)), x -> Ops.transpose(x.get(0), 2, 0, 1)));
        c.add(new OpCase("concat", List.of(in(ANY, 2, 3), in(ANY, 2, 2), in(ANY, 2, 1)),
                x -> Ops.concat(1, x.get(0), x.get(1), x.get(2))));
        c.add(new OpCase("slice", List.of(in(ANY, 3, 4, 5)), x -> Ops.slice(x.get(0), new long[] {1, 0, 2}, new long[] {2, -1, 2})));
        c.add(new OpCase("pad", List.of(in(ANY, 2, 3)), x -> Ops.pad(x.get(0), new long[] {1, 0}, new long[] {0, 2})));
        // reductions
        c.add(new OpCase("reduceSum all", List.of(in(ANY, 2, 3, 4)), x -> Ops.reduceSum(x.get(0))));
        c.add(new OpCase("reduceSum axis 1 keep", List.of(in(ANY, 2, 3, 4)), x -> Ops.reduceSum(x.get(0), true, 1)));
        c.add(new OpCase("reduceMean axes 0,2", List.of(in(ANY, 2, 3, 4)), x -> Ops.reduceMean(x.get(0), false, 0, -1)));
        c.add(new OpCase("reduceMax axis 1", List.of(in(DISTINCT, 2, 3, 4)), x -> Ops.reduceMax(x.get(0), false, 1)));
        c.add(new OpCase("reduceMax all", List.of(in(DISTINCT, 3, 4)), x -> Ops.reduceMax(x.get(0))));
        // softmax
        c.add(new OpCase("softmax", List.of(in(ANY, 3, 5)), x -> Ops.softmax(x.get(0))));
        c.add(new OpCase("softmax 1-D", List.of(in(ANY, 4)), x -> Ops.softmax(x.get(0))));
        c.add(new OpCase("add []+[1,1]", List.of(in(ANY), in(ANY, 1, 1)), x -> Ops.add(x.get(0), x.get(1))));
        c.add(new OpCase("logSoftmax", List.of(in(ANY, 3, 5)), x -> Ops.logSoftmax(x.get(0))));
        c.add(new OpCase("softmaxCrossEntropy (labels, logits)", List.of(in(POSITIVE, 3, 4), in(ANY, 3, 4)),
                x -> Ops.softmaxCrossEntropyWithLogits(x.get(0), x.get(1))));
        // per channel
        c.add(new OpCase("biasAdd NHWC", List.of(in(ANY, 2, 3, 3, 4), in(ANY, 4)), x -> Ops.biasAdd(x.get(0), x.get(1))));
        c.add(new OpCase("biasAdd NCHW", List.of(in(ANY, 2, 4, 3, 3), in(ANY, 4)), x -> Ops.biasAdd(x.get(0), x.get(1), DataFormat.NCHW)));
        c.add(new OpCase("biasAdd 2-D", List.of(in(ANY, 3, 5), in(ANY, 5)), x -> Ops.biasAdd(x.get(0), x.get(1))));
        c.add(new OpCase("channelAffine NCHW", List.of(in(ANY, 2, 3, 2, 2), in(ANY, 3), in(ANY, 3)),
                x -> Ops.channelAffine(x.get(0), x.get(1), x.get(2), DataFormat.NCHW)));
        c.add(new OpCase("batchNormInference", List.of(in(ANY, 2, 2, 2, 3), in(ANY, 3), in(POSITIVE, 3), in(ANY, 3), in(ANY, 3)),
                x -> Ops.batchNormInference(x.get(0), x.get(1), x.get(2), x.get(3), x.get(4), 1e-3, DataFormat.NHWC)));
        c.addAll(convolutionCases());
        c.addAll(groupedCases());
        c.addAll(poolingCases());
        c.addAll(poolOptionCases());
        return c;
    }

    /** A seeded conv geometry: kernel 1-3, strides or dilations 1-2, SAME/VALID/explicit, NHWC/NCHW, batch 1-2. */
    record ConvDraw(ConvParams params, int kh, int kw, int n, int h, int w) {
        static ConvDraw of(SplittableRandom r) {
            int kh = 1 + r.nextInt(3);
            int kw = 1 + r.nextInt(3);
            boolean dilate = r.nextInt(3) == 0;
            int[] s = {dilate ? 1 : 1 + r.nextInt(2), dilate ? 1 : 1 + r.nextInt(2)};
            int[] d = {dilate ? 1 + r.nextInt(2) : 1, dilate ? 2 : 1};
            Padding p = switch (r.nextInt(3)) {
                case 0 -> Padding.SAME;
                case 1 -> Padding.VALID;
                default -> Padding.explicit(r.nextInt(2), r.nextInt(2), r.nextInt(2), r.nextInt(2));
            };
            DataFormat f = r.nextBoolean() ? DataFormat.NHWC : DataFormat.NCHW;
            return new ConvDraw(ConvParams.of("test", s, p, f, d), kh, kw, 1 + r.nextInt(2), (kh - 1) * d[0] + 1 + r.nextInt(3),
                    (kw - 1) * d[1] + 1 + r.nextInt(3));
        }

        long[] input(long channels) {
            return params.format() == DataFormat.NHWC ? new long[] {n, h, w, channels} : new long[] {n, channels, h, w};
        }
    }

    /** Grouped conv2d (2-3 groups) and the depthwise conv (multiplier 1-2), each with its input and filter gradients. */
    static List<OpCase> groupedCases() {
        List<OpCase> c = new ArrayList<>();
        for (long seed = 1; seed <= 6; seed++) {
            SplittableRandom r = new SplittableRandom(300 + seed);
            ConvDraw d = ConvDraw.of(r);
            ConvParams p = d.params();
            int groups = 2 + r.nextInt(2);
            long cg = 1 + r.nextInt(2);
            long og = 1 + r.nextInt(2);
            long[] x = d.input(groups * cg);
            long[] filter = {d.kh(), d.kw(), cg, groups * og};
            long[] y = p.outputShape(p.geometry("test", x, filter));
            String cfg = "seed " + seed + ", " + groups + " groups: " + p;
            c.add(new OpCase("grouped conv2d " + cfg, List.of(in(ANY, x), in(ANY, filter)), t -> Ops.conv2d(t.get(0), t.get(1), p)));
            c.add(new OpCase("grouped conv2dTranspose " + cfg, List.of(in(ANY, y), in(ANY, filter)),
                    t -> Ops.conv2dTranspose(t.get(0), t.get(1), x, p)));
            c.add(new OpCase("grouped conv2dBackpropFilter " + cfg, List.of(in(ANY, x), in(ANY, y)),
                    t -> Ops.conv2dBackpropFilter(t.get(0), filter, t.get(1), p.strides(), p.padding(), p.format(), p.dilations())));

            long ch = 2 + r.nextInt(2);
            long[] xd = d.input(ch);
            long[] fd = {d.kh(), d.kw(), ch, 1 + r.nextInt(2)};
            long[] yd = p.outputShape(p.depthwiseGeometry("test", xd, fd));
            String dcfg = "seed " + seed + ", multiplier " + fd[3] + ": " + p;
            c.add(new OpCase("depthwiseConv2d " + dcfg, List.of(in(ANY, xd), in(ANY, fd)), t -> Ops.depthwiseConv2d(t.get(0), t.get(1), p)));
            c.add(new OpCase("depthwiseConv2dBackpropInput " + dcfg, List.of(in(ANY, fd), in(ANY, yd)),
                    t -> Ops.depthwiseConv2dBackpropInput(xd, t.get(0), t.get(1), p.strides(), p.padding(), p.format(), p.dilations())));
            c.add(new OpCase("depthwiseConv2dBackpropFilter " + dcfg, List.of(in(ANY, xd), in(ANY, yd)),
                    t -> Ops.depthwiseConv2dBackpropFilter(t.get(0), fd, t.get(1), p.strides(), p.padding(), p.format(), p.dilations())));
        }
        return c;
    }

    /** Pools with the options TF lacks: dilations, ceil mode, counting padding (average pools), and their gradients. */
    static List<OpCase> poolOptionCases() {
        List<OpCase> c = new ArrayList<>();
        for (long seed = 1; seed <= 6; seed++) {
            SplittableRandom r = new SplittableRandom(400 + seed);
            int kh = 2 + r.nextInt(2);
            int kw = 1 + r.nextInt(3);
            int[] k = {kh, kw};
            int[] s = {1 + r.nextInt(2), 1 + r.nextInt(3)};
            int[] dil = {1 + r.nextInt(2), 1 + r.nextInt(2)};
            Padding p = seed % 3 == 0 ? Padding.SAME : seed % 3 == 1 ? Padding.VALID
                    : Padding.explicit(r.nextInt(kh), r.nextInt(kh), r.nextInt(kw), r.nextInt(kw));
            DataFormat f = seed % 2 == 0 ? DataFormat.NHWC : DataFormat.NCHW;
            PoolParams ps = PoolParams.builder("test", k, s, p, f).dilations(dil).ceilMode(seed != 3).countIncludePad(seed % 2 == 1).build();
            int n = 1 + r.nextInt(2);
            int ch = 1 + r.nextInt(2);
            int h = (kh - 1) * dil[0] + 1 + r.nextInt(4);
            int w = (kw - 1) * dil[1] + 1 + r.nextInt(4);
            long[] x = f == DataFormat.NHWC ? new long[] {n, h, w, ch} : new long[] {n, ch, h, w};
            long[] y = ps.pooledShape("test", x);
            String cfg = "seed " + seed + ": " + ps;
            c.add(new OpCase("maxPool " + cfg, List.of(in(DISTINCT, x)), t -> Ops.maxPool(t.get(0), ps)));
            c.add(new OpCase("maxPoolGrad (grad) " + cfg, List.of(in(DISTINCT, x), in(ANY, y)), t -> Ops.maxPoolGrad(t.get(0), t.get(1), ps)));
            c.add(new OpCase("avgPool " + cfg, List.of(in(ANY, x)), t -> Ops.avgPool(t.get(0), ps)));
            c.add(new OpCase("avgPoolGrad " + cfg, List.of(in(ANY, y)), t -> Ops.avgPoolGrad(x, t.get(0), ps)));
            c.add(new OpCase("sumPool " + cfg, List.of(in(ANY, x)), t -> Ops.sumPool(t.get(0), ps)));
        }
        return c;
    }

    /** Seeded conv2d configurations: kernel 1-3, strides or dilations 1-3, SAME/VALID/explicit, NHWC/NCHW. */
    static List<OpCase> convolutionCases() {
        List<OpCase> c = new ArrayList<>();
        for (long seed = 1; seed <= 12; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            int kh = 1 + r.nextInt(3);
            int kw = 1 + r.nextInt(3);
            boolean dilate = r.nextInt(3) == 0;
            int sh = dilate ? 1 : 1 + r.nextInt(3);
            int sw = dilate ? 1 : 1 + r.nextInt(3);
            int dh = dilate ? 1 + r.nextInt(2) : 1;
            int dw = dilate ? 2 : 1;
            Padding p = switch (r.nextInt(3)) {
                case 0 -> Padding.SAME;
                case 1 -> Padding.VALID;
                default -> Padding.explicit(r.nextInt(2), r.nextInt(3), r.nextInt(2), r.nextInt(2));
            };
            DataFormat f = r.nextBoolean() ? DataFormat.NHWC : DataFormat.NCHW;
            int n = 1 + r.nextInt(2);
            int ci = 1 + r.nextInt(3);
            int co = 1 + r.nextInt(3);
            int h = (kh - 1) * dh + 1 + r.nextInt(4);
            int w = (kw - 1) * dw + 1 + r.nextInt(4);
            int[] s = {sh, sw};
            int[] d = {dh, dw};
            long[] x = f == DataFormat.NHWC ? new long[] {n, h, w, ci} : new long[] {n, ci, h, w};
            long[] filter = {kh, kw, ci, co};
            ConvParams conv = ConvParams.of("test", s, p, f, d);
            long[] y = conv.outputShape("test", x, filter);
            String cfg = "seed " + seed + ": " + conv;
            c.add(new OpCase("conv2d " + cfg, List.of(in(ANY, x), in(ANY, filter)),
                    t -> Ops.conv2d(t.get(0), t.get(1), s, p, f, d)));
            c.add(new OpCase("conv2dTranspose " + cfg, List.of(in(ANY, y), in(ANY, filter)),
                    t -> Ops.conv2dTranspose(t.get(0), t.get(1), x, s, p, f, d)));
            c.add(new OpCase("conv2dBackpropFilter " + cfg, List.of(in(ANY, x), in(ANY, y)),
                    t -> Ops.conv2dBackpropFilter(t.get(0), filter, t.get(1), s, p, f, d)));
        }
        return c;
    }

    /** Seeded pooling configurations: window 1-3, strides 1-3 (overlapping windows included), SAME/VALID/explicit. */
    static List<OpCase> poolingCases() {
        List<OpCase> c = new ArrayList<>();
        for (long i = 1; i <= 8; i++) {
            long seed = i;
            SplittableRandom r = new SplittableRandom(100 + seed);
            int kh = 1 + r.nextInt(3);
            int kw = 2 + r.nextInt(2);
            int[] k = {kh, kw};
            int[] s = {1 + r.nextInt(3), 1 + r.nextInt(2)};
            Padding p = switch (r.nextInt(3)) {
                case 0 -> Padding.SAME;
                case 1 -> Padding.VALID;
                default -> Padding.explicit(r.nextInt(kh), r.nextInt(kh), r.nextInt(kw), r.nextInt(kw));
            };
            DataFormat f = r.nextBoolean() ? DataFormat.NHWC : DataFormat.NCHW;
            int n = 1 + r.nextInt(2);
            int ch = 1 + r.nextInt(2);
            int h = kh + r.nextInt(4);
            int w = kw + r.nextInt(4);
            long[] x = f == DataFormat.NHWC ? new long[] {n, h, w, ch} : new long[] {n, ch, h, w};
            PoolParams ps = PoolParams.of("test", k, s, p, f);
            long[] y = ps.pooledShape("test", x);
            String cfg = "seed " + seed + ": " + ps;
            c.add(new OpCase("maxPool " + cfg, List.of(in(DISTINCT, x)), t -> Ops.maxPool(t.get(0), k, s, p, f)));
            c.add(new OpCase("avgPool " + cfg, List.of(in(ANY, x)), t -> Ops.avgPool(t.get(0), k, s, p, f)));
            c.add(new OpCase("avgPoolGrad " + cfg, List.of(in(ANY, y)), t -> Ops.avgPoolGrad(x, t.get(0), k, s, p, f)));
            c.add(new OpCase("avgUnpool " + cfg, List.of(in(ANY, y)), t -> Ops.avgUnpool(t.get(0), x, k, s, p, f)));
            c.add(new OpCase("sumPool " + cfg, List.of(in(ANY, x)), t -> Ops.sumPool(t.get(0), k, s, p, f)));
            c.add(new OpCase("maxPoolGrad (grad) " + cfg, List.of(in(DISTINCT, x), in(ANY, y)),
                    t -> Ops.maxPoolGrad(t.get(0), t.get(1), k, s, p, f)));
            if (f == DataFormat.NHWC) {
                c.add(new OpCase("maxPoolWithArgmax output " + cfg, List.of(in(DISTINCT, x)),
                        t -> Ops.maxPoolWithArgmax(t.get(0), k, s, p, seed % 2 == 0).output()));
                // The argmax comes from a fixed input; the gradient checked is the unpooled values'.
                c.add(new OpCase("maxUnpool (pooled) " + cfg, List.of(in(ANY, y)), t -> {
                    Graph g = t.get(0).graph();
                    Tensor source = g.constant(GradientCheck.distinct(DataType.DOUBLE, seed, x));
                    Ops.PooledWithArgmax pa = Ops.maxPoolWithArgmax(source, k, s, p, seed % 2 == 1);
                    return Ops.maxUnpool(t.get(0), pa.argmax(), x, seed % 2 == 1);
                }));
            }
        }
        return c;
    }

    @TestFactory
    Stream<DynamicTest> firstOrder() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            try (OpCase.Built b = new OpCase.Built(c, 11)) {
                GradientCheck.Result r = GradientCheck.check(b.y, b.xs, b.feeds, OPTIONS);
                assertTrue(r.passed(), r.report());
                assertTrue(r.compared() > 0 && r.largestNumeric() > 0.05, "vacuous: " + r.report());
                if (System.getenv("DECONV_PRINT_CHECKS") != null) System.out.println(c + ": " + r.report());
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> secondOrder() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            try (OpCase.Built b = new OpCase.Built(c, 13)) {
                GradientCheck.Result r = GradientCheck.checkSecondOrder(b.y, b.xs, b.feeds, OPTIONS);
                assertTrue(r.passed(), r.report());
                assertTrue(r.largestNumeric() > 0.05, "vacuous: " + r.report());
                if (System.getenv("DECONV_PRINT_CHECKS") != null) System.out.println(c + ": " + r.report());
            }
        }));
    }
}
