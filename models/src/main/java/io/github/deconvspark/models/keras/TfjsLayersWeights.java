package io.github.deconvspark.models.keras;

import io.github.deconvspark.models.io.ModelFiles;
import io.github.deconvspark.models.tfjs.Weights;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The weights of a TF.js layers model: {@code weightsManifest} groups whose shards (inside the model's folder,
 * {@link ModelFiles}) are concatenated in manifest order and decoded as tfjs-core decodes them ({@link Weights}:
 * float32, uint8/uint16 quantized, float16). Looked up by name, as tfjs-layers' strict loadWeights: "conv1/kernel"; a
 * nested model's layers by their own name ("block_1/kernel", how TF.js and Keras name their variables), or qualified
 * ("inner/block_1/kernel"). Weights no layer takes are refused, as strict loading refuses them.
 */
final class TfjsLayersWeights implements WeightSource {
    private final String src;
    private final Map<String, Weights.Decoded> byName;
    private final Map<String, KerasLayer> takenBy = new HashMap<>();

    private TfjsLayersWeights(String src, Map<String, Weights.Decoded> byName) {
        this.src = src;
        this.byName = byName;
    }

    /** Reads and decodes every shard the manifest names, digesting them in manifest order. */
    static TfjsLayersWeights read(Path modelJson, Object manifest, MessageDigest sha) throws IOException {
        String src = modelJson.toString();
        Map<String, Weights.Decoded> byName = Weights.read(modelJson, manifest, sha).weights();
        return new TfjsLayersWeights(src, byName);
    }

    @Override public INDArray get(KerasLayer l, String name, long[] shape) {
        List<String> candidates = new ArrayList<>(List.of(l.name + "/" + name));
        if (l.parent != null) candidates.add(l.localName + "/" + name);
        for (String c : candidates) {
            Weights.Decoded d = byName.get(c);
            if (d == null) continue;
            KerasLayer other = takenBy.putIfAbsent(c, l);
            if (other != null && other != l) {
                throw l.error("weight " + c + " of " + src + " is claimed by layer '" + other.name + "' too (two nested layers of one name);"
                        + " this loader cannot tell which it belongs to");
            }
            if (!Arrays.equals(d.spec().shape(), shape)) throw WeightSource.shapeError(l, name, "'" + c + "' in " + src, d.spec().shape(), shape);
            if (!d.isFloat()) throw l.error("weight " + c + " of " + src + " is " + d.spec().dtype() + "; float weights only");
            return Nd4j.create(d.floats(), shape.length == 0 ? new long[0] : shape, 'c');
        }
        throw l.error("weight " + name + " is missing: " + src + "'s weightsManifest has no " + String.join(" or ", candidates));
    }

    @Override public void finish(List<KerasLayer> layers) {
        List<String> unused = new ArrayList<>();
        for (String n : byName.keySet()) if (!takenBy.containsKey(n)) unused.add(n);
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException(src + ": weightsManifest holds " + unused.size() + " weights no layer of the model takes "
                    + (unused.size() > 5 ? unused.subList(0, 5) + "..." : unused) + " (a model.json of another network?)");
        }
    }
}
