package io.github.deconvspark.models.tfjs;

import io.github.deconvspark.models.json.Json;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TF.js loader over an adversarial corpus of models, generated here from one small valid model
 * ({@link TfjsModelTest#smallNet}): every field of model.json wrong in turn, weight paths that try to leave the model's
 * folder in every form, quantization and dtype errors, shapes that overflow, a cycle, deep nesting, text that is not
 * UTF-8, model files that are folders, FIFOs or too large. Per case: no JVM error, no hang, bounded allocation, and
 * either a load (the legal oddities) or an error that names the model (or the file) and the rule.
 */
class ModelCorpusTest {
    @TempDir Path root;

    /** A literal JSON text in a model tree (numbers JSON can hold but Java cannot, broken nesting). */
    record Raw(String text) {}

    /** One case: a change to the valid model (its JSON tree and its folder), and the text its error must hold (null: loads). */
    record Case(String name, Consumer<Map<String, Object>> json, FsChange fs, String error) {}

    interface FsChange {
        void apply(Path dir) throws Exception;
    }

    static final FsChange NONE = d -> {};

    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Object o) { return (Map<String, Object>) o; }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) { return (List<Object>) o; }

    static List<Object> nodes(Map<String, Object> m) { return list(obj(m.get("modelTopology")).get("node")); }

    static Map<String, Object> node(Map<String, Object> m, String name) {
        for (Object n : nodes(m)) if (name.equals(obj(n).get("name"))) return obj(n);
        throw new IllegalArgumentException(name);
    }

    static Map<String, Object> group(Map<String, Object> m) { return obj(list(m.get("weightsManifest")).get(0)); }

    static Map<String, Object> weight(Map<String, Object> m, String name) {
        for (Object w : list(group(m).get("weights"))) if (name.equals(obj(w).get("name"))) return obj(w);
        throw new IllegalArgumentException(name);
    }

    static Consumer<Map<String, Object>> paths(String... p) {
        return m -> group(m).put("paths", new ArrayList<>(List.of((Object[]) p)));
    }

    static Consumer<Map<String, Object>> attr(String node, String key, Object value) {
        return m -> {
            Map<String, Object> a = obj(node(m, node).get("attr"));
            if (value == null) a.remove(key);
            else a.put(key, value);
        };
    }

    static Object parse(String json) {
        return Json.parse(json, "test");
    }

    List<Case> cases() {
        List<Case> c = new ArrayList<>();
        // weight paths: every way out of the folder is refused, naming the entry
        for (String p : List.of("../outside.bin", "%2e%2e/outside.bin", "%2E%2E%2Foutside.bin", "sub/../../outside.bin",
                "..%2foutside.bin", "/tmp/outside.bin", "file:///etc/passwd", "http://example.com/x.bin", "..\\outside.bin",
                "a%00.bin", "", "%zz.bin", "%ff.bin")) {
            c.add(new Case("path " + p, paths(p, "group1-shard2of2.bin"), d -> Files.write(d.resolveSibling("outside.bin"), new byte[10]),
                    p.isEmpty() ? "is empty" : "paths[0]"));
        }
        c.add(new Case("path /etc/passwd", paths("/etc/passwd"), NONE, "absolute path"));
        c.add(new Case("link inside pointing outside", paths("inside.bin", "group1-shard2of2.bin"), d -> {
            Files.write(d.resolveSibling("outside.bin"), Files.readAllBytes(d.resolve("group1-shard1of2.bin")));
            Files.createSymbolicLink(d.resolve("inside.bin"), d.resolveSibling("outside.bin"));
        }, "outside the model's folder"));
        c.add(new Case("link to /dev/zero", paths("zero.bin"), d -> Files.createSymbolicLink(d.resolve("zero.bin"), Path.of("/dev/zero")),
                "outside the model's folder"));
        c.add(new Case("shard is a folder", paths("dir.bin"), d -> Files.createDirectory(d.resolve("dir.bin")), "is a folder"));
        c.add(new Case("shard is a FIFO", paths("fifo.bin"), d -> sh("mkfifo \"$1\"", d.resolve("fifo.bin").toString()), "a FIFO"));
        c.add(new Case("shard missing", paths("nope.bin"), NONE, "does not exist"));
        c.add(new Case("double-encoded dots stay a name", paths("%252e%252e/outside.bin"), NONE, "does not exist"));
        // legal oddities load
        c.add(new Case("'..' that stays inside is refused too", paths("w/../group1-shard1of2.bin", "group1-shard2of2.bin"), NONE,
                "climbs out"));
        c.add(new Case("shard in a subfolder", paths("w/one.bin", "./group1-shard2of2.bin"), d -> {
            Files.createDirectory(d.resolve("w"));
            Files.move(d.resolve("group1-shard1of2.bin"), d.resolve("w/one.bin"));
        }, null));
        c.add(new Case("link inside pointing inside", paths("alias.bin", "group1-shard2of2.bin"),
                d -> Files.createSymbolicLink(d.resolve("alias.bin"), d.resolve("group1-shard1of2.bin")), null));
        c.add(new Case("plus in a name stays a plus", paths("a+b.bin", "group1-shard2of2.bin"),
                d -> Files.move(d.resolve("group1-shard1of2.bin"), d.resolve("a+b.bin")), null));
        c.add(new Case("model given as its folder", m -> {}, NONE, null));
        // shard sizes
        c.add(new Case("shard too short", m -> {}, d -> Files.write(d.resolve("group1-shard2of2.bin"), new byte[3]), "need 20 bytes"));
        c.add(new Case("shard too long", m -> {}, d -> Files.write(d.resolve("group1-shard2of2.bin"), new byte[4000]), "need 20 bytes"));
        // weights
        c.add(new Case("duplicate weight", m -> list(group(m).get("weights")).add(weight(m, "axes")), NONE, "declared twice"));
        c.add(new Case("shape 2^63", m -> weight(m, "w").put("shape", List.of(new Raw("9223372036854775808"))), NONE, "out of range"));
        c.add(new Case("shape 1e400", m -> weight(m, "w").put("shape", List.of(new Raw("1e400"))), NONE, "out of range"));
        c.add(new Case("shape overflows", m -> weight(m, "w").put("shape", List.of(65536L, 65536L)), NONE, "more than 2^31 - 1 values"));
        c.add(new Case("shape wraps to 0", m -> weight(m, "w").put("shape", List.of(4294967296L, 4294967296L)), NONE, "above 2^31 - 1"));
        c.add(new Case("shape negative", m -> weight(m, "w").put("shape", List.of(-2L, 4L)), NONE, "negative"));
        c.add(new Case("shape not a list", m -> weight(m, "w").put("shape", "2x2"), NONE, "shape: expected a JSON array"));
        c.add(new Case("dtype unknown", m -> weight(m, "axes").put("dtype", "float64"), NONE, "'float64' is not supported"));
        c.add(new Case("quantization unknown", m -> obj(weight(m, "w").get("quantization")).put("dtype", "int4"), NONE,
                "unknown quantization dtype 'int4'"));
        c.add(new Case("quantization without scale", m -> obj(weight(m, "w").get("quantization")).remove("scale"), NONE,
                "no quantization scale"));
        c.add(new Case("float16 of int32", m -> {
            weight(m, "axes").put("quantization", new LinkedHashMap<>(Map.of("dtype", "float16")));
        }, NONE, "only supports float32"));
        c.add(new Case("manifest shape differs from the node's", attr("w", "value", parse(
                "{\"tensor\":{\"dtype\":\"DT_FLOAT\",\"tensorShape\":{\"dim\":[{\"size\":\"3\"},{\"size\":\"3\"},{\"size\":\"1\"},{\"size\":\"2\"}]}}}")),
                NONE, "value attr has shape [3, 3, 1, 2]"));
        c.add(new Case("manifest dtype differs from the node's", attr("w", "dtype", parse("{\"type\":\"DT_INT32\"}")), NONE, "dtype attr is DT_INT32"));
        c.add(new Case("int32 weight as a conv filter", m -> list(node(m, "conv").get("input")).set(1, "axes"), NONE, "is an int32 constant"));
        // nodes and their attributes
        c.add(new Case("conv without padding", attr("conv", "padding", null), NONE, "no padding attr"));
        c.add(new Case("pool without padding", attr("pool", "padding", null), NONE, "no padding attr"));
        c.add(new Case("strides of 2 entries", attr("conv", "strides", parse(TfjsModelTest.ints(1, 1))), NONE, "has 2 entries; TF requires 4"));
        c.add(new Case("ksize of 1 entry", attr("pool", "ksize", parse(TfjsModelTest.ints(2))), NONE, "has 1 entries; TF requires 4"));
        c.add(new Case("strides over 32 bits", attr("conv", "strides", parse("{\"list\":{\"i\":[\"1\",\"9223372036854775807\",\"1\",\"1\"]}}")),
                NONE, "out of range (32-bit)"));
        c.add(new Case("huge window", m -> {
            attr("pool", "ksize", parse(TfjsModelTest.ints(1, Integer.MAX_VALUE, Integer.MAX_VALUE, 1))).accept(m);
            attr("pool", "strides", parse(TfjsModelTest.ints(1, Integer.MAX_VALUE, Integer.MAX_VALUE, 1))).accept(m);
            attr("pool", "padding", parse(TfjsModelTest.s("SAME"))).accept(m);
        }, NONE, "node 'pool'"));
        c.add(new Case("padding unknown", attr("conv", "padding", parse(TfjsModelTest.s("FULL"))), NONE, "padding 'FULL' is not supported"));
        c.add(new Case("padding not base64", attr("conv", "padding", parse("{\"s\":\"***\"}")), NONE, "is not base64"));
        c.add(new Case("op unknown", m -> node(m, "prob").put("op", "Erf"), NONE, "unsupported op 'Erf'"));
        c.add(new Case("op missing", m -> node(m, "prob").remove("op"), NONE, "op: expected a string"));
        c.add(new Case("name missing", m -> node(m, "prob").remove("name"), NONE, "node name: expected a string"));
        c.add(new Case("two nodes of one name", m -> node(m, "prob").put("name", "mean"), NONE, "two nodes are named 'mean'"));
        c.add(new Case("input names no node", m -> list(node(m, "prob").get("input")).set(0, "ghost"), NONE, "names no node"));
        c.add(new Case("input of output 1", m -> list(node(m, "prob").get("input")).set(0, "mean:1"), NONE, "only output 0"));
        c.add(new Case("a cycle", m -> list(node(m, "conv").get("input")).set(0, "Identity"), NONE, "cycle"));
        c.add(new Case("placeholder of int32", attr("x", "dtype", parse("{\"type\":\"DT_INT32\"}")), NONE, "DT_FLOAT only"));
        c.add(new Case("placeholder of unknown size", attr("x", "shape", parse(
                "{\"shape\":{\"dim\":[{\"size\":\"-1\"},{\"size\":\"-1\"},{\"size\":\"4\"},{\"size\":\"1\"}]}}")), NONE, "is unknown"));
        // the file as a whole
        c.add(new Case("format layers-model", m -> m.put("format", "layers-model"), NONE, "only TF.js graph models"));
        c.add(new Case("no modelTopology", m -> m.remove("modelTopology"), NONE, "modelTopology: expected a JSON object"));
        c.add(new Case("node not a list", m -> obj(m.get("modelTopology")).put("node", "x"), NONE, "modelTopology.node: expected a JSON array"));
        c.add(new Case("weightsManifest not a list", m -> m.put("weightsManifest", 7L), NONE, "weightsManifest: expected a JSON array"));
        c.add(new Case("paths missing", m -> group(m).remove("paths"), NONE, "paths: expected a JSON array"));
        c.add(new Case("deep nesting", m -> m.put("extra", new Raw("[".repeat(10_000) + "]".repeat(10_000))), NONE, "nested deeper than 256"));
        c.add(new Case("unclosed nesting", m -> m.put("extra", new Raw("[".repeat(100_000))), NONE, "nested deeper than 256"));
        c.add(new Case("not UTF-8", m -> m.put("extra", new Raw("\"caf\u00ff\"")), NONE, "not UTF-8"));
        c.add(new Case("not JSON", m -> m.put("extra", new Raw("{,}")), NONE, "invalid JSON"));
        c.add(new Case("model.json is a FIFO", m -> {}, d -> {
            Files.delete(d.resolve("model.json"));
            sh("mkfifo \"$1\"", d.resolve("model.json").toString());
        }, "not a regular file (a FIFO (named pipe))"));
        c.add(new Case("model.json too large", m -> {}, d -> {
            try (var f = new java.io.RandomAccessFile(d.resolve("model.json").toFile(), "rw")) {
                f.setLength(100L << 20);
            }
        }, "more than the 67108864 allowed"));
        c.add(new Case("folder without model.json", m -> {}, d -> Files.delete(d.resolve("model.json")), "is a folder without a model.json"));
        return c;
    }

    @Test void everyHostileModelIsRefusedNamingTheRuleAndTheLegalOnesLoad() throws Exception {
        List<String> problems = new ArrayList<>();
        int k = 0;
        for (Case c : cases()) {
            Path dir = Files.createDirectories(root.resolve("m" + k++).resolve("model"));
            Map<String, Object> m = obj(Json.parse(base(dir), "base"));
            c.json().accept(m);
            byte[] text = write(m).getBytes(StandardCharsets.UTF_8);
            if (c.name().equals("not UTF-8")) text = write(m).replace("caf\u00ff", "caf\u0000").getBytes(StandardCharsets.ISO_8859_1);
            if (c.name().equals("not UTF-8")) for (int i = 0; i < text.length; i++) if (text[i] == 0) text[i] = (byte) 0xff;
            Files.write(dir.resolve("model.json"), text);
            c.fs().apply(dir);
            Path given = c.name().startsWith("model given as its folder") || c.name().startsWith("folder without") ? dir
                    : dir.resolve("model.json");
            String result = load(given);
            if (c.error() == null) {
                if (!result.equals("loaded")) problems.add(c.name() + ": should load, got " + result);
            } else if (result.equals("loaded")) {
                problems.add(c.name() + ": loaded; expected an error with '" + c.error() + "'");
            } else if (!result.contains(c.error()) || !(result.contains(dir.toString()))) {
                problems.add(c.name() + ": the error should name the model and hold '" + c.error() + "': " + result);
            }
        }
        assertTrue(problems.isEmpty(), problems.size() + " of " + k + " cases went wrong:\n  " + String.join("\n  ", problems));
    }

    /** "loaded", or the error's message; a JVM error, a hang or a large allocation is a problem of its own. */
    static String load(Path json) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        String[] out = new String[1];
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            long before = mx.getCurrentThreadAllocatedBytes();
            try (TfjsModel m = TfjsModel.load(json)) {
                out[0] = m.outputs().isEmpty() ? "no outputs" : "loaded";
            } catch (IOException | IllegalArgumentException e) {
                out[0] = e.getClass().getSimpleName() + ": " + e.getMessage();
            } catch (Throwable t) {
                out[0] = "UNEXPECTED " + t;
            }
            long used = mx.getCurrentThreadAllocatedBytes() - before;
            if (used > (256L << 20)) out[0] = "allocated " + (used >> 20) + " MiB: " + out[0];
        }, () -> "hung on " + json);
        return out[0];
    }

    /** The valid small model's model.json (its shards written beside it). */
    static String base(Path dir) throws Exception {
        TfjsModelTest t = new TfjsModelTest();
        t.dir = dir;
        Path json = t.write(t.smallNet());
        String s = Files.readString(json);
        // the Const nodes as TF.js writes them: dtype and value attrs
        return s.replace("{\"name\":\"w\",\"op\":\"Const\",\"input\":[],\"attr\":{}}",
                        "{\"name\":\"w\",\"op\":\"Const\",\"input\":[],\"attr\":{\"dtype\":{\"type\":\"DT_FLOAT\"},\"value\":{\"tensor\":"
                                + "{\"dtype\":\"DT_FLOAT\",\"tensorShape\":{\"dim\":[{\"size\":\"2\"},{\"size\":\"2\"},{\"size\":\"1\"},{\"size\":\"2\"}]}}}}}");
    }

    static String write(Object o) {
        StringBuilder sb = new StringBuilder();
        write(sb, o);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object o) {
        if (o instanceof Raw r) sb.append(r.text());
        else if (o instanceof Map<?, ?> m) {
            sb.append('{');
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (i++ > 0) sb.append(',');
                write(sb, String.valueOf(e.getKey()));
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (o instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) sb.append(',');
                write(sb, l.get(i));
            }
            sb.append(']');
        } else if (o instanceof String s) {
            sb.append('"');
            for (char ch : s.toCharArray()) {
                if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
                else if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                else sb.append(ch);
            }
            sb.append('"');
        } else {
            sb.append(o);
        }
    }

    static void sh(String script, String arg) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", script, "corpus", arg).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException(script + " failed");
    }
}
