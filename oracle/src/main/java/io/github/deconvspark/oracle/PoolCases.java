package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.EXPLICIT;
import static io.github.deconvspark.oracle.Geometry.NHWC;
import static io.github.deconvspark.oracle.Geometry.explicitPaddings;
import static io.github.deconvspark.oracle.Geometry.shape;
import static io.github.deconvspark.oracle.Geometry.spatial4;
import static io.github.deconvspark.oracle.TfRoutes.routes;

import io.github.deconvspark.oracle.Geometry.Dim;
import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import io.github.deconvspark.oracle.TfRoutes.Route;
import java.util.List;

/**
 * The random pool cases (max/avg pool and their gradients; max_pool also of int32 and uint8, whose values may tie),
 * max_pool_with_argmax and max_unpool, each run in TF.
 * Every draw comes from {@code draw} (the generator's one Random); cases run through {@code gen}.
 */
record PoolCases(CaseDraws draw, ReferenceGenerator gen) {
  Case pool(String op, String id, String fmt, String pad, DType dt) {
    Dim h = draw.sampleDim(pad, 4, false, 12, 0);
    Dim w = draw.sampleDim(pad, 4, false, 12, 0);
    // TF's MaxPool requires every explicit pad to be smaller than the window; one explicit case in
    // four breaks that on purpose (an error case), the others keep it.
    boolean illegal = false;
    if (pad.equals(EXPLICIT)) {
      illegal = draw.nextInt(4) == 0;
      boolean illegalH = illegal && draw.nextBoolean();
      h = samplePoolExplicit(illegalH);
      w = samplePoolExplicit(illegal && !illegalH);
    }
    int n = draw.batch();
    int ch = draw.channels();
    long[] inShape = shape(fmt, n, h.in(), w.in(), ch);
    long[] outShape = shape(fmt, n, h.out(pad), w.out(pad), ch);
    List<Tensor> inputs = switch (op) {
      case "max_pool" -> List.of(dt == DType.I32 || dt == DType.U8 ? draw.integers("input", dt, inShape) : draw.distinct("input", dt, inShape));
      case "avg_pool" -> List.of(draw.uniform("input", dt, inShape));
      case "max_pool_grad" -> List.of(draw.distinct("input", dt, inShape), draw.uniform("grad", dt, outShape));
      default -> List.of(draw.uniform("grad", dt, outShape)); // avg_pool_grad
    };
    Case c = new Case(id, op, inputs);
    if (op.equals("avg_pool_grad")) {
      c.ints("orig_input_shape", inShape);
    }
    c.ints("ksize", spatial4(fmt, h.k(), w.k())).ints("strides", spatial4(fmt, h.s(), w.s())).str("padding", pad);
    if (op.startsWith("max")) {
      c.ints("explicit_paddings", explicitPaddings(fmt, pad, h, w));
    }
    c.str("data_format", fmt);
    if (illegal) {
      c.str("illegal", "explicit_padding_not_below_window");
    }
    boolean forward = op.equals("max_pool") || op.equals("avg_pool");
    gen.run(c, !illegal, routes(c, t -> TfPoolGraphs.buildPool(t.tf(), c, t)), forward ? outShape : inShape);
    return c;
  }

  /** Explicit pads below the window size, or (illegal) one side at window size or one more. */
  private Dim samplePoolExplicit(boolean illegal) {
    while (true) {
      int k = 1 + draw.nextInt(4);
      int lo = draw.nextInt(k);
      int hi = draw.nextInt(k);
      if (illegal) {
        if (draw.nextBoolean()) {
          lo = k + draw.nextInt(2);
        } else {
          hi = k + draw.nextInt(2);
        }
      }
      Dim d = new Dim(1 + draw.nextInt(12), k, 1 + draw.nextInt(3), 1, lo, hi);
      if (d.out(EXPLICIT) >= 1) {
        return d;
      }
    }
  }

  /** max_pool_with_argmax and max_unpool (NHWC only). Two cases in three have overlapping windows (k > s). */
  Case argmaxPool(String op, String id, String pad, DType dt) {
    Dim h;
    Dim w;
    while (true) {
      h = draw.sampleDim(pad, 4, false, 12, 0);
      w = draw.sampleDim(pad, 4, false, 12, 0);
      boolean overlapping = h.k() > h.s() || w.k() > w.s();
      if (overlapping || draw.nextInt(3) == 0) {
        break;
      }
    }
    int n = draw.batch();
    int ch = draw.channels();
    boolean includeBatch = draw.nextBoolean();
    long[] inShape = shape(NHWC, n, h.in(), w.in(), ch);
    Case c = new Case(id, op, List.of(draw.distinct("input", dt, inShape)));
    c.ints("ksize", 1, h.k(), w.k(), 1).ints("strides", 1, h.s(), w.s(), 1).str("padding", pad)
        .bool("include_batch_in_index", includeBatch).str("data_format", NHWC);
    Route r = op.equals("max_pool_with_argmax")
        ? new Route("native", t -> TfPoolGraphs.buildArgmax(t, c))
        : new Route(includeBatch ? "scatter_nd_flat_index" : "scatter_nd_batch_expanded",
            t -> TfPoolGraphs.buildUnpool(t, c));
    gen.run(c, true, List.of(r), shape(NHWC, n, h.out(pad), w.out(pad), ch));
    return c;
  }
}
