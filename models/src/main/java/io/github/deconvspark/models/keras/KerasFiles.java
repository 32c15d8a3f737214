package io.github.deconvspark.models.keras;

import io.github.deconvspark.models.io.ModelFiles;
import io.github.deconvspark.models.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The three files a Keras network comes in, each read into the same parts ({@link Source}): the model config, the
 * Keras version that wrote it, and its weights. The format is taken from the content, not the name:
 * <ul>
 *   <li>"tfjs-layers": a TF.js layers model.json ({@code format: layers-model}, or no format and a modelTopology holding
 *       a Keras model config) with its weight shards; SHA-256 over model.json then the shards in manifest order;</li>
 *   <li>"keras": a Keras 3 {@code .keras} zip: config.json, metadata.json (keras_version), model.weights.h5;</li>
 *   <li>"keras-h5": a legacy Keras HDF5 file: root attributes model_config (JSON), keras_version, backend, and the
 *       model_weights group.</li>
 * </ul>
 * The .keras and .h5 files are read into memory once (bounded) and parsed from those bytes, which are the bytes digested.
 */
final class KerasFiles {
    private KerasFiles() {}

    /**
     * What a Keras file holds. {@code weights} is made once the topology is known (a legacy file pairs its weights with
     * the model's layers).
     */
    record Source(Path path, String format, Map<String, Object> modelConfig, String kerasVersion,
                  Function<Topology, WeightSource> weights, String sha256, AutoCloseable resources) {
        /** Keras 3 semantics (hard_sigmoid = relu6(x + 3) / 6) for files Keras 3 wrote; Keras 2's (0.2 x + 0.5, clipped) else. */
        boolean keras3() { return kerasVersion != null && kerasVersion.startsWith("3."); }
    }

    static Source read(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(8);
        }
        int i = 0;
        while (i < head.length && Character.isWhitespace(head[i])) i++;
        if (i < head.length && head[i] == '{') return tfjs(file);
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return keras(file);
        if (head.length >= 8 && (head[0] & 0xff) == 0x89 && head[1] == 'H' && head[2] == 'D' && head[3] == 'F') return h5(file);
        throw new IllegalArgumentException(file + ": not a Keras file (a TF.js layers model.json, a .keras zip or a legacy .h5)");
    }

    /** The Keras model config of a model.json, or null when it is not a layers model (a graph model). */
    static Map<String, Object> layersConfig(Map<String, Object> root, String src) {
        Object fmt = root.get("format");
        if (fmt != null && !"layers-model".equals(fmt)) return null;
        if (!(root.get("modelTopology") instanceof Map<?, ?>)) return null;
        Map<String, Object> topo = Json.obj(root.get("modelTopology"), src + ": modelTopology");
        // tensorflowjs_converter keeps Keras' HDF5 attributes (model_config, keras_version); tfjs-layers' save() writes the config itself
        if (topo.get("model_config") instanceof Map<?, ?> m) return Json.obj(m, src + ": modelTopology.model_config");
        if (topo.get("class_name") instanceof String && topo.get("config") != null) return topo;
        if (fmt != null) throw new IllegalArgumentException(src + ": a layers-model whose modelTopology holds no Keras model config");
        return null;
    }

    private static Source tfjs(Path file) throws IOException {
        String src = file.toString();
        byte[] json = ModelFiles.readBounded(file, ModelFiles.MAX_JSON_BYTES, "TF.js layers model file");
        Map<String, Object> root = Json.obj(Json.parse(ModelFiles.utf8(json, src), src), src);
        Map<String, Object> config = layersConfig(root, src);
        if (config == null) {
            throw new IllegalArgumentException(src + ": not a TF.js layers model (format " + Cfg.show(root.get("format"))
                    + "; a graph model loads with TfjsModel)");
        }
        Map<String, Object> topo = Json.obj(root.get("modelTopology"), src);
        MessageDigest sha = sha256();
        sha.update(json);
        TfjsLayersWeights w = TfjsLayersWeights.read(file, root.get("weightsManifest"), sha);
        String version = topo.get("keras_version") instanceof String v ? v : null;
        return new Source(file, "tfjs-layers", config, version, t -> w, HexFormat.of().formatHex(sha.digest()), () -> {});
    }

    private static Source keras(Path file) throws IOException {
        String src = file.toString();
        byte[] bytes = ModelFiles.readBounded(file, ModelFiles.MAX_WEIGHT_BYTES, "Keras file");
        String sha = HexFormat.of().formatHex(sha256().digest(bytes));
        Map<String, byte[]> e = KerasZip.read(bytes, src, Set.of("config.json", "metadata.json", "model.weights.h5"));
        for (String need : List.of("config.json", "model.weights.h5")) {
            if (!e.containsKey(need)) {
                throw new IllegalArgumentException(src + ": a .keras zip without " + need + " (entries: config.json, metadata.json, model.weights.h5)");
            }
        }
        Map<String, Object> config = Json.obj(Json.parse(ModelFiles.utf8(e.get("config.json"), src + "!config.json"), src + "!config.json"),
                src + "!config.json");
        String version = null;
        if (e.containsKey("metadata.json")) {
            String m = src + "!metadata.json";
            Object v = Json.obj(Json.parse(ModelFiles.utf8(e.get("metadata.json"), m), m), m).get("keras_version");
            version = v instanceof String s ? s : null;
        }
        H5 h5 = new H5(e.get("model.weights.h5"), src + "!model.weights.h5");
        return new Source(file, "keras", config, version, t -> new Keras3Weights(h5), sha, h5);
    }

    private static Source h5(Path file) throws IOException {
        String src = file.toString();
        byte[] bytes = ModelFiles.readBounded(file, ModelFiles.MAX_WEIGHT_BYTES, "Keras HDF5 file");
        String sha = HexFormat.of().formatHex(sha256().digest(bytes));
        H5 h5 = new H5(bytes, src);
        try {
            String mc = h5.string(h5.root(), "model_config");
            if (mc == null) {
                throw new IllegalArgumentException(src + ": an HDF5 file without a model_config attribute: a weights-only file"
                        + " (save_weights) or not a Keras model; save the whole model (model.save)");
            }
            String version = h5.string(h5.root(), "keras_version");
            String backend = h5.string(h5.root(), "backend");
            if (version != null && version.startsWith("1.")) {
                throw new IllegalArgumentException(src + ": written by Keras " + version + "; Keras 1 weight layouts are not supported");
            }
            if (backend != null && !Set.of("tensorflow", "jax", "torch", "numpy").contains(backend)) {
                throw new IllegalArgumentException(src + ": written with the " + backend + " backend, whose convolution kernels are laid"
                        + " out differently (Keras converts them on load); supported: tensorflow, jax, torch, numpy");
            }
            Map<String, Object> config = Json.obj(Json.parse(mc, src + ": model_config"), src + ": model_config");
            if (h5.node("model_weights") == null) throw new IllegalArgumentException(src + ": an HDF5 model without a model_weights group");
            return new Source(file, "keras-h5", config, version, t -> new LegacyH5Weights(h5, t.topLevel), sha, h5);
        } catch (RuntimeException ex) {
            h5.close();
            throw ex;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
