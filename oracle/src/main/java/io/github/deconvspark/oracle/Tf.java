package io.github.deconvspark.oracle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;

/**
 * A small TF graph builder over raw ops ({@code Graph.opBuilder}): every op is created by its TF op name
 * with TF's own attribute names, so a graph here reads like the op's registration in TF.
 * Inputs are Placeholders, fed at run time (Grappler cannot constant-fold them away).
 */
final class Tf implements AutoCloseable {
  final Graph graph = new Graph();
  private final Map<Output<?>, RefFormat.Tensor> feeds = new LinkedHashMap<>();
  private int counter;

  /** A Placeholder fed with {@code value} when the graph runs. */
  Output<?> feed(RefFormat.Tensor value) {
    Output<?> p = placeholder(dataType(value.dtype()), value.shape());
    feeds.put(p, value);
    return p;
  }

  Output<?> placeholder(DataType dtype, long[] shape) {
    return graph.opBuilder("Placeholder", name("Placeholder"), graph.baseScope())
        .setAttr("dtype", dtype).setAttr("shape", Shape.of(shape)).build().output(0);
  }

  Output<?> constInt32(long... values) {
    int[] v = new int[values.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.toIntExact(values[i]);
    }
    try (TInt32 t = TInt32.vectorOf(v)) {
      return graph.opBuilder("Const", name("Const"), graph.baseScope())
          .setAttr("dtype", DataType.DT_INT32).setAttr("value", t).build().output(0);
    }
  }

  Output<?> constInt64(long... values) {
    try (TInt64 t = TInt64.vectorOf(values)) {
      return graph.opBuilder("Const", name("Const"), graph.baseScope())
          .setAttr("dtype", DataType.DT_INT64).setAttr("value", t).build().output(0);
    }
  }

  /** An int32 constant of the given shape (e.g. Pad's [rank, 2] paddings). */
  Output<?> constInt32(long[] shape, long... values) {
    int[] v = new int[values.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.toIntExact(values[i]);
    }
    try (TInt32 t = TInt32.tensorOf(Shape.of(shape), DataBuffers.of(v, true, false))) {
      return graph.opBuilder("Const", name("Const"), graph.baseScope())
          .setAttr("dtype", DataType.DT_INT32).setAttr("value", t).build().output(0);
    }
  }

  Output<?> scalarInt64(long value) {
    try (TInt64 t = TInt64.scalarOf(value)) {
      return graph.opBuilder("Const", name("Const"), graph.baseScope())
          .setAttr("dtype", DataType.DT_INT64).setAttr("value", t).build().output(0);
    }
  }

  /** Builds one raw op; {@code attrs} sets its attributes (TF names). */
  GraphOperation op(String type, Consumer<GraphOperationBuilder> attrs, Output<?>... inputs) {
    GraphOperationBuilder b = graph.opBuilder(type, name(type), graph.baseScope());
    for (Output<?> in : inputs) {
      b.addInput(in);
    }
    attrs.accept(b);
    return b.build();
  }

  Output<?> op1(String type, Consumer<GraphOperationBuilder> attrs, Output<?>... inputs) {
    return op(type, attrs, inputs).output(0);
  }

  /** ConcatV2 of values along a scalar axis. */
  Output<?> concat(Output<?>[] values, long axis) {
    Output<?> a;
    try (TInt32 t = TInt32.scalarOf(Math.toIntExact(axis))) {
      a = graph.opBuilder("Const", name("Const"), graph.baseScope())
          .setAttr("dtype", DataType.DT_INT32).setAttr("value", t).build().output(0);
    }
    return graph.opBuilder("ConcatV2", name("ConcatV2"), graph.baseScope()).addInputList(values).addInput(a).build().output(0);
  }

  Output<?> transpose(Output<?> x, long... perm) {
    return op1("Transpose", b -> { }, x, constInt32(perm));
  }

  Output<?> reshape(Output<?> x, long... shape) {
    return op1("Reshape", b -> { }, x, constInt64(shape));
  }

  /** Runs the graph once with the recorded feeds and returns the fetched outputs. */
  List<RefFormat.Tensor> run(List<String> names, List<Output<?>> fetches) {
    try (Session s = new Session(graph)) {
      Session.Runner r = s.runner();
      List<Tensor> fed = new ArrayList<>();
      try {
        for (Map.Entry<Output<?>, RefFormat.Tensor> e : feeds.entrySet()) {
          Tensor t = toTf(e.getValue());
          fed.add(t);
          r.feed(e.getKey(), t);
        }
        for (Output<?> f : fetches) {
          r.fetch(f);
        }
        try (Result res = r.run()) {
          List<RefFormat.Tensor> out = new ArrayList<>();
          for (int i = 0; i < fetches.size(); i++) {
            out.add(fromTf(names.get(i), res.get(i)));
          }
          return out;
        }
      } finally {
        for (Tensor t : fed) {
          t.close();
        }
      }
    }
  }

  @Override
  public void close() {
    graph.close();
  }

  private String name(String type) {
    return type + "_" + (counter++);
  }

  static DataType dataType(RefFormat.DType d) {
    return switch (d) {
      case F32 -> DataType.DT_FLOAT;
      case F64 -> DataType.DT_DOUBLE;
      case I64 -> DataType.DT_INT64;
      case I32 -> DataType.DT_INT32;
      case U8 -> DataType.DT_UINT8;
    };
  }

  static Tensor toTf(RefFormat.Tensor v) {
    Shape shape = Shape.of(v.shape());
    return switch (v.dtype()) {
      case F32 -> TFloat32.tensorOf(shape, DataBuffers.of((float[]) v.data(), true, false));
      case F64 -> TFloat64.tensorOf(shape, DataBuffers.of((double[]) v.data(), true, false));
      case I64 -> TInt64.tensorOf(shape, DataBuffers.of((long[]) v.data(), true, false));
      case I32 -> TInt32.tensorOf(shape, DataBuffers.of((int[]) v.data(), true, false));
      case U8 -> TUint8.tensorOf(shape, DataBuffers.of((byte[]) v.data(), true, false));
    };
  }

  static RefFormat.Tensor fromTf(String name, Tensor t) {
    long[] shape = t.shape().asArray();
    int n = Math.toIntExact(t.shape().size());
    if (t instanceof TFloat32 f) {
      float[] a = new float[n];
      f.copyTo(DataBuffers.of(a, false, false));
      return new RefFormat.Tensor(name, RefFormat.DType.F32, shape, a);
    } else if (t instanceof TFloat64 d) {
      double[] a = new double[n];
      d.copyTo(DataBuffers.of(a, false, false));
      return new RefFormat.Tensor(name, RefFormat.DType.F64, shape, a);
    } else if (t instanceof TInt64 l) {
      long[] a = new long[n];
      l.copyTo(DataBuffers.of(a, false, false));
      return new RefFormat.Tensor(name, RefFormat.DType.I64, shape, a);
    } else if (t instanceof TInt32 i) {
      int[] a = new int[n];
      i.copyTo(DataBuffers.of(a, false, false));
      return new RefFormat.Tensor(name, RefFormat.DType.I32, shape, a);
    } else if (t instanceof TUint8 u) {
      byte[] a = new byte[n];
      u.copyTo(DataBuffers.of(a, false, false));
      return new RefFormat.Tensor(name, RefFormat.DType.U8, shape, a);
    }
    throw new IllegalStateException("unexpected TF output type " + t.dataType());
  }
}
