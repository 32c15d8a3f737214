package io.github.deconvspark.oracle;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.TensorFlow;

/**
 * TensorFlow's own gradients as references for the autodiff: per case one op (or a small chain), its
 * inputs, a random {@code grad_y}, and TF's {@code Graph.addGradients(y, xs, dx = grad_y)} for every
 * input, stored as outputs named {@code d_<input>} in the kernels reference format ({@link RefFormat}).
 *
 * <p>TF Java differentiates with TF's C++ gradient registry. It has first-order gradients for every op
 * here but none for the gradient ops themselves (Conv2DBackpropInput/Filter, ReluGrad, AvgPoolGrad,
 * SigmoidGrad, ...), so second-order references cannot come from it: the autodiff's higher orders are
 * checked against finite differences of these TF-checked first orders instead. The one op whose own
 * gradient is missing, conv2d_transpose, gets TF's reference through its adjoint identities:
 * d value = conv2d(grad_y, filter), d filter = conv2d_backprop_filter(grad_y, value) (route "adjoint").
 */
final class GradientReferenceGenerator {
  static final long DEFAULT_SEED = 20241125L;
  static final int DEFAULT_PER_OP = 12;

  /** Op name (the case's op) and how many inputs are differentiated. */
  static final List<String> OPS = List.of("conv2d", "conv2d_transpose", "max_pool", "avg_pool", "relu", "sigmoid",
      "tanh", "exp", "log", "square", "neg", "matmul", "bias_add", "add", "sub", "mul", "div", "softmax",
      "softmax_cross_entropy", "reduce_sum", "reduce_mean", "reduce_max", "reshape", "transpose", "concat", "slice",
      "affine", "conv_relu_pool", "hvp_conv_relu_maxpool", "hvp_conv_avgpool", "hvp_conv_transpose", "depthwise_conv2d");

  private final GradientCases table;
  private final GradientGraphs graphs;
  private final Map<String, Integer> counts = new TreeMap<>();

  GradientReferenceGenerator(long seed) {
    GradientDraws draws = new GradientDraws(seed);
    this.table = new GradientCases(draws);
    this.graphs = new GradientGraphs(draws);
  }

  public static void main(String[] args) throws IOException {
    Path out = null;
    long seed = DEFAULT_SEED;
    int perOp = DEFAULT_PER_OP;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--out" -> out = Path.of(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--per-op" -> perOp = Integer.parseInt(args[++i]);
        default -> usage("unknown argument " + args[i]);
      }
    }
    if (out == null) {
      usage("--out is required");
    }
    long t0 = System.nanoTime();
    SecondOrderRules.register();
    GradientReferenceGenerator gen = new GradientReferenceGenerator(seed);
    List<Case> cases = new ArrayList<>();
    for (String op : OPS) {
      for (int i = 0; i < perOp; i++) {
        // TF's C++ gradient of SoftmaxCrossEntropyWithLogits builds float32 constants: float64 fails inside TF.
        boolean f32 = i % 3 == 2 || op.equals("softmax_cross_entropy");
        cases.add(gen.make(op, op + "#" + i, f32 ? DType.F32 : DType.F64));
      }
    }
    RefFormat.write(out, "TensorFlow " + TensorFlow.version() + " gradients via TF Java 1.1.0 Graph.addGradients; seed="
        + seed + " per-op=" + perOp, cases);
    System.out.printf("wrote %d gradient cases (%s) to %s (%d bytes) in %.1f s%n", cases.size(), gen.counts, out,
        Files.size(out), (System.nanoTime() - t0) / 1e9);
  }

  private static void usage(String why) {
    System.err.println(why);
    System.err.println("usage: GradientReferenceGenerator --out FILE [--seed S] [--per-op N]");
    System.exit(2);
  }

  /** Draws the case ({@link GradientCases}), then runs a copy of it in TF ({@link GradientGraphs}). */
  private Case make(String op, String id, DType dt) {
    counts.merge(op, 1, Integer::sum);
    Case c = table.sample(op, id, dt);
    Case mutable = new Case(c.id, c.op, new ArrayList<>(c.inputs));
    mutable.route = c.route;
    mutable.attrs.putAll(c.attrs);
    try {
      graphs.run(mutable);
    } catch (RuntimeException e) {
      throw new IllegalStateException(mutable.id + " " + mutable.attrs + ": " + e.getMessage(), e);
    }
    return mutable;
  }
}
