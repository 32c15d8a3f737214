package io.github.deconvspark.kernels.tf;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads the TensorFlow reference file written by the oracle module (io.github.deconvspark.oracle.RefFormat;
 * the format is documented in oracle/README.md). Keep the two in step: a version mismatch fails loudly.
 */
final class TfReference {
  static final String PROPERTY = "deconv.tfref";
  static final String HOW_TO_GENERATE = "generate it with `mvn -q -pl oracle -am test` (or "
      + "`mvn -q -pl oracle compile exec:exec@tf-reference`); the path comes from system property " + PROPERTY;

  private static final int MAGIC = 0x54465246;     // "TFRF"
  private static final int END_MAGIC = 0x54464E44; // "TFND"
  private static final int VERSION = 2;

  final String provenance;
  final List<Case> cases;

  private TfReference(String provenance, List<Case> cases) {
    this.provenance = provenance;
    this.cases = cases;
  }

  /**
   * A named dense tensor in C order: dtype "f32" (float[]), "f64" (double[]), "i64" (long[]), "i32" (int[]) or "u8"
   * (int[] of the unsigned values 0..255).
   */
  record Tensor(String name, String dtype, long[] shape, Object data) {
    INDArray toNd4j() {
      return switch (dtype) {
        case "f32" -> Nd4j.create((float[]) data, shape, DataType.FLOAT);
        case "f64" -> Nd4j.create((double[]) data, shape, DataType.DOUBLE);
        case "i32" -> Nd4j.createFromArray((int[]) data).reshape(shape);
        case "u8" -> Nd4j.createFromArray((int[]) data).reshape(shape).castTo(DataType.UBYTE);
        default -> Nd4j.create((long[]) data, shape, DataType.LONG);
      };
    }

    /** Integer values (i64, i32, u8) as long[]. */
    long[] longs() {
      return data instanceof long[] l ? l : java.util.Arrays.stream((int[]) data).asLongStream().toArray();
    }

    @Override
    public String toString() {
      return name + " " + dtype + Arrays.toString(shape);
    }
  }

  /** One case: op, TF route, attributes (long[] | String | Boolean), inputs, then TF's outputs or error. */
  record Case(String id, String op, String route, Map<String, Object> attrs, List<Tensor> inputs,
              String error, List<Tensor> outputs) {
    boolean isError() {
      return error != null;
    }

    boolean has(String attr) {
      return attrs.containsKey(attr);
    }

    long[] ints(String attr) {
      return (long[]) require(attr);
    }

    int[] intsAsInt(String attr) {
      return Arrays.stream(ints(attr)).mapToInt(Math::toIntExact).toArray();
    }

    String str(String attr) {
      return (String) require(attr);
    }

    boolean bool(String attr) {
      return (Boolean) require(attr);
    }

    Tensor input(String name) {
      return find(inputs, name);
    }

    Tensor output(String name) {
      return find(outputs, name);
    }

    /** The dtype of the case's first input ("f32" or "f64"). */
    String dtype() {
      return inputs.get(0).dtype();
    }

    private Object require(String attr) {
      Object v = attrs.get(attr);
      if (v == null) {
        throw new IllegalStateException(id + ": no attribute " + attr + " in " + attrs.keySet());
      }
      return v;
    }

    private Tensor find(List<Tensor> ts, String name) {
      return ts.stream().filter(t -> t.name().equals(name)).findFirst()
          .orElseThrow(() -> new IllegalStateException(id + ": no tensor " + name + " in " + ts));
    }

    /** Attributes as text, for failure messages. */
    String describe() {
      StringBuilder sb = new StringBuilder(id).append(" (route ").append(route).append(')');
      attrs.forEach((k, v) -> sb.append(' ').append(k).append('=')
          .append(v instanceof long[] a ? Arrays.toString(a) : v));
      inputs.forEach(t -> sb.append(' ').append(t));
      return sb.toString();
    }
  }

  /** The file named by system property deconv.tfref; null when the property is unset. */
  static Path location() {
    return location(PROPERTY);
  }

  static Path location(String property) {
    String p = System.getProperty(property);
    return p == null || p.isBlank() ? null : Path.of(p);
  }

  /** Loads the file named by a system property; a missing property or file fails (never skips) saying how to make it. */
  static TfReference loadFrom(String property) throws IOException {
    Path file = location(property);
    if (file == null) {
      org.junit.jupiter.api.Assertions.fail("system property " + property + " is not set; " + HOW_TO_GENERATE);
    }
    if (!Files.isRegularFile(file)) {
      org.junit.jupiter.api.Assertions.fail("TF reference file " + file.toAbsolutePath().normalize() + " is missing; "
          + HOW_TO_GENERATE);
    }
    return load(file);
  }

  static TfReference load(Path file) throws IOException {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      if (in.readInt() != MAGIC) {
        throw new IOException(file + " is not a TF reference file (bad magic)");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IOException(file + " has format version " + version + " but this reader reads " + VERSION
            + "; regenerate it: " + HOW_TO_GENERATE);
      }
      String provenance = readString(in);
      int n = in.readInt();
      List<Case> cases = new ArrayList<>(n);
      for (int k = 0; k < n; k++) {
        String id = readString(in);
        String op = readString(in);
        String route = readString(in);
        Map<String, Object> attrs = new LinkedHashMap<>();
        int na = in.readInt();
        for (int a = 0; a < na; a++) {
          String name = readString(in);
          byte tag = in.readByte();
          switch (tag) {
            case 1 -> {
              long[] v = new long[in.readInt()];
              for (int i = 0; i < v.length; i++) {
                v[i] = in.readLong();
              }
              attrs.put(name, v);
            }
            case 2 -> attrs.put(name, readString(in));
            case 3 -> attrs.put(name, in.readBoolean());
            default -> throw new IOException(id + ": unknown attribute tag " + tag);
          }
        }
        List<Tensor> inputs = readTensors(in);
        String error = null;
        List<Tensor> outputs = List.of();
        if (in.readBoolean()) {
          error = readString(in);
        } else {
          outputs = readTensors(in);
        }
        cases.add(new Case(id, op, route, Collections.unmodifiableMap(attrs), inputs, error, outputs));
      }
      if (in.readInt() != END_MAGIC) {
        throw new IOException(file + ": end marker missing (truncated file?)");
      }
      return new TfReference(provenance, Collections.unmodifiableList(cases));
    }
  }

  private static List<Tensor> readTensors(DataInputStream in) throws IOException {
    int n = in.readInt();
    List<Tensor> ts = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      String name = readString(in);
      byte code = in.readByte();
      long[] shape = new long[in.readInt()];
      long size = 1;
      for (int i = 0; i < shape.length; i++) {
        shape[i] = in.readLong();
        size *= shape[i];
      }
      int m = Math.toIntExact(size);
      switch (code) {
        case 1 -> {
          float[] a = new float[m];
          for (int i = 0; i < m; i++) {
            a[i] = in.readFloat();
          }
          ts.add(new Tensor(name, "f32", shape, a));
        }
        case 2 -> {
          double[] a = new double[m];
          for (int i = 0; i < m; i++) {
            a[i] = in.readDouble();
          }
          ts.add(new Tensor(name, "f64", shape, a));
        }
        case 3 -> {
          long[] a = new long[m];
          for (int i = 0; i < m; i++) {
            a[i] = in.readLong();
          }
          ts.add(new Tensor(name, "i64", shape, a));
        }
        case 4 -> {
          int[] a = new int[m];
          for (int i = 0; i < m; i++) {
            a[i] = in.readInt();
          }
          ts.add(new Tensor(name, "i32", shape, a));
        }
        case 5 -> {
          int[] a = new int[m];
          for (int i = 0; i < m; i++) {
            a[i] = in.readUnsignedByte();
          }
          ts.add(new Tensor(name, "u8", shape, a));
        }
        default -> throw new IOException(name + ": unknown dtype code " + code);
      }
    }
    return ts;
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
