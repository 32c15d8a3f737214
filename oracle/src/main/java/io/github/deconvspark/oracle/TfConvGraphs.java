package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.EXPLICIT;
import static io.github.deconvspark.oracle.Geometry.NHWC;
import static io.github.deconvspark.oracle.TfRoutes.attr4;
import static io.github.deconvspark.oracle.TfRoutes.format;
import static io.github.deconvspark.oracle.TfRoutes.fromGraphLayout;
import static io.github.deconvspark.oracle.TfRoutes.paddings8;
import static io.github.deconvspark.oracle.TfRoutes.toGraphLayout;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import io.github.deconvspark.oracle.TfRoutes.Fetch;
import io.github.deconvspark.oracle.TfRoutes.Variant;
import java.util.function.IntFunction;
import org.tensorflow.Output;

/**
 * The TF graphs of the conv family, per {@link Variant}: conv2d, conv2d_transpose and conv2d_backprop_filter (plain
 * and grouped: TF reads input channels = groups x the filter's in-channels) and the depthwise conv with its two
 * gradients (DepthwiseConv2dNative*). The per-group variant computes group i with TF's plain ops on channel slices
 * (inputs' channels [i*cg, (i+1)*cg), filter and output columns [i*og, (i+1)*og)) and concatenates the results.
 */
final class TfConvGraphs {
  private TfConvGraphs() {
  }

  private static boolean depthwise(Case c) {
    return c.op.startsWith("depthwise");
  }

  /** The TF op of a case: the depthwise one for depthwise cases on the undivided routes, else the plain one. */
  private static String tfOp(Case c, Variant v, String plain, String depthwise) {
    return depthwise(c) && !v.perGroup() ? depthwise : plain;
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

  /** A filter shape as the per-group variant reads it: depthwise [kh, kw, C, m] as grouped [kh, kw, 1, C*m] (else fs itself). */
  private static long[] groupedShape(Case c, Variant v, long[] fs) {
    return depthwise(c) && v.perGroup() ? new long[] {fs[0], fs[1], 1, fs[2] * fs[3]} : fs;
  }

  /** The fed filter as the variant's op reads it: read as grouped (per-group depthwise), then zero-dilated. */
  private static Output<?> filter(Tf tf, Case c, Variant v, Tensor fl) {
    long[] fs = groupedShape(c, v, fl.shape());
    Output<?> f = fs == fl.shape() ? tf.feed(fl) : tf.reshape(tf.feed(fl), fs);
    if (v.zeroDilated()) {
      long[] d = spatialDilations(c);
      f = zeroDilate(tf, f, fs, d[0], d[1]);
    }
    return f;
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

  /** The channel axis of the variant's graph layout. */
  private static int channelAxis(Case c, Variant v) {
    return NHWC.equals(format(c, v)) ? 3 : 1;
  }

  /** Channels [from, from+count) of a 4-D tensor along axis. */
  private static Output<?> channels(Tf tf, Output<?> t, int axis, long from, long count) {
    long[] begin = new long[4];
    long[] size = {-1, -1, -1, -1};
    begin[axis] = from;
    size[axis] = count;
    return tf.op1("Slice", x -> { }, t, tf.constInt32(begin), tf.constInt32(size));
  }

  /** The groups' results, concatenated along axis. */
  private static Output<?> concatGroups(Tf tf, long groups, int axis, IntFunction<Output<?>> group) {
    Output<?>[] parts = new Output<?>[Math.toIntExact(groups)];
    for (int i = 0; i < parts.length; i++) {
      parts[i] = group.apply(i);
    }
    return parts.length == 1 ? parts[0] : tf.concat(parts, axis);
  }

  static Fetch buildConv2d(Tf tf, Case c, Variant v) {
    Tensor in = c.input("input");
    Tensor fl = c.input("filter");
    Output<?> x = toGraphLayout(tf, tf.feed(in), v);
    Output<?> f = filter(tf, c, v, fl);
    Output<?> y;
    if (v.perGroup()) {
      long[] fs = groupedShape(c, v, fl.shape());
      int axis = channelAxis(c, v);
      long groups = in.shape()[NHWC.equals(c.str("data_format")) ? 3 : 1] / fs[2];
      long og = fs[3] / groups;
      y = concatGroups(tf, groups, axis, i -> tf.op1("Conv2D", b -> convOpAttrs(b, c, v, in.dtype()),
          channels(tf, x, axis, i * fs[2], fs[2]), channels(tf, f, 3, i * og, og)));
    } else {
      y = tf.op1(tfOp(c, v, "Conv2D", "DepthwiseConv2dNative"), b -> convOpAttrs(b, c, v, in.dtype()), x, f);
    }
    return Fetch.of("output", fromGraphLayout(tf, y, v));
  }

  /** conv2d_transpose, and the depthwise input gradient: output_shape = input_sizes, value = out_backprop. */
  static Fetch buildConv2dTranspose(Tf tf, Case c, Variant v) {
    Tensor val = c.input("value");
    Tensor fl = c.input("filter");
    Output<?> x = toGraphLayout(tf, tf.feed(val), v);
    Output<?> f = filter(tf, c, v, fl);
    long[] sizes = attr4(c, "output_shape", v);
    Output<?> y;
    if (v.perGroup()) {
      long[] fs = groupedShape(c, v, fl.shape());
      int axis = channelAxis(c, v);
      long groups = sizes[axis] / fs[2];
      long og = fs[3] / groups;
      long[] groupSizes = sizes.clone();
      groupSizes[axis] = fs[2];
      y = concatGroups(tf, groups, axis, i -> tf.op1("Conv2DBackpropInput", b -> convOpAttrs(b, c, v, val.dtype()),
          tf.constInt32(groupSizes), channels(tf, f, 3, i * og, og), channels(tf, x, axis, i * og, og)));
    } else {
      y = tf.op1(tfOp(c, v, "Conv2DBackpropInput", "DepthwiseConv2dNativeBackpropInput"),
          b -> convOpAttrs(b, c, v, val.dtype()), tf.constInt32(sizes), f, x);
    }
    return Fetch.of("output", fromGraphLayout(tf, y, v));
  }

  static Fetch buildConv2dBackpropFilter(Tf tf, Case c, Variant v) {
    Tensor in = c.input("input");
    Tensor g = c.input("out_backprop");
    Output<?> x = toGraphLayout(tf, tf.feed(in), v);
    Output<?> dy = toGraphLayout(tf, tf.feed(g), v);
    long[] fs = groupedShape(c, v, c.ints("filter_sizes"));
    // Zero-dilated: the gradient for the zero-dilated filter, then only its real taps (every d-th row/column).
    long[] d = v.zeroDilated() ? spatialDilations(c) : new long[] {1, 1};
    long keh = (fs[0] - 1) * d[0] + 1;
    long kew = (fs[1] - 1) * d[1] + 1;
    Output<?> full;
    if (v.perGroup()) {
      int axis = channelAxis(c, v);
      long groups = in.shape()[NHWC.equals(c.str("data_format")) ? 3 : 1] / fs[2];
      long og = fs[3] / groups;
      full = concatGroups(tf, groups, 3, i -> tf.op1("Conv2DBackpropFilter", b -> convOpAttrs(b, c, v, in.dtype()),
          channels(tf, x, axis, i * fs[2], fs[2]), tf.constInt32(keh, kew, fs[2], og), channels(tf, dy, axis, i * og, og)));
    } else {
      full = tf.op1(tfOp(c, v, "Conv2DBackpropFilter", "DepthwiseConv2dNativeBackpropFilter"),
          b -> convOpAttrs(b, c, v, in.dtype()), x, tf.constInt32(keh, kew, fs[2], fs[3]), dy);
    }
    Output<?> taps = !v.zeroDilated() ? full : tf.op1("StridedSlice", b -> { }, full, tf.constInt32(0, 0, 0, 0),
        tf.constInt32(keh, kew, fs[2], fs[3]), tf.constInt32(d[0], d[1], 1, 1));
    return Fetch.of("output", fs == c.ints("filter_sizes") ? taps : tf.reshape(taps, c.ints("filter_sizes")));
  }
}
