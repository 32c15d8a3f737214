package io.github.deconvspark.jobs.train;

import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.models.json.JsonOut;
import io.github.deconvspark.models.net.NetSpec;
import io.github.deconvspark.models.net.Optimizer;
import io.github.deconvspark.models.tfjs.NetFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A training run's checkpoints: {@code OUTPUT/checkpoints/epoch-NNNN/} with the model as TF.js
 * ({@code model.json}, {@code weights.bin}: the visualize job loads any checkpoint), the exact state
 * ({@code state.bin}: float64 parameters, optimizer moments, history) and {@code checkpoint.json} for
 * people. Each is written in a hidden staging folder and renamed into place, so a checkpoint folder
 * is always complete; a killed run resumes from the latest one.
 */
public final class Checkpoints {
    private Checkpoints() {}

    private static final String MAGIC = "deconv-spark checkpoint 2";
    private static final Pattern NAME = Pattern.compile("epoch-(\\d{4,})");

    /**
     * What a checkpoint holds. {@code batches} names what the batch order depends on besides seed and
     * batch (the training data, its example count, the limit, the dtype), so a resume can refuse other data.
     */
    public record State(String netText, long seed, int batch, String batches, int epoch, double[] params, byte[] optimizer,
                        List<Trainer.Epoch> history) {
        public void restore(Optimizer opt, String source) throws IOException {
            opt.restore(new DataInputStream(new ByteArrayInputStream(optimizer)), source);
        }
    }

    public static String dir(String output, int epoch) {
        return output + "/checkpoints/" + String.format("epoch-%04d", epoch);
    }

    public static void write(String output, State s, NetSpec spec, Map<String, Object> info, String runId, Configuration conf) throws IOException {
        String target = dir(output, s.epoch());
        Path t = Storage.path(target);
        String staging = new Path(t.getParent(), "." + t.getName() + ".staging-" + runId).toString();
        Storage.write(staging + "/model.json", NetFiles.modelJson(spec), conf);
        Storage.write(staging + "/" + NetFiles.WEIGHTS, NetFiles.weights(spec, s.params()), conf);
        Storage.write(staging + "/state.bin", encode(s), conf);
        Map<String, Object> j = new LinkedHashMap<>(info);
        j.put("epoch", s.epoch());
        j.put("history", s.history().stream().map(Checkpoints::row).toList());
        Storage.writeString(staging + "/checkpoint.json", JsonOut.write(j) + "\n", conf);
        Storage.commit(staging, target, runId, conf); // an earlier folder of this epoch is moved aside first
    }

    /** The complete checkpoints' epochs, newest first (a folder counts once its state.bin is in place). */
    public static List<Integer> epochs(String output, Configuration conf) throws IOException {
        Path dir = Storage.path(output + "/checkpoints");
        FileSystem fs = Storage.fs(dir, conf);
        List<Integer> out = new ArrayList<>();
        if (!fs.exists(dir)) return out;
        for (FileStatus st : fs.listStatus(dir)) {
            Matcher m = NAME.matcher(st.getPath().getName());
            if (m.matches() && fs.exists(new Path(st.getPath(), "state.bin"))) out.add(Integer.parseInt(m.group(1)));
        }
        out.sort(java.util.Comparator.reverseOrder());
        return out;
    }

    /** Removes the hidden staging folders that killed runs left under checkpoints/ (call only when this run owns the output). */
    public static void cleanStaging(String output, Configuration conf) throws IOException {
        Path dir = Storage.path(output + "/checkpoints");
        FileSystem fs = Storage.fs(dir, conf);
        if (!fs.exists(dir)) return;
        for (FileStatus st : fs.listStatus(dir)) if (st.getPath().getName().startsWith(".")) fs.delete(st.getPath(), true);
    }

    /** Reads a checkpoint's state; a damaged file is an IllegalArgumentException that names it. */
    public static State read(String output, int epoch, Configuration conf) throws IOException {
        String file = dir(output, epoch) + "/state.bin";
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(Storage.read(file, conf)));
            if (!in.readUTF().equals(MAGIC)) throw new IllegalArgumentException(file + ": not a deconv-spark checkpoint state (" + MAGIC + ")");
            String text = utf(in);
            long seed = in.readLong();
            int batch = in.readInt();
            String batches = utf(in);
            int ep = in.readInt();
            double[] p = new double[in.readInt()];
            for (int i = 0; i < p.length; i++) p[i] = in.readDouble();
            byte[] opt = new byte[in.readInt()];
            in.readFully(opt);
            int n = in.readInt();
            List<Trainer.Epoch> h = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                h.add(new Trainer.Epoch(in.readInt(), in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble(),
                        in.readLong(), in.readDouble(), in.readDouble()));
            }
            if (in.available() != 0) throw new IllegalArgumentException(file + ": " + in.available() + " bytes after the state");
            return new State(text, seed, batch, batches, ep, p, opt, h);
        } catch (java.io.EOFException | NegativeArraySizeException | OutOfMemoryError e) {
            throw new IllegalArgumentException(file + ": damaged (" + e + ")");
        }
    }

    private static String utf(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void utf(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static byte[] encode(State s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeUTF(MAGIC);
        utf(out, s.netText());
        out.writeLong(s.seed());
        out.writeInt(s.batch());
        utf(out, s.batches());
        out.writeInt(s.epoch());
        out.writeInt(s.params().length);
        for (double d : s.params()) out.writeDouble(d);
        out.writeInt(s.optimizer().length);
        out.write(s.optimizer());
        out.writeInt(s.history().size());
        for (Trainer.Epoch e : s.history()) {
            out.writeInt(e.epoch());
            out.writeDouble(e.learningRate());
            out.writeDouble(e.trainLoss());
            out.writeDouble(e.trainAccuracy());
            out.writeDouble(e.testLoss());
            out.writeDouble(e.testAccuracy());
            out.writeLong(e.testExamples());
            out.writeDouble(e.seconds());
            out.writeDouble(e.imagesPerSecond());
        }
        out.flush();
        return bytes.toByteArray();
    }

    static byte[] optimizerBytes(Optimizer opt) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        opt.save(out);
        out.flush();
        return b.toByteArray();
    }

    static Map<String, Object> row(Trainer.Epoch e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", e.epoch());
        m.put("learning_rate", e.learningRate());
        m.put("train_loss", e.trainLoss());
        m.put("train_accuracy", e.trainAccuracy());
        m.put("test_loss", e.testLoss());
        m.put("test_accuracy", e.testAccuracy());
        m.put("test_examples", e.testExamples());
        m.put("seconds", Math.round(e.seconds() * 10) / 10.0);
        m.put("images_per_second", Math.round(e.imagesPerSecond()));
        return m;
    }
}
