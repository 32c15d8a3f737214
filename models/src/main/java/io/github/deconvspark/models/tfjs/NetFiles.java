package io.github.deconvspark.models.tfjs;

import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.models.json.Json;
import io.github.deconvspark.models.json.JsonOut;
import io.github.deconvspark.models.net.Net;
import io.github.deconvspark.models.net.NetSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained {@link NetSpec} as a TF.js graph model: {@code model.json} (graph nodes Conv2D, BiasAdd,
 * Relu, MaxPool/AvgPool, Reshape, MatMul, Softmax; signature outputs {@code logits} and
 * {@code probabilities}) and {@code weights.bin} (float32, little-endian, manifest order). Readable
 * by {@link TfjsModel} (so the visualize job loads it), by TF.js itself, and back by {@link #read}:
 * model.json carries the description in {@code userDefinedMetadata.deconvSpark.net}.
 *
 * <p>Node names: {@code conv1/Conv2D}, {@code conv1/BiasAdd}, {@code conv1/Relu}, {@code pool1/MaxPool},
 * {@code flatten/Reshape}, {@code dense1/MatMul}, {@code dense1/BiasAdd}, ..., {@code probabilities};
 * parameters {@code conv1/kernel}, {@code conv1/bias}, ...
 */
public final class NetFiles {
    private NetFiles() {}

    public static final String WEIGHTS = "weights.bin";

    /** A description and its parameters (flat, {@link Net#offsets} layout). */
    public record Loaded(NetSpec spec, double[] params) {}

    /** model.json's bytes for {@code spec} (weights in {@link #WEIGHTS}). */
    public static byte[] modelJson(NetSpec spec) {
        int[] in = spec.input();
        List<Object> nodes = new ArrayList<>();
        List<Object> weights = new ArrayList<>();
        for (NetSpec.ParamShape p : spec.params()) {
            nodes.add(constNode(p.name(), "DT_FLOAT", p.shape()));
            weights.add(Map.of("name", p.name(), "shape", longs(p.shape()), "dtype", "float32"));
        }
        nodes.add(node("input", "Placeholder", List.of(), Map.of("dtype", Map.of("type", "DT_FLOAT"),
                "shape", Map.of("shape", dims(new long[] {-1, in[0], in[1], in[2]})))));
        String h = "input";
        String lastDense = null;
        for (NetSpec.Layer l : spec.layers()) {
            switch (l.kind()) {
                case "conv" -> {
                    nodes.add(node(l.name() + "/Conv2D", "Conv2D", List.of(h, l.name() + "/kernel"), Map.of(
                            "T", Map.of("type", "DT_FLOAT"), "strides", ints(1, l.stride(), l.stride(), 1), "padding", str(pad(l.padding())),
                            "data_format", str("NHWC"), "dilations", ints(1, 1, 1, 1))));
                    nodes.add(node(l.name() + "/BiasAdd", "BiasAdd", List.of(l.name() + "/Conv2D", l.name() + "/bias"),
                            Map.of("T", Map.of("type", "DT_FLOAT"), "data_format", str("NHWC"))));
                    h = l.name() + "/BiasAdd";
                }
                case "dense" -> {
                    nodes.add(node(l.name() + "/MatMul", "MatMul", List.of(h, l.name() + "/kernel"), Map.of(
                            "T", Map.of("type", "DT_FLOAT"), "transpose_a", Map.of("b", false), "transpose_b", Map.of("b", false))));
                    nodes.add(node(l.name() + "/BiasAdd", "BiasAdd", List.of(l.name() + "/MatMul", l.name() + "/bias"),
                            Map.of("T", Map.of("type", "DT_FLOAT"), "data_format", str("NHWC"))));
                    h = l.name() + "/BiasAdd";
                    lastDense = h;
                }
                case "relu" -> {
                    nodes.add(node(l.name() + "/Relu", "Relu", List.of(h), Map.of("T", Map.of("type", "DT_FLOAT"))));
                    h = l.name() + "/Relu";
                }
                case "maxpool", "avgpool" -> {
                    String op = l.kind().equals("maxpool") ? "MaxPool" : "AvgPool";
                    nodes.add(node(l.name() + "/" + op, op, List.of(h), Map.of("T", Map.of("type", "DT_FLOAT"),
                            "ksize", ints(1, l.k(), l.k(), 1), "strides", ints(1, l.stride(), l.stride(), 1),
                            "padding", str(pad(l.padding())), "data_format", str("NHWC"))));
                    h = l.name() + "/" + op;
                }
                case "flatten" -> {
                    nodes.add(constNode("flatten/shape", "DT_INT32", new long[] {2}));
                    weights.add(Map.of("name", "flatten/shape", "shape", List.of(2), "dtype", "int32"));
                    nodes.add(node("flatten/Reshape", "Reshape", List.of(h, "flatten/shape"),
                            Map.of("T", Map.of("type", "DT_FLOAT"), "Tshape", Map.of("type", "DT_INT32"))));
                    h = "flatten/Reshape";
                }
                default -> throw new AssertionError(l.kind());
            }
        }
        nodes.add(node("probabilities", "Softmax", List.of(lastDense), Map.of("T", Map.of("type", "DT_FLOAT"))));
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", "graph-model");
        root.put("generatedBy", "deconv-spark train");
        root.put("convertedBy", null);
        root.put("signature", Map.of(
                "inputs", Map.of("input", tensorInfo("input:0", new long[] {-1, in[0], in[1], in[2]})),
                "outputs", new LinkedHashMap<>(Map.of(
                        "logits", tensorInfo(lastDense + ":0", new long[] {-1, spec.classes()}),
                        "probabilities", tensorInfo("probabilities:0", new long[] {-1, spec.classes()})))));
        root.put("modelTopology", Map.of("node", nodes, "library", Map.of(), "versions", Map.of("producer", 1)));
        root.put("weightsManifest", List.of(Map.of("paths", List.of(WEIGHTS), "weights", weights)));
        root.put("userDefinedMetadata", Map.of("deconvSpark", Map.of("net", spec.text())));
        return (JsonOut.write(root) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** weights.bin's bytes: every parameter as float32, then flatten's shape as int32. */
    public static byte[] weights(NetSpec spec, double[] params) {
        long[] off = Net.offsets(spec);
        if (params.length != off[off.length - 1]) {
            throw new IllegalArgumentException("NetFiles: " + params.length + " parameters; " + spec.summary() + " needs " + off[off.length - 1]);
        }
        boolean flatten = spec.layers().stream().anyMatch(l -> l.kind().equals("flatten"));
        ByteBuffer b = ByteBuffer.allocate(params.length * 4 + (flatten ? 8 : 0)).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : params) b.putFloat((float) v);
        if (flatten) {
            NetSpec.Layer f = spec.layers().stream().filter(l -> l.kind().equals("flatten")).findFirst().orElseThrow();
            b.putInt(-1).putInt(f.outShape()[0]);
        }
        return b.array();
    }

    /**
     * Reads back a model written by {@link #modelJson}/{@link #weights}: its description and parameters
     * (float32 values widened). {@code source} names the model in errors.
     */
    public static Loaded read(byte[] modelJson, byte[] weightsBin, String source) {
        NetSpec spec = spec(modelJson, source);
        long n = spec.size();
        if (weightsBin.length < n * 4) {
            throw new IllegalArgumentException(source + ": " + WEIGHTS + " holds " + weightsBin.length + " bytes; the network's " + n
                    + " float32 parameters need " + n * 4);
        }
        ByteBuffer b = ByteBuffer.wrap(weightsBin).order(ByteOrder.LITTLE_ENDIAN);
        double[] p = new double[(int) n];
        for (int i = 0; i < p.length; i++) p[i] = b.getFloat();
        return new Loaded(spec, p);
    }

    /** The description a model.json written by train carries; an error naming the rule for any other model.json. */
    public static NetSpec spec(byte[] modelJson, String source) {
        Map<String, Object> root = Json.obj(Json.parse(new String(modelJson, StandardCharsets.UTF_8), source), source);
        Object meta = root.get("userDefinedMetadata");
        if (!(meta instanceof Map<?, ?> m) || !(m.get("deconvSpark") instanceof Map<?, ?> d) || !(d.get("net") instanceof String text)) {
            throw new IllegalArgumentException(source + ": this model.json has no network description (userDefinedMetadata.deconvSpark.net); "
                    + "the gradients and train jobs take a description file (.net, see docs/MODELS.md) or a model.json written by train");
        }
        return NetSpec.parse(text, source + " (userDefinedMetadata.deconvSpark.net)");
    }

    private static Map<String, Object> node(String name, String op, List<String> inputs, Map<String, Object> attr) {
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("name", name);
        n.put("op", op);
        if (!inputs.isEmpty()) n.put("input", inputs);
        n.put("attr", new java.util.TreeMap<>(attr));
        return n;
    }

    private static Map<String, Object> constNode(String name, String dtype, long[] shape) {
        return node(name, "Const", List.of(), Map.of("dtype", Map.of("type", dtype),
                "value", Map.of("tensor", Map.of("dtype", dtype, "tensorShape", dims(shape)))));
    }

    private static Map<String, Object> tensorInfo(String name, long[] shape) {
        return Map.of("name", name, "dtype", "DT_FLOAT", "tensorShape", dims(shape));
    }

    private static Map<String, Object> dims(long[] shape) {
        List<Object> d = new ArrayList<>();
        for (long s : shape) d.add(Map.of("size", Long.toString(s)));
        return Map.of("dim", d);
    }

    private static Map<String, Object> ints(int... v) {
        List<Object> l = new ArrayList<>();
        for (int i : v) l.add(Integer.toString(i));
        return Map.of("list", Map.of("i", l));
    }

    private static List<Object> longs(long[] v) {
        List<Object> l = new ArrayList<>();
        for (long x : v) l.add(x);
        return l;
    }

    private static Map<String, Object> str(String s) {
        return Map.of("s", Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)));
    }

    private static String pad(Padding p) {
        return p.kind() == Padding.Kind.SAME ? "SAME" : "VALID";
    }
}
