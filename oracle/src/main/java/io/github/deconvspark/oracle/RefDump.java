package io.github.deconvspark.oracle;

import io.github.deconvspark.oracle.RefFormat.Case;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Prints a reference file for people: {@code RefDump FILE [ID_PREFIX...] [--data]}. Without an id prefix it
 * lists every case on one line; with {@code --data} it prints tensor values too.
 */
public final class RefDump {
  private RefDump() {
  }

  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      System.err.println("usage: RefDump FILE [ID_PREFIX...] [--data]");
      System.exit(2);
    }
    List<String> rest = Arrays.asList(args).subList(1, args.length);
    boolean data = rest.contains("--data");
    List<String> ids = rest.stream().filter(a -> !a.equals("--data")).toList();
    for (Case c : RefFormat.read(Path.of(args[0]))) {
      if (!ids.isEmpty() && ids.stream().noneMatch(p -> c.id.equals(p) || c.id.startsWith(p + "#") || (p.endsWith("#") && c.id.startsWith(p)))) {
        continue;
      }
      StringBuilder sb = new StringBuilder(c.id).append("  route=").append(c.route);
      for (Map.Entry<String, Object> a : c.attrs.entrySet()) {
        Object v = a.getValue();
        sb.append("  ").append(a.getKey()).append('=').append(v instanceof long[] l ? Arrays.toString(l) : v);
      }
      System.out.println(sb);
      for (Tensor t : c.inputs) {
        print("  in  ", t, data);
      }
      if (c.error != null) {
        System.out.println("  ERROR " + c.error.replace("\n", "\n        "));
      } else {
        for (Tensor t : c.outputs) {
          print("  out ", t, data);
        }
      }
    }
  }

  private static void print(String prefix, Tensor t, boolean data) {
    System.out.println(prefix + t.name() + " " + t.dtype() + Arrays.toString(t.shape()));
    if (data) {
      String v = switch (t.dtype()) {
        case F32 -> Arrays.toString((float[]) t.data());
        case F64 -> Arrays.toString((double[]) t.data());
        case I64 -> Arrays.toString((long[]) t.data());
        case I32 -> Arrays.toString((int[]) t.data());
        case U8 -> Arrays.toString(java.util.stream.IntStream.range(0, ((byte[]) t.data()).length)
            .map(k -> Byte.toUnsignedInt(((byte[]) t.data())[k])).toArray());
      };
      System.out.println("      " + v);
    }
  }
}
