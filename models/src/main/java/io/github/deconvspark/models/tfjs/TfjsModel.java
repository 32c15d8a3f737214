package io.github.deconvspark.models.tfjs;

import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.io.ModelFiles;
import io.github.deconvspark.models.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A TensorFlow.js graph model ({@code model.json} with {@code format: graph-model} and its binary
 * weight shards) loaded onto the autodiff {@link Graph}: a placeholder for each input, a constant
 * for each weight, and the kernels' ops for the nodes (see {@link #SUPPORTED_OPS}).
 *
 * <pre>{@code
 * try (TfjsModel m = TfjsModel.load(Path.of("gear.json"))) {
 *     Map<String, INDArray> out = m.run(image);                 // image [1, 198, 198, 3]
 *     Tensor conv3 = m.layer("StatefulPartitionedCall/model_1/conv2d_3/Relu");
 *     Tensor dx = Gradients.gradient(Ops.reduceSum(conv3), m.input());
 * }
 * }</pre>
 *
 * Layers are looked up by their TF.js node names (Identity nodes resolve to their input's tensor).
 * The placeholder's unknown batch dimension (-1) is fixed when loading ({@link #load(Path, long)}).
 * Errors: an unsupported op names the op and the node; a missing shard names the file; a weight
 * missing from the manifest names the node.
 */
public final class TfjsModel implements Model {
    /** The TF ops this loader turns into graph ops. */
    public static final Set<String> SUPPORTED_OPS = Collections.unmodifiableSet(TfjsGraphBuilder.SUPPORTED);

    private final Path modelJson;
    private final Graph graph;
    private final List<TfjsNode> nodes;
    private final Map<String, TfjsNode> byName = new LinkedHashMap<>();
    private final Map<String, Tensor> tensors;
    private final Map<String, Tensor> inputs;
    private final Map<String, Tensor> outputs;
    private final Map<String, String> outputNodes;
    private final List<Weights.Spec> weightSpecs;
    private final String sha256;
    private final Map<String, long[]> declaredShapes;

    private TfjsModel(Path modelJson, Graph graph, List<TfjsNode> nodes, Map<String, Tensor> tensors, Map<String, Tensor> inputs,
                      Map<String, Tensor> outputs, Map<String, String> outputNodes, List<Weights.Spec> weightSpecs, String sha256,
                      Map<String, long[]> declaredShapes) {
        this.modelJson = modelJson;
        this.graph = graph;
        this.nodes = nodes;
        for (TfjsNode n : nodes) byName.put(n.name(), n);
        this.tensors = tensors;
        this.inputs = inputs;
        this.outputs = outputs;
        this.outputNodes = outputNodes;
        this.weightSpecs = weightSpecs;
        this.sha256 = sha256;
        this.declaredShapes = declaredShapes;
    }

    /** Loads with batch size 1 for an unknown (-1) batch dimension. */
    public static TfjsModel load(Path modelJson) throws IOException {
        return load(modelJson, 1);
    }

    /** Loads; {@code batch} replaces the input's unknown (-1) batch dimension. */
    public static TfjsModel load(Path modelJson, long batch) throws IOException {
        return load(modelJson, batch, org.nd4j.linalg.api.buffer.DataType.FLOAT);
    }

    /**
     * Loads with the input and every float weight in {@code dtype}: FLOAT (TF.js's own), or DOUBLE
     * (the float32 weights widened exactly), e.g. for float64 gradient checks of the whole model.
     */
    public static TfjsModel load(Path modelJson, long batch, org.nd4j.linalg.api.buffer.DataType dtype) throws IOException {
        if (dtype != org.nd4j.linalg.api.buffer.DataType.FLOAT && dtype != org.nd4j.linalg.api.buffer.DataType.DOUBLE) {
            throw new IllegalArgumentException("TfjsModel.load: dtype must be FLOAT or DOUBLE, got " + dtype);
        }
        if (batch < 1) throw new IllegalArgumentException("TfjsModel.load: batch must be >= 1, got " + batch);
        Path file = ModelFiles.modelFile(modelJson);
        byte[] jsonBytes = ModelFiles.readBounded(file, ModelFiles.MAX_JSON_BYTES, "TF.js model file");
        String src = file.toString();
        Map<String, Object> root = Json.obj(Json.parse(ModelFiles.utf8(jsonBytes, src), src), src);
        Object fmt = root.get("format");
        if (fmt != null && !"graph-model".equals(fmt)) {
            throw new IllegalArgumentException(src + ": format is '" + fmt + "'; only TF.js graph models (format graph-model) are supported"
                    + ("layers-model".equals(fmt) ? " (convert the Keras model with tensorflowjs_converter --output_format=tfjs_graph_model)" : ""));
        }
        Map<String, Object> topo = Json.obj(root.get("modelTopology"), src + ": modelTopology");
        List<TfjsNode> nodes = new ArrayList<>();
        for (Object o : Json.list(topo.get("node"), src + ": modelTopology.node")) {
            nodes.add(TfjsNode.parse(Json.obj(o, src + ": modelTopology.node[]"), src));
        }
        if (topo.get("library") instanceof Map<?, ?> lib && lib.get("function") instanceof List<?> fns && !fns.isEmpty()) {
            throw new IllegalArgumentException(src + ": modelTopology.library holds " + fns.size()
                    + " functions (control flow); they are not supported");
        }

        // weights: every shard checked and its size compared with the manifest before any byte is read (Weights.read)
        MessageDigest sha = newSha256();
        sha.update(jsonBytes);
        Weights.Manifest manifest = Weights.read(file, root.get("weightsManifest"), sha);
        List<Weights.Spec> specs = manifest.specs();
        Map<String, Weights.Decoded> weights = manifest.weights();

        // signature: named inputs and outputs
        Map<String, String> sigIn = new LinkedHashMap<>(), sigOut = new LinkedHashMap<>();
        Map<String, long[]> sigShapes = new LinkedHashMap<>();
        if (root.get("signature") instanceof Map<?, ?> sig) {
            readSignature(sig.get("inputs"), sigIn, sigShapes, src);
            readSignature(sig.get("outputs"), sigOut, null, src);
        }

        Graph g = new Graph();
        try {
            TfjsGraphBuilder b = new TfjsGraphBuilder(g, batch, nodes, weights, sigShapes, src);
            b.dtype = dtype;
            b.buildAll();
            Map<String, Tensor> tensors = b.tensors;
            Map<String, Tensor> ins = new LinkedHashMap<>();
            if (!sigIn.isEmpty()) {
                for (Map.Entry<String, String> e : sigIn.entrySet()) ins.put(e.getKey(), need(tensors, e.getValue(), "signature input", src));
            } else {
                for (TfjsNode n : nodes) if (n.op().equals("Placeholder")) ins.put(n.name(), tensors.get(n.name()));
            }
            Map<String, String> outNodes = new LinkedHashMap<>(sigOut);
            if (outNodes.isEmpty()) { // no signature: the nodes nobody reads (constants aside)
                Set<String> read = new HashSet<>();
                for (TfjsNode n : nodes) for (String i : n.dataInputs()) read.add(TfjsGraphBuilder.nodeName(i));
                for (TfjsNode n : nodes) {
                    if (!read.contains(n.name()) && !n.op().equals("Const") && tensors.containsKey(n.name())) outNodes.put(n.name(), n.name());
                }
            }
            Map<String, Tensor> outs = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : outNodes.entrySet()) outs.put(e.getKey(), need(tensors, e.getValue(), "output", src));
            return new TfjsModel(file, g, List.copyOf(nodes), tensors, ins, outs, outNodes, List.copyOf(specs),
                    HexFormat.of().formatHex(sha.digest()), b.declaredShapes);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    private static void readSignature(Object o, Map<String, String> names, Map<String, long[]> shapes, String src) {
        if (!(o instanceof Map<?, ?>)) return;
        for (Map.Entry<String, Object> e : Json.obj(o, src + ": signature").entrySet()) {
            Map<String, Object> t = Json.obj(e.getValue(), src + ": signature " + e.getKey());
            String node = TfjsGraphBuilder.nodeName(Json.str(t.get("name"), src + ": signature " + e.getKey() + ".name"));
            names.put(e.getKey(), node);
            if (shapes != null && t.get("tensorShape") instanceof Map<?, ?>) {
                long[] d = TfjsNode.dims(Json.obj(t.get("tensorShape"), src), src + ": signature " + e.getKey());
                if (d != null) shapes.put(node, d);
            }
        }
    }

    private static Tensor need(Map<String, Tensor> tensors, String node, String what, String src) {
        Tensor t = tensors.get(node);
        if (t == null) throw new IllegalArgumentException(src + ": " + what + " '" + node + "' is not a float node of the model");
        return t;
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The weight shard paths of a model.json, relative to its folder and percent-decoded, in manifest order (for copying
     * a model from remote storage before {@link #load}); a path that could leave the folder is refused
     * ({@link ModelFiles#relativeShard}).
     */
    public static List<String> shardPaths(byte[] modelJson, String source) {
        Map<String, Object> root = Json.obj(Json.parse(ModelFiles.utf8(modelJson, source), source), source);
        List<String> out = new ArrayList<>();
        Object manifest = root.get("weightsManifest");
        if (manifest == null) return out;
        for (Object g : Json.list(manifest, source + ": weightsManifest")) {
            for (Object p : Json.list(Json.obj(g, source + ": weightsManifest[]").get("paths"), source + ": weightsManifest[].paths")) {
                String at = source + ": weightsManifest[].paths";
                out.add(ModelFiles.relativeShard(Json.str(p, at), at));
            }
        }
        return out;
    }

    /** The absolute path of model.json. */
    @Override public Path path() { return modelJson; }

    @Override public String format() { return "tfjs-graph"; }

    /** The float weights that are graph constants, in manifest order. */
    @Override public List<String> parameters() {
        List<String> out = new ArrayList<>();
        for (Weights.Spec s : weightSpecs) if (hasLayer(s.name()) && layer(s.name()).dataType().isFPType()) out.add(s.name());
        return out;
    }

    @Override public Graph graph() { return graph; }

    /** The (first) input placeholder. */
    @Override public Tensor input() {
        if (inputs.isEmpty()) throw new IllegalStateException(modelJson + " has no input placeholder");
        return inputs.values().iterator().next();
    }

    /** The (first) input's batch dimension as the model declares it: -1 when any batch size fits, else the fixed size. */
    @Override public long declaredBatch() {
        long[] s = declaredShapes.get(input().name());
        return s == null || s.length == 0 ? -1 : s[0];
    }

    /** Inputs by signature key (or placeholder name when the model has no signature). */
    public Map<String, Tensor> inputs() { return Collections.unmodifiableMap(inputs); }

    /** Outputs by signature key ("age_output", ...), or by node name for sink nodes when the model has no signature. */
    @Override public Map<String, Tensor> outputs() { return Collections.unmodifiableMap(outputs); }

    /** The TF.js node name of each output (e.g. "Identity_1"), by output key. */
    public Map<String, String> outputNodes() { return Collections.unmodifiableMap(outputNodes); }

    public Tensor output(String key) {
        Tensor t = outputs.get(key);
        if (t == null) throw new IllegalArgumentException("no output '" + key + "' in " + modelJson + " (outputs: " + outputs.keySet() + ")");
        return t;
    }

    /** The tensor of a node, by its TF.js name (int32 constant nodes have none). */
    @Override public Tensor layer(String nodeName) {
        Tensor t = tensors.get(nodeName);
        if (t == null) {
            throw new IllegalArgumentException(byName.containsKey(nodeName)
                    ? "node '" + nodeName + "' of " + modelJson + " is an int32 constant, not a graph tensor"
                    : "no node '" + nodeName + "' in " + modelJson + " (" + nodes.size() + " nodes; see layerNames())");
        }
        return t;
    }

    @Override public boolean hasLayer(String nodeName) { return tensors.containsKey(nodeName); }

    /** Every node name with a graph tensor, in model.json's order. */
    @Override public List<String> layerNames() {
        List<String> out = new ArrayList<>();
        for (TfjsNode n : nodes) if (tensors.containsKey(n.name())) out.add(n.name());
        return out;
    }

    /** The node's TF op ("_FusedConv2D", "MaxPool", ...). */
    @Override public String opOf(String nodeName) {
        TfjsNode n = byName.get(nodeName);
        if (n == null) throw new IllegalArgumentException("no node '" + nodeName + "' in " + modelJson);
        return n.op();
    }

    public List<TfjsNode> nodes() { return nodes; }

    public List<Weights.Spec> weightSpecs() { return weightSpecs; }

    /** SHA-256 (hex) over model.json's bytes followed by every shard's bytes in manifest order. */
    @Override public String sha256() { return sha256; }

    @Override public void close() { graph.close(); }

    @Override public String toString() {
        return "TfjsModel[" + modelJson + ", " + nodes.size() + " nodes, inputs " + inputs.keySet() + ", outputs " + outputs.keySet() + "]";
    }
}
