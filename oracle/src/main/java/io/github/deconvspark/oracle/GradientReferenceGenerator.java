package io.github.deconvspark.oracle;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.tensorflow.Output;
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
      "affine", "conv_relu_pool", "hvp_conv_relu_maxpool", "hvp_conv_avgpool", "hvp_conv_transpose");

  private final Random rnd;
  private final Map<String, Integer> counts = new TreeMap<>();

  GradientReferenceGenerator(long seed) {
    this.rnd = new Random(seed);
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

  // ------------------------------------------------------------------ cases

  private Case make(String op, String id, DType dt) {
    counts.merge(op, 1, Integer::sum);
    Case c = switch (op) {
      case "conv2d" -> conv2d(id, dt);
      case "conv2d_transpose" -> conv2dTranspose(id, dt);
      case "max_pool", "avg_pool" -> pool(op, id, dt);
      case "relu", "sigmoid", "tanh", "exp", "square", "neg" -> new Case(id, op, List.of(uniform("x", dt, randomShape())));
      case "log" -> new Case(id, op, List.of(positive("x", dt, randomShape())));
      case "matmul" -> {
        int m = 1 + rnd.nextInt(5), k = 1 + rnd.nextInt(5), n = 1 + rnd.nextInt(5);
        yield new Case(id, op, List.of(uniform("a", dt, m, k), uniform("b", dt, k, n)));
      }
      case "bias_add" -> {
        long[] s = {1 + rnd.nextInt(2), 1 + rnd.nextInt(4), 1 + rnd.nextInt(4), 1 + rnd.nextInt(4)};
        yield new Case(id, op, List.of(uniform("x", dt, s), uniform("b", dt, s[3])));
      }
      case "add", "sub", "mul", "div" -> broadcast(op, id, dt);
      case "softmax" -> new Case(id, op, List.of(uniform("x", dt, 1 + rnd.nextInt(4), 2 + rnd.nextInt(5))));
      case "softmax_cross_entropy" -> {
        int n = 1 + rnd.nextInt(4), k = 2 + rnd.nextInt(5);
        yield new Case(id, op, List.of(uniform("logits", dt, n, k), probabilities("labels", dt, n, k)));
      }
      case "reduce_sum", "reduce_mean", "reduce_max" -> reduce(op, id, dt);
      case "reshape" -> {
        Case r = new Case(id, op, List.of(uniform("x", dt, 2, 3, 4)));
        yield r.ints("shape", rnd.nextBoolean() ? new long[] {6, 4} : new long[] {4, 3, 2});
      }
      case "transpose" -> new Case(id, op, List.of(uniform("x", dt, 2, 3, 4))).ints("perm", permutation());
      case "concat" -> {
        int axis = rnd.nextInt(3);
        long[] a = {2, 3, 4};
        long[] b = a.clone();
        b[axis] = 1 + rnd.nextInt(3);
        yield new Case(id, op, List.of(uniform("a", dt, a), uniform("b", dt, b))).ints("axis", axis);
      }
      case "slice" -> {
        long[] begin = {rnd.nextInt(2), rnd.nextInt(3), rnd.nextInt(4)};
        long[] size = {1 + rnd.nextInt((int) (2 - begin[0])), 1 + rnd.nextInt((int) (3 - begin[1])),
            1 + rnd.nextInt((int) (4 - begin[2]))};
        yield new Case(id, op, List.of(uniform("x", dt, 2, 3, 4))).ints("begin", begin).ints("size", size);
      }
      case "affine" -> {
        long[] s = {1 + rnd.nextInt(2), 1 + rnd.nextInt(4), 1 + rnd.nextInt(4), 1 + rnd.nextInt(4)};
        yield new Case(id, op, List.of(uniform("x", dt, s), uniform("scale", dt, s[3]), uniform("offset", dt, s[3])));
      }
      case "conv_relu_pool" -> convReluPool(id, dt);
      case "hvp_conv_relu_maxpool", "hvp_conv_avgpool", "hvp_conv_transpose" -> secondOrderCase(op, id, dt);
      default -> throw new IllegalArgumentException(op);
    };
    Case mutable = new Case(c.id, c.op, new ArrayList<>(c.inputs));
    mutable.route = c.route;
    mutable.attrs.putAll(c.attrs);
    try {
      run(mutable);
    } catch (RuntimeException e) {
      throw new IllegalStateException(mutable.id + " " + mutable.attrs + ": " + e.getMessage(), e);
    }
    return mutable;
  }

  private long[] randomShape() {
    int rank = 1 + rnd.nextInt(4);
    long[] s = new long[rank];
    for (int i = 0; i < rank; i++) {
      s[i] = 1 + rnd.nextInt(4);
    }
    return s;
  }

  private long[] permutation() {
    List<Long> p = new ArrayList<>(List.of(0L, 1L, 2L));
    java.util.Collections.shuffle(p, rnd);
    return new long[] {p.get(0), p.get(1), p.get(2)};
  }

  private Case conv2d(String id, DType dt) {
    int k = 1 + rnd.nextInt(3);
    int s = 1 + rnd.nextInt(2);
    String pad = rnd.nextBoolean() ? "SAME" : "VALID";
    int h = k + rnd.nextInt(5), w = k + rnd.nextInt(5);
    int cin = 1 + rnd.nextInt(3);
    Case c = new Case(id, "conv2d", List.of(uniform("x", dt, 1 + rnd.nextInt(2), h, w, cin),
        uniform("w", dt, k, k, cin, 1 + rnd.nextInt(3))));
    return c.ints("strides", 1, s, s, 1).str("padding", pad);
  }

  private Case conv2dTranspose(String id, DType dt) {
    int k = 1 + rnd.nextInt(3);
    int s = 1 + rnd.nextInt(2);
    String pad = rnd.nextBoolean() ? "SAME" : "VALID";
    int in = 1 + rnd.nextInt(4);
    long out = pad.equals("SAME") ? (long) in * s - rnd.nextInt(s) : (long) (in - 1) * s + k + rnd.nextInt(s);
    int n = 1 + rnd.nextInt(2), cv = 1 + rnd.nextInt(3), co = 1 + rnd.nextInt(3);
    Case c = new Case(id, "conv2d_transpose", List.of(uniform("value", dt, n, in, in, cv), uniform("w", dt, k, k, co, cv)));
    c.route = "adjoint";
    return c.ints("output_shape", n, out, out, co).ints("strides", 1, s, s, 1).str("padding", pad);
  }

  private Case pool(String op, String id, DType dt) {
    int k = 1 + rnd.nextInt(3);
    int s = 1 + rnd.nextInt(3);
    String pad = rnd.nextBoolean() ? "SAME" : "VALID";
    int h = k + rnd.nextInt(5), w = k + rnd.nextInt(5);
    long[] shape = {1 + rnd.nextInt(2), h, w, 1 + rnd.nextInt(3)};
    // Max pooling gets distinct values: finite differences and routing are only defined away from ties.
    Tensor x = op.equals("max_pool") ? distinct("x", dt, shape) : uniform("x", dt, shape);
    return new Case(id, op, List.of(x)).ints("ksize", 1, k, k, 1).ints("strides", 1, s, s, 1).str("padding", pad);
  }

  private Case broadcast(String op, String id, DType dt) {
    long[] a = {2, 3, 4};
    long[][] others = {{2, 3, 4}, {4}, {3, 1}, {1, 3, 4}, {}};
    long[] b = others[rnd.nextInt(others.length)];
    boolean swap = rnd.nextBoolean();
    Tensor ta = uniform("a", dt, swap ? b : a);
    Tensor tb = op.equals("div") ? awayFromZero("b", dt, swap ? a : b) : uniform("b", dt, swap ? a : b);
    return new Case(id, op, List.of(ta, tb));
  }

  private Case reduce(String op, String id, DType dt) {
    long[] shape = {2, 3, 4};
    Tensor x = op.equals("reduce_max") ? distinct("x", dt, shape) : uniform("x", dt, shape);
    long[][] axesChoices = {{0}, {1}, {2}, {0, 2}, {0, 1, 2}};
    return new Case(id, op, List.of(x)).ints("axes", axesChoices[rnd.nextInt(axesChoices.length)])
        .bool("keep_dims", rnd.nextBoolean());
  }

  private Case convReluPool(String id, DType dt) {
    int n = 1 + rnd.nextInt(2), c = 1 + rnd.nextInt(3), o = 1 + rnd.nextInt(3);
    Case r = new Case(id, "conv_relu_pool", List.of(uniform("x", dt, n, 6, 6, c), uniform("w", dt, 3, 3, c, o),
        uniform("b", dt, o)));
    return r.ints("strides", 1, 1, 1, 1).str("padding", "SAME").ints("ksize", 1, 2, 2, 1)
        .ints("pool_strides", 1, 2, 2, 1);
  }

  /**
   * Second order: L(x, w) a scalar through conv, ReLU and pooling; (gx, gw) = dL/d(x, w); the case's
   * output is the gradient of s = sum(gx * dir_x) + sum(gw * dir_w) w.r.t. x and w, i.e. the Hessian of L
   * times the direction (dir_x, dir_w). The directions are constants, not differentiated.
   */
  private Case secondOrderCase(String op, String id, DType dt) {
    int n = 1 + rnd.nextInt(2), c = 1 + rnd.nextInt(3), o = 1 + rnd.nextInt(3);
    int s = 1 + rnd.nextInt(2);
    String pad = rnd.nextBoolean() ? "SAME" : "VALID";
    if (op.equals("hvp_conv_transpose")) {
      int in = 2 + rnd.nextInt(3);
      long out = pad.equals("SAME") ? (long) in * s : (long) (in - 1) * s + 3;
      return new Case(id, op, List.of(uniform("x", dt, n, in, in, c), uniform("w", dt, 3, 3, o, c),
          uniform("dir_x", dt, n, in, in, c), uniform("dir_w", dt, 3, 3, o, c)))
          .ints("output_shape", n, out, out, o).ints("strides", 1, s, s, 1).str("padding", pad);
    }
    int h = 6 + rnd.nextInt(3);
    // Distinct inputs keep the max pool's windows away from ties.
    Tensor x = distinct("x", dt, n, h, h, c);
    return new Case(id, op, List.of(x, uniform("w", dt, 3, 3, c, o), uniform("dir_x", dt, n, h, h, c),
        uniform("dir_w", dt, 3, 3, c, o)))
        .ints("strides", 1, s, s, 1).str("padding", pad).ints("ksize", 1, 2, 2, 1).ints("pool_strides", 1, 2, 2, 1);
  }

  private static Output<?> secondOrderLoss(Tf tf, Case c, Output<?> x, Output<?> w) {
    Output<?> a = switch (c.op) {
      case "hvp_conv_relu_maxpool" -> tf.op1("MaxPool", b -> b.setAttr("ksize", c.ints("ksize"))
          .setAttr("strides", c.ints("pool_strides")).setAttr("padding", "VALID"), tf.op1("Relu", b -> { }, conv(tf, c, x, w)));
      case "hvp_conv_avgpool" -> tf.op1("AvgPool", b -> b.setAttr("ksize", c.ints("ksize"))
          .setAttr("strides", c.ints("pool_strides")).setAttr("padding", "VALID"), conv(tf, c, x, w));
      default -> tf.op1("Conv2DBackpropInput", b -> b.setAttr("strides", c.ints("strides"))
          .setAttr("padding", c.str("padding")), tf.constInt32(c.ints("output_shape")), w, x);
    };
    Output<?> sq = tf.op1("Square", b -> { }, a);
    return tf.op1("Sum", b -> { }, sq, tf.constInt32(0, 1, 2, 3));
  }

  private static void runSecondOrder(Tf tf, Case c) {
    Output<?> x = tf.feed(c.input("x"));
    Output<?> w = tf.feed(c.input("w"));
    Output<?> dirX = tf.feed(c.input("dir_x"));
    Output<?> dirW = tf.feed(c.input("dir_w"));
    Output<?> loss = secondOrderLoss(tf, c, x, w);
    Output<?>[] g = tf.graph.addGradients("first", new Output<?>[] {loss}, new Output<?>[] {x, w}, null);
    Output<?> all = tf.constInt32(0, 1, 2, 3);
    Output<?> s = tf.op1("AddV2", b -> { }, tf.op1("Sum", b -> { }, tf.op1("Mul", b -> { }, g[0], dirX), all),
        tf.op1("Sum", b -> { }, tf.op1("Mul", b -> { }, g[1], dirW), all));
    Output<?>[] h = tf.graph.addGradients("second", new Output<?>[] {s}, new Output<?>[] {x, w}, null);
    c.outputs = tf.run(List.of("y", "d_x", "d_w"), List.of(loss, h[0], h[1]));
  }

  // --------------------------------------------------------------- TF graph

  private void run(Case c) {
    if (c.op.startsWith("hvp_")) {
      try (Tf tf = new Tf()) {
        runSecondOrder(tf, c);
      }
      return;
    }
    try (Tf tf = new Tf()) {
      List<Output<?>> xs = new ArrayList<>();
      List<String> names = new ArrayList<>();
      Output<?> labels = null;
      for (Tensor t : c.inputs) {
        Output<?> p = tf.feed(t);
        if (t.name().equals("labels")) {
          labels = p;
        } else {
          xs.add(p);
          names.add("d_" + t.name());
        }
      }
      Output<?> y = forward(tf, c, xs, labels);
      Tensor gradY = uniform("grad_y", c.inputs.get(0).dtype(), staticShape(tf, c, y));
      Output<?> gy = tf.feed(gradY);
      List<Output<?>> fetches = new ArrayList<>();
      fetches.add(y);
      List<String> fetchNames = new ArrayList<>();
      fetchNames.add("y");
      if (c.route.equals("adjoint")) {
        fetches.addAll(transposeGradients(tf, c, xs, gy));
      } else {
        Output<?>[] grads = tf.graph.addGradients("grad", new Output<?>[] {y}, xs.toArray(new Output<?>[0]),
            new Output<?>[] {gy});
        fetches.addAll(List.of(grads));
      }
      fetchNames.addAll(names);
      List<Tensor> out = tf.run(fetchNames, fetches);
      c.outputs = out;
      List<Tensor> inputs = new ArrayList<>(c.inputs);
      inputs.add(gradY);
      c.inputs.clear();
      c.inputs.addAll(inputs);
    }
  }

  private static long[] staticShape(Tf tf, Case c, Output<?> y) {
    long[] s = y.shape().asArray();
    for (long d : s) {
      if (d < 0) {
        throw new IllegalStateException(c.id + ": dynamic output shape " + y.shape());
      }
    }
    return s;
  }

  private static Output<?> forward(Tf tf, Case c, List<Output<?>> xs, Output<?> labels) {
    Output<?> x = xs.get(0);
    return switch (c.op) {
      case "conv2d" -> conv(tf, c, x, xs.get(1));
      case "conv2d_transpose" -> tf.op1("Conv2DBackpropInput", b -> b.setAttr("strides", c.ints("strides"))
          .setAttr("padding", c.str("padding")), tf.constInt32(c.ints("output_shape")), xs.get(1), x);
      case "max_pool" -> tf.op1("MaxPool", b -> poolAttrs(b, c), x);
      case "avg_pool" -> tf.op1("AvgPool", b -> poolAttrs(b, c), x);
      case "relu" -> tf.op1("Relu", b -> { }, x);
      case "sigmoid" -> tf.op1("Sigmoid", b -> { }, x);
      case "tanh" -> tf.op1("Tanh", b -> { }, x);
      case "exp" -> tf.op1("Exp", b -> { }, x);
      case "log" -> tf.op1("Log", b -> { }, x);
      case "square" -> tf.op1("Square", b -> { }, x);
      case "neg" -> tf.op1("Neg", b -> { }, x);
      case "matmul" -> tf.op1("MatMul", b -> { }, x, xs.get(1));
      case "bias_add" -> tf.op1("BiasAdd", b -> { }, x, xs.get(1));
      case "add" -> tf.op1("AddV2", b -> { }, x, xs.get(1));
      case "sub" -> tf.op1("Sub", b -> { }, x, xs.get(1));
      case "mul" -> tf.op1("Mul", b -> { }, x, xs.get(1));
      case "div" -> tf.op1("RealDiv", b -> { }, x, xs.get(1));
      case "softmax" -> tf.op1("Softmax", b -> { }, x);
      case "softmax_cross_entropy" -> tf.op("SoftmaxCrossEntropyWithLogits", b -> { }, x, labels).output(0);
      case "reduce_sum" -> tf.op1("Sum", b -> b.setAttr("keep_dims", (Boolean) c.attrs.get("keep_dims")), x,
          tf.constInt32(c.ints("axes")));
      case "reduce_mean" -> tf.op1("Mean", b -> b.setAttr("keep_dims", (Boolean) c.attrs.get("keep_dims")), x,
          tf.constInt32(c.ints("axes")));
      case "reduce_max" -> tf.op1("Max", b -> b.setAttr("keep_dims", (Boolean) c.attrs.get("keep_dims")), x,
          tf.constInt32(c.ints("axes")));
      case "reshape" -> tf.reshape(x, c.ints("shape"));
      case "transpose" -> tf.transpose(x, c.ints("perm"));
      case "concat" -> tf.concat(new Output<?>[] {x, xs.get(1)}, c.ints("axis")[0]);
      case "slice" -> tf.op1("Slice", b -> { }, x, tf.constInt32(c.ints("begin")), tf.constInt32(c.ints("size")));
      case "affine" -> tf.op1("AddV2", b -> { }, tf.op1("Mul", b -> { }, x, xs.get(1)), xs.get(2));
      case "conv_relu_pool" -> {
        Output<?> conv = tf.op1("BiasAdd", b -> { }, conv(tf, c, x, xs.get(1)), xs.get(2));
        Output<?> relu = tf.op1("Relu", b -> { }, conv);
        yield tf.op1("MaxPool", b -> b.setAttr("ksize", c.ints("ksize")).setAttr("strides", c.ints("pool_strides"))
            .setAttr("padding", "VALID"), relu);
      }
      default -> throw new IllegalArgumentException(c.op);
    };
  }

  private static Output<?> conv(Tf tf, Case c, Output<?> x, Output<?> w) {
    return tf.op1("Conv2D", b -> b.setAttr("strides", c.ints("strides")).setAttr("padding", c.str("padding")), x, w);
  }

  private static void poolAttrs(org.tensorflow.GraphOperationBuilder b, Case c) {
    b.setAttr("ksize", c.ints("ksize")).setAttr("strides", c.ints("strides")).setAttr("padding", c.str("padding"));
  }

  /** conv2d_transpose's gradients by its adjoint identities, with TF's own conv ops. */
  private static List<Output<?>> transposeGradients(Tf tf, Case c, List<Output<?>> xs, Output<?> gy) {
    Output<?> value = xs.get(0);
    Output<?> w = xs.get(1);
    long[] valueShape = c.input("value").shape();
    long[] wShape = c.input("w").shape();
    Output<?> dValue = conv(tf, c, gy, w);
    Output<?> dW = tf.op1("Conv2DBackpropFilter", b -> b.setAttr("strides", c.ints("strides"))
        .setAttr("padding", c.str("padding")), gy, tf.constInt32(wShape), value);
    if (valueShape.length != 4) {
      throw new IllegalStateException(c.id);
    }
    return List.of(dValue, dW);
  }

  // ------------------------------------------------------------ random data

  private Tensor uniform(String name, DType dt, long... shape) {
    double[] v = new double[ReferenceGenerator.size(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextDouble() * 2 - 1;
    }
    return tensor(name, dt, shape, v);
  }

  private Tensor positive(String name, DType dt, long... shape) {
    double[] v = new double[ReferenceGenerator.size(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = 0.5 + rnd.nextDouble() * 2;
    }
    return tensor(name, dt, shape, v);
  }

  private Tensor awayFromZero(String name, DType dt, long... shape) {
    double[] v = new double[ReferenceGenerator.size(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (0.5 + rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1);
    }
    return tensor(name, dt, shape, v);
  }

  /** A random permutation of evenly spaced values: no two within 1/n of each other. */
  private Tensor distinct(String name, DType dt, long... shape) {
    int n = ReferenceGenerator.size(shape);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, rnd);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = (order.get(i) + 0.5) / n * 2 - 1;
    }
    return tensor(name, dt, shape, v);
  }

  /** Rows that are probability distributions (soft labels). */
  private Tensor probabilities(String name, DType dt, int n, int k) {
    double[] v = new double[n * k];
    for (int r = 0; r < n; r++) {
      double sum = 0;
      for (int j = 0; j < k; j++) {
        v[r * k + j] = 0.1 + rnd.nextDouble();
        sum += v[r * k + j];
      }
      for (int j = 0; j < k; j++) {
        v[r * k + j] /= sum;
      }
    }
    return tensor(name, dt, new long[] {n, k}, v);
  }

  private static Tensor tensor(String name, DType dt, long[] shape, double[] v) {
    if (dt == DType.F64) {
      return new Tensor(name, dt, shape, v);
    }
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return new Tensor(name, dt, shape, f);
  }
}
