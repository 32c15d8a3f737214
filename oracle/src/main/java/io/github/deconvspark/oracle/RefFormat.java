package io.github.deconvspark.oracle;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference file: a big-endian {@link DataOutputStream} stream, documented in oracle/README.md.
 * The reader lives in the kernels tests (TfReference); keep both in step and bump VERSION on any change.
 */
final class RefFormat {
  static final int MAGIC = 0x54465246;     // "TFRF"
  static final int END_MAGIC = 0x54464E44; // "TFND": a truncated file fails loudly
  static final int VERSION = 2; // 2: int32 and uint8 tensors

  static final byte ATTR_INTS = 1;
  static final byte ATTR_STRING = 2;
  static final byte ATTR_BOOL = 3;

  enum DType {
    F32(1), F64(2), I64(3), I32(4), U8(5);
    final byte code;

    DType(int code) {
      this.code = (byte) code;
    }
  }

  /** A named dense tensor, C order; data is float[], double[], long[], int[] or byte[] (uint8 bits) matching dtype. */
  record Tensor(String name, DType dtype, long[] shape, Object data) {
    int size() {
      return switch (dtype) {
        case F32 -> ((float[]) data).length;
        case F64 -> ((double[]) data).length;
        case I64 -> ((long[]) data).length;
        case I32 -> ((int[]) data).length;
        case U8 -> ((byte[]) data).length;
      };
    }

    Tensor renamed(String newName) {
      return new Tensor(newName, dtype, shape, data);
    }
  }

  /** One reference case: what was asked (op, attrs, inputs), how TF computed it (route), what TF said. */
  static final class Case {
    final String id;
    final String op;
    String route = "native";
    final Map<String, Object> attrs = new LinkedHashMap<>(); // long[] | String | Boolean
    final List<Tensor> inputs;
    List<Tensor> outputs;
    String error; // non-null: TF rejected the config

    Case(String id, String op, List<Tensor> inputs) {
      this.id = id;
      this.op = op;
      this.inputs = inputs;
    }

    Case ints(String name, long... v) {
      attrs.put(name, v);
      return this;
    }

    Case str(String name, String v) {
      attrs.put(name, v);
      return this;
    }

    Case bool(String name, boolean v) {
      attrs.put(name, v);
      return this;
    }

    long[] ints(String name) {
      return (long[]) attrs.get(name);
    }

    String str(String name) {
      return (String) attrs.get(name);
    }

    Tensor input(String name) {
      return inputs.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }
  }

  private RefFormat() {
  }

  /** Writes to a temporary sibling first, then renames: readers never see a half-written file. */
  static void write(Path out, String provenance, List<Case> cases) throws IOException {
    Path dir = out.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(out.getFileName() + ".tmp");
    try (OutputStream fos = Files.newOutputStream(tmp);
         DataOutputStream o = new DataOutputStream(new BufferedOutputStream(fos, 1 << 16))) {
      o.writeInt(MAGIC);
      o.writeInt(VERSION);
      writeString(o, provenance);
      o.writeInt(cases.size());
      for (Case c : cases) {
        writeString(o, c.id);
        writeString(o, c.op);
        writeString(o, c.route);
        o.writeInt(c.attrs.size());
        for (Map.Entry<String, Object> a : c.attrs.entrySet()) {
          writeString(o, a.getKey());
          Object v = a.getValue();
          if (v instanceof long[] ints) {
            o.writeByte(ATTR_INTS);
            o.writeInt(ints.length);
            for (long x : ints) {
              o.writeLong(x);
            }
          } else if (v instanceof String s) {
            o.writeByte(ATTR_STRING);
            writeString(o, s);
          } else if (v instanceof Boolean b) {
            o.writeByte(ATTR_BOOL);
            o.writeBoolean(b);
          } else {
            throw new IllegalArgumentException("attr " + a.getKey() + ": unsupported value " + v);
          }
        }
        writeTensors(o, c.inputs);
        if (c.error != null) {
          o.writeBoolean(true);
          writeString(o, c.error);
        } else {
          o.writeBoolean(false);
          writeTensors(o, c.outputs);
        }
      }
      o.writeInt(END_MAGIC);
    }
    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void writeTensors(DataOutputStream o, List<Tensor> ts) throws IOException {
    o.writeInt(ts.size());
    for (Tensor t : ts) {
      writeString(o, t.name());
      o.writeByte(t.dtype().code);
      o.writeInt(t.shape().length);
      long n = 1;
      for (long d : t.shape()) {
        o.writeLong(d);
        n *= d;
      }
      if (n != t.size()) {
        throw new IllegalStateException(t.name() + ": shape holds " + n + " elements, data " + t.size());
      }
      switch (t.dtype()) {
        case F32 -> {
          for (float x : (float[]) t.data()) {
            o.writeFloat(x);
          }
        }
        case F64 -> {
          for (double x : (double[]) t.data()) {
            o.writeDouble(x);
          }
        }
        case I64 -> {
          for (long x : (long[]) t.data()) {
            o.writeLong(x);
          }
        }
        case I32 -> {
          for (int x : (int[]) t.data()) {
            o.writeInt(x);
          }
        }
        case U8 -> o.write((byte[]) t.data());
      }
    }
  }

  /** Reads a whole file back (for RefDump and the generator's round-trip check). */
  static List<Case> read(Path in) throws IOException {
    try (DataInputStream i = new DataInputStream(new BufferedInputStream(Files.newInputStream(in), 1 << 16))) {
      if (i.readInt() != MAGIC) {
        throw new IOException(in + ": not a reference file");
      }
      int version = i.readInt();
      if (version != VERSION) {
        throw new IOException(in + ": version " + version + ", this reader knows " + VERSION);
      }
      readString(i); // provenance
      int n = i.readInt();
      List<Case> cases = new ArrayList<>(n);
      for (int k = 0; k < n; k++) {
        String id = readString(i);
        String op = readString(i);
        String route = readString(i);
        Map<String, Object> attrs = new LinkedHashMap<>();
        int na = i.readInt();
        for (int a = 0; a < na; a++) {
          String name = readString(i);
          byte tag = i.readByte();
          switch (tag) {
            case ATTR_INTS -> {
              long[] v = new long[i.readInt()];
              for (int j = 0; j < v.length; j++) {
                v[j] = i.readLong();
              }
              attrs.put(name, v);
            }
            case ATTR_STRING -> attrs.put(name, readString(i));
            case ATTR_BOOL -> attrs.put(name, i.readBoolean());
            default -> throw new IOException("bad attr tag " + tag);
          }
        }
        Case c = new Case(id, op, readTensors(i));
        c.route = route;
        c.attrs.putAll(attrs);
        if (i.readBoolean()) {
          c.error = readString(i);
        } else {
          c.outputs = readTensors(i);
        }
        cases.add(c);
      }
      if (i.readInt() != END_MAGIC) {
        throw new IOException(in + ": missing end marker");
      }
      return cases;
    }
  }

  private static List<Tensor> readTensors(DataInputStream i) throws IOException {
    int n = i.readInt();
    List<Tensor> ts = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      String name = readString(i);
      byte code = i.readByte();
      DType dt = java.util.Arrays.stream(DType.values()).filter(d -> d.code == code).findFirst()
          .orElseThrow(() -> new IOException("bad dtype code " + code));
      long[] shape = new long[i.readInt()];
      long size = 1;
      for (int j = 0; j < shape.length; j++) {
        shape[j] = i.readLong();
        size *= shape[j];
      }
      int m = Math.toIntExact(size);
      Object data;
      switch (dt) {
        case F32 -> {
          float[] a = new float[m];
          for (int j = 0; j < m; j++) {
            a[j] = i.readFloat();
          }
          data = a;
        }
        case F64 -> {
          double[] a = new double[m];
          for (int j = 0; j < m; j++) {
            a[j] = i.readDouble();
          }
          data = a;
        }
        case I64 -> {
          long[] a = new long[m];
          for (int j = 0; j < m; j++) {
            a[j] = i.readLong();
          }
          data = a;
        }
        case I32 -> {
          int[] a = new int[m];
          for (int j = 0; j < m; j++) {
            a[j] = i.readInt();
          }
          data = a;
        }
        default -> {
          byte[] a = new byte[m];
          i.readFully(a);
          data = a;
        }
      }
      ts.add(new Tensor(name, dt, shape, data));
    }
    return ts;
  }

  private static String readString(DataInputStream i) throws IOException {
    byte[] b = new byte[i.readInt()];
    i.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  /** Length-prefixed UTF-8 (not writeUTF: TF error messages can pass its 64 KiB limit). */
  private static void writeString(DataOutputStream o, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    o.writeInt(b.length);
    o.write(b);
  }
}
