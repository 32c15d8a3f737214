package io.github.deconvspark.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code CompareOutputs OUT_A INPUT_A OUT_B INPUT_B}: two local copies of visualize outputs must hold
 * the same results: every table row (image paths taken relative to each run's input), every picture
 * byte for byte. Prints the differences and exits 1 when there are any.
 */
public final class CompareOutputs {
    private CompareOutputs() {}

    public static void main(String[] args) throws Exception {
        if (Files.isDirectory(Path.of(args[0], "sum")) || Files.isDirectory(Path.of(args[0], "model"))) {
            numeric(Path.of(args[0]), Path.of(args[2]));
            return;
        }
        SparkSession spark = SparkSession.builder().master("local[1]").appName("compare").config("spark.ui.enabled", "false").getOrCreate();
        try {
            Map<String, String> a = read(spark, Path.of(args[0]), args[1]), b = read(spark, Path.of(args[2]), args[3]);
            List<String> diffs = new ArrayList<>();
            for (String k : a.keySet()) if (!a.get(k).equals(b.get(k))) diffs.add(k + ": " + clip(a.get(k)) + " <> " + clip(b.get(k)));
            for (String k : b.keySet()) if (!a.containsKey(k)) diffs.add(k + ": only in " + args[2]);
            long tables = a.keySet().stream().filter(k -> !k.startsWith("file ")).count();
            if (diffs.isEmpty()) {
                System.out.println("outputs equal: " + tables + " table rows, " + (a.size() - tables) + " pictures");
                return;
            }
            System.out.println(diffs.size() + " differences between " + args[0] + " and " + args[2] + ":");
            diffs.stream().limit(20).forEach(d -> System.out.println("  " + d));
            System.exit(1);
        } finally {
            spark.stop();
        }
    }

    /**
     * A gradients output (every sum/ and mean/ .npy) or a train output (model/weights.bin): the same files, values
     * equal to 1e-9 of each array's largest magnitude (float64 sums merged in another order) or, for trained float32
     * weights, to 1e-5.
     */
    static void numeric(Path a, Path b) throws Exception {
        List<Path> files = new ArrayList<>();
        for (String d : List.of("sum", "mean", "model")) {
            if (!Files.isDirectory(a.resolve(d))) continue;
            try (Stream<Path> s = Files.list(a.resolve(d))) {
                s.filter(p -> p.toString().endsWith(".npy") || p.toString().endsWith(".bin")).sorted().forEach(p -> files.add(a.relativize(p)));
            }
        }
        if (files.isEmpty()) throw new IllegalStateException(a + " holds no .npy or weights file");
        List<String> diffs = new ArrayList<>();
        for (Path f : files) {
            if (!Files.exists(b.resolve(f))) {
                diffs.add(f + ": only in " + a);
                continue;
            }
            double[] x = values(a.resolve(f)), y = values(b.resolve(f));
            if (x.length != y.length) {
                diffs.add(f + ": " + x.length + " <> " + y.length + " values");
                continue;
            }
            double scale = 0, worst = 0;
            for (int i = 0; i < x.length; i++) {
                if (!Double.isNaN(x[i])) scale = Math.max(scale, Math.abs(x[i]));
                if (Double.compare(x[i], y[i]) == 0) continue; // identical (also the int32 shape words of weights.bin, NaN as floats)
                worst = Math.max(worst, Double.isNaN(x[i] - y[i]) ? Double.POSITIVE_INFINITY : Math.abs(x[i] - y[i]));
            }
            double tol = f.toString().endsWith(".bin") ? 1e-5 : 1e-9 * scale;
            if (!(worst <= tol)) diffs.add(f + ": max |difference| " + worst + " > " + tol);
        }
        if (diffs.isEmpty()) {
            System.out.println("outputs equal: " + files.size() + " arrays");
            return;
        }
        System.out.println(diffs.size() + " differences between " + a + " and " + b + ":");
        diffs.forEach(d -> System.out.println("  " + d));
        System.exit(1);
    }

    /** A .npy file's float64 values, or a weights.bin's float32 values (little-endian). */
    static double[] values(Path p) throws Exception {
        byte[] bytes = Files.readAllBytes(p);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (p.toString().endsWith(".npy")) {
            int hl = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
            bb.position(10 + hl);
            double[] v = new double[bb.remaining() / 8];
            for (int i = 0; i < v.length; i++) v[i] = bb.getDouble();
            return v;
        }
        double[] v = new double[bytes.length / 4];
        for (int i = 0; i < v.length; i++) v[i] = bb.getFloat();
        return v;
    }

    static String clip(String s) {
        return s == null ? "(missing)" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    static String cols(Row r, String... names) {
        StringBuilder sb = new StringBuilder();
        for (String n : names) sb.append(n).append('=').append(r.get(r.fieldIndex(n))).append(' ');
        return sb.toString().trim();
    }

    static String rel(String path, String input) {
        String in = input.endsWith("/") ? input.substring(0, input.length() - 1) : input;
        if (path.startsWith(in + "/")) return path.substring(in.length() + 1);
        int at = path.indexOf(new org.apache.hadoop.fs.Path(in).toUri().getPath() + "/");   // file:/x vs file:///x
        return at >= 0 ? path.substring(at + new org.apache.hadoop.fs.Path(in).toUri().getPath().length() + 1) : path;
    }

    static Map<String, String> read(SparkSession spark, Path out, String input) throws Exception {
        Map<String, String> m = new TreeMap<>();
        if (Files.exists(out.resolve("cases.parquet"))) {                   // a gradcheck output: every verdict but its time
            List<Row> cases = spark.read().parquet(out.resolve("cases.parquet").toString()).collectAsList();
            for (Row r : cases) {
                m.put("case " + r.getAs("case_id"), cols(r, "op", "params", "order", "status", "passed", "max_abs_error", "max_rel_error",
                        "tolerance_ratio", "compared", "mode", "detail"));
            }
            m.put("rows cases", String.valueOf(cases.size()));
            return m;
        }
        List<Row> acts = spark.read().parquet(out.resolve("activations.parquet").toString()).collectAsList();
        for (Row r : acts) {
            m.put("activation " + rel(r.getAs("path"), input), cols(r, "ok", "rule", "reason", "note", "width", "height", "values", "positions"));
        }
        List<Row> projs = spark.read().parquet(out.resolve("projections.parquet").toString()).collectAsList();
        for (Row r : projs) {
            m.put("projection " + r.getAs("unit") + "/" + r.getAs("rank"), rel(r.getAs("image"), input) + " "
                    + cols(r, "layer", "channel", "activation", "y", "x", "box", "projection_file", "patch_file", "shape", "values"));
        }
        List<Row> rejects = spark.read().parquet(out.resolve("rejects.parquet").toString()).collectAsList();
        for (Row r : rejects) m.put("reject " + rel(r.getAs("path"), input), cols(r, "rule", "reason"));
        // row counts: a duplicated row would hide behind its key above
        m.put("rows activations", String.valueOf(acts.size()));
        m.put("rows projections", String.valueOf(projs.size()));
        m.put("rows rejects", String.valueOf(rejects.size()));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> s = Files.walk(out.resolve("images"))) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".crc")).toList()) {
                m.put("file " + out.relativize(p), HexFormat.of().formatHex(sha.digest(Files.readAllBytes(p))));
            }
        }
        return m;
    }
}
