package io.github.deconvspark.oracle;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The per-op case table of the gradient references: each op's inputs and attributes, drawn from the one
 * {@link GradientDraws} in a fixed order.
 */
final class GradientCases {
  private final GradientDraws draw;
  private final Random rnd;

  GradientCases(GradientDraws draw) {
    this.draw = draw;
    this.rnd = draw.rnd;
  }

  /** One case of {@code op} (one of {@link GradientReferenceGenerator#OPS}), not yet run in TF. */
  Case sample(String op, String id, DType dt) {
    return switch (op) {
      case "conv2d", "depthwise_conv2d" -> conv2d(op, id, dt);
      case "conv2d_transpose" -> conv2dTranspose(id, dt);
      case "max_pool", "avg_pool" -> pool(op, id, dt);
      case "relu", "sigmoid", "tanh", "exp", "square", "neg" -> new Case(id, op, List.of(draw.uniform("x", dt, randomShape())));
      case "log" -> new Case(id, op, List.of(draw.positive("x", dt, randomShape())));
      case "matmul" -> {
        int m = 1 + rnd.nextInt(5), k = 1 + rnd.nextInt(5), n = 1 + rnd.nextInt(5);
        yield new Case(id, op, List.of(draw.uniform("a", dt, m, k), draw.uniform("b", dt, k, n)));
      }
      case "bias_add" -> {
        long[] s = {1 + rnd.nextInt(2), 1 + rnd.nextInt(4), 1 + rnd.nextInt(4), 1 + rnd.nextInt(4)};
        yield new Case(id, op, List.of(draw.uniform("x", dt, s), draw.uniform("b", dt, s[3])));
      }
      case "add", "sub", "mul", "div" -> broadcast(op, id, dt);
      case "softmax" -> new Case(id, op, List.of(draw.uniform("x", dt, 1 + rnd.nextInt(4), 2 + rnd.nextInt(5))));
      case "softmax_cross_entropy" -> {
        int n = 1 + rnd.nextInt(4), k = 2 + rnd.nextInt(5);
        yield new Case(id, op, List.of(draw.uniform("logits", dt, n, k), draw.probabilities("labels", dt, n, k)));
      }
      case "reduce_sum", "reduce_mean", "reduce_max" -> reduce(op, id, dt);
      case "reshape" -> {
        Case r = new Case(id, op, List.of(draw.uniform("x", dt, 2, 3, 4)));
        yield r.ints("shape", rnd.nextBoolean() ? new long[] {6, 4} : new long[] {4, 3, 2});
      }
      case "transpose" -> new Case(id, op, List.of(draw.uniform("x", dt, 2, 3, 4))).ints("perm", permutation());
      case "concat" -> {
        int axis = rnd.nextInt(3);
        long[] a = {2, 3, 4};
        long[] b = a.clone();
        b[axis] = 1 + rnd.nextInt(3);
        yield new Case(id, op, List.of(draw.uniform("a", dt, a), draw.uniform("b", dt, b))).ints("axis", axis);
      }
      case "slice" -> {
        long[] begin = {rnd.nextInt(2), rnd.nextInt(3), rnd.nextInt(4)};
        long[] size = {1 + rnd.nextInt((int) (2 - begin[0])), 1 + rnd.nextInt((int) (3 - begin[1])),
            1 + rnd.nextInt((int) (4 - begin[2]))};
        yield new Case(id, op, List.of(draw.uniform("x", dt, 2, 3, 4))).ints("begin", begin).ints("size", size);
      }
      case "affine" -> {
        long[] s = {1 + rnd.nextInt(2), 1 + rnd.nextInt(4), 1 + rnd.nextInt(4), 1 + rnd.nextInt(4)};
        yield new Case(id, op, List.of(draw.uniform("x", dt, s), draw.uniform("scale", dt, s[3]),
            draw.uniform("offset", dt, s[3])));
      }
      case "conv_relu_pool" -> convReluPool(id, dt);
      case "hvp_conv_relu_maxpool", "hvp_conv_avgpool", "hvp_conv_transpose" -> secondOrderCase(op, id, dt);
      default -> throw new IllegalArgumentException(op);
    };
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

  /** conv2d, or the depthwise conv (NHWC, equal strides, no dilations: what TF's CPU depthwise gradients compute). */
  private Case conv2d(String op, String id, DType dt) {
    int k = 1 + rnd.nextInt(3);
    int s = 1 + rnd.nextInt(2);
    String pad = rnd.nextBoolean() ? "SAME" : "VALID";
    int h = k + rnd.nextInt(5), w = k + rnd.nextInt(5);
    int cin = 1 + rnd.nextInt(3);
    Case c = new Case(id, op, List.of(draw.uniform("x", dt, 1 + rnd.nextInt(2), h, w, cin),
        draw.uniform("w", dt, k, k, cin, 1 + rnd.nextInt(3))));
    return c.ints("strides", 1, s, s, 1).str("padding", pad);
  }

  private Case conv2dTranspose(String id, DType dt) {
    int k = 1 + rnd.nextInt(3);
    int s = 1 + rnd.nextInt(2);
    String pad = rnd.nextBoolean() ? "SAME" : "VALID";
    int in = 1 + rnd.nextInt(4);
    long out = pad.equals("SAME") ? (long) in * s - rnd.nextInt(s) : (long) (in - 1) * s + k + rnd.nextInt(s);
    int n = 1 + rnd.nextInt(2), cv = 1 + rnd.nextInt(3), co = 1 + rnd.nextInt(3);
    Case c = new Case(id, "conv2d_transpose", List.of(draw.uniform("value", dt, n, in, in, cv),
        draw.uniform("w", dt, k, k, co, cv)));
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
    Tensor x = op.equals("max_pool") ? draw.distinct("x", dt, shape) : draw.uniform("x", dt, shape);
    return new Case(id, op, List.of(x)).ints("ksize", 1, k, k, 1).ints("strides", 1, s, s, 1).str("padding", pad);
  }

  private Case broadcast(String op, String id, DType dt) {
    long[] a = {2, 3, 4};
    long[][] others = {{2, 3, 4}, {4}, {3, 1}, {1, 3, 4}, {}};
    long[] b = others[rnd.nextInt(others.length)];
    boolean swap = rnd.nextBoolean();
    Tensor ta = draw.uniform("a", dt, swap ? b : a);
    Tensor tb = op.equals("div") ? draw.awayFromZero("b", dt, swap ? a : b) : draw.uniform("b", dt, swap ? a : b);
    return new Case(id, op, List.of(ta, tb));
  }

  private Case reduce(String op, String id, DType dt) {
    long[] shape = {2, 3, 4};
    Tensor x = op.equals("reduce_max") ? draw.distinct("x", dt, shape) : draw.uniform("x", dt, shape);
    long[][] axesChoices = {{0}, {1}, {2}, {0, 2}, {0, 1, 2}};
    return new Case(id, op, List.of(x)).ints("axes", axesChoices[rnd.nextInt(axesChoices.length)])
        .bool("keep_dims", rnd.nextBoolean());
  }

  private Case convReluPool(String id, DType dt) {
    int n = 1 + rnd.nextInt(2), c = 1 + rnd.nextInt(3), o = 1 + rnd.nextInt(3);
    Case r = new Case(id, "conv_relu_pool", List.of(draw.uniform("x", dt, n, 6, 6, c),
        draw.uniform("w", dt, 3, 3, c, o), draw.uniform("b", dt, o)));
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
      return new Case(id, op, List.of(draw.uniform("x", dt, n, in, in, c), draw.uniform("w", dt, 3, 3, o, c),
          draw.uniform("dir_x", dt, n, in, in, c), draw.uniform("dir_w", dt, 3, 3, o, c)))
          .ints("output_shape", n, out, out, o).ints("strides", 1, s, s, 1).str("padding", pad);
    }
    int h = 6 + rnd.nextInt(3);
    // Distinct inputs keep the max pool's windows away from ties.
    Tensor x = draw.distinct("x", dt, n, h, h, c);
    return new Case(id, op, List.of(x, draw.uniform("w", dt, 3, 3, c, o), draw.uniform("dir_x", dt, n, h, h, c),
        draw.uniform("dir_w", dt, 3, 3, c, o)))
        .ints("strides", 1, s, s, 1).str("padding", pad).ints("ksize", 1, 2, 2, 1).ints("pool_strides", 1, 2, 2, 1);
  }
}
