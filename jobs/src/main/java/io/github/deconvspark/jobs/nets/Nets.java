package io.github.deconvspark.jobs.nets;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.labelled.LabelledData;
import io.github.deconvspark.models.net.Net;
import io.github.deconvspark.models.net.NetSpec;
import io.github.deconvspark.models.tfjs.NetFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The networks of the gradients and train jobs: where they come from ({@link #load}: a description
 * file, or a model.json written by train) and, on executors, one built graph per (description, batch
 * size, dtype) per JVM ({@link #net}), shared by the JVM's tasks.
 */
public final class Nets {
    private Nets() {}

    /** The --data key of the gradients and train jobs. */
    public static final JobConfig.Key DATA_KEY = new JobConfig.Key("data", "",
            "labelled data: a folder of IDX files (MNIST, Fashion-MNIST) or of class folders; any Hadoop URI");

    /** A network and its parameters; {@code sha256} covers the description and the parameter bytes. */
    public record Loaded(NetSpec spec, double[] params, String kind, String sha256) {}

    /**
     * Loads {@code uri}: a TF.js model.json written by train (its description and weights.bin), or a
     * description (docs/MODELS.md) whose parameters are initialized with {@code seed}.
     */
    public static Loaded load(String uri, long seed, Configuration conf) throws IOException {
        if (!Storage.exists(uri, conf)) throw new JobConfig.ConfigException("model: " + uri + " does not exist");
        byte[] bytes = Storage.read(uri, conf);
        try {
            if (uri.endsWith(".json")) {
                String weights = new org.apache.hadoop.fs.Path(Storage.path(uri).getParent(), NetFiles.WEIGHTS).toString();
                if (!Storage.exists(weights, conf)) {
                    NetFiles.spec(bytes, uri); // a foreign model.json: that is the error to report
                    throw new JobConfig.ConfigException("model: " + uri + " has no " + NetFiles.WEIGHTS + " beside it");
                }
                NetFiles.Loaded l = NetFiles.read(bytes, Storage.read(weights, conf), uri);
                return new Loaded(l.spec(), l.params(), "trained model " + uri, sha256(l.spec(), l.params()));
            }
            NetSpec spec = NetSpec.parse(new String(bytes, StandardCharsets.UTF_8), uri);
            double[] p = Net.initialize(spec, seed);
            return new Loaded(spec, p, "description " + uri + " (Glorot-uniform initialized, seed " + seed + ")", sha256(spec, p));
        } catch (IllegalArgumentException e) {
            if (e instanceof JobConfig.ConfigException) throw e;
            throw new JobConfig.ConfigException("model: " + e.getMessage());
        }
    }

    public static String sha256(NetSpec spec, double[] params) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(spec.text().getBytes(StandardCharsets.UTF_8));
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * 4096);
            for (int i = 0; i < params.length; i++) {
                if (!b.hasRemaining()) {
                    md.update(b.array(), 0, b.position());
                    b.clear();
                }
                b.putDouble(params[i]);
            }
            md.update(b.array(), 0, b.position());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Key(String text, int batch, DataType dtype, boolean inputGradient) {}

    private static final Map<Key, Net> NETS = new ConcurrentHashMap<>();
    private static final Map<String, NetSpec> SPECS = new ConcurrentHashMap<>();

    /** This JVM's graph for the description and batch size (built once; graphs run on many threads). */
    public static Net net(String text, int batch, DataType dtype, boolean inputGradient) {
        return NETS.computeIfAbsent(new Key(text, batch, dtype, inputGradient),
                k -> Net.build(SPECS.computeIfAbsent(text, t -> NetSpec.parse(t, "network")), batch, dtype, inputGradient));
    }

    /**
     * Runs a block (any size >= 1) and adds its loss, hits and (optionally) gradient to {@code acc};
     * {@code params} is a double[] or (for float32 graphs) a float[].
     */
    public static GradientSum add(GradientSum acc, String text, DataType dtype, Object params, LabelledData.Block b, boolean gradients) {
        if (b.size() == 0) return acc;
        long t0 = System.nanoTime();
        Net net = net(text, b.size(), dtype, false);
        Net.Eval e = params instanceof float[] f ? net.run(f, b.x(), b.y(), gradients) : net.run((double[]) params, b.x(), b.y(), gradients);
        return acc.add(e, System.nanoTime() - t0);
    }

    /**
     * The parameters as they travel to the executors: little-endian float32 bytes for a float32 graph (what
     * it computes with; half the bytes), float64 bytes otherwise. A byte[] because Java serialization writes
     * it in bulk, and a float[] or double[] value by value (measured: ~4 ms per step for LeNet's 455k).
     */
    public static byte[] wire(double[] p, DataType dtype) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(p.length * (dtype == DataType.FLOAT ? 4 : 8)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (dtype == DataType.FLOAT) {
            for (double v : p) b.putFloat((float) v);
        } else {
            b.asDoubleBuffer().put(p);
        }
        return b.array();
    }

    /** The parameters as {@link #add} takes them in this process: float32 copies for a float32 graph, as they are for float64. */
    public static Object forGraph(double[] p, DataType dtype) {
        if (dtype != DataType.FLOAT) return p;
        float[] f = new float[p.length];
        for (int i = 0; i < p.length; i++) f[i] = (float) p[i];
        return f;
    }

    /** {@link #wire}'s bytes back as the float[] or double[] that {@link #add} takes. */
    public static Object unwire(byte[] bytes, DataType dtype) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (dtype == DataType.FLOAT) {
            float[] f = new float[bytes.length / 4];
            b.asFloatBuffer().get(f);
            return f;
        }
        double[] d = new double[bytes.length / 8];
        b.asDoubleBuffer().get(d);
        return d;
    }

    /** Parses the job's dtype key. */
    public static DataType dtype(JobConfig cfg) {
        return cfg.choice("dtype").equals("float64") ? DataType.DOUBLE : DataType.FLOAT;
    }
}
