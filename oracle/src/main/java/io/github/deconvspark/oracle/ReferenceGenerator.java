package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.EXPLICIT;
import static io.github.deconvspark.oracle.Geometry.NCHW;
import static io.github.deconvspark.oracle.Geometry.NHWC;
import static io.github.deconvspark.oracle.Geometry.SAME;
import static io.github.deconvspark.oracle.Geometry.VALID;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.tensorflow.TensorFlow;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import io.github.deconvspark.oracle.TfRoutes.Fetch;
import io.github.deconvspark.oracle.TfRoutes.Route;

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
    all.addAll(TutorialCases.build(this));
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
      case "conv2d" -> conv.conv2d(id, fmt, pad, dt);
      case "conv2d_transpose" -> conv.conv2dTranspose(id, fmt, pad, dt, index % 5 == 4); // exactly 1 in 5 illegal
      case "conv2d_backprop_filter" -> conv.conv2dBackpropFilter(id, fmt, pad, dt);
      case "max_pool", "avg_pool", "max_pool_grad", "avg_pool_grad" -> pool.pool(op, id, fmt, pad, dt);
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

  /** TF's messages for a CPU kernel that lacks a layout or dilations (not a verdict on the config). */
  static boolean isCpuKernelGap(String msg) {
    return msg.contains("only supports NHWC")
        || msg.contains("only supports the NHWC")
        || msg.contains("do not yet support dilation");
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
