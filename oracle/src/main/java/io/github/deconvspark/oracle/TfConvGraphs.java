package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.EXPLICIT;
import static io.github.deconvspark.oracle.Geometry.NHWC;
import static io.github.deconvspark.oracle.TfRoutes.attr4;
import static io.github.deconvspark.oracle.TfRoutes.format;
import static io.github.deconvspark.oracle.TfRoutes.fromGraphLayout;
import static io.github.deconvspark.oracle.TfRoutes.paddings8;
import static io.github.deconvspark.oracle.TfRoutes.toGraphLayout;

import org.tensorflow.Output;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import io.github.deconvspark.oracle.TfRoutes.Fetch;
import io.github.deconvspark.oracle.TfRoutes.Variant;

/** The TF graphs of conv2d, conv2d_transpose and conv2d_backprop_filter, per {@link Variant}. */
final class TfConvGraphs {
  private TfConvGraphs() {
  }

  private static long[] spatialDilations(Case c) {
    long[] d = c.ints("dilations");
    boolean nhwc = NHWC.equals(c.str("data_format"));
    return nhwc ? new long[] {d[1], d[2]} : new long[] {d[2], d[3]};
  }

  /**
   * The dilated filter as a plain one: [kh, kw, a, b] -> [(kh-1)*dh+1, (kw-1)*dw+1, a, b] with zeros
   * between the taps (reshape, pad each tap to d cells, reshape, drop the trailing d-1). A conv with it
   * and dilation 1 is the dilated conv; the added terms are exact zeros.
   */
  private static Output<?> zeroDilate(Tf tf, Output<?> f, long[] fshape, long dh, long dw) {
    long kh = fshape[0];
    long kw = fshape[1];
    long a = fshape[2];
    long b = fshape[3];
    Output<?> r = tf.reshape(f, kh, 1, kw, 1, a, b);
    Output<?> pads = tf.constInt32(new long[] {6, 2}, 0, 0, 0, dh - 1, 0, 0, 0, dw - 1, 0, 0, 0, 0);
    Output<?> p = tf.op1("Pad", x -> { }, r, pads);
    Output<?> flat = tf.reshape(p, kh * dh, kw * dw, a, b);
    return tf.op1("Slice", x -> { }, flat, tf.constInt32(0, 0, 0, 0),
        tf.constInt32((kh - 1) * dh + 1, (kw - 1) * dw + 1, a, b));
  }

  private static void convOpAttrs(org.tensorflow.GraphOperationBuilder b, Case c, Variant v, DType dt) {
    String pad = c.str("padding");
    b.setAttr("T", Tf.dataType(dt))
        .setAttr("strides", attr4(c, "strides", v))
        .setAttr("padding", pad)
        .setAttr("data_format", format(c, v))
        .setAttr("dilations", v.zeroDilated() ? new long[] {1, 1, 1, 1} : attr4(c, "dilations", v));
    if (pad.equals(EXPLICIT)) {
      b.setAttr("explicit_paddings", paddings8(c, v));
    }
  }

  static Fetch buildConv2d(Tf tf, Case c, Variant v) {
    Tensor in = c.input("input");
    Tensor fl = c.input("filter");
    Output<?> x = toGraphLayout(tf, tf.feed(in), v);
    Output<?> f = tf.feed(fl);
    if (v.zeroDilated()) {
      long[] d = spatialDilations(c);
      f = zeroDilate(tf, f, fl.shape(), d[0], d[1]);
    }
    Output<?> y = tf.op1("Conv2D", b -> convOpAttrs(b, c, v, in.dtype()), x, f);
    return Fetch.of("output", fromGraphLayout(tf, y, v));
  }

  static Fetch buildConv2dTranspose(Tf tf, Case c, Variant v) {
    Tensor val = c.input("value");
    Tensor fl = c.input("filter");
    Output<?> x = toGraphLayout(tf, tf.feed(val), v);
    Output<?> f = tf.feed(fl);
    if (v.zeroDilated()) {
      long[] d = spatialDilations(c);
      f = zeroDilate(tf, f, fl.shape(), d[0], d[1]);
    }
    Output<?> sizes = tf.constInt32(attr4(c, "output_shape", v));
    Output<?> y = tf.op1("Conv2DBackpropInput", b -> convOpAttrs(b, c, v, val.dtype()), sizes, f, x);
    return Fetch.of("output", fromGraphLayout(tf, y, v));
  }

  static Fetch buildConv2dBackpropFilter(Tf tf, Case c, Variant v) {
    Tensor in = c.input("input");
    Tensor g = c.input("out_backprop");
    Output<?> x = toGraphLayout(tf, tf.feed(in), v);
    Output<?> dy = toGraphLayout(tf, tf.feed(g), v);
    long[] fs = c.ints("filter_sizes");
    if (!v.zeroDilated()) {
      Output<?> y = tf.op1("Conv2DBackpropFilter", b -> convOpAttrs(b, c, v, in.dtype()), x, tf.constInt32(fs), dy);
      return Fetch.of("output", y);
    }
    // Gradient for the zero-dilated filter, then keep only the real taps (every d-th row/column).
    long[] d = spatialDilations(c);
    long keh = (fs[0] - 1) * d[0] + 1;
    long kew = (fs[1] - 1) * d[1] + 1;
    Output<?> full = tf.op1("Conv2DBackpropFilter", b -> convOpAttrs(b, c, v, in.dtype()),
        x, tf.constInt32(keh, kew, fs[2], fs[3]), dy);
    Output<?> taps = tf.op1("StridedSlice", b -> { }, full, tf.constInt32(0, 0, 0, 0),
        tf.constInt32(keh, kew, fs[2], fs[3]), tf.constInt32(d[0], d[1], 1, 1));
    return Fetch.of("output", taps);
  }
}
