package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.EXPLICIT;
import static io.github.deconvspark.oracle.TfRoutes.attr4;
import static io.github.deconvspark.oracle.TfRoutes.format;
import static io.github.deconvspark.oracle.TfRoutes.fromGraphLayout;
import static io.github.deconvspark.oracle.TfRoutes.paddings8;
import static io.github.deconvspark.oracle.TfRoutes.toGraphLayout;

import java.util.List;

import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.proto.DataType;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.TfRoutes.Fetch;
import io.github.deconvspark.oracle.TfRoutes.Variant;

/** The TF graphs of the pools, their gradients, max_pool_with_argmax and the tutorial's un_max_pool. */
final class TfPoolGraphs {
  private TfPoolGraphs() {
  }

  static Fetch buildPool(Tf tf, Case c, Variant v) {
    String op = c.op;
    java.util.function.Consumer<org.tensorflow.GraphOperationBuilder> attrs = b -> {
      b.setAttr("ksize", attr4(c, "ksize", v))
          .setAttr("strides", attr4(c, "strides", v))
          .setAttr("padding", c.str("padding"))
          .setAttr("data_format", format(c, v));
      if (c.str("padding").equals(EXPLICIT)) {
        b.setAttr("explicit_paddings", paddings8(c, v));
      }
    };
    Output<?> y = switch (op) {
      case "max_pool" -> tf.op1("MaxPool", attrs, toGraphLayout(tf, tf.feed(c.input("input")), v));
      case "avg_pool" -> tf.op1("AvgPool", attrs, toGraphLayout(tf, tf.feed(c.input("input")), v));
      case "max_pool_grad" -> {
        // TF's own gradient graph: MaxPoolGrad(orig_input, orig_output = MaxPool(orig_input), grad).
        Output<?> x = toGraphLayout(tf, tf.feed(c.input("input")), v);
        Output<?> pooled = tf.op1("MaxPool", attrs, x);
        Output<?> g = toGraphLayout(tf, tf.feed(c.input("grad")), v);
        yield tf.op1("MaxPoolGrad", attrs, x, pooled, g);
      }
      case "avg_pool_grad" -> tf.op1("AvgPoolGrad", attrs,
          tf.constInt32(attr4(c, "orig_input_shape", v)), toGraphLayout(tf, tf.feed(c.input("grad")), v));
      default -> throw new IllegalArgumentException(op);
    };
    return Fetch.of("output", fromGraphLayout(tf, y, v));
  }

  private static GraphOperation argmaxOp(Tf tf, Case c) {
    return tf.op("MaxPoolWithArgmax", b -> b
        .setAttr("ksize", c.ints("ksize"))
        .setAttr("strides", c.ints("strides"))
        .setAttr("padding", c.str("padding"))
        .setAttr("include_batch_in_index", (Boolean) c.attrs.get("include_batch_in_index"))
        .setAttr("Targmax", DataType.DT_INT64), tf.feed(c.input("input")));
  }

  static Fetch buildArgmax(Tf tf, Case c) {
    GraphOperation op = argmaxOp(tf, c);
    return new Fetch(List.of("output", "argmax"), List.of(op.output(0), op.output(1)));
  }

  /**
   * The tutorial's un_max_pool: scatter_nd of the pooled values at their argmax positions into a zero
   * tensor of the input's shape; scatter_nd sums duplicates (overlapping windows sharing a maximum).
   * Without the batch in the index the tutorial expands it: indices (b, y, x, c) with b from a range,
   * y = argmax // (W*C), x = argmax % (W*C) // C, c from a range. With the batch in the index the flat
   * index addresses the whole tensor directly.
   */
  static Fetch buildUnpool(Tf tf, Case c) {
    GraphOperation pool = argmaxOp(tf, c);
    Output<?> pooled = pool.output(0);
    Output<?> mask = pool.output(1);
    long[] in = c.input("input").shape();
    long nb = in[0];
    long w = in[2];
    long ch = in[3];
    long size = 1;
    for (long d : pooled.shape().asArray()) {
      size *= d;
    }
    Output<?> values = tf.reshape(pooled, size);
    Output<?> unpooled;
    if ((Boolean) c.attrs.get("include_batch_in_index")) {
      Output<?> idx = tf.reshape(mask, size, 1);
      Output<?> flat = tf.op1("ScatterNd", b -> { }, idx, values, tf.constInt64(nb * in[1] * w * ch));
      unpooled = tf.reshape(flat, in);
    } else {
      Output<?> ones = tf.op1("OnesLike", b -> { }, mask);
      Output<?> batchRange = tf.reshape(
          tf.op1("Range", b -> { }, tf.scalarInt64(0), tf.scalarInt64(nb), tf.scalarInt64(1)), nb, 1, 1, 1);
      Output<?> bIdx = tf.op1("Mul", b -> { }, ones, batchRange);
      Output<?> y = tf.op1("FloorDiv", b -> { }, mask, tf.scalarInt64(w * ch));
      Output<?> x = tf.op1("FloorDiv", b -> { },
          tf.op1("FloorMod", b -> { }, mask, tf.scalarInt64(w * ch)), tf.scalarInt64(ch));
      Output<?> featureRange = tf.op1("Range", b -> { }, tf.scalarInt64(0), tf.scalarInt64(ch), tf.scalarInt64(1));
      Output<?> f = tf.op1("Mul", b -> { }, ones, featureRange);
      GraphOperation pack = tf.graph.opBuilder("Pack", "unpool_indices", tf.graph.baseScope())
          .addInputList(new Output<?>[] {bIdx, y, x, f}).setAttr("axis", 0L).build();
      Output<?> indices = tf.transpose(tf.reshape(pack.output(0), 4, size), 1, 0);
      unpooled = tf.op1("ScatterNd", b -> { }, indices, values, tf.constInt64(in));
    }
    return new Fetch(List.of("pooled", "argmax", "unpooled"), List.of(pooled, mask, unpooled));
  }
}
