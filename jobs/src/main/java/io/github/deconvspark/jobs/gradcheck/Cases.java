package io.github.deconvspark.jobs.gradcheck;

import io.github.deconvspark.kernels.autodiff.GradientCheck;
import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The seeded case generator of the gradient-check job. A case is reproducible from its id alone,
 * {@code SEED-INDEX-OP}: the op, then every parameter (shapes, strides, paddings SAME/VALID/explicit,
 * dilations, layouts, batch sizes, overlapping pools, stop_gradient placement, grad_ys, first or
 * second order) drawn from a {@link SplittableRandom} seeded by (seed, index). Illegal draws (e.g. a
 * window larger than a VALID input) are redrawn from the same stream, so generation is deterministic.
 * Inputs come from kink-avoiding generators (distinct values for max ops, values away from zero for
 * ReLU, positive ones for log/sqrt/div).
 *
 * <p>More ops can be added through {@link ServiceLoader} ({@link Family} implementations listed in
 * {@code META-INF/services/io.github.deconvspark.jobs.gradcheck.Cases$Family}), e.g. by tests that
 * inject deliberately wrong gradient rules.
 */
public final class Cases {
    private Cases() {}

    /** How an input is generated. */
    public enum Gen { ANY, AWAY, POSITIVE, DISTINCT }

    /** One drawn configuration of an op: inputs and how y is built from them. */
    public record Draw(String params, List<long[]> shapes, List<Gen> gens, Function<List<Tensor>, Tensor> build) {}

    /** An op family: draws a configuration from the random stream (throw IllegalArgumentException to redraw). */
    public interface Family {
        String name();

        Draw draw(SplittableRandom r);
    }

    /** A generated case, ready to build. */
    public record Case(String id, String op, String params, List<long[]> shapes, List<Gen> gens,
                       Function<List<Tensor>, Tensor> build, int stopped, boolean gradYs, boolean secondOrder, long seed) {
        public String describe() {
            StringBuilder sb = new StringBuilder(op + " " + params + "; inputs");
            for (long[] s : shapes) sb.append(' ').append(Arrays.toString(s));
            if (stopped >= 0) sb.append("; stop_gradient on input ").append(stopped);
            sb.append(gradYs ? "; grad_ys random" : "; grad_ys ones").append(secondOrder ? "; second order" : "; first order");
            return sb.toString();
        }
    }

    static final Map<String, Family> FAMILIES = new LinkedHashMap<>();

    static void add(String name, Function<SplittableRandom, Draw> draw) {
        FAMILIES.put(name, new Family() {
            @Override public String name() { return name; }

            @Override public Draw draw(SplittableRandom r) { return draw.apply(r); }
        });
    }

    static Draw d(String params, List<long[]> shapes, List<Gen> gens, Function<List<Tensor>, Tensor> build) {
        return new Draw(params, shapes, gens, build);
    }

    static long[] shape(SplittableRandom r, int minRank, int maxRank) {
        long[] s = new long[minRank + r.nextInt(maxRank - minRank + 1)];
        for (int i = 0; i < s.length; i++) s[i] = 1 + r.nextInt(4);
        return s;
    }

    /** A shape broadcastable against s: some dimensions 1, possibly fewer leading ones. */
    static long[] broadcastable(SplittableRandom r, long[] s) {
        int drop = r.nextInt(s.length + 1);
        long[] b = Arrays.copyOfRange(s, drop, s.length);
        for (int i = 0; i < b.length; i++) if (r.nextInt(3) == 0) b[i] = 1;
        return b;
    }

    static Padding padding(SplittableRandom r, int kh, int kw) {
        return switch (r.nextInt(3)) {
            case 0 -> Padding.SAME;
            case 1 -> Padding.VALID;
            default -> Padding.explicit(r.nextInt(kh), r.nextInt(kh), r.nextInt(kw), r.nextInt(kw));
        };
    }

    static long[] nhwc(DataFormat f, long n, long h, long w, long c) {
        return f == DataFormat.NHWC ? new long[] {n, h, w, c} : new long[] {n, c, h, w};
    }

    /** The output shape of an op on placeholders of the given shapes (throws for illegal configurations). */
    static long[] outShape(List<long[]> shapes, Function<List<Tensor>, Tensor> build) {
        try (Graph g = new Graph()) {
            List<Tensor> xs = new ArrayList<>();
            for (int i = 0; i < shapes.size(); i++) xs.add(g.placeholder("s" + i, DataType.DOUBLE, shapes.get(i)));
            return build.apply(xs).shape();
        }
    }

    static {
        for (String u : List.of("relu", "sigmoid", "tanh", "exp", "log", "square", "sqrt", "neg")) {
            add(u, r -> {
                long[] s = shape(r, 1, 4);
                Gen g = switch (u) {
                    case "relu" -> Gen.AWAY;
                    case "log", "sqrt" -> Gen.POSITIVE;
                    default -> Gen.ANY;
                };
                return d("", List.of(s), List.of(g), x -> switch (u) {
                    case "relu" -> Ops.relu(x.get(0));
                    case "sigmoid" -> Ops.sigmoid(x.get(0));
                    case "tanh" -> Ops.tanh(x.get(0));
                    case "exp" -> Ops.exp(x.get(0));
                    case "log" -> Ops.log(x.get(0));
                    case "square" -> Ops.square(x.get(0));
                    case "sqrt" -> Ops.sqrt(x.get(0));
                    default -> Ops.neg(x.get(0));
                });
            });
        }
        for (String b : List.of("add", "sub", "mul", "div")) {
            add(b, r -> {
                long[] a = shape(r, 0, 4), c = broadcastable(r, a);
                boolean swap = r.nextBoolean();
                List<long[]> shapes = swap ? List.of(c, a) : List.of(a, c);
                Gen second = b.equals("div") ? Gen.POSITIVE : Gen.ANY;
                return d("broadcast " + (swap ? "left" : "right"), shapes, List.of(Gen.ANY, second), x -> switch (b) {
                    case "add" -> Ops.add(x.get(0), x.get(1));
                    case "sub" -> Ops.sub(x.get(0), x.get(1));
                    case "mul" -> Ops.mul(x.get(0), x.get(1));
                    default -> Ops.div(x.get(0), x.get(1));
                });
            });
        }
        add("matmul", r -> {
            long m = 1 + r.nextInt(4), k = 1 + r.nextInt(4), n = 1 + r.nextInt(4);
            return d("", List.of(new long[] {m, k}, new long[] {k, n}), List.of(Gen.ANY, Gen.ANY), x -> Ops.matmul(x.get(0), x.get(1)));
        });
        for (String red : List.of("reduce_sum", "reduce_mean", "reduce_max")) {
            add(red, r -> {
                long[] s = shape(r, 1, 4);
                boolean keep = r.nextBoolean();
                int axis = r.nextInt(s.length);
                boolean all = r.nextInt(4) == 0;
                Gen g = red.equals("reduce_max") ? Gen.DISTINCT : Gen.ANY;
                return d(all ? "all axes" : "axis " + axis + (keep ? " keepdims" : ""), List.of(s), List.of(g), x -> switch (red) {
                    case "reduce_sum" -> all ? Ops.reduceSum(x.get(0)) : Ops.reduceSum(x.get(0), keep, axis);
                    case "reduce_mean" -> all ? Ops.reduceMean(x.get(0)) : Ops.reduceMean(x.get(0), keep, axis);
                    default -> all ? Ops.reduceMax(x.get(0)) : Ops.reduceMax(x.get(0), keep, axis);
                });
            });
        }
        add("softmax", r -> d("", List.of(shape(r, 1, 3)), List.of(Gen.ANY), x -> Ops.softmax(x.get(0))));
        add("log_softmax", r -> d("", List.of(shape(r, 1, 3)), List.of(Gen.ANY), x -> Ops.logSoftmax(x.get(0))));
        add("softmax_cross_entropy", r -> {
            long[] s = {1 + r.nextInt(4), 2 + r.nextInt(4)};
            return d("(labels, logits)", List.of(s, s), List.of(Gen.POSITIVE, Gen.ANY), x -> Ops.softmaxCrossEntropyWithLogits(x.get(0), x.get(1)));
        });
        add("reshape", r -> {
            long[] s = shape(r, 1, 4);
            return d("to [-1]", List.of(s), List.of(Gen.ANY), x -> Ops.reshape(x.get(0), -1));
        });
        add("transpose", r -> {
            long[] s = shape(r, 2, 4);
            List<Integer> perm = new ArrayList<>();
            for (int i = 0; i < s.length; i++) perm.add(i);
            for (int i = perm.size() - 1; i > 0; i--) java.util.Collections.swap(perm, i, r.nextInt(i + 1));
            int[] p = perm.stream().mapToInt(Integer::intValue).toArray();
            return d("perm " + Arrays.toString(p), List.of(s), List.of(Gen.ANY), x -> Ops.transpose(x.get(0), p));
        });
        add("concat", r -> {
            long[] a = shape(r, 1, 3), b = a.clone();
            int axis = r.nextInt(a.length);
            b[axis] = 1 + r.nextInt(3);
            return d("axis " + axis, List.of(a, b), List.of(Gen.ANY, Gen.ANY), x -> Ops.concat(axis, x.get(0), x.get(1)));
        });
        add("slice", r -> {
            long[] s = shape(r, 1, 3);
            long[] begin = new long[s.length], size = new long[s.length];
            for (int i = 0; i < s.length; i++) {
                begin[i] = r.nextInt((int) s[i]);
                size[i] = r.nextInt(4) == 0 ? -1 : 1 + r.nextInt((int) (s[i] - begin[i]));
            }
            return d("begin " + Arrays.toString(begin) + " size " + Arrays.toString(size), List.of(s), List.of(Gen.ANY),
                    x -> Ops.slice(x.get(0), begin, size));
        });
        add("pad", r -> {
            long[] s = shape(r, 1, 3);
            long[] before = new long[s.length], after = new long[s.length];
            for (int i = 0; i < s.length; i++) {
                before[i] = r.nextInt(3);
                after[i] = r.nextInt(3);
            }
            return d("before " + Arrays.toString(before) + " after " + Arrays.toString(after), List.of(s), List.of(Gen.ANY),
                    x -> Ops.pad(x.get(0), before, after));
        });
        add("bias_add", r -> {
            DataFormat f = r.nextBoolean() ? DataFormat.NHWC : DataFormat.NCHW;
            long c = 1 + r.nextInt(4);
            long[] s = nhwc(f, 1 + r.nextInt(2), 1 + r.nextInt(3), 1 + r.nextInt(3), c);
            return d(f.toString(), List.of(s, new long[] {c}), List.of(Gen.ANY, Gen.ANY), x -> Ops.biasAdd(x.get(0), x.get(1), f));
        });
        add("batch_norm_inference", r -> {
            DataFormat f = r.nextBoolean() ? DataFormat.NHWC : DataFormat.NCHW;
            long c = 1 + r.nextInt(4);
            long[] s = nhwc(f, 1 + r.nextInt(2), 1 + r.nextInt(3), 1 + r.nextInt(3), c), v = {c};
            return d(f.toString(), List.of(s, v, v, v, v), List.of(Gen.ANY, Gen.ANY, Gen.POSITIVE, Gen.ANY, Gen.ANY),
                    x -> Ops.batchNormInference(x.get(0), x.get(1), x.get(2), x.get(3), x.get(4), 1e-3, f));
        });
        for (String conv : List.of("conv2d", "conv2d_transpose", "conv2d_backprop_input", "conv2d_backprop_filter")) {
            add(conv, r -> {
                int kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
                boolean dilate = r.nextInt(3) == 0;
                int[] s = {dilate ? 1 : 1 + r.nextInt(3), dilate ? 1 : 1 + r.nextInt(3)};
                int[] dl = {dilate ? 1 + r.nextInt(2) : 1, dilate ? 2 : 1};
                Padding p = padding(r, kh, kw);
                DataFormat f = r.nextBoolean() ? DataFormat.NHWC : DataFormat.NCHW;
                long n = 1 + r.nextInt(2), ci = 1 + r.nextInt(3), co = 1 + r.nextInt(3);
                long h = (kh - 1L) * dl[0] + 1 + r.nextInt(4), w = (kw - 1L) * dl[1] + 1 + r.nextInt(4);
                long[] x = nhwc(f, n, h, w, ci), filter = {kh, kw, ci, co};
                long[] y = outShape(List.of(x, filter), t -> Ops.conv2d(t.get(0), t.get(1), s, p, f, dl));
                String params = "k " + kh + "x" + kw + " strides " + Arrays.toString(s) + " dilations " + Arrays.toString(dl) + " "
                        + p + " " + f;
                return switch (conv) {
                    case "conv2d" -> d(params, List.of(x, filter), List.of(Gen.ANY, Gen.ANY), t -> Ops.conv2d(t.get(0), t.get(1), s, p, f, dl));
                    case "conv2d_transpose" -> d(params, List.of(y, filter), List.of(Gen.ANY, Gen.ANY),
                            t -> Ops.conv2dTranspose(t.get(0), t.get(1), x, s, p, f, dl));
                    case "conv2d_backprop_input" -> d(params, List.of(filter, y), List.of(Gen.ANY, Gen.ANY),
                            t -> Ops.conv2dBackpropInput(x, t.get(0), t.get(1), s, p, f, dl));
                    default -> d(params, List.of(x, y), List.of(Gen.ANY, Gen.ANY),
                            t -> Ops.conv2dBackpropFilter(t.get(0), filter, t.get(1), s, p, f, dl));
                };
            });
        }
        for (String pool : List.of("max_pool", "avg_pool", "sum_pool", "max_pool_grad", "avg_pool_grad", "avg_unpool",
                "max_pool_with_argmax", "max_unpool")) {
            add(pool, r -> {
                int kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
                int[] k = {kh, kw}, s = {1 + r.nextInt(3), 1 + r.nextInt(3)};           // s < k: overlapping windows
                Padding p = padding(r, kh, kw);
                boolean argmaxOp = pool.equals("max_pool_with_argmax") || pool.equals("max_unpool");
                DataFormat f = argmaxOp || r.nextBoolean() ? DataFormat.NHWC : DataFormat.NCHW;      // argmax: NHWC only, as TF
                long[] x = nhwc(f, 1 + r.nextInt(2), kh + r.nextInt(4), kw + r.nextInt(4), 1 + r.nextInt(3));
                boolean batchIndex = r.nextBoolean();
                long sourceSeed = r.nextLong();
                String params = "k " + kh + "x" + kw + " strides " + Arrays.toString(s) + (s[0] < kh || s[1] < kw ? " (overlapping)" : "")
                        + " " + p + " " + f + (argmaxOp ? " include_batch_in_index " + batchIndex : "");
                long[] y = outShape(List.of(x), t -> Ops.maxPool(t.get(0), k, s, p, f));
                return switch (pool) {
                    case "max_pool" -> d(params, List.of(x), List.of(Gen.DISTINCT), t -> Ops.maxPool(t.get(0), k, s, p, f));
                    case "avg_pool" -> d(params, List.of(x), List.of(Gen.ANY), t -> Ops.avgPool(t.get(0), k, s, p, f));
                    case "sum_pool" -> d(params, List.of(x), List.of(Gen.ANY), t -> Ops.sumPool(t.get(0), k, s, p, f));
                    case "max_pool_grad" -> d(params, List.of(x, y), List.of(Gen.DISTINCT, Gen.ANY),
                            t -> Ops.maxPoolGrad(t.get(0), t.get(1), k, s, p, f));
                    case "avg_pool_grad" -> d(params, List.of(y), List.of(Gen.ANY), t -> Ops.avgPoolGrad(x, t.get(0), k, s, p, f));
                    case "avg_unpool" -> d(params, List.of(y), List.of(Gen.ANY), t -> Ops.avgUnpool(t.get(0), x, k, s, p, f));
                    case "max_pool_with_argmax" -> d(params, List.of(x), List.of(Gen.DISTINCT),
                            t -> Ops.maxPoolWithArgmax(t.get(0), k, s, p, batchIndex).output());
                    // the switches come from a fixed input; the gradient checked is the unpooled values'
                    default -> d(params, List.of(y), List.of(Gen.ANY), t -> {
                        Tensor source = t.get(0).graph().constant(GradientCheck.distinct(DataType.DOUBLE, sourceSeed, x));
                        return Ops.maxUnpool(t.get(0), Ops.maxPoolWithArgmax(source, k, s, p, batchIndex).argmax(), x, batchIndex);
                    });
                };
            });
        }
        GroupedCases.register();
        add("channel_affine", r -> {
            DataFormat f = r.nextBoolean() ? DataFormat.NHWC : DataFormat.NCHW;
            long c = 1 + r.nextInt(4);
            long[] s = nhwc(f, 1 + r.nextInt(2), 1 + r.nextInt(3), 1 + r.nextInt(3), c), v = {c};
            return d(f.toString(), List.of(s, v, v), List.of(Gen.ANY, Gen.ANY, Gen.ANY), x -> Ops.channelAffine(x.get(0), x.get(1), x.get(2), f));
        });
        add("broadcast_to", r -> {
            long[] to = shape(r, 1, 4), from = broadcastable(r, to);
            return d("to " + Arrays.toString(to), List.of(from), List.of(Gen.ANY), x -> Ops.broadcastTo(x.get(0), to));
        });
        for (Family extra : ServiceLoader.load(Family.class)) FAMILIES.put(extra.name(), extra);
    }

    /** Every op name, in a fixed order. */
    public static List<String> ops() {
        return new ArrayList<>(FAMILIES.keySet());
    }

    static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Case {@code index} of the run with {@code seed} over {@code ops} (op = ops[index % ops.size()]). */
    public static Case generate(long seed, long index, List<String> ops) {
        String op = ops.get((int) (index % ops.size()));
        return generate(seed, index, op);
    }

    public static Case generate(long seed, long index, String op) {
        Family fam = FAMILIES.get(op);
        if (fam == null) throw new IllegalArgumentException("gradcheck: unknown op '" + op + "'; ops: " + ops());
        SplittableRandom r = new SplittableRandom(mix(seed, index));
        IllegalArgumentException last = null;
        for (int attempt = 0; attempt < 100; attempt++) {
            try {
                Draw dr = fam.draw(r);
                outShape(dr.shapes(), dr.build());
                int stopped = dr.shapes().size() > 1 && r.nextInt(4) == 0 ? r.nextInt(dr.shapes().size()) : -1;
                boolean gradYs = r.nextBoolean();
                boolean second = r.nextInt(5) == 0;
                return new Case(seed + "-" + index + "-" + op, op, dr.params(), dr.shapes(), dr.gens(), dr.build(), stopped, gradYs,
                        second, mix(seed, index));
            } catch (IllegalArgumentException e) {
                last = e;
            }
        }
        throw new IllegalStateException("gradcheck: no legal configuration of " + op + " drawn in 100 attempts: " + last.getMessage());
    }

    /** The case of an id "SEED-INDEX-OP". */
    public static Case parse(String id) {
        String[] p = id.split("-", 3);
        if (p.length != 3) throw new IllegalArgumentException("gradcheck: case id '" + id + "' is not SEED-INDEX-OP (e.g. 1-42-conv2d)");
        try {
            return generate(Long.parseLong(p[0]), Long.parseLong(p[1]), p[2]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("gradcheck: case id '" + id + "' is not SEED-INDEX-OP (e.g. 1-42-conv2d)");
        }
    }

    static INDArray make(Gen g, long seed, long[] shape) {
        return switch (g) {
            case ANY -> GradientCheck.uniform(DataType.DOUBLE, seed, -1, 1, shape);
            case AWAY -> GradientCheck.awayFromZero(DataType.DOUBLE, seed, 0.2, 1.0, shape);
            case POSITIVE -> GradientCheck.uniform(DataType.DOUBLE, seed, 0.5, 2.0, shape);
            case DISTINCT -> GradientCheck.distinct(DataType.DOUBLE, seed, shape);
        };
    }
}
