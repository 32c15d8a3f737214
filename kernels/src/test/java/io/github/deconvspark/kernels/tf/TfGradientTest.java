package io.github.deconvspark.kernels.tf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.autodiff.Gradients;
import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The autodiff's gradients against TensorFlow's own ({@code Graph.addGradients} with {@code grad_y} as
 * {@code dx}, in TF Java's JVM: io.github.deconvspark.oracle.GradientReferenceGenerator), case by case:
 * the forward value and the gradient of every input, float32 to 1e-5 and float64 to 1e-12 of the largest value.
 */
class TfGradientTest {
  static final String PROPERTY = "deconv.tfgrad";
  private static final int[] ONE = {1};
  private static TfReference reference;

  private static synchronized TfReference reference() throws IOException {
    if (reference == null) {
      reference = TfReference.loadFrom(PROPERTY);
    }
    return reference;
  }

  @TestFactory
  Stream<DynamicTest> matchesTensorFlowGradients() throws IOException {
    return reference().cases.stream().map(c -> DynamicTest.dynamicTest(c.id(), () -> check(c)));
  }

  @Test
  void referenceCoversEveryOpInBothTypes() throws IOException {
    List<TfReference.Case> cases = reference().cases;
    assertTrue(cases.size() >= 300, "only " + cases.size() + " gradient cases");
    Set<String> ops = cases.stream().map(TfReference.Case::op).collect(Collectors.toCollection(TreeSet::new));
    for (String op : List.of("conv2d", "conv2d_transpose", "depthwise_conv2d", "max_pool", "avg_pool", "relu", "matmul", "bias_add",
        "softmax_cross_entropy", "reduce_max", "concat", "slice", "affine", "conv_relu_pool",
        "hvp_conv_relu_maxpool", "hvp_conv_avgpool", "hvp_conv_transpose")) {
      assertTrue(ops.contains(op), "no gradient case for " + op + " in " + ops);
    }
    for (String op : ops) {
      Set<String> types = cases.stream().filter(c -> c.op().equals(op)).map(TfReference.Case::dtype).collect(Collectors.toSet());
      if (!op.equals("softmax_cross_entropy")) { // TF's own float64 gradient of it fails inside TF
        assertTrue(types.containsAll(List.of("f32", "f64")), op + " has only " + types);
      }
    }
  }

  private static void check(TfReference.Case c) {
    if (c.op().startsWith("hvp_")) {
      checkSecondOrder(c);
      return;
    }
    try (Graph g = new Graph()) {
      List<String> names = new ArrayList<>();
      List<Tensor> xs = new ArrayList<>();
      Map<String, Tensor> byName = new java.util.HashMap<>();
      INDArray labels = null;
      for (TfReference.Tensor t : c.inputs()) {
        switch (t.name()) {
          case "grad_y" -> { }
          case "labels" -> labels = t.toNd4j();
          default -> {
            Tensor v = g.variable(t.name(), t.toNd4j());
            names.add(t.name());
            xs.add(v);
            byName.put(t.name(), v);
          }
        }
      }
      Tensor y = forward(c, g, byName, labels == null ? null : g.constant("labels", labels));
      Tensor gradY = g.constant("grad_y", c.input("grad_y").toNd4j());
      List<Tensor> grads = Gradients.gradients(List.of(y), xs, List.of(gradY));
      List<Tensor> fetches = new ArrayList<>();
      fetches.add(y);
      fetches.addAll(grads);
      List<INDArray> values = g.run(fetches, Map.of());
      TfDifferentialTest.assertClose(c, "y", c.output("y"), values.get(0));
      for (int i = 0; i < names.size(); i++) {
        TfDifferentialTest.assertClose(c, "d_" + names.get(i), c.output("d_" + names.get(i)), values.get(i + 1));
      }
    }
  }

  /**
   * Second order against TF's (its Python registry's rules for the gradient ops, run by TF's kernels in
   * TF Java, see io.github.deconvspark.oracle.SecondOrderRules): the gradient of
   * s = sum(dL/dx * dir_x) + sum(dL/dw * dir_w) w.r.t. x and w, a Hessian-vector product of L.
   */
  private static void checkSecondOrder(TfReference.Case c) {
    try (Graph g = new Graph()) {
      Tensor x = g.variable("x", c.input("x").toNd4j());
      Tensor w = g.variable("w", c.input("w").toNd4j());
      Tensor dirX = g.constant("dir_x", c.input("dir_x").toNd4j());
      Tensor dirW = g.constant("dir_w", c.input("dir_w").toNd4j());
      int[] ksize = c.has("ksize") ? c.intsAsInt("ksize") : null;
      Tensor a = switch (c.op()) {
        case "hvp_conv_relu_maxpool" -> Ops.maxPool(Ops.relu(Ops.conv2d(x, w, c.intsAsInt("strides"), padding(c),
            DataFormat.NHWC, ONE)), ksize, c.intsAsInt("pool_strides"), Padding.VALID, DataFormat.NHWC);
        case "hvp_conv_avgpool" -> Ops.avgPool(Ops.conv2d(x, w, c.intsAsInt("strides"), padding(c), DataFormat.NHWC, ONE),
            ksize, c.intsAsInt("pool_strides"), Padding.VALID, DataFormat.NHWC);
        case "hvp_conv_transpose" -> Ops.conv2dTranspose(x, w, c.ints("output_shape"), c.intsAsInt("strides"), padding(c),
            DataFormat.NHWC, ONE);
        default -> throw new IllegalStateException(c.id() + ": no engine graph for " + c.op());
      };
      Tensor loss = Ops.reduceSum(Ops.square(a));
      List<Tensor> first = Gradients.gradients(loss, List.of(x, w));
      Tensor s = Ops.add(Ops.reduceSum(Ops.mul(first.get(0), dirX)), Ops.reduceSum(Ops.mul(first.get(1), dirW)));
      List<Tensor> second = Gradients.gradients(s, List.of(x, w));
      List<INDArray> v = g.run(List.of(loss, second.get(0), second.get(1)), Map.of());
      TfDifferentialTest.assertClose(c, "y", c.output("y"), v.get(0));
      TfDifferentialTest.assertClose(c, "d_x", c.output("d_x"), v.get(1));
      TfDifferentialTest.assertClose(c, "d_w", c.output("d_w"), v.get(2));
    }
  }

  private static Tensor forward(TfReference.Case c, Graph g, Map<String, Tensor> in, Tensor labels) {
    Tensor x = in.containsKey("x") ? in.get("x") : null;
    return switch (c.op()) {
      case "conv2d" -> Ops.conv2d(x, in.get("w"), c.intsAsInt("strides"), padding(c), DataFormat.NHWC, ONE);
      case "depthwise_conv2d" -> Ops.depthwiseConv2d(x, in.get("w"), c.intsAsInt("strides"), padding(c), DataFormat.NHWC, ONE);
      case "conv2d_transpose" -> Ops.conv2dTranspose(in.get("value"), in.get("w"), c.ints("output_shape"),
          c.intsAsInt("strides"), padding(c), DataFormat.NHWC, ONE);
      case "max_pool" -> Ops.maxPool(x, c.intsAsInt("ksize"), c.intsAsInt("strides"), padding(c), DataFormat.NHWC);
      case "avg_pool" -> Ops.avgPool(x, c.intsAsInt("ksize"), c.intsAsInt("strides"), padding(c), DataFormat.NHWC);
      case "relu" -> Ops.relu(x);
      case "sigmoid" -> Ops.sigmoid(x);
      case "tanh" -> Ops.tanh(x);
      case "exp" -> Ops.exp(x);
      case "log" -> Ops.log(x);
      case "square" -> Ops.square(x);
      case "neg" -> Ops.neg(x);
      case "matmul" -> Ops.matmul(in.get("a"), in.get("b"));
      case "bias_add" -> Ops.biasAdd(x, in.get("b"));
      case "add" -> Ops.add(in.get("a"), in.get("b"));
      case "sub" -> Ops.sub(in.get("a"), in.get("b"));
      case "mul" -> Ops.mul(in.get("a"), in.get("b"));
      case "div" -> Ops.div(in.get("a"), in.get("b"));
      case "softmax" -> Ops.softmax(x);
      case "softmax_cross_entropy" -> Ops.softmaxCrossEntropyWithLogits(labels, in.get("logits"));
      case "reduce_sum" -> Ops.reduceSum(x, c.bool("keep_dims"), c.intsAsInt("axes"));
      case "reduce_mean" -> Ops.reduceMean(x, c.bool("keep_dims"), c.intsAsInt("axes"));
      case "reduce_max" -> Ops.reduceMax(x, c.bool("keep_dims"), c.intsAsInt("axes"));
      case "reshape" -> Ops.reshape(x, c.ints("shape"));
      case "transpose" -> Ops.transpose(x, c.intsAsInt("perm"));
      case "concat" -> Ops.concat(c.intsAsInt("axis")[0], in.get("a"), in.get("b"));
      case "slice" -> Ops.slice(x, c.ints("begin"), c.ints("size"));
      case "affine" -> Ops.channelAffine(x, in.get("scale"), in.get("offset"), DataFormat.NHWC);
      case "conv_relu_pool" -> Ops.maxPool(Ops.relu(Ops.biasAdd(
              Ops.conv2d(x, in.get("w"), c.intsAsInt("strides"), padding(c), DataFormat.NHWC, ONE), in.get("b"))),
          c.intsAsInt("ksize"), c.intsAsInt("pool_strides"), Padding.VALID, DataFormat.NHWC);
      default -> throw new IllegalStateException(c.id() + ": no engine op for " + c.op());
    };
  }

  private static Padding padding(TfReference.Case c) {
    return Padding.parse(c.str("padding"));
  }
}
