package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.NHWC;
import static io.github.deconvspark.oracle.Geometry.SAME;
import static io.github.deconvspark.oracle.Geometry.VALID;
import static io.github.deconvspark.oracle.Geometry.legalTransposeRange;
import static io.github.deconvspark.oracle.TfRoutes.routes;

import java.util.ArrayList;
import java.util.List;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import io.github.deconvspark.oracle.TfRoutes.Route;

/**
 * The tutorial's (seed/) examples, fixed: conv2d and conv2d_transpose of a 4x4 image of ones with the
 * 2x2 kernel [1, 0, -1, -2], stride 2, VALID and SAME; max_pool_with_argmax and un_max_pool of its 4x4x2
 * image (whose windows hold ties: the first maximum wins). They draw nothing from the cases' Random.
 */
final class TutorialCases {
  private TutorialCases() {
  }

  static List<Case> build(ReferenceGenerator gen) {
    List<Case> out = new ArrayList<>();
    float[] ones = new float[16];
    java.util.Arrays.fill(ones, 1f);
    Tensor img = new Tensor("input", DType.F32, new long[] {1, 4, 4, 1}, ones);
    Tensor kernel = new Tensor("filter", DType.F32, new long[] {2, 2, 1, 1}, new float[] {1, 0, -1, -2});
    for (String pad : List.of(VALID, SAME)) {
      String suffix = pad.toLowerCase(java.util.Locale.ROOT);
      Case conv = new Case("conv2d#tutorial_" + suffix, "conv2d", List.of(img, kernel));
      convAttrs(conv, pad);
      gen.run(conv, true, routes(conv, t -> TfConvGraphs.buildConv2d(t.tf(), conv, t)), new long[] {1, 2, 2, 1});
      out.add(conv);
      Case tr = new Case("conv2d_transpose#tutorial_" + suffix, "conv2d_transpose",
          List.of(conv.outputs.get(0).renamed("value"), kernel));
      tr.ints("output_shape", 1, 4, 4, 1);
      convAttrs(tr, pad);
      tr.ints("legal_output_h", legalTransposeRange(pad, 2, 2, 2, 0)).ints("legal_output_w", legalTransposeRange(pad, 2, 2, 2, 0));
      gen.run(tr, true, routes(tr, t -> TfConvGraphs.buildConv2dTranspose(t.tf(), tr, t)), new long[] {1, 4, 4, 1});
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
          ? new Route("scatter_nd_batch_expanded", t -> TfPoolGraphs.buildUnpool(t, c))
          : new Route("native", t -> TfPoolGraphs.buildArgmax(t, c));
      gen.run(c, true, List.of(r), new long[] {1, 2, 2, 2});
      out.add(c);
    }
    return out;
  }

  private static void convAttrs(Case c, String pad) {
    c.ints("strides", 1, 2, 2, 1).str("padding", pad).ints("explicit_paddings", new long[0])
        .str("data_format", NHWC).ints("dilations", 1, 1, 1, 1);
  }
}
