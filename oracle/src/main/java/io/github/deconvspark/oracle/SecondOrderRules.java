package io.github.deconvspark.oracle;

import java.util.List;
import java.util.function.Consumer;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.OperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.Ops;

/**
 * TF's gradients of gradient ops, registered into TF Java. TF Java differentiates with TF's C++
 * registry, which lacks them; TF's Python registry has them. These are that Python code
 * ({@code tensorflow/python/ops/nn_grad.py}: _Conv2DBackpropInputGrad, _Conv2DBackpropFilterGrad,
 * _ReluGradGrad, _MaxPoolGradGrad, _AvgPoolGradGrad; OnesLike is not differentiable) transcribed op
 * for op, so second-order references are TF's rules computed by TF's kernels (MaxPoolGradGrad
 * included).
 */
final class SecondOrderRules {
  private static boolean registered;

  private SecondOrderRules() {
  }

  static synchronized void register() {
    if (registered) {
      return;
    }
    registered = true;
    TensorFlow.registerCustomGradient("Conv2DBackpropInput", (tf, op, g) -> List.of(none(tf, op, 0),
        convOp(tf, op, "Conv2DBackpropFilter", g.get(0), tf.shape(op.input(1)), op.input(2)),
        convOp(tf, op, "Conv2D", g.get(0), op.input(1))));
    TensorFlow.registerCustomGradient("Conv2DBackpropFilter", (tf, op, g) -> List.of(
        convOp(tf, op, "Conv2DBackpropInput", tf.shape(op.input(0)), g.get(0), op.input(2)),
        none(tf, op, 1),
        convOp(tf, op, "Conv2D", op.input(0), g.get(0))));
    TensorFlow.registerCustomGradient("ReluGrad", (tf, op, g) -> List.of(
        build(tf, "ReluGrad", b -> { }, g.get(0), op.input(1)),
        tf.zerosLike((Operand) op.input(1))));
    TensorFlow.registerCustomGradient("MaxPoolGrad", (tf, op, g) -> List.of(
        tf.zerosLike((Operand) op.input(0)),
        tf.zerosLike((Operand) op.input(1)),
        build(tf, "MaxPoolGradGrad", b -> poolAttrs(b, op), op.input(0), op.input(1), g.get(0))));
    TensorFlow.registerCustomGradient("AvgPoolGrad", (tf, op, g) -> List.of(none(tf, op, 0),
        build(tf, "AvgPool", b -> poolAttrs(b, op), g.get(0))));
    TensorFlow.registerCustomGradient("OnesLike", (tf, op, g) -> List.of(none(tf, op, 0)));
  }

  /** Python's None for a shape or non-differentiable input: TF Java wants a tensor, zeros do the same. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Operand<?> none(Ops tf, GraphOperation op, int input) {
    return tf.zerosLike((Operand) op.input(input));
  }

  private static Operand<?> convOp(Ops tf, GraphOperation like, String type, Operand<?>... inputs) {
    return build(tf, type, b -> {
      b.setAttr("strides", like.attributes().getAttrIntList("strides"));
      b.setAttr("padding", like.attributes().getAttrString("padding"));
      b.setAttr("data_format", like.attributes().getAttrString("data_format"));
      b.setAttr("dilations", like.attributes().getAttrIntList("dilations"));
      b.setAttr("explicit_paddings", like.attributes().getAttrIntList("explicit_paddings"));
    }, inputs);
  }

  private static void poolAttrs(OperationBuilder b, GraphOperation like) {
    b.setAttr("ksize", like.attributes().getAttrIntList("ksize"));
    b.setAttr("strides", like.attributes().getAttrIntList("strides"));
    b.setAttr("padding", like.attributes().getAttrString("padding"));
    b.setAttr("data_format", like.attributes().getAttrString("data_format"));
  }

  private static Operand<?> build(Ops tf, String type, Consumer<OperationBuilder> attrs, Operand<?>... inputs) {
    OperationBuilder b = tf.scope().opBuilder(type, type);
    for (Operand<?> in : inputs) {
      b.addInput(in.asOutput());
    }
    attrs.accept(b);
    Output<?> out = b.build().output(0);
    return out;
  }
}
