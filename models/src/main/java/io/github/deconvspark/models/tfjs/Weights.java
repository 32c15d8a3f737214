package io.github.deconvspark.models.tfjs;

import io.github.deconvspark.models.io.ModelFiles;
import io.github.deconvspark.models.json.Json;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * TF.js weight decoding, as tfjs-core's {@code io_utils.decodeWeights}: each manifest entry takes
 * {@code size * bytesPerValue} bytes of the concatenated shards, in manifest order, little-endian.
 * Plain float32 / int32 / bool; quantized entries ({@code quantization.dtype} uint8, uint16 or float16)
 * decode as {@code q * scale + min} (float32 weights, computed in double then rounded to float, as a
 * JavaScript Float32Array assignment does; int32 weights rounded with JavaScript's Math.round) or as
 * IEEE half precision (float16, float32 weights only).
 */
public final class Weights {
    private Weights() {}

    /** One {@code weightsManifest[].weights[]} entry. scale/min are NaN when absent. */
    public record Spec(String name, long[] shape, String dtype, String quantDtype, double scale, double min) {
        public long size() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        /** Bytes the entry takes in the shards. */
        public long byteLength() {
            return size() * bytesPerValue(quantDtype != null ? quantDtype : dtype, name);
        }

        public boolean quantized() { return quantDtype != null; }

        @Override public String toString() {
            return name + " " + Arrays.toString(shape) + " " + dtype + (quantDtype == null ? "" : " (quantized " + quantDtype
                    + (Double.isNaN(scale) ? "" : ", scale " + scale + ", min " + min) + ")");
        }
    }

    /** A decoded weight: float values (float32) or int values (int32, bool), row-major. */
    public record Decoded(Spec spec, float[] floats, int[] ints) {
        public boolean isFloat() { return floats != null; }
    }

    static int bytesPerValue(String dtype, String weight) {
        return switch (dtype) {
            case "float32", "int32" -> 4;
            case "float16", "uint16" -> 2;
            case "uint8", "bool" -> 1;
            default -> throw new IllegalArgumentException("weight " + weight + ": dtype '" + dtype
                    + "' is not supported (supported: float32, int32, bool; quantized uint8, uint16, float16)");
        };
    }

    public static Spec parseSpec(Map<String, Object> w, String where) {
        String name = Json.str(w.get("name"), where + ": weight name");
        String what = where + ": weight " + name;
        List<Object> dims = Json.list(w.get("shape"), what + ": shape");
        if (dims.size() > 8) throw new IllegalArgumentException(what + ": shape has " + dims.size() + " dimensions (at most 8)");
        long[] shape = new long[dims.size()];
        long elements = 1;
        for (int k = 0; k < shape.length; k++) {
            shape[k] = Json.integer(dims.get(k), what + ": shape");
            if (shape[k] < 0) throw new IllegalArgumentException(what + ": illegal shape " + dims + ": a negative size");
            if (shape[k] > Integer.MAX_VALUE) throw new IllegalArgumentException(what + ": illegal shape " + dims + ": a size above 2^31 - 1");
            elements *= shape[k];            // both factors < 2^31: no overflow; the bound is checked at every step
            if (elements > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + ": illegal shape " + dims + ": more than 2^31 - 1 values");
            }
        }
        String dtype = Json.str(w.get("dtype"), what + ": dtype");
        String qd = null;
        double scale = Double.NaN, min = Double.NaN;
        Object q = w.get("quantization");
        if (q != null) {
            Map<String, Object> qm = Json.obj(q, what + ": quantization");
            qd = Json.str(qm.get("dtype"), what + ": quantization.dtype");
            if (qm.containsKey("scale")) scale = Json.num(qm.get("scale"), what + ": quantization.scale");
            if (qm.containsKey("min")) min = Json.num(qm.get("min"), what + ": quantization.min");
        }
        Spec spec = new Spec(name, shape, dtype, qd, scale, min);
        try {
            validate(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        return spec;
    }

    static void validate(Spec s) {
        String what = "weight " + s.name();
        if (s.quantDtype() == null) {
            bytesPerValue(s.dtype(), s.name());
            return;
        }
        switch (s.quantDtype()) {
            case "uint8", "uint16" -> {
                if (Double.isNaN(s.scale()) || Double.isNaN(s.min())) {
                    throw new IllegalArgumentException(what + " with quantization " + s.quantDtype()
                            + " has no quantization scale and min");
                }
                if (!s.dtype().equals("float32") && !s.dtype().equals("int32")) {
                    throw new IllegalArgumentException(what + ": quantization " + s.quantDtype() + " of dtype " + s.dtype()
                            + " is not supported (float32 or int32 only)");
                }
            }
            case "float16" -> {
                if (!s.dtype().equals("float32")) {
                    throw new IllegalArgumentException(what + " is quantized with float16, which only supports float32 weights, not "
                            + s.dtype());
                }
            }
            default -> throw new IllegalArgumentException(what + " has unknown quantization dtype '" + s.quantDtype()
                    + "' (supported: uint8, uint16, float16)");
        }
    }

    /** Decodes {@code spec} from {@code data} at {@code offset} (which must hold {@link Spec#byteLength()} bytes). */
    public static Decoded decode(Spec spec, byte[] data, int offset) {
        validate(spec);
        long n = spec.size();
        if (n > Integer.MAX_VALUE || offset + spec.byteLength() > data.length) {
            throw new IllegalArgumentException("weight " + spec + ": needs " + spec.byteLength() + " bytes at offset " + offset
                    + " but the shards hold " + data.length + " bytes in all");
        }
        int count = (int) n;
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (!spec.quantized()) {
            switch (spec.dtype()) {
                case "float32": {
                    float[] f = new float[count];
                    for (int k = 0; k < count; k++) f[k] = b.getFloat(offset + 4 * k);
                    return new Decoded(spec, f, null);
                }
                case "int32": {
                    int[] v = new int[count];
                    for (int k = 0; k < count; k++) v[k] = b.getInt(offset + 4 * k);
                    return new Decoded(spec, null, v);
                }
                default: { // bool
                    int[] v = new int[count];
                    for (int k = 0; k < count; k++) v[k] = data[offset + k] & 0xff;
                    return new Decoded(spec, null, v);
                }
            }
        }
        if (spec.quantDtype().equals("float16")) return new Decoded(spec, Float16.decode(data, offset, count), null);
        boolean u8 = spec.quantDtype().equals("uint8");
        int[] q = new int[count];
        for (int k = 0; k < count; k++) {
            q[k] = u8 ? data[offset + k] & 0xff : b.getShort(offset + 2 * k) & 0xffff;
        }
        return dequantize(spec, q);
    }

    /** {@code q * scale + min} per value, as TF.js: rounded to float32, or with Math.round for int32 weights. */
    public static Decoded dequantize(Spec spec, int[] q) {
        if (spec.dtype().equals("int32")) {
            int[] v = new int[q.length];
            for (int k = 0; k < q.length; k++) v[k] = (int) Math.floor(q[k] * spec.scale() + spec.min() + 0.5); // JS Math.round
            return new Decoded(spec, null, v);
        }
        float[] f = new float[q.length];
        for (int k = 0; k < q.length; k++) f[k] = (float) (q[k] * spec.scale() + spec.min());
        return new Decoded(spec, f, null);
    }

    /** A model.json's weights: the manifest's entries in order, and each decoded by name. */
    public record Manifest(List<Spec> specs, Map<String, Decoded> weights) {}

    /**
     * Reads a weightsManifest (TF.js graph and layers models alike): specs in manifest order, shards concatenated in
     * manifest order; every shard checked (inside the model's folder, a regular file: {@link ModelFiles#resolveShard})
     * and their sizes compared with what the manifest declares before any byte is read; digested into {@code sha}.
     */
    public static Manifest read(java.nio.file.Path modelJson, Object manifest, java.security.MessageDigest sha) throws java.io.IOException {
        String src = modelJson.toString();
        List<Spec> specs = new java.util.ArrayList<>();
        List<java.nio.file.Path> shards = new java.util.ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        List<Object> groups = manifest == null ? List.of() : Json.list(manifest, src + ": weightsManifest");
        for (int gi = 0; gi < groups.size(); gi++) {
            String where = src + ": weightsManifest[" + gi + "]";
            Map<String, Object> group = Json.obj(groups.get(gi), where);
            List<Object> paths = Json.list(group.get("paths"), where + ".paths");
            for (int pi = 0; pi < paths.size(); pi++) {
                String at = where + ".paths[" + pi + "]";
                shards.add(ModelFiles.resolveShard(modelJson.getParent(), ModelFiles.relativeShard(Json.str(paths.get(pi), at), at), at));
            }
            for (Object w : Json.list(group.get("weights"), where + ".weights")) {
                Spec spec = parseSpec(Json.obj(w, where + ".weights[]"), where);
                if (!names.add(spec.name())) throw new IllegalArgumentException(where + ": weight " + spec.name() + " is declared twice");
                specs.add(spec);
            }
        }
        long need = 0, have = 0;
        for (Spec s : specs) need = Math.addExact(need, s.byteLength());
        List<Long> sizes = new java.util.ArrayList<>();
        for (java.nio.file.Path p : shards) {
            long n = java.nio.file.Files.size(p);
            sizes.add(n);
            have += n;
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
        for (java.nio.file.Path p : shards) {
            byte[] b = ModelFiles.readBounded(p, need - filled, "weight file");
            System.arraycopy(b, 0, data, filled, b.length);
            sha.update(b);
            filled += b.length;
        }
        if (filled != need) throw new java.io.IOException("weight shards " + shards + " of " + src + " changed while they were read");
        Map<String, Decoded> weights = new java.util.LinkedHashMap<>();
        int offset = 0;
        for (Spec s : specs) {
            try {
                weights.put(s.name(), decode(s, data, offset));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(src + ": weightsManifest: " + e.getMessage(), e);
            }
            offset += (int) s.byteLength();
        }
        return new Manifest(List.copyOf(specs), weights);
    }
}
