package io.github.deconvspark.oracle;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Output;

/**
 * The TF graphs of the gradient cases: each op's forward graph, TF's {@code Graph.addGradients} of it for
 * a random {@code grad_y} (drawn from the cases' {@link GradientDraws}), the adjoint route of
 * conv2d_transpose, and the Hessian-vector products of the {@code hvp_} cases.
 */
final class GradientGraphs {
  private final GradientDraws draw;

  GradientGraphs(GradientDraws draw) {
    this.draw = draw;
  }

  /**
   * Runs the case in TF: its outputs become {@code y} and {@code d_<input>} per differentiated input, and the
   * random {@code grad_y} fed as dy is appended to its inputs ({@code hvp_} cases: y and the Hessian-vector
   * products {@code d_x}, {@code d_w}).
   */
  void run(Case c) {
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
      Tensor gradY = draw.uniform("grad_y", c.inputs.get(0).dtype(), staticShape(tf, c, y));
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
      case "depthwise_conv2d" -> tf.op1("DepthwiseConv2dNative", b -> b.setAttr("strides", c.ints("strides"))
          .setAttr("padding", c.str("padding")), x, xs.get(1));
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

  // ------------------------------------------------------------ second order

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
}
