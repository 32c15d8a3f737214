package io.github.deconvspark.jobs.gradcheck;

import static io.github.deconvspark.jobs.gradcheck.Cases.add;
import static io.github.deconvspark.jobs.gradcheck.Cases.d;
import static io.github.deconvspark.jobs.gradcheck.Cases.nhwc;
import static io.github.deconvspark.jobs.gradcheck.Cases.outShape;
import static io.github.deconvspark.jobs.gradcheck.Cases.padding;

import io.github.deconvspark.jobs.gradcheck.Cases.Gen;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.PoolParams;
import java.util.Arrays;
import java.util.List;

/**
 * The case families of the ops ONNX and Keras models brought in: grouped and depthwise convolutions with their
 * gradients (groups, multipliers, strides or dilations, paddings, both layouts), and pools with the options ONNX
 * defines (dilations, ceil mode, padding counted in averages), with theirs.
 */
final class GroupedCases {
    private GroupedCases() {}

    static void register() {
        for (String conv : List.of("grouped_conv2d", "grouped_conv2d_transpose", "grouped_conv2d_backprop_filter",
                "depthwise_conv2d", "depthwise_conv2d_backprop_input", "depthwise_conv2d_backprop_filter")) {
            add(conv, r -> {
                int kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
                boolean dilate = r.nextInt(3) == 0;
                int[] s = {dilate ? 1 : 1 + r.nextInt(3), dilate ? 1 : 1 + r.nextInt(3)};
                int[] dl = {dilate ? 1 + r.nextInt(2) : 1, dilate ? 2 : 1};
                Padding p = padding(r, kh, kw);
                DataFormat f = r.nextBoolean() ? DataFormat.NHWC : DataFormat.NCHW;
                ConvParams cp = ConvParams.of(conv, s, p, f, dl);
                boolean depthwise = conv.startsWith("depthwise");
                long n = 1 + r.nextInt(2), groups = 2 + r.nextInt(2), cg = 1 + r.nextInt(2), og = 1 + r.nextInt(2);
                long c = depthwise ? 2 + r.nextInt(2) : groups * cg;
                long h = (kh - 1L) * dl[0] + 1 + r.nextInt(4), w = (kw - 1L) * dl[1] + 1 + r.nextInt(4);
                long[] x = nhwc(f, n, h, w, c);
                long[] filter = depthwise ? new long[] {kh, kw, c, og} : new long[] {kh, kw, cg, groups * og};  // og: the multiplier
                long[] y = outShape(List.of(x, filter),
                        t -> depthwise ? Ops.depthwiseConv2d(t.get(0), t.get(1), cp) : Ops.conv2d(t.get(0), t.get(1), cp));
                String params = "k " + kh + "x" + kw + (depthwise ? " multiplier " + og : " groups " + groups) + " strides " + Arrays.toString(s)
                        + " dilations " + Arrays.toString(dl) + " " + p + " " + f;
                List<Gen> any2 = List.of(Gen.ANY, Gen.ANY);
                return switch (conv) {
                    case "grouped_conv2d" -> d(params, List.of(x, filter), any2, t -> Ops.conv2d(t.get(0), t.get(1), cp));
                    case "grouped_conv2d_transpose" -> d(params, List.of(y, filter), any2, t -> Ops.conv2dTranspose(t.get(0), t.get(1), x, cp));
                    case "grouped_conv2d_backprop_filter" -> d(params, List.of(x, y), any2,
                            t -> Ops.conv2dBackpropFilter(t.get(0), filter, t.get(1), s, p, f, dl));
                    case "depthwise_conv2d" -> d(params, List.of(x, filter), any2, t -> Ops.depthwiseConv2d(t.get(0), t.get(1), cp));
                    case "depthwise_conv2d_backprop_input" -> d(params, List.of(filter, y), any2,
                            t -> Ops.depthwiseConv2dBackpropInput(x, t.get(0), t.get(1), s, p, f, dl));
                    default -> d(params, List.of(x, y), any2, t -> Ops.depthwiseConv2dBackpropFilter(t.get(0), filter, t.get(1), s, p, f, dl));
                };
            });
        }
        for (String pool : List.of("max_pool_options", "avg_pool_options", "sum_pool_options", "max_pool_grad_options",
                "avg_pool_grad_options", "avg_unpool_options")) {
            add(pool, r -> {
                int kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
                int[] k = {kh, kw}, s = {1 + r.nextInt(3), 1 + r.nextInt(3)}, dl = {1 + r.nextInt(2), 1 + r.nextInt(2)};
                Padding p = padding(r, kh, kw);
                DataFormat f = r.nextBoolean() ? DataFormat.NHWC : DataFormat.NCHW;
                boolean ceil = r.nextBoolean(), countPad = r.nextBoolean();
                PoolParams pp = PoolParams.builder(pool, k, s, p, f).dilations(dl).ceilMode(ceil).countIncludePad(countPad).build();
                long[] x = nhwc(f, 1 + r.nextInt(2), (kh - 1L) * dl[0] + 1 + r.nextInt(4), (kw - 1L) * dl[1] + 1 + r.nextInt(4), 1 + r.nextInt(3));
                long[] y = outShape(List.of(x), t -> Ops.maxPool(t.get(0), pp)); // a dilated window holding no input cell throws: redrawn
                String params = "k " + kh + "x" + kw + " " + pp;
                return switch (pool) {
                    case "max_pool_options" -> d(params, List.of(x), List.of(Gen.DISTINCT), t -> Ops.maxPool(t.get(0), pp));
                    case "avg_pool_options" -> d(params, List.of(x), List.of(Gen.ANY), t -> Ops.avgPool(t.get(0), pp));
                    case "sum_pool_options" -> d(params, List.of(x), List.of(Gen.ANY), t -> Ops.sumPool(t.get(0), pp));
                    case "max_pool_grad_options" -> d(params, List.of(x, y), List.of(Gen.DISTINCT, Gen.ANY),
                            t -> Ops.maxPoolGrad(t.get(0), t.get(1), pp));
                    case "avg_pool_grad_options" -> d(params, List.of(y), List.of(Gen.ANY), t -> Ops.avgPoolGrad(x, t.get(0), pp));
                    default -> d(params, List.of(y), List.of(Gen.ANY), t -> Ops.avgUnpool(t.get(0), x, pp));
                };
            });
        }
    }
}
