package io.github.deconvspark.jobs.frame;

import io.github.deconvspark.jobs.inputs.Uris;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code --list-layers}: the layers of a job's model, one per line ("name  op  [shape]", names and shapes as the format
 * gives them: ONNX value names and NCHW shapes, Keras layer names, TF.js node names), so users can pick --layers and
 * --head. Needs only the model (and, for a model with a dynamic image size, --input-size); no Spark session.
 */
final class ListLayers {
    private ListLayers() {}

    static boolean wanted(String[] args) {
        for (String a : args) if (a.equals("--list-layers") || a.equals("--list-layers=true")) return true;
        return false;
    }

    static String[] strip(String[] args) {
        List<String> out = new ArrayList<>();
        for (String a : args) if (!a.equals("--list-layers") && !a.equals("--list-layers=true")) out.add(a);
        return out.toArray(new String[0]);
    }

    static int print(String job, JobConfig cfg, String modelKey, String sizeKey) {
        if (!cfg.isSet(modelKey)) throw new JobConfig.ConfigException(job + ": --list-layers needs --" + modelKey);
        String uri = Uris.fromUser(cfg.get(modelKey));
        int size = sizeKey == null ? 0 : cfg.getInt(sizeKey);
        Configuration conf = new Configuration();
        for (Map.Entry<String, String> e : cfg.spark().entrySet()) {
            if (e.getKey().startsWith("spark.hadoop.")) conf.set(e.getKey().substring("spark.hadoop.".length()), e.getValue());
        }
        try (Model m = Models.load(Storage.localModel(uri, conf), 1, DataType.FLOAT, size > 0 ? new int[] {size, size} : null)) {
            System.out.println("model: " + Uris.display(uri) + " (" + m.format() + "), input " + m.input().name() + " NHWC "
                    + Arrays.toString(m.input().shape()) + ", outputs " + m.outputs().keySet());
            List<String> lines = m.describeLayers();
            System.out.println(lines.size() + " layers (name, op, shape):");
            for (String l : lines) System.out.println("  " + l);
            return 0;
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            throw new JobConfig.ConfigException(job + ": --" + modelKey + " " + Uris.display(uri) + ": " + e.getMessage());
        }
    }
}
