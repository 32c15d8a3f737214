package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.EXPLICIT;
import static io.github.deconvspark.oracle.Geometry.NCHW;
import static io.github.deconvspark.oracle.Geometry.NHWC;
import static io.github.deconvspark.oracle.Geometry.SAME;
import static io.github.deconvspark.oracle.Geometry.VALID;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import io.github.deconvspark.oracle.TfRoutes.Fetch;
import io.github.deconvspark.oracle.TfRoutes.Route;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.TensorFlow;

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
 *
 * <p>This class runs the cases and sums them up. The cases are drawn by {@code ConvCases}, {@code PoolCases}
 * and {@code TutorialCases} (every random draw from the one {@code Random} in {@code CaseDraws}); their TF
 * graphs are built by {@code TfConvGraphs} and {@code TfPoolGraphs} along {@code TfRoutes}' routes.
 */
public final class ReferenceGenerator {
  static final long DEFAULT_SEED = 20240611L;
  static final int DEFAULT_CASES = 1200;

  /** Op name -> share of the cases (percent). conv2d_transpose gets the most: its legal/illegal split. */
  private static final Map<String, Integer> SHARES = shares("conv2d", 18, "conv2d_transpose", 20, "conv2d_backprop_filter", 14,
      "max_pool", 8, "avg_pool", 8, "max_pool_grad", 8, "avg_pool_grad", 8, "max_pool_with_argmax", 8, "max_unpool", 8);

  /**
   * Op name -> share (percent of N): the grouped and depthwise convs and integer max pools, drawn after the cases above
   * and the tutorial's so that those stay what they were.
   */
  private static final Map<String, Integer> EXTENSION_SHARES = shares("grouped_conv2d", 5, "grouped_conv2d_transpose", 5,
      "grouped_conv2d_backprop_filter", 4, "depthwise_conv2d", 5, "depthwise_conv2d_backprop_input", 5,
      "depthwise_conv2d_backprop_filter", 4, "max_pool_int", 4);

  /** (name, share) pairs in order. */
  private static Map<String, Integer> shares(Object... pairs) {
    Map<String, Integer> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], (Integer) pairs[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  private final ConvCases conv;
  private final PoolCases pool;
  /** First line of every CPU-kernel refusal met, per op and route: printed in the summary. */
  private final Map<String, String> gaps = new TreeMap<>();

  ReferenceGenerator(long seed) {
    CaseDraws draws = new CaseDraws(seed);
    this.conv = new ConvCases(draws, this);
    this.pool = new PoolCases(draws, this);
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
    List<Case> all = generate(SHARES, n);
    all.addAll(TutorialCases.build(this));
    all.addAll(generate(EXTENSION_SHARES, n));
    return all;
  }

  /** round(n * their sum / 100) cases, split over the ops by their shares. */
  private List<Case> generate(Map<String, Integer> shares, int n) {
    List<Case> all = new ArrayList<>();
    int sharesLeft = shares.values().stream().mapToInt(Integer::intValue).sum();
    int left = (int) Math.round(n * sharesLeft / 100.0);
    for (Map.Entry<String, Integer> e : shares.entrySet()) {
      int count = (int) Math.round((double) left * e.getValue() / sharesLeft);
      left -= count;
      sharesLeft -= e.getValue();
      String op = e.getKey();
      List<String[]> grid = grid(op);
      for (int i = 0; i < count; i++) {
        String[] g = grid.get(i % grid.size()); // cycling the grid covers every layout x padding x dtype
        DType dt = DType.valueOf(g[2].toUpperCase(java.util.Locale.ROOT));
        all.add(make(op, i, g[0], g[1], dt));
      }
    }
    return all;
  }

  /** layout x padding x dtype combinations TF's API defines for the op. */
  private static List<String[]> grid(String op) {
    List<String> layouts = op.startsWith("max_pool_with") || op.equals("max_unpool") ? List.of(NHWC) : List.of(NHWC, NCHW);
    List<String> pads = switch (op) {
      case "avg_pool", "avg_pool_grad", "max_pool_with_argmax", "max_unpool" -> List.of(SAME, VALID);
      default -> List.of(SAME, VALID, EXPLICIT);
    };
    List<String[]> g = new ArrayList<>();
    for (String dt : op.equals("max_pool_int") ? List.of("i32", "u8") : List.of("f32", "f64")) {
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
      case "conv2d", "grouped_conv2d", "depthwise_conv2d" -> conv.conv2d(op, id, fmt, pad, dt);
      case "conv2d_transpose" -> conv.conv2dTranspose(op, id, fmt, pad, dt, index % 5 == 4); // exactly 1 in 5 illegal
      case "grouped_conv2d_transpose", "depthwise_conv2d_backprop_input" -> conv.conv2dTranspose(op, id, fmt, pad, dt, false);
      case "conv2d_backprop_filter", "grouped_conv2d_backprop_filter", "depthwise_conv2d_backprop_filter" ->
          conv.conv2dBackpropFilter(op, id, fmt, pad, dt);
      case "max_pool", "avg_pool", "max_pool_grad", "avg_pool_grad" -> pool.pool(op, id, fmt, pad, dt);
      case "max_pool_int" -> pool.pool("max_pool", id, fmt, pad, dt); // TF's MaxPool of int32 and uint8
      case "max_pool_with_argmax", "max_unpool" -> pool.argmaxPool(op, id, pad, dt);
      default -> throw new IllegalArgumentException(op);
    };
  }

  // ---------------------------------------------------------------- running

  /**
   * Tries the routes in order. A CPU-kernel refusal moves on to the next route; any other TF error is
   * TF's verdict on the config and must agree with the semantics' verdict ({@code legal}).
   */
  void run(Case c, boolean legal, List<Route> routes, long[] expectedShape) {
    for (Route r : routes) {
      List<Tensor> out = null;
      String error = null;
      try (Tf tf = new Tf()) {
        Fetch f = r.build().apply(tf);
        out = tf.run(f.names(), f.outputs());
      } catch (RuntimeException e) {
        error = String.valueOf(e.getMessage()).strip();
      }
      if (error != null && isCpuKernelGap(error)) {
        gaps.putIfAbsent(c.op + " " + c.str("data_format") + " via " + r.name(), error.lines().findFirst().orElse(""));
        continue;
      }
      c.route = r.name();
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

  /**
   * TF's messages for a CPU kernel that lacks a layout, dilations, unequal strides or groups (not a verdict on the
   * config). Conv2DBackpropFilter's CPU kernel knows no groups at all: it sizes the filter from the input's channels
   * and finds filter_sizes too small.
   */
  static boolean isCpuKernelGap(String msg) {
    return msg.contains("only supports NHWC")
        || msg.contains("only supports the NHWC")
        || msg.contains("do not yet support dilation")
        || msg.contains("only supported for NHWC format")
        || msg.contains("does not support dilations")
        || msg.contains("only supports equal length strides")
        || msg.contains("Gradients for grouped convolutions are not supported on CPU")
        || msg.contains("filter_size does not have enough elements");
  }

  static String describe(Case c) {
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
