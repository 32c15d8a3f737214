package io.github.deconvspark.models.keras;

import io.github.deconvspark.models.io.ModelFiles;
import io.github.deconvspark.models.json.Json;
import io.github.deconvspark.models.tfjs.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
        List<Weights.Spec> specs = new ArrayList<>();
        List<Path> shards = new ArrayList<>();
        List<Object> groups = manifest == null ? List.of() : Json.list(manifest, src + ": weightsManifest");
        for (int gi = 0; gi < groups.size(); gi++) {
            String where = src + ": weightsManifest[" + gi + "]";
            Map<String, Object> group = Json.obj(groups.get(gi), where);
            List<Object> paths = Json.list(group.get("paths"), where + ".paths");
            for (int pi = 0; pi < paths.size(); pi++) {
                String at = where + ".paths[" + pi + "]";
                shards.add(ModelFiles.resolveShard(modelJson.getParent(), ModelFiles.relativeShard(Json.str(paths.get(pi), at), at), at));
            }
            for (Object w : Json.list(group.get("weights"), where + ".weights")) specs.add(spec(Json.obj(w, where + ".weights[]"), where));
        }
        long need = 0, have = 0;
        for (Weights.Spec s : specs) need = Math.addExact(need, s.byteLength());
        List<Long> sizes = new ArrayList<>();
        for (Path p : shards) {
            sizes.add(Files.size(p));
            have += sizes.get(sizes.size() - 1);
        }
        if (need > ModelFiles.MAX_WEIGHT_BYTES) {
            throw new IllegalArgumentException(src + ": weightsManifest declares " + need + " bytes of weights, more than the "
                    + ModelFiles.MAX_WEIGHT_BYTES + " one model may hold");
        }
        if (need != have) {
            throw new IllegalArgumentException("weight shards " + shards + " of " + src + " hold " + have + " bytes " + sizes
                    + " but weightsManifest's " + specs.size() + " weights need " + need + " bytes (a truncated or wrong .bin file?)");
        }
        byte[] data = new byte[(int) need];
        int filled = 0;
        for (Path p : shards) {
            byte[] b = ModelFiles.readBounded(p, need - filled, "weight file");
            System.arraycopy(b, 0, data, filled, b.length);
            sha.update(b);
            filled += b.length;
        }
        if (filled != need) throw new IOException("weight shards " + shards + " of " + src + " changed while they were read");
        Map<String, Weights.Decoded> byName = new LinkedHashMap<>();
        int offset = 0;
        for (Weights.Spec s : specs) {
            Weights.Decoded d;
            try {
                d = Weights.decode(s, data, offset);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(src + ": weightsManifest: " + e.getMessage(), e);
            }
            if (byName.put(s.name(), d) != null) {
                throw new IllegalArgumentException(src + ": weightsManifest declares weight " + s.name() + " twice");
            }
            offset += (int) s.byteLength();
        }
        return new TfjsLayersWeights(src, byName);
    }

    /** One manifest entry, checked as TfjsModel checks it (shape bounds here; dtype and quantization by Weights.decode). */
    private static Weights.Spec spec(Map<String, Object> w, String where) {
        String name = Json.str(w.get("name"), where + ": weight name");
        String what = where + ": weight " + name;
        List<Object> dims = Json.list(w.get("shape"), what + ": shape");
        if (dims.size() > 8) throw new IllegalArgumentException(what + ": shape has " + dims.size() + " dimensions (at most 8)");
        long[] shape = new long[dims.size()];
        long elements = 1;
        for (int k = 0; k < shape.length; k++) {
            shape[k] = Json.integer(dims.get(k), what + ": shape");
            if (shape[k] < 0 || shape[k] > Integer.MAX_VALUE) throw new IllegalArgumentException(what + ": illegal shape " + dims);
            elements *= shape[k];
            if (elements > Integer.MAX_VALUE) throw new IllegalArgumentException(what + ": illegal shape " + dims + ": more than 2^31 - 1 values");
        }
        String dtype = Json.str(w.get("dtype"), what + ": dtype");
        String qd = null;
        double scale = Double.NaN, min = Double.NaN;
        if (w.get("quantization") != null) {
            Map<String, Object> q = Json.obj(w.get("quantization"), what + ": quantization");
            qd = Json.str(q.get("dtype"), what + ": quantization.dtype");
            if (q.containsKey("scale")) scale = Json.num(q.get("scale"), what + ": quantization.scale");
            if (q.containsKey("min")) min = Json.num(q.get("min"), what + ": quantization.min");
        }
        Weights.Spec spec = new Weights.Spec(name, shape, dtype, qd, scale, min);
        try {
            spec.byteLength();  // the dtype's size: an unknown dtype is refused here, bad quantization by Weights.decode
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        return spec;
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
