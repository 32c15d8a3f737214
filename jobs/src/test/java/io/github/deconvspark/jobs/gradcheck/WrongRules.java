package io.github.deconvspark.jobs.gradcheck;

import io.github.deconvspark.kernels.Conv2D;
import io.github.deconvspark.kernels.autodiff.Backward;
import io.github.deconvspark.kernels.autodiff.Op;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Deliberately wrong gradient rules, injected into the job's case generator through ServiceLoader
 * (src/test/resources/META-INF/services): the job must report every case of them as failing.
 */
public final class WrongRules {
    private WrongRules() {}

    /** y = x^2 with dy/dx = -2x: the wrong sign. */
    static final class WrongSign extends Op {
        @Override public String type() { return "WrongSignSquare"; }

        @Override public INDArray forward(INDArray[] in) { return in[0].mul(in[0]); }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {Ops.mul(Ops.mul(b.grad(), b.input(0)), -2.0)};
        }
    }

    /** y = x exp(x) with dy/dx = exp(x): the product rule's x exp(x) term is missing. */
    static final class MissingTerm extends Op {
        @Override public String type() { return "MissingTermXExp"; }

        @Override public INDArray forward(INDArray[] in) { return in[0].mul(Transforms.exp(in[0], true)); }

        @Override public Tensor[] backward(Backward b) {
            return new Tensor[] {Ops.mul(b.grad(), Ops.exp(b.input(0)))};
        }
    }

    /** conv2d SAME, 3x3, stride 1, whose input gradient uses the padding shifted by one row (0, 2) instead of (1, 1). */
    static final class WrongPadding extends Op {
        final INDArray filter;

        WrongPadding(INDArray filter) { this.filter = filter; }

        @Override public String type() { return "WrongPaddingConv2D"; }

        @Override public INDArray forward(INDArray[] in) {
            return Conv2D.conv2d(in[0], filter, new int[] {1, 1}, Padding.SAME, DataFormat.NHWC, new int[] {1, 1});
        }

        @Override public Tensor[] backward(Backward b) {
            Tensor f = b.grad().graph().constant(filter);
            return new Tensor[] {Ops.conv2dBackpropInput(b.input(0).shape(), f, b.grad(), new int[] {1, 1},
                    Padding.explicit(0, 2, 1, 1), DataFormat.NHWC, new int[] {1, 1})};
        }
    }

    static Cases.Family family(String name, java.util.function.Function<SplittableRandom, Cases.Draw> draw) {
        return new Cases.Family() {
            @Override public String name() { return name; }

            @Override public Cases.Draw draw(SplittableRandom r) { return draw.apply(r); }
        };
    }

    public static final class WrongSignFamily implements Cases.Family {
        @Override public String name() { return "wrong_sign"; }

        @Override public Cases.Draw draw(SplittableRandom r) {
            long[] s = {1 + r.nextInt(3), 1 + r.nextInt(3)};
            return new Cases.Draw("y = x^2, dy/dx = -2x", List.of(s), List.of(Cases.Gen.AWAY),
                    x -> x.get(0).graph().apply(new WrongSign(), x.get(0).shape(), x.get(0).dataType(), x.get(0)));
        }
    }

    public static final class MissingTermFamily implements Cases.Family {
        @Override public String name() { return "missing_term"; }

        @Override public Cases.Draw draw(SplittableRandom r) {
            long[] s = {1 + r.nextInt(3), 1 + r.nextInt(3)};
            return new Cases.Draw("y = x exp(x), dy/dx = exp(x)", List.of(s), List.of(Cases.Gen.AWAY),
                    x -> x.get(0).graph().apply(new MissingTerm(), x.get(0).shape(), x.get(0).dataType(), x.get(0)));
        }
    }

    public static final class WrongPaddingFamily implements Cases.Family {
        @Override public String name() { return "wrong_padding_offset"; }

        @Override public Cases.Draw draw(SplittableRandom r) {
            long[] s = {1, 3 + r.nextInt(3), 3 + r.nextInt(3), 1 + r.nextInt(2)};
            INDArray filter = io.github.deconvspark.kernels.autodiff.GradientCheck.uniform(org.nd4j.linalg.api.buffer.DataType.DOUBLE, r.nextLong(), -1, 1, 3, 3, s[3], 2);
            long[] out = {s[0], s[1], s[2], 2};
            return new Cases.Draw("conv2d SAME 3x3, input gradient padded (0, 2) instead of (1, 1)", List.of(s), List.of(Cases.Gen.ANY),
                    x -> x.get(0).graph().apply(new WrongPadding(filter), out, x.get(0).dataType(), x.get(0)));
        }
    }
}
