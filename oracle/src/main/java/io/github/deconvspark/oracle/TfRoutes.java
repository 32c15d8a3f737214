package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.NCHW;
import static io.github.deconvspark.oracle.Geometry.NHWC;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.tensorflow.Output;

import io.github.deconvspark.oracle.RefFormat.Case;

/**
 * The ways a case can be computed in TF (routes) and the graph layouts they use (variants): the native
 * op, NCHW computed in NHWC between transposes, a dilated filter expanded with zeros.
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

  /** How a conv/pool graph is laid out: NCHW via transposes around NHWC, dilated filter expanded with zeros. */
  record Variant(Tf tf, boolean viaNhwc, boolean zeroDilated) {
  }

  /**
   * The native op first; then, only if TF's CPU kernel refuses it, the equivalent graphs: NCHW computed in
   * NHWC between transposes, and dilations folded into a zero-dilated filter.
   */
  static List<Route> routes(Case c, Function<Variant, Fetch> build) {
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
