package io.github.deconvspark.kernels.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.deconvspark.kernels.Conv2D;
import io.github.deconvspark.kernels.DepthwiseConv2D;
import io.github.deconvspark.kernels.MaxPoolWithArgmax;
import io.github.deconvspark.kernels.Pool2D;
import io.github.deconvspark.kernels.Unpool2D;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Our kernels against real TensorFlow: one dynamic test per case of the oracle's reference file (named by
 * case id). Values within float32 {@code 1e-5 * max(1, max|tf|)} / float64 {@code 1e-12 * max(1, max|tf|)},
 * argmax and shapes exactly; configs TF rejects must throw IllegalArgumentException.
 */
class TfDifferentialTest {
  private static final double F32_TOL = 1e-5;
  private static final double F64_TOL = 1e-12;

  private static final List<String> ALL_PADDINGS = List.of("SAME", "VALID", "EXPLICIT");

  /** Ops, and the paddings TF's API gives each; the argmax ops exist in NHWC only. */
  private static final Map<String, List<String>> PADDINGS = Map.ofEntries(
      Map.entry("conv2d", ALL_PADDINGS),
      Map.entry("conv2d_transpose", ALL_PADDINGS),
      Map.entry("conv2d_backprop_filter", ALL_PADDINGS),
      Map.entry("grouped_conv2d", ALL_PADDINGS),
      Map.entry("grouped_conv2d_transpose", ALL_PADDINGS),
      Map.entry("grouped_conv2d_backprop_filter", ALL_PADDINGS),
      Map.entry("depthwise_conv2d", ALL_PADDINGS),
      Map.entry("depthwise_conv2d_backprop_input", ALL_PADDINGS),
      Map.entry("depthwise_conv2d_backprop_filter", ALL_PADDINGS),
      Map.entry("max_pool", ALL_PADDINGS),
      Map.entry("max_pool_grad", ALL_PADDINGS),
      Map.entry("avg_pool", List.of("SAME", "VALID")),
      Map.entry("avg_pool_grad", List.of("SAME", "VALID")),
      Map.entry("max_pool_with_argmax", List.of("SAME", "VALID")),
      Map.entry("max_unpool", List.of("SAME", "VALID")));
  private static final Set<String> NHWC_ONLY = Set.of("max_pool_with_argmax", "max_unpool");
  /** TF's MaxPool also pools int32 and uint8 (on the CPU too). */
  private static final Map<String, List<String>> EXTRA_DTYPES = Map.of("max_pool", List.of("i32", "u8"));

  private static TfReference reference;

  /** Loads the file once; a missing file fails (never skips) with how to make it. */
  private static synchronized TfReference reference() throws IOException {
    if (reference == null) {
      reference = TfReference.loadFrom(TfReference.PROPERTY);
    }
    return reference;
  }

  @TestFactory
  Stream<DynamicTest> matchesTensorFlow() throws IOException {
    return reference().cases.stream().map(c -> DynamicTest.dynamicTest(c.id(), () -> check(c)));
  }

  @Test
  void referenceCoversEveryOpLayoutPaddingAndDtype() throws IOException {
    List<TfReference.Case> cases = reference().cases;
    assertTrue(cases.size() >= 500, "only " + cases.size() + " cases in the reference file");
    Map<String, Set<String>> seen = new TreeMap<>();
    for (TfReference.Case c : cases) {
      seen.computeIfAbsent(c.op(), k -> new TreeSet<>()).add(
          c.dtype() + "/" + c.str("data_format") + "/" + c.str("padding"));
    }
    for (Map.Entry<String, List<String>> e : PADDINGS.entrySet()) {
      String op = e.getKey();
      Set<String> got = seen.getOrDefault(op, Set.of());
      List<String> layouts = NHWC_ONLY.contains(op) ? List.of("NHWC") : List.of("NHWC", "NCHW");
      List<String> dtypes = new java.util.ArrayList<>(List.of("f32", "f64"));
      dtypes.addAll(EXTRA_DTYPES.getOrDefault(op, List.of()));
      for (String dt : dtypes) {
        for (String layout : layouts) {
          for (String pad : e.getValue()) {
            String combo = dt + "/" + layout + "/" + pad;
            assertTrue(got.contains(combo), op + " has no " + combo + " case; it has " + got);
          }
        }
      }
    }
    assertEquals(PADDINGS.keySet(), seen.keySet(), "ops in the reference file");
    long transposes = cases.stream().filter(c -> c.op().equals("conv2d_transpose")).count();
    long illegal = cases.stream().filter(c -> c.op().equals("conv2d_transpose") && c.isError()).count();
    assertTrue(illegal >= transposes / 10, "only " + illegal + " of " + transposes + " conv2d_transpose cases are illegal");
  }

  // ---------------------------------------------------------------------------------------------

  private static void check(TfReference.Case c) {
    switch (c.op()) {
      case "conv2d", "grouped_conv2d" -> run(c, () -> Conv2D.conv2d(in(c, "input"), in(c, "filter"), c.intsAsInt("strides"),
          padding(c), format(c), c.intsAsInt("dilations")), "output");
      case "conv2d_transpose", "grouped_conv2d_transpose" -> conv2dTranspose(c);
      case "conv2d_backprop_filter", "grouped_conv2d_backprop_filter" -> run(c, () -> Conv2D.conv2dBackpropFilter(in(c, "input"),
          c.ints("filter_sizes"), in(c, "out_backprop"), c.intsAsInt("strides"), padding(c), format(c),
          c.intsAsInt("dilations")), "output");
      case "depthwise_conv2d" -> run(c, () -> DepthwiseConv2D.depthwiseConv2d(in(c, "input"), in(c, "filter"),
          c.intsAsInt("strides"), padding(c), format(c), c.intsAsInt("dilations")), "output");
      // The depthwise input gradient's case uses conv2d_transpose's names: value = out_backprop, output_shape = input_sizes.
      case "depthwise_conv2d_backprop_input" -> run(c, () -> DepthwiseConv2D.depthwiseConv2dBackpropInput(c.ints("output_shape"),
          in(c, "filter"), in(c, "value"), c.intsAsInt("strides"), padding(c), format(c), c.intsAsInt("dilations")), "output");
      case "depthwise_conv2d_backprop_filter" -> run(c, () -> DepthwiseConv2D.depthwiseConv2dBackpropFilter(in(c, "input"),
          c.ints("filter_sizes"), in(c, "out_backprop"), c.intsAsInt("strides"), padding(c), format(c),
          c.intsAsInt("dilations")), "output");
      case "max_pool" -> run(c, () -> Pool2D.maxPool(in(c, "input"), c.intsAsInt("ksize"), c.intsAsInt("strides"),
          padding(c), format(c)), "output");
      case "avg_pool" -> run(c, () -> Pool2D.avgPool(in(c, "input"), c.intsAsInt("ksize"), c.intsAsInt("strides"),
          padding(c), format(c)), "output");
      case "max_pool_grad" -> run(c, () -> Pool2D.maxPoolGrad(in(c, "input"), in(c, "grad"), c.intsAsInt("ksize"),
          c.intsAsInt("strides"), padding(c), format(c)), "output");
      case "avg_pool_grad" -> run(c, () -> Pool2D.avgPoolGrad(c.ints("orig_input_shape"), in(c, "grad"),
          c.intsAsInt("ksize"), c.intsAsInt("strides"), padding(c), format(c)), "output");
      case "max_pool_with_argmax" -> maxPoolWithArgmax(c);
      case "max_unpool" -> maxUnpool(c);
      default -> fail("unknown op " + c.op() + " in " + c.id());
    }
  }

  private interface Kernel {
    INDArray apply();
  }

  /** Single-output ops: ours must match TF's output, or throw IllegalArgumentException where TF failed. */
  private static void run(TfReference.Case c, Kernel kernel, String output) {
    if (c.isError()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, kernel::apply,
          () -> c.describe() + ": TF rejects it (" + firstLine(c.error()) + ") but ours did not throw");
      assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), c.id() + ": empty message");
      return;
    }
    assertClose(c, output, c.output(output), kernel.apply());
  }

  private static void conv2dTranspose(TfReference.Case c) {
    Kernel call = () -> Conv2D.conv2dTranspose(in(c, "value"), in(c, "filter"), c.ints("output_shape"),
        c.intsAsInt("strides"), padding(c), format(c), c.intsAsInt("dilations"));
    if (!c.isError()) {
      run(c, call, "output");
      return;
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::apply,
        () -> c.describe() + ": TF rejects it (" + firstLine(c.error()) + ") but ours did not throw");
    String msg = String.valueOf(e.getMessage());
    assertTrue(msg.contains("output_shape"), () -> c.id() + ": message does not mention output_shape: " + msg);
    String illegal = c.has("illegal") ? c.str("illegal") : "";
    if (illegal.startsWith("spatial_")) {
      // The message must give the legal range of the offending dimension (SEMANTICS.md; TF agreed).
      long[] range = c.ints(illegal.equals("spatial_h") ? "legal_output_h" : "legal_output_w");
      assertTrue(mentions(msg, range[1]) && (range[0] <= 1 || mentions(msg, range[0])),
          () -> c.id() + ": message does not give the legal range " + range[0] + ".." + range[1] + ": " + msg);
    }
  }

  private static void maxPoolWithArgmax(TfReference.Case c) {
    MaxPoolWithArgmax r = Pool2D.maxPoolWithArgmax(in(c, "input"), c.intsAsInt("ksize"), c.intsAsInt("strides"),
        padding(c), c.bool("include_batch_in_index"));
    assertClose(c, "output", c.output("output"), r.output());
    assertExact(c, "argmax", c.output("argmax"), r.argmax());
  }

  /** Our pool must give TF's pooled values and argmax; our unpool of TF's pooled/argmax must give TF's unpooled. */
  private static void maxUnpool(TfReference.Case c) {
    boolean includeBatch = c.bool("include_batch_in_index");
    MaxPoolWithArgmax r = Pool2D.maxPoolWithArgmax(in(c, "input"), c.intsAsInt("ksize"), c.intsAsInt("strides"),
        padding(c), includeBatch);
    assertClose(c, "pooled", c.output("pooled"), r.output());
    assertExact(c, "argmax", c.output("argmax"), r.argmax());
    INDArray unpooled = Unpool2D.maxUnpool(c.output("pooled").toNd4j(), c.output("argmax").toNd4j(),
        c.input("input").shape(), includeBatch);
    assertClose(c, "unpooled", c.output("unpooled"), unpooled);
  }

  // ---------------------------------------------------------------------------------------------

  private static INDArray in(TfReference.Case c, String name) {
    return c.input(name).toNd4j();
  }

  private static DataFormat format(TfReference.Case c) {
    return DataFormat.valueOf(c.str("data_format"));
  }

  /** TF's padding attributes as ours: explicit_paddings holds (before, after) pairs in data_format order. */
  private static Padding padding(TfReference.Case c) {
    return switch (c.str("padding")) {
      case "SAME" -> Padding.SAME;
      case "VALID" -> Padding.VALID;
      case "EXPLICIT" -> {
        long[] p = c.ints("explicit_paddings");
        int h = c.str("data_format").equals("NHWC") ? 2 : 4; // index of the height pair
        yield Padding.explicit((int) p[h], (int) p[h + 1], (int) p[h + 2], (int) p[h + 3]);
      }
      default -> throw new IllegalStateException(c.id() + ": padding " + c.str("padding"));
    };
  }

  static void assertClose(TfReference.Case c, String what, TfReference.Tensor tf, INDArray ours) {
    if (INTEGER_TYPES.containsKey(tf.dtype())) {
      assertEquals(INTEGER_TYPES.get(tf.dtype()), ours.dataType(), () -> c.describe() + ": " + what + " type");
      assertExact(c, what, tf, ours.castTo(DataType.LONG));
      return;
    }
    assertArrayEquals(tf.shape(), ours.shape(), () -> c.describe() + ": " + what + " shape");
    DataType want = tf.dtype().equals("f32") ? DataType.FLOAT : DataType.DOUBLE;
    assertEquals(want, ours.dataType(), () -> c.describe() + ": " + what + " type");
    double[] expected = tf.dtype().equals("f32") ? toDouble((float[]) tf.data()) : (double[]) tf.data();
    double[] actual = ours.dup('c').data().asDouble();
    assertEquals(expected.length, actual.length, () -> c.id() + ": " + what + " length");
    double maxAbs = 0;
    for (double v : expected) {
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    double tol = (tf.dtype().equals("f32") ? F32_TOL : F64_TOL) * Math.max(1, maxAbs);
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs(actual[i] - expected[i]);
      if (!(diff <= tol)) {
        final int at = i;
        fail(c.describe() + ": " + what + " differs at flat index " + at + " " + Arrays.toString(unravel(at, tf.shape()))
            + ": ours " + actual[at] + ", TF " + expected[at] + " (|diff| " + diff + " > tol " + tol + ")");
      }
    }
  }

  /** Integer outputs: compared exactly, in our ND4J type. */
  private static final Map<String, DataType> INTEGER_TYPES = Map.of("i32", DataType.INT, "u8", DataType.UBYTE);

  private static void assertExact(TfReference.Case c, String what, TfReference.Tensor tf, INDArray ours) {
    assertArrayEquals(tf.shape(), ours.shape(), () -> c.describe() + ": " + what + " shape");
    long[] expected = tf.longs();
    long[] actual = ours.dup('c').data().asLong();
    assertEquals(expected.length, actual.length, () -> c.id() + ": " + what + " length");
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != actual[i]) {
        fail(c.describe() + ": " + what + " differs at flat index " + i + " " + Arrays.toString(unravel(i, tf.shape()))
            + ": ours " + actual[i] + ", TF " + expected[i]);
      }
    }
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  private static long[] unravel(long flat, long[] shape) {
    long[] idx = new long[shape.length];
    for (int i = shape.length - 1; i >= 0; i--) {
      idx[i] = flat % shape[i];
      flat /= shape[i];
    }
    return idx;
  }

  private static boolean mentions(String msg, long number) {
    return Pattern.compile("(?<![0-9])" + number + "(?![0-9])").matcher(msg).find();
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
