package io.github.deconvspark.models.keras;

import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.io.ModelFiles;
import io.github.deconvspark.models.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A Keras layers model loaded onto the autodiff {@link Graph}, from any of the files a Keras network comes in (picked by
 * content, {@link KerasFiles}): a TF.js layers model.json with its shards ("tfjs-layers"), a Keras 3 {@code .keras} zip
 * ("keras"), or a legacy Keras HDF5 {@code .h5} ("keras-h5"). One graph builder for all three ({@link Topology},
 * {@link KerasGraphBuilder}); the layers it builds are {@link #SUPPORTED_LAYERS}, channels_last only.
 *
 * <pre>{@code
 * try (KerasModel m = KerasModel.load(Path.of("mobilenet_v2.keras"), 1, DataType.FLOAT)) {
 *     Map<String, INDArray> out = m.run(image);                    // image [1, 224, 224, 3]
 *     Tensor block = m.layer("block_3_expand_relu");               // Keras layer names
 *     Tensor dx = Gradients.gradient(Ops.reduceSum(block), m.input());
 * }
 * }</pre>
 *
 * <p>Names: {@link #layer} takes Keras layer names; a nested model's layers are "model/layer" (the nested model's name,
 * then its layer's; deeper nesting adds more), the nested model itself names its output. {@link #parameters} are
 * "layer/weight" ("conv1/kernel", "bn1/moving_mean", "inner/conv1/kernel"), each a graph constant {@link #layer} also
 * returns. {@link #layerNames} lists the layers in topological order (a nested model's layers before it).
 *
 * <p>Everything the file says is honoured or refused: an unsupported class, config field or value names the file, the
 * layer, its class and the field; so do missing, surplus or misshapen weights, unknown inbound layers, cycles, shared
 * layers and untrusted-file violations (shard or zip entry paths leaving the model, zip bombs).
 */
public final class KerasModel implements Model {
    /** The Keras layer classes this loader builds. */
    public static final Set<String> SUPPORTED_LAYERS;

    static {
        Set<String> s = new TreeSet<>(KerasGraphBuilder.BUILDERS.keySet());
        s.add("InputLayer");
        s.addAll(KerasLayer.MODEL_CLASSES);
        SUPPORTED_LAYERS = Collections.unmodifiableSet(s);
    }

    private final Path path;
    private final String format;
    private final Graph graph;
    private final Tensor input;
    private final Map<String, Tensor> outputs;
    private final Map<String, Tensor> layers;
    private final Map<String, String> classes;
    private final Map<String, Tensor> params;
    private final String sha256;
    private final long declaredBatch;
    private final String kerasVersion;

    private KerasModel(KerasFiles.Source s, Graph graph, Topology t, KerasGraphBuilder b) {
        this.path = s.path();
        this.format = s.format();
        this.graph = graph;
        this.input = b.input;
        this.sha256 = s.sha256();
        this.declaredBatch = b.declaredBatch;
        this.kerasVersion = s.kerasVersion();
        Map<String, Tensor> ls = new LinkedHashMap<>();
        Map<String, String> cs = new LinkedHashMap<>();
        for (KerasLayer l : t.order) {
            Tensor x = b.tensors.get(l);
            if (x == null) continue;
            ls.put(l.name, x);
            cs.put(l.name, l.className);
        }
        for (String p : b.params.keySet()) {
            if (ls.containsKey(p)) throw new IllegalArgumentException(path + ": weight " + p + " has the name of a layer");
        }
        Map<String, Tensor> outs = new LinkedHashMap<>();
        for (Map.Entry<String, KerasLayer.Port> e : t.outputs.entrySet()) outs.put(e.getKey(), b.tensor(e.getValue()));
        this.layers = Collections.unmodifiableMap(ls);
        this.classes = Collections.unmodifiableMap(cs);
        this.params = Collections.unmodifiableMap(b.params);
        this.outputs = Collections.unmodifiableMap(outs);
    }

    /** Loads in float32, batch 1 for an unknown batch dimension. */
    public static KerasModel load(Path file) throws IOException {
        return load(file, 1, DataType.FLOAT, null);
    }

    public static KerasModel load(Path file, long batch, DataType dtype) throws IOException {
        return load(file, batch, dtype, null);
    }

    /**
     * @param file    a model.json (or its folder), a .keras or a .h5 file
     * @param batch   replaces the input's unknown batch dimension
     * @param dtype   FLOAT, or DOUBLE (float32 weights widened exactly, for float64 gradient checks)
     * @param inputHw {height, width} for an input whose spatial size the file leaves open, or null
     */
    public static KerasModel load(Path file, long batch, DataType dtype, int[] inputHw) throws IOException {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) throw new IllegalArgumentException("KerasModel.load: dtype must be FLOAT or DOUBLE, got " + dtype);
        if (batch < 1) throw new IllegalArgumentException("KerasModel.load: batch must be >= 1, got " + batch);
        if (inputHw != null && (inputHw.length != 2 || inputHw[0] < 1 || inputHw[1] < 1)) {
            throw new IllegalArgumentException("KerasModel.load: inputHw must be {height, width} >= 1");
        }
        KerasFiles.Source s = KerasFiles.read(ModelFiles.modelFile(file));
        Graph g = new Graph();
        try (AutoCloseable r = s.resources()) {
            Topology t = Topology.parse(s.modelConfig(), s.path().toString());
            KerasGraphBuilder b = new KerasGraphBuilder(g, dtype, s.keras3(), s.weights().apply(t), s.path().toString());
            b.build(t, batch, inputHw);
            return new KerasModel(s, g, t, b);
        } catch (RuntimeException | IOException e) {
            g.close();
            throw e;
        } catch (Exception e) {
            g.close();
            throw new IOException(e);
        }
    }

    /** Whether a model.json is a TF.js layers model (which this class loads) rather than a graph model. */
    public static boolean isLayersModel(Path modelJson) throws IOException {
        Path f = ModelFiles.modelFile(modelJson);
        String src = f.toString();
        byte[] b = ModelFiles.readBounded(f, ModelFiles.MAX_JSON_BYTES, "TF.js model file");
        return KerasFiles.layersConfig(Json.obj(Json.parse(ModelFiles.utf8(b, src), src), src), src) != null;
    }

    @Override public Path path() { return path; }

    /** "tfjs-layers", "keras" or "keras-h5". */
    @Override public String format() { return format; }

    /** The Keras version that wrote the file (keras_version), or null when it does not say. */
    public String kerasVersion() { return kerasVersion; }

    @Override public Graph graph() { return graph; }

    @Override public Tensor input() { return input; }

    /** By output layer name ("dense_3"; ":k" for a nested model's k-th output). */
    @Override public Map<String, Tensor> outputs() { return outputs; }

    /** A layer's output by its Keras name, or a weight's constant by "layer/weight". */
    @Override public Tensor layer(String name) {
        Tensor t = layers.get(name);
        if (t == null) t = params.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no layer or weight '" + name + "' in " + path + " (" + layers.size()
                    + " layers; see layerNames(), parameters())");
        }
        return t;
    }

    @Override public boolean hasLayer(String name) { return layers.containsKey(name) || params.containsKey(name); }

    @Override public List<String> layerNames() { return new ArrayList<>(layers.keySet()); }

    /** The Keras class name ("Conv2D", "Functional", ...); "Weight" for a parameter. */
    @Override public String opOf(String name) {
        String c = classes.get(name);
        if (c != null) return c;
        if (params.containsKey(name)) return "Weight";
        throw new IllegalArgumentException("no layer '" + name + "' in " + path);
    }

    @Override public List<String> parameters() { return new ArrayList<>(params.keySet()); }

    @Override public String sha256() { return sha256; }

    @Override public long declaredBatch() { return declaredBatch; }

    @Override public void close() { graph.close(); }

    @Override public String toString() {
        return "KerasModel[" + path + ", " + format + ", " + layers.size() + " layers, outputs " + outputs.keySet() + "]";
    }
}
