package io.github.deconvspark.oracle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;

import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.DataType;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;

/**
 * Generates random conv/pool configurations from a seed, runs each in real TensorFlow (graph mode) and
 * writes inputs, attributes and TF's outputs (or TF's error) to a reference file for the kernels tests.
 *
 * <p>Usage: {@code ReferenceGenerator --out FILE [--seed S] [--cases N] [--verbose]}. Same seed and N:
 * byte-identical file. {@code --verbose} lists the routes taken and every CPU-kernel refusal met.
 * Run with {@code TF_ENABLE_ONEDNN_OPTS=0}: TF's oneDNN conv kernels crash the JVM on an illegal
 * conv2d_transpose output_shape instead of raising an error.
 *
 * <p>Where TF's CPU kernels lack a combination that TF's API defines (NCHW, dilated backprop), the case is
 * computed through an exactly equivalent TF graph and the case's route says which (see oracle/README.md).
 */
public final class ReferenceGenerator {
  static final long DEFAULT_SEED = 20240611L;
  static final int DEFAULT_CASES = 1200;

  static final String NHWC = "NHWC";
  static final String NCHW = "NCHW";
  static final String SAME = "SAME";
  static final String VALID = "VALID";
  static final String EXPLICIT = "EXPLICIT";

  /** Op name -> share of the cases (percent). conv2d_transpose gets the most: its legal/illegal split. */
  private static final Map<String, Integer> SHARES = new java.util.LinkedHashMap<>();

  static {
    SHARES.put("conv2d", 18);
    SHARES.put("conv2d_transpose", 20);
    SHARES.put("conv2d_backprop_filter", 14);
    SHARES.put("max_pool", 8);
    SHARES.put("avg_pool", 8);
    SHARES.put("max_pool_grad", 8);
    SHARES.put("avg_pool_grad", 8);
    SHARES.put("max_pool_with_argmax", 8);
    SHARES.put("max_unpool", 8);
  }

  private final Random rnd;
  /** First line of every CPU-kernel refusal met, per op and route: printed in the summary. */
  private final Map<String, String> gaps = new TreeMap<>();

  ReferenceGenerator(long seed) {
    this.rnd = new Random(seed);
  }

  public static void main(String[] args) throws IOException {
    Path out = null;
    long seed = DEFAULT_SEED;
    int n = DEFAULT_CASES;
    boolean verbose = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--verbose" -> verbose = true;
        case "--out" -> out = Path.of(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--cases" -> n = Integer.parseInt(args[++i]);
        default -> usage("unknown argument " + args[i]);
      }
    }
    if (out == null) {
      usage("--out is required");
    }
    if (!"0".equals(System.getenv("TF_ENABLE_ONEDNN_OPTS"))) {
      usage("set TF_ENABLE_ONEDNN_OPTS=0: TF's oneDNN kernels crash the JVM on an illegal conv2d_transpose");
    }
    long t0 = System.nanoTime();
    ReferenceGenerator gen = new ReferenceGenerator(seed);
    List<Case> cases = gen.generate(n);
    String provenance = "TensorFlow " + TensorFlow.version() + " via TF Java 1.1.0; seed=" + seed + " cases=" + n;
    RefFormat.write(out, provenance, cases);
    double secs = (System.nanoTime() - t0) / 1e9;
    gen.printSummary(cases, verbose);
    System.out.printf("wrote %d cases to %s (%d bytes) in %.1f s%n", cases.size(), out, Files.size(out), secs);
  }

  private static void usage(String why) {
    System.err.println(why);
    System.err.println("usage: ReferenceGenerator --out FILE [--seed S] [--cases N] [--verbose]   (env TF_ENABLE_ONEDNN_OPTS=0)");
    System.exit(2);
  }

  List<Case> generate(int n) {
    List<Case> all = new ArrayList<>();
    int left = n;
    int sharesLeft = 100;
    for (Map.Entry<String, Integer> e : SHARES.entrySet()) {
      int count = (int) Math.round((double) left * e.getValue() / sharesLeft);
      left -= count;
      sharesLeft -= e.getValue();
      String op = e.getKey();
      List<String[]> grid = grid(op);
      for (int i = 0; i < count; i++) {
        String[] g = grid.get(i % grid.size()); // cycling the grid covers every layout x padding x dtype
        DType dt = g[2].equals("f32") ? DType.F32 : DType.F64;
        all.add(make(op, i, g[0], g[1], dt));
      }
    }
    all.addAll(tutorialCases());
    return all;
  }

  /** layout x padding x dtype combinations TF's API defines for the op. */
  private static List<String[]> grid(String op) {
    List<String> layouts = op.startsWith("max_pool_with") || op.equals("max_unpool") ? List.of(NHWC) : List.of(NHWC, NCHW);
    List<String> pads = switch (op) {
      case "conv2d", "conv2d_transpose", "conv2d_backprop_filter", "max_pool", "max_pool_grad" -> List.of(SAME, VALID, EXPLICIT);
      default -> List.of(SAME, VALID);
    };
    List<String[]> g = new ArrayList<>();
    for (String dt : List.of("f32", "f64")) {
      for (String l : layouts) {
        for (String p : pads) {
          g.add(new String[] {l, p, dt});
        }
      }
    }
    return g;
  }

  private Case make(String op, int index, String fmt, String pad, DType dt) {
    String id = op + "#" + index;
    return switch (op) {
      case "conv2d" -> conv2d(id, fmt, pad, dt);
      case "conv2d_transpose" -> conv2dTranspose(id, fmt, pad, dt, index % 5 == 4); // exactly 1 in 5 illegal
      case "conv2d_backprop_filter" -> conv2dBackpropFilter(id, fmt, pad, dt);
      case "max_pool", "avg_pool", "max_pool_grad", "avg_pool_grad" -> pool(op, id, fmt, pad, dt);
      case "max_pool_with_argmax", "max_unpool" -> argmaxPool(op, id, pad, dt);
      default -> throw new IllegalArgumentException(op);
    };
  }

  // ---------------------------------------------------------------- geometry (SEMANTICS.md)

  /** One spatial dimension of a forward window op: input size, kernel, stride, dilation, explicit pads. */
  record Dim(int in, int k, int s, int d, int padLo, int padHi) {
    int ke() {
      return (k - 1) * d + 1;
    }

    /** Forward output size; -1 when the padding rule rejects the input size. */
    int out(String padding) {
      return switch (padding) {
        case SAME -> (in + s - 1) / s;
        case VALID -> in >= ke() ? (in - ke()) / s + 1 : -1;
        default -> in + padLo + padHi >= ke() ? (in + padLo + padHi - ke()) / s + 1 : -1;
      };
    }
  }

  /**
   * Samples a forward dimension legal under {@code padding}. About one SAME case in six gets an input
   * smaller than the effective kernel; explicit pads are 0..padMax per side (so totals are often odd).
   */
  private Dim sampleDim(String padding, int kMax, boolean dilate, int inMax, int padMax) {
    while (true) {
      int s = 1 + rnd.nextInt(3);
      int d = dilate ? 1 + rnd.nextInt(3) : 1;
      int k = 1 + rnd.nextInt(kMax);
      int ke = (k - 1) * d + 1;
      int in = padding.equals(SAME) && ke > 1 && rnd.nextInt(6) == 0
          ? 1 + rnd.nextInt(Math.min(ke - 1, inMax))
          : 1 + rnd.nextInt(inMax);
      int lo = 0;
      int hi = 0;
      if (padding.equals(EXPLICIT)) {
        lo = rnd.nextInt(padMax + 1);
        hi = rnd.nextInt(padMax + 1);
      }
      Dim dim = new Dim(in, k, s, d, lo, hi);
      if (dim.out(padding) >= 1) {
        return dim;
      }
    }
  }

  private int batch() {
    return rnd.nextInt(5) < 2 ? 1 : 2 + rnd.nextInt(2);
  }

  private int channels() {
    return 1 + rnd.nextInt(5);
  }

  static long[] shape(String fmt, long n, long h, long w, long c) {
    return fmt.equals(NHWC) ? new long[] {n, h, w, c} : new long[] {n, c, h, w};
  }

  /** A per-spatial-dim attribute as TF's 4-list in data_format order (batch and channel entries 1). */
  static long[] spatial4(String fmt, long h, long w) {
    return shape(fmt, 1, h, w, 1);
  }

  /** explicit_paddings in TF's layout: 4 (before, after) pairs in data_format order. */
  static long[] explicitPaddings(String fmt, String padding, Dim h, Dim w) {
    if (!padding.equals(EXPLICIT)) {
      return new long[0];
    }
    return fmt.equals(NHWC)
        ? new long[] {0, 0, h.padLo, h.padHi, w.padLo, w.padHi, 0, 0}
        : new long[] {0, 0, 0, 0, h.padLo, h.padHi, w.padLo, w.padHi};
  }

  // ---------------------------------------------------------------- random data

  private Tensor uniform(String name, DType dt, long... shape) {
    int n = size(shape);
    if (dt == DType.F32) {
      float[] a = new float[n];
      for (int i = 0; i < n; i++) {
        a[i] = (float) (rnd.nextDouble() * 2 - 1);
      }
      return new Tensor(name, dt, shape, a);
    }
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextDouble() * 2 - 1;
    }
    return new Tensor(name, dt, shape, a);
  }

  /** Distinct values in [-1, 1], at least 1/n apart: no max-pool window ever holds a tie. */
  private Tensor distinct(String name, DType dt, long... shape) {
    int n = size(shape);
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    double step = 2.0 / n;
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = -1 + (perm[i] + 0.25 + 0.5 * rnd.nextDouble()) * step;
    }
    if (dt == DType.F64) {
      return new Tensor(name, dt, shape, v);
    }
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) v[i];
    }
    return new Tensor(name, dt, shape, f);
  }

  static int size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return Math.toIntExact(n);
  }

  // ---------------------------------------------------------------- cases

  /** A forward convolution's geometry, drawn in one fixed order (conv2d and its filter gradient share it). */
  private record ConvGeom(Dim h, Dim w, int n, int cin, int cout) {}

  private ConvGeom sampleConvGeom(String pad) {
    boolean dilate = rnd.nextInt(5) < 2;
    Dim h = sampleDim(pad, 5, dilate, 12, 3);
    Dim w = sampleDim(pad, 5, dilate, 12, 3);
    int n = batch();
    int cin = channels();
    int cout = channels();
    return new ConvGeom(h, w, n, cin, cout);
  }

  private Case conv2d(String id, String fmt, String pad, DType dt) {
    ConvGeom g = sampleConvGeom(pad);
    Dim h = g.h(), w = g.w();
    int n = g.n(), cin = g.cin(), cout = g.cout();
    Case c = new Case(id, "conv2d", List.of(
        uniform("input", dt, shape(fmt, n, h.in, w.in, cin)),
        uniform("filter", dt, h.k, w.k, cin, cout)));
    convAttrs(c, fmt, pad, h, w);
    run(c, true, routes(c, t -> buildConv2d(t.tf, c, t)), shape(fmt, n, h.out(pad), w.out(pad), cout));
    return c;
  }

  private static void convAttrs(Case c, String fmt, String pad, Dim h, Dim w) {
    c.ints("strides", spatial4(fmt, h.s, w.s))
        .str("padding", pad)
        .ints("explicit_paddings", explicitPaddings(fmt, pad, h, w))
        .str("data_format", fmt)
        .ints("dilations", spatial4(fmt, h.d, w.d));
  }

  /**
   * conv2d_transpose = Conv2DBackpropInput(input_sizes = output_shape, filter, out_backprop = value).
   * Legal output sizes are spread over the whole legal range; one case in five is illegal on purpose.
   */
  private Case conv2dTranspose(String id, String fmt, String pad, DType dt, boolean makeIllegal) {
    boolean dilate = rnd.nextInt(5) < 2;
    // Forward geometry: the value is the output of conv2d over the (to be chosen) output_shape.
    int[] valueSize = new int[2];
    Dim[] dims = new Dim[2];
    long[][] legal = new long[2][];
    for (int a = 0; a < 2; a++) {
      while (true) {
        int s = 1 + rnd.nextInt(3);
        int d = dilate ? 1 + rnd.nextInt(3) : 1;
        int k = 1 + rnd.nextInt(5);
        int ke = (k - 1) * d + 1;
        int in = 1 + rnd.nextInt(7);
        int lo = pad.equals(EXPLICIT) ? rnd.nextInt(4) : 0;
        int hi = pad.equals(EXPLICIT) ? rnd.nextInt(4) : 0;
        long[] range = legalTransposeRange(pad, in, ke, s, lo + hi);
        if (range[1] < 1) {
          continue;
        }
        valueSize[a] = in;
        int out = (int) (range[0] + rnd.nextInt((int) (range[1] - range[0] + 1)));
        dims[a] = new Dim(out, k, s, d, lo, hi);
        legal[a] = range;
        break;
      }
    }
    Dim h = dims[0];
    Dim w = dims[1];
    int n = batch();
    int cin = channels();  // value's channels
    int cout = channels(); // output channels
    long outN = n;
    long outC = cout;
    long outH = h.in;
    long outW = w.in;
    String illegal = null;
    if (makeIllegal) {
      int kind = rnd.nextInt(10);
      if (kind < 7) {
        // spatial: just outside the legal range, below when possible (sizes stay >= 1)
        int a = rnd.nextInt(2);
        long[] r = legal[a];
        long off = 1 + rnd.nextInt(2);
        long bad = rnd.nextBoolean() && r[0] - off >= 1 ? r[0] - off : r[1] + off;
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
    Case c = new Case(id, "conv2d_transpose", List.of(
        uniform("value", dt, shape(fmt, n, valueSize[0], valueSize[1], cin)),
        uniform("filter", dt, h.k, w.k, cout, cin)));
    c.ints("output_shape", shape(fmt, outN, outH, outW, outC));
    convAttrs(c, fmt, pad, h, w);
    // Not TF attributes: the legal output sizes per spatial dim (SEMANTICS.md), checked against TF's verdict.
    c.ints("legal_output_h", legal[0]).ints("legal_output_w", legal[1]);
    if (illegal != null) {
      c.str("illegal", illegal);
    }
    run(c, illegal == null, routes(c, t -> buildConv2dTranspose(t.tf, c, t)), c.ints("output_shape"));
    if (c.error == null && dt == DType.F64) {
      // <conv2d(y), value> == <y, conv2d_transpose(value)> for a random y: checks every route, TF included.
      Tensor y = checkData(c, c.ints("output_shape"));
      Tensor forward = conv2dInTf(c, y, c.input("filter"), c.input("value").shape());
      checkAdjoint(c, dot(forward, c.input("value")), dot(y, c.outputs.get(0)));
    }
    return c;
  }

  /** [lo, hi] of the output sizes whose forward conv has {@code in} cells (explicit: total pad P). */
  static long[] legalTransposeRange(String pad, long in, long ke, long s, long p) {
    return switch (pad) {
      case SAME -> new long[] {(in - 1) * s + 1, in * s};
      case VALID -> new long[] {(in - 1) * s + ke, (in - 1) * s + ke + s - 1};
      default -> new long[] {Math.max(1, (in - 1) * s + ke - p), (in - 1) * s + ke - p + s - 1};
    };
  }

  private Case conv2dBackpropFilter(String id, String fmt, String pad, DType dt) {
    ConvGeom g = sampleConvGeom(pad);
    Dim h = g.h(), w = g.w();
    int n = g.n(), cin = g.cin(), cout = g.cout();
    Case c = new Case(id, "conv2d_backprop_filter", List.of(
        uniform("input", dt, shape(fmt, n, h.in, w.in, cin)),
        uniform("out_backprop", dt, shape(fmt, n, h.out(pad), w.out(pad), cout))));
    c.ints("filter_sizes", h.k, w.k, cin, cout);
    convAttrs(c, fmt, pad, h, w);
    run(c, true, routes(c, t -> buildConv2dBackpropFilter(t.tf, c, t)), c.ints("filter_sizes"));
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

  /** TF's conv2d with the case's strides, padding, layout and dilations. */
  private Tensor conv2dInTf(Case c, Tensor input, Tensor filter, long[] expectedShape) {
    Case fwd = new Case(c.id + "/adjoint", "conv2d", List.of(input.renamed("input"), filter.renamed("filter")));
    for (String a : List.of("strides", "padding", "explicit_paddings", "data_format", "dilations")) {
      fwd.attrs.put(a, c.attrs.get(a));
    }
    run(fwd, true, routes(fwd, t -> buildConv2d(t.tf, fwd, t)), expectedShape);
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
          + " but <y, A^T v> = " + rhs[0] + " " + describe(c));
    }
  }

  private Case pool(String op, String id, String fmt, String pad, DType dt) {
    Dim h = sampleDim(pad, 4, false, 12, 0);
    Dim w = sampleDim(pad, 4, false, 12, 0);
    // TF's MaxPool requires every explicit pad to be smaller than the window; one explicit case in
    // four breaks that on purpose (an error case), the others keep it.
    boolean illegal = false;
    if (pad.equals(EXPLICIT)) {
      illegal = rnd.nextInt(4) == 0;
      boolean illegalH = illegal && rnd.nextBoolean();
      h = samplePoolExplicit(illegalH);
      w = samplePoolExplicit(illegal && !illegalH);
    }
    int n = batch();
    int ch = channels();
    long[] inShape = shape(fmt, n, h.in, w.in, ch);
    long[] outShape = shape(fmt, n, h.out(pad), w.out(pad), ch);
    List<Tensor> inputs = switch (op) {
      case "max_pool" -> List.of(distinct("input", dt, inShape));
      case "avg_pool" -> List.of(uniform("input", dt, inShape));
      case "max_pool_grad" -> List.of(distinct("input", dt, inShape), uniform("grad", dt, outShape));
      default -> List.of(uniform("grad", dt, outShape)); // avg_pool_grad
    };
    Case c = new Case(id, op, inputs);
    if (op.equals("avg_pool_grad")) {
      c.ints("orig_input_shape", inShape);
    }
    c.ints("ksize", spatial4(fmt, h.k, w.k)).ints("strides", spatial4(fmt, h.s, w.s)).str("padding", pad);
    if (op.startsWith("max")) {
      c.ints("explicit_paddings", explicitPaddings(fmt, pad, h, w));
    }
    c.str("data_format", fmt);
    if (illegal) {
      c.str("illegal", "explicit_padding_not_below_window");
    }
    boolean forward = op.equals("max_pool") || op.equals("avg_pool");
    run(c, !illegal, routes(c, t -> buildPool(t.tf, c, t)), forward ? outShape : inShape);
    return c;
  }

  /** Explicit pads below the window size, or (illegal) one side at window size or one more. */
  private Dim samplePoolExplicit(boolean illegal) {
    while (true) {
      int k = 1 + rnd.nextInt(4);
      int lo = rnd.nextInt(k);
      int hi = rnd.nextInt(k);
      if (illegal) {
        if (rnd.nextBoolean()) {
          lo = k + rnd.nextInt(2);
        } else {
          hi = k + rnd.nextInt(2);
        }
      }
      Dim d = new Dim(1 + rnd.nextInt(12), k, 1 + rnd.nextInt(3), 1, lo, hi);
      if (d.out(EXPLICIT) >= 1) {
        return d;
      }
    }
  }

  /** max_pool_with_argmax and max_unpool (NHWC only). Two cases in three have overlapping windows (k > s). */
  private Case argmaxPool(String op, String id, String pad, DType dt) {
    Dim h;
    Dim w;
    while (true) {
      h = sampleDim(pad, 4, false, 12, 0);
      w = sampleDim(pad, 4, false, 12, 0);
      boolean overlapping = h.k > h.s || w.k > w.s;
      if (overlapping || rnd.nextInt(3) == 0) {
        break;
      }
    }
    int n = batch();
    int ch = channels();
    boolean includeBatch = rnd.nextBoolean();
    long[] inShape = shape(NHWC, n, h.in, w.in, ch);
    Case c = new Case(id, op, List.of(distinct("input", dt, inShape)));
    c.ints("ksize", 1, h.k, w.k, 1).ints("strides", 1, h.s, w.s, 1).str("padding", pad)
        .bool("include_batch_in_index", includeBatch).str("data_format", NHWC);
    Route r = op.equals("max_pool_with_argmax")
        ? new Route("native", t -> buildArgmax(t, c))
        : new Route(includeBatch ? "scatter_nd_flat_index" : "scatter_nd_batch_expanded", t -> buildUnpool(t, c));
    run(c, true, List.of(r), shape(NHWC, n, h.out(pad), w.out(pad), ch));
    return c;
  }

  // ---------------------------------------------------------------- the tutorial's examples

  /**
   * The tutorial's (seed/) examples, fixed: conv2d and conv2d_transpose of a 4x4 image of ones with the
   * 2x2 kernel [1, 0, -1, -2], stride 2, VALID and SAME; max_pool_with_argmax and un_max_pool of its 4x4x2
   * image (whose windows hold ties: the first maximum wins).
   */
  private List<Case> tutorialCases() {
    List<Case> out = new ArrayList<>();
    float[] ones = new float[16];
    java.util.Arrays.fill(ones, 1f);
    Tensor img = new Tensor("input", DType.F32, new long[] {1, 4, 4, 1}, ones);
    Tensor kernel = new Tensor("filter", DType.F32, new long[] {2, 2, 1, 1}, new float[] {1, 0, -1, -2});
    for (String pad : List.of(VALID, SAME)) {
      String suffix = pad.toLowerCase(java.util.Locale.ROOT);
      Case conv = new Case("conv2d#tutorial_" + suffix, "conv2d", List.of(img, kernel));
      tutorialConvAttrs(conv, pad);
      run(conv, true, routes(conv, t -> buildConv2d(t.tf, conv, t)), new long[] {1, 2, 2, 1});
      out.add(conv);
      Case tr = new Case("conv2d_transpose#tutorial_" + suffix, "conv2d_transpose",
          List.of(conv.outputs.get(0).renamed("value"), kernel));
      tr.ints("output_shape", 1, 4, 4, 1);
      tutorialConvAttrs(tr, pad);
      tr.ints("legal_output_h", legalTransposeRange(pad, 2, 2, 2, 0)).ints("legal_output_w", legalTransposeRange(pad, 2, 2, 2, 0));
      run(tr, true, routes(tr, t -> buildConv2dTranspose(t.tf, tr, t)), new long[] {1, 4, 4, 1});
      out.add(tr);
    }
    float[] image = new float[32];
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        image[(y * 4 + x) * 2] = y;
        image[(y * 4 + x) * 2 + 1] = y + 4;
      }
    }
    for (String op : List.of("max_pool_with_argmax", "max_unpool")) {
      Case c = new Case(op + "#tutorial", op, List.of(new Tensor("input", DType.F32, new long[] {1, 4, 4, 2}, image)));
      c.ints("ksize", 1, 2, 2, 1).ints("strides", 1, 2, 2, 1).str("padding", SAME)
          .bool("include_batch_in_index", false).str("data_format", NHWC);
      Route r = op.equals("max_unpool")
          ? new Route("scatter_nd_batch_expanded", t -> buildUnpool(t, c))
          : new Route("native", t -> buildArgmax(t, c));
      run(c, true, List.of(r), new long[] {1, 2, 2, 2});
      out.add(c);
    }
    return out;
  }

  private static void tutorialConvAttrs(Case c, String pad) {
    c.ints("strides", 1, 2, 2, 1).str("padding", pad).ints("explicit_paddings", new long[0])
        .str("data_format", NHWC).ints("dilations", 1, 1, 1, 1);
  }

  // ---------------------------------------------------------------- routes and graphs

  /** A way to compute a case in TF: builds the graph, returns the outputs to fetch (names and tensors). */
  record Route(String name, Function<Tf, Fetch> build) {
  }

  record Fetch(List<String> names, List<Output<?>> outputs) {
    static Fetch of(String name, Output<?> out) {
      return new Fetch(List.of(name), List.of(out));
    }
  }

  /** How a conv/pool graph is laid out: NCHW via transposes around NHWC, dilated filter expanded with zeros. */
  record Variant(Tf tf, boolean viaNhwc, boolean zeroDilated) {
  }

  /**
   * The native op first; then, only if TF's CPU kernel refuses it, the equivalent graphs: NCHW computed in
   * NHWC between transposes, and dilations folded into a zero-dilated filter.
   */
  private static List<Route> routes(Case c, Function<Variant, Fetch> build) {
    boolean nchw = NCHW.equals(c.str("data_format"));
    long[] dil = c.ints("dilations");
    boolean dilated = dil != null && (dil[0] * dil[1] * dil[2] * dil[3]) > 1;
    List<Route> r = new ArrayList<>();
    r.add(new Route("native", tf -> build.apply(new Variant(tf, false, false))));
    if (nchw) {
      r.add(new Route("nchw_via_nhwc_transpose", tf -> build.apply(new Variant(tf, true, false))));
    }
    if (dilated) {
      r.add(new Route("zero_dilated_filter", tf -> build.apply(new Variant(tf, false, true))));
    }
    if (nchw && dilated) {
      r.add(new Route("nchw_via_nhwc_transpose+zero_dilated_filter", tf -> build.apply(new Variant(tf, true, true))));
    }
    return r;
  }

  /** The per-op attribute in the layout the graph uses (NCHW lists permuted to NHWC on the transpose route). */
  private static long[] attr4(Case c, String name, Variant v) {
    long[] a = c.ints(name);
    return v.viaNhwc ? new long[] {a[0], a[2], a[3], a[1]} : a;
  }

  private static long[] paddings8(Case c, Variant v) {
    long[] p = c.ints("explicit_paddings");
    if (!v.viaNhwc || p.length == 0) {
      return p;
    }
    return new long[] {p[0], p[1], p[4], p[5], p[6], p[7], p[2], p[3]};
  }

  private static String format(Case c, Variant v) {
    return v.viaNhwc ? NHWC : c.str("data_format");
  }

  private static Output<?> toGraphLayout(Tf tf, Output<?> x, Variant v) {
    return v.viaNhwc ? tf.transpose(x, 0, 2, 3, 1) : x;
  }

  private static Output<?> fromGraphLayout(Tf tf, Output<?> x, Variant v) {
    return v.viaNhwc ? tf.transpose(x, 0, 3, 1, 2) : x;
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
        .setAttr("dilations", v.zeroDilated ? new long[] {1, 1, 1, 1} : attr4(c, "dilations", v));
    if (pad.equals(EXPLICIT)) {
      b.setAttr("explicit_paddings", paddings8(c, v));
    }
  }

  private static Fetch buildConv2d(Tf tf, Case c, Variant v) {
    Tensor in = c.input("input");
    Tensor fl = c.input("filter");
    Output<?> x = toGraphLayout(tf, tf.feed(in), v);
    Output<?> f = tf.feed(fl);
    if (v.zeroDilated) {
      long[] d = spatialDilations(c);
      f = zeroDilate(tf, f, fl.shape(), d[0], d[1]);
    }
    Output<?> y = tf.op1("Conv2D", b -> convOpAttrs(b, c, v, in.dtype()), x, f);
    return Fetch.of("output", fromGraphLayout(tf, y, v));
  }

  private static Fetch buildConv2dTranspose(Tf tf, Case c, Variant v) {
    Tensor val = c.input("value");
    Tensor fl = c.input("filter");
    Output<?> x = toGraphLayout(tf, tf.feed(val), v);
    Output<?> f = tf.feed(fl);
    if (v.zeroDilated) {
      long[] d = spatialDilations(c);
      f = zeroDilate(tf, f, fl.shape(), d[0], d[1]);
    }
    Output<?> sizes = tf.constInt32(attr4(c, "output_shape", v));
    Output<?> y = tf.op1("Conv2DBackpropInput", b -> convOpAttrs(b, c, v, val.dtype()), sizes, f, x);
    return Fetch.of("output", fromGraphLayout(tf, y, v));
  }

  private static Fetch buildConv2dBackpropFilter(Tf tf, Case c, Variant v) {
    Tensor in = c.input("input");
    Tensor g = c.input("out_backprop");
    Output<?> x = toGraphLayout(tf, tf.feed(in), v);
    Output<?> dy = toGraphLayout(tf, tf.feed(g), v);
    long[] fs = c.ints("filter_sizes");
    if (!v.zeroDilated) {
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

  private static Fetch buildPool(Tf tf, Case c, Variant v) {
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

  private static Fetch buildArgmax(Tf tf, Case c) {
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
  private static Fetch buildUnpool(Tf tf, Case c) {
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

  // ---------------------------------------------------------------- running

  /**
   * Tries the routes in order. A CPU-kernel refusal moves on to the next route; any other TF error is
   * TF's verdict on the config and must agree with the semantics' verdict ({@code legal}).
   */
  private void run(Case c, boolean legal, List<Route> routes, long[] expectedShape) {
    for (Route r : routes) {
      List<Tensor> out = null;
      String error = null;
      try (Tf tf = new Tf()) {
        Fetch f = r.build.apply(tf);
        out = tf.run(f.names(), f.outputs());
      } catch (RuntimeException e) {
        error = String.valueOf(e.getMessage()).strip();
      }
      if (error != null && isCpuKernelGap(error)) {
        gaps.putIfAbsent(c.op + " " + c.str("data_format") + " via " + r.name, error.lines().findFirst().orElse(""));
        continue;
      }
      c.route = r.name;
      if (error != null) {
        if (legal) {
          throw new IllegalStateException(c.id + ": TF rejected a config the semantics call legal " + c.attrs + ": " + error);
        }
        c.error = error;
        return;
      }
      if (!legal) {
        throw new IllegalStateException(c.id + ": TF accepted a config the semantics call illegal " + describe(c));
      }
      long[] got = out.get(0).shape();
      if (!java.util.Arrays.equals(got, expectedShape)) {
        throw new IllegalStateException(c.id + ": TF output shape " + java.util.Arrays.toString(got)
            + " but the semantics say " + java.util.Arrays.toString(expectedShape) + " " + describe(c));
      }
      c.outputs = out;
      return;
    }
    throw new IllegalStateException(c.id + ": no route computes it in TF: " + describe(c));
  }

  /** TF's messages for a CPU kernel that lacks a layout or dilations (not a verdict on the config). */
  static boolean isCpuKernelGap(String msg) {
    return msg.contains("only supports NHWC")
        || msg.contains("only supports the NHWC")
        || msg.contains("do not yet support dilation");
  }

  private static String describe(Case c) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Object> e : c.attrs.entrySet()) {
      Object v = e.getValue();
      sb.append(e.getKey()).append('=').append(v instanceof long[] a ? java.util.Arrays.toString(a) : v).append(' ');
    }
    for (Tensor t : c.inputs) {
      sb.append(t.name()).append(java.util.Arrays.toString(t.shape())).append(' ');
    }
    return sb.toString();
  }

  private void printSummary(List<Case> cases, boolean verbose) {
    Map<String, int[]> perOp = new java.util.LinkedHashMap<>();
    Map<String, Integer> routes = new TreeMap<>();
    for (Case c : cases) {
      int[] n = perOp.computeIfAbsent(c.op, k -> new int[2]);
      n[0]++;
      if (c.error != null) {
        n[1]++;
      }
      routes.merge(c.op + " " + c.route, 1, Integer::sum);
    }
    StringBuilder line = new StringBuilder("cases (of which TF errors):");
    perOp.forEach((op, n) -> line.append(' ').append(op).append(' ').append(n[0]).append(" (").append(n[1]).append(')'));
    System.out.println(line);
    if (verbose) {
      System.out.println("routes:");
      routes.forEach((r, n) -> System.out.printf("  %-70s %5d%n", r, n));
      System.out.println("CPU kernel refusals met (then routed):");
      gaps.forEach((k, v) -> System.out.printf("  %-60s %s%n", k, v));
    }
  }
}
