package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.EXPLICIT;
import static io.github.deconvspark.oracle.Geometry.explicitPaddings;
import static io.github.deconvspark.oracle.Geometry.legalTransposeRange;
import static io.github.deconvspark.oracle.Geometry.shape;
import static io.github.deconvspark.oracle.Geometry.size;
import static io.github.deconvspark.oracle.Geometry.spatial4;
import static io.github.deconvspark.oracle.TfRoutes.routes;

import io.github.deconvspark.oracle.Geometry.Dim;
import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import java.util.List;
import java.util.Random;

/**
 * The random conv2d, conv2d_transpose and conv2d_backprop_filter cases, each run in TF, in three families named by
 * the op's prefix: plain, {@code grouped_} (TF's grouped conv: 2-3 channel groups) and {@code depthwise_} (the
 * depthwise conv and its gradients; its input gradient uses conv2d_transpose's names: value = out_backprop,
 * output_shape = input_sizes). The float64 transpose and filter-gradient cases are also checked against TF's forward
 * conv by their adjoint identity. Every draw comes from {@code draw} (the generator's one Random); cases run through
 * {@code gen}.
 */
record ConvCases(CaseDraws draw, ReferenceGenerator gen) {
  /** A forward convolution's geometry, drawn in one fixed order (conv2d and its filter gradient share it). */
  private record ConvGeom(Dim h, Dim w, int n, int cin, int cout) {}

  /** A forward conv's channels: input, output, and the filter's [kh, kw, fa, fb]. */
  private record Chan(long in, long out, long fa, long fb) {}

  /** Plain: the drawn counts (drawing nothing more); grouped: 2-3 groups of them; depthwise: cin channels x multiplier cout. */
  private Chan channels(String op, int cin, int cout) {
    if (op.startsWith("grouped")) {
      int g = 2 + draw.nextInt(2);
      return new Chan((long) g * cin, (long) g * cout, cin, (long) g * cout);
    }
    if (op.startsWith("depthwise")) {
      return new Chan(cin, (long) cin * cout, cin, cout);
    }
    return new Chan(cin, cout, cin, cout);
  }

  /** The groups TF reads (informational, not a TF attribute): grouped and depthwise cases only. */
  private static void groupsAttr(Case c, Chan ch) {
    if (c.op.startsWith("grouped")) {
      c.ints("groups", ch.in() / ch.fa());
    } else if (c.op.startsWith("depthwise")) {
      c.ints("groups", ch.in());
    }
  }

  private ConvGeom sampleConvGeom(String pad) {
    boolean dilate = draw.nextInt(5) < 2;
    Dim h = draw.sampleDim(pad, 5, dilate, 12, 3);
    Dim w = draw.sampleDim(pad, 5, dilate, 12, 3);
    int n = draw.batch();
    int cin = draw.channels();
    int cout = draw.channels();
    return new ConvGeom(h, w, n, cin, cout);
  }

  Case conv2d(String op, String id, String fmt, String pad, DType dt) {
    ConvGeom g = sampleConvGeom(pad);
    Dim h = g.h(), w = g.w();
    int n = g.n();
    Chan ch = channels(op, g.cin(), g.cout());
    Case c = new Case(id, op, List.of(
        draw.uniform("input", dt, shape(fmt, n, h.in(), w.in(), ch.in())),
        draw.uniform("filter", dt, h.k(), w.k(), ch.fa(), ch.fb())));
    convAttrs(c, fmt, pad, h, w);
    groupsAttr(c, ch);
    gen.run(c, true, routes(c, t -> TfConvGraphs.buildConv2d(t.tf(), c, t)),
        shape(fmt, n, h.out(pad), w.out(pad), ch.out()));
    return c;
  }

  private static void convAttrs(Case c, String fmt, String pad, Dim h, Dim w) {
    c.ints("strides", spatial4(fmt, h.s(), w.s()))
        .str("padding", pad)
        .ints("explicit_paddings", explicitPaddings(fmt, pad, h, w))
        .str("data_format", fmt)
        .ints("dilations", spatial4(fmt, h.d(), w.d()));
  }

  /**
   * conv2d_transpose = Conv2DBackpropInput(input_sizes = output_shape, filter, out_backprop = value).
   * Legal output sizes are spread over the whole legal range; one case in five is illegal on purpose.
   */
  Case conv2dTranspose(String op, String id, String fmt, String pad, DType dt, boolean makeIllegal) {
    boolean dilate = draw.nextInt(5) < 2;
    // Forward geometry: the value is the output of conv2d over the (to be chosen) output_shape.
    int[] valueSize = new int[2];
    Dim[] dims = new Dim[2];
    long[][] legal = new long[2][];
    for (int a = 0; a < 2; a++) {
      while (true) {
        int s = 1 + draw.nextInt(3);
        int d = dilate ? 1 + draw.nextInt(3) : 1;
        int k = 1 + draw.nextInt(5);
        int ke = (k - 1) * d + 1;
        int in = 1 + draw.nextInt(7);
        int lo = pad.equals(EXPLICIT) ? draw.nextInt(4) : 0;
        int hi = pad.equals(EXPLICIT) ? draw.nextInt(4) : 0;
        long[] range = legalTransposeRange(pad, in, ke, s, lo + hi);
        if (range[1] < 1) {
          continue;
        }
        valueSize[a] = in;
        int out = (int) (range[0] + draw.nextInt((int) (range[1] - range[0] + 1)));
        dims[a] = new Dim(out, k, s, d, lo, hi);
        legal[a] = range;
        break;
      }
    }
    Dim h = dims[0];
    Dim w = dims[1];
    int n = draw.batch();
    int cin = draw.channels();  // value's channels
    int cout = draw.channels(); // output channels
    Chan ch = channels(op, cout, cin); // the forward conv's: from the output's channels to value's
    long outN = n;
    long outC = ch.in();
    long outH = h.in();
    long outW = w.in();
    String illegal = null;
    if (makeIllegal) {
      int kind = draw.nextInt(10);
      if (kind < 7) {
        // spatial: just outside the legal range, below when possible (sizes stay >= 1)
        int a = draw.nextInt(2);
        long[] r = legal[a];
        long off = 1 + draw.nextInt(2);
        long bad = draw.nextBoolean() && r[0] - off >= 1 ? r[0] - off : r[1] + off;
        if (a == 0) {
          outH = bad;
          illegal = "spatial_h";
        } else {
          outW = bad;
          illegal = "spatial_w";
        }
      } else if (kind < 9 || cout == 1) {
        outN = n == 1 ? 2 : n - 1;
        illegal = "batch";
      } else {
        outC = cout + 1; // cout >= 2: not a multiple, so TF cannot read it as a grouped conv
        illegal = "channels";
      }
    }
    Case c = new Case(id, op, List.of(
        draw.uniform("value", dt, shape(fmt, n, valueSize[0], valueSize[1], ch.out())),
        draw.uniform("filter", dt, h.k(), w.k(), ch.fa(), ch.fb())));
    c.ints("output_shape", shape(fmt, outN, outH, outW, outC));
    convAttrs(c, fmt, pad, h, w);
    groupsAttr(c, ch);
    // Not TF attributes: the legal output sizes per spatial dim (SEMANTICS.md), checked against TF's verdict.
    c.ints("legal_output_h", legal[0]).ints("legal_output_w", legal[1]);
    if (illegal != null) {
      c.str("illegal", illegal);
    }
    gen.run(c, illegal == null, routes(c, t -> TfConvGraphs.buildConv2dTranspose(t.tf(), c, t)),
        c.ints("output_shape"));
    if (c.error == null && dt == DType.F64) {
      // <conv2d(y), value> == <y, conv2d_transpose(value)> for a random y: checks every route, TF included.
      Tensor y = checkData(c, c.ints("output_shape"));
      Tensor forward = conv2dInTf(c, y, c.input("filter"), c.input("value").shape());
      checkAdjoint(c, dot(forward, c.input("value")), dot(y, c.outputs.get(0)));
    }
    return c;
  }

  Case conv2dBackpropFilter(String op, String id, String fmt, String pad, DType dt) {
    ConvGeom g = sampleConvGeom(pad);
    Dim h = g.h(), w = g.w();
    int n = g.n();
    Chan ch = channels(op, g.cin(), g.cout());
    Case c = new Case(id, op, List.of(
        draw.uniform("input", dt, shape(fmt, n, h.in(), w.in(), ch.in())),
        draw.uniform("out_backprop", dt, shape(fmt, n, h.out(pad), w.out(pad), ch.out()))));
    c.ints("filter_sizes", h.k(), w.k(), ch.fa(), ch.fb());
    convAttrs(c, fmt, pad, h, w);
    groupsAttr(c, ch);
    gen.run(c, true, routes(c, t -> TfConvGraphs.buildConv2dBackpropFilter(t.tf(), c, t)), c.ints("filter_sizes"));
    if (dt == DType.F64) {
      // <conv2d(input, f), out_backprop> == <f, filter gradient> for a random f.
      Tensor f = checkData(c, c.ints("filter_sizes"));
      Tensor forward = conv2dInTf(c, c.input("input"), f, c.input("out_backprop").shape());
      checkAdjoint(c, dot(forward, c.input("out_backprop")), dot(f, c.outputs.get(0)));
    }
    return c;
  }

  /** Random float64 data for a self-check, from its own stream: checks never shift the cases' data. */
  private static Tensor checkData(Case c, long[] shape) {
    Random r = new Random(c.id.hashCode());
    double[] a = new double[size(shape)];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextDouble() * 2 - 1;
    }
    return new Tensor("check", DType.F64, shape, a);
  }

  /** TF's forward conv of the case's family (conv2d, grouped too; or depthwise) with its strides, padding, layout and dilations. */
  private Tensor conv2dInTf(Case c, Tensor input, Tensor filter, long[] expectedShape) {
    String op = c.op.startsWith("depthwise") ? "depthwise_conv2d" : "conv2d";
    Case fwd = new Case(c.id + "/adjoint", op, List.of(input.renamed("input"), filter.renamed("filter")));
    for (String a : List.of("strides", "padding", "explicit_paddings", "data_format", "dilations")) {
      fwd.attrs.put(a, c.attrs.get(a));
    }
    gen.run(fwd, true, routes(fwd, t -> TfConvGraphs.buildConv2d(t.tf(), fwd, t)), expectedShape);
    return fwd.outputs.get(0);
  }

  private static double[] dot(Tensor a, Tensor b) {
    double[] x = (double[]) a.data();
    double[] y = (double[]) b.data();
    double sum = 0;
    double scale = 0;
    for (int i = 0; i < x.length; i++) {
      sum += x[i] * y[i];
      scale += Math.abs(x[i] * y[i]);
    }
    return new double[] {sum, scale};
  }

  private static void checkAdjoint(Case c, double[] lhs, double[] rhs) {
    double tol = 1e-12 * Math.max(1, Math.max(lhs[1], rhs[1]));
    if (Math.abs(lhs[0] - rhs[0]) > tol) {
      throw new IllegalStateException(c.id + " (route " + c.route + "): adjoint check failed, <A y, v> = " + lhs[0]
          + " but <y, A^T v> = " + rhs[0] + " " + ReferenceGenerator.describe(c));
    }
  }
}
