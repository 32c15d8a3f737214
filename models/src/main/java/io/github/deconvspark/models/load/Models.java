package io.github.deconvspark.models.load;

import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.io.ModelFiles;
import io.github.deconvspark.models.keras.KerasModel;
import io.github.deconvspark.models.onnx.OnnxModel;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Loads a model file of any supported format, picked by its content (not its name): a TF.js model.json (graph or
 * layers model), an ONNX ModelProto, a Keras 3 {@code .keras} zip or a legacy Keras {@code .h5} HDF5 file.
 */
public final class Models {
    private Models() {}

    /** The formats this loader tells apart, for messages. */
    public static final String FORMATS = "a TF.js model.json (graph or layers model), an ONNX .onnx file, a Keras .keras or .h5 file";

    /** Loads with batch 1 for an unknown batch dimension, in float32. */
    public static Model load(Path file) throws IOException {
        return load(file, 1, DataType.FLOAT);
    }

    /** Loads; {@code batch} replaces an unknown batch dimension; DOUBLE widens float32 weights exactly. */
    public static Model load(Path file, long batch, DataType dtype) throws IOException {
        return load(file, batch, dtype, null);
    }

    /** As {@link #load(Path, long, DataType)}, with {height, width} for an image input whose spatial size is dynamic. */
    public static Model load(Path file, long batch, DataType dtype, int[] inputHw) throws IOException {
        Path f = ModelFiles.modelFile(file);
        String kind = sniff(f);
        return switch (kind) {
            case "json" -> KerasModel.isLayersModel(f) ? KerasModel.load(f, batch, dtype, inputHw) : TfjsModel.load(f, batch, dtype);
            case "onnx" -> OnnxModel.load(f, batch, dtype, inputHw);
            case "zip", "hdf5" -> KerasModel.load(f, batch, dtype, inputHw);
            default -> throw new IllegalArgumentException(f + ": not a model file this loader reads (" + kind + "); it reads " + FORMATS);
        };
    }

    /** The files beside a model file that it names (TF.js weight shards, ONNX external data), as safe relative paths. */
    public static List<String> siblings(Path file, String source) throws IOException {
        return switch (sniff(file)) {
            case "json" -> TfjsModel.shardPaths(ModelFiles.readBounded(file, ModelFiles.MAX_JSON_BYTES, "model file"), source);
            case "onnx" -> OnnxModel.externalFiles(file, source);
            default -> List.of();
        };
    }

    /** The format by the first bytes: "json", "onnx", "zip" (.keras), "hdf5" (.h5), or a description of what it is. */
    static String sniff(Path f) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(f)) {
            head = in.readNBytes(16);
        }
        return sniff(head);
    }

    /** Whether a file starting with {@code head} (its first 16 bytes) is in a format {@link #load} reads; "json" for model.json. */
    public static String format(byte[] head) {
        String k = sniff(head);
        return switch (k) {
            case "json", "onnx", "zip", "hdf5" -> k;
            default -> null;
        };
    }

    static String sniff(byte[] b) {
        int i = 0;
        while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++;
        if (i < b.length && b[i] == '{') return "json";
        if (b.length >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4) return "zip";
        if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'H' && b[2] == 'D' && b[3] == 'F') return "hdf5";
        if (b.length >= 2 && b[0] == 0x08) return "onnx";        // ModelProto starts with ir_version (field 1, varint)
        return b.length == 0 ? "an empty file" : String.format("unknown content starting %02x", b[0] & 0xff);
    }
}
