package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.NCHW;
import static io.github.deconvspark.oracle.Geometry.NHWC;

import io.github.deconvspark.oracle.RefFormat.Case;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.tensorflow.Output;

/**
 * The ways a case can be computed in TF (routes) and the graph layouts they use (variants): the native
 * op, NCHW computed in NHWC between transposes, a dilated filter expanded with zeros, a grouped or depthwise
 * conv computed group by group with TF's plain conv ops on channel slices, concatenated.
 */
final class TfRoutes {
  private TfRoutes() {
  }

  /** A way to compute a case in TF: builds the graph, returns the outputs to fetch (names and tensors). */
  record Route(String name, Function<Tf, Fetch> build) {
  }

  record Fetch(List<String> names, List<Output<?>> outputs) {
    static Fetch of(String name, Output<?> out) {
      return new Fetch(List.of(name), List.of(out));
    }
  }

  /**
   * How a conv/pool graph is laid out: NCHW via transposes around NHWC, dilated filter expanded with zeros, channel
   * groups as separate plain convs (a depthwise filter [kh, kw, C, m] read as the grouped [kh, kw, 1, C*m]).
   */
  record Variant(Tf tf, boolean viaNhwc, boolean zeroDilated, boolean perGroup) {
  }

  private static final String[] NAMES = {"nchw_via_nhwc_transpose", "zero_dilated_filter", "per_group"};

  /**
   * The native op first; then, only if TF's CPU kernel refuses it, the equivalent graphs, simplest first: NCHW
   * computed in NHWC between transposes, dilations folded into a zero-dilated filter, channel groups one by one
   * (grouped and depthwise cases), and their combinations. TF's CPU depthwise gradients accept dilations and ignore
   * them (the adjoint check found it): for dilated depthwise gradients only routes that do not pass dilations to them are tried.
   */
  static List<Route> routes(Case c, Function<Variant, Fetch> build) {
    boolean nchw = NCHW.equals(c.str("data_format"));
    long[] dil = c.ints("dilations");
    boolean dilated = dil != null && (dil[0] * dil[1] * dil[2] * dil[3]) > 1;
    boolean depthwise = c.op.startsWith("depthwise");
    boolean grouped = depthwise || c.op.startsWith("grouped");
    boolean[] applies = {nchw, dilated, grouped};
    boolean untrusted = dilated && c.op.startsWith("depthwise_conv2d_backprop");
    List<Route> r = new ArrayList<>();
    for (int mask = 0; mask < 8; mask++) {
      boolean[] on = {(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
      boolean possible = true;
      List<String> parts = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        possible &= !on[k] || applies[k];
        if (on[k]) {
          parts.add(NAMES[k]);
        }
      }
      if (!possible || (untrusted && !on[1] && !on[2])) {
        continue;
      }
      r.add(new Route(parts.isEmpty() ? "native" : String.join("+", parts),
          tf -> build.apply(new Variant(tf, on[0], on[1], on[2]))));
    }
    return r;
  }

  /** The per-op attribute in the layout the graph uses (NCHW lists permuted to NHWC on the transpose route). */
  static long[] attr4(Case c, String name, Variant v) {
    long[] a = c.ints(name);
    return v.viaNhwc() ? new long[] {a[0], a[2], a[3], a[1]} : a;
  }

  static long[] paddings8(Case c, Variant v) {
    long[] p = c.ints("explicit_paddings");
    if (!v.viaNhwc() || p.length == 0) {
      return p;
    }
    return new long[] {p[0], p[1], p[4], p[5], p[6], p[7], p[2], p[3]};
  }

  static String format(Case c, Variant v) {
    return v.viaNhwc() ? NHWC : c.str("data_format");
  }

  static Output<?> toGraphLayout(Tf tf, Output<?> x, Variant v) {
    return v.viaNhwc() ? tf.transpose(x, 0, 2, 3, 1) : x;
  }

  static Output<?> fromGraphLayout(Tf tf, Output<?> x, Variant v) {
    return v.viaNhwc() ? tf.transpose(x, 0, 3, 1, 2) : x;
  }
}
