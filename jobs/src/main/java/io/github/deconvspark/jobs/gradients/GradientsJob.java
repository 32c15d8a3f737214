package io.github.deconvspark.jobs.gradients;

import io.github.deconvspark.jobs.frame.Executors;
import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.JobRun;
import io.github.deconvspark.jobs.frame.Jobs;
import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.images.Normalize;
import io.github.deconvspark.jobs.labelled.LabelledData;
import io.github.deconvspark.jobs.nets.Batches;
import io.github.deconvspark.jobs.nets.GradientSum;
import io.github.deconvspark.jobs.nets.Nets;
import io.github.deconvspark.models.net.Net;
import io.github.deconvspark.models.net.NetSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The gradients job: the gradient of the summed softmax cross-entropy over a whole labelled data set
 * w.r.t. every parameter of a network. Executors read their shards of the data, run it in blocks of
 * {@code batch} examples, and the partial sums ({@link GradientSum}, float64) are combined with
 * {@code treeAggregate}; the parameters are broadcast once and destroyed after. Outputs: {@code sum/}
 * and {@code mean/} one .npy per parameter, {@code stats.parquet}, {@code rejects.parquet},
 * optionally {@code inputs/} (input gradients of the first examples), {@code manifest.json}; committed atomically.
 */
public final class GradientsJob {
    private GradientsJob() {}

    public static final List<JobConfig.Key> KEYS = List.of(
            Nets.DATA_KEY,
            new JobConfig.Key("model", "", "the network: a description (.net, docs/MODELS.md), a model.json written by train, or a model "
                    + "file (ONNX, Keras .keras/.h5, TF.js model.json) whose own parameters are differentiated"),
            new JobConfig.Key("head", "", "model files: the class scores [batch, classes] the loss takes (default: the model's only output)"),
            JobConfig.Key.integer("input-size", 0, 0, 8192, "model files: the image side for a model whose input height/width are dynamic"),
            new JobConfig.Key("normalize", "none", "model files: what the model expects of its pixels: " + Normalize.FORMS),
            new JobConfig.Key("output", "", "output folder (replaced atomically)"),
            JobConfig.Key.choice("split", "train", LabelledData.SPLITS, "which split of the data: train or test"),
            JobConfig.Key.choice("loss", "softmax-xent", List.of("softmax-xent"), "the loss: softmax-xent (softmax cross-entropy of the logits, summed over examples)"),
            JobConfig.Key.integer("batch", 256, 1, 65536, "examples per graph run (a block) on the executors"),
            JobConfig.Key.integer("depth", 2, 1, 16, "treeAggregate depth"),
            JobConfig.Key.choice("dtype", "float64", List.of("float32", "float64"), "float64 or float32 computation (sums are float64 either way)"),
            JobConfig.Key.integer("limit", 0, 0, Long.MAX_VALUE, "use only the first N examples (0: all)"),
            JobConfig.Key.integer("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE, "initialization seed when --model is a description"),
            JobConfig.Key.integer("input-gradients", 0, 0, 4096, "also write d loss / d pixels (the 0..1 values, before --normalize) of the first K examples (inputs/)"),
            JobConfig.Key.integer("partitions", 0, 0, 1_000_000, "partitions of the data (0: 2 per core of the default parallelism)"),
            new JobConfig.Key("master", "", "Spark master URL (default: spark-submit's, else local[*])"));

    static final StructType STATS = new StructType()
            .add("parameter", DataTypes.StringType, false)
            .add("shape", DataTypes.StringType, false)
            .add("values", DataTypes.LongType, false)
            .add("examples", DataTypes.LongType, false)
            .add("sum_l2", DataTypes.DoubleType, false)
            .add("mean_l2", DataTypes.DoubleType, false)
            .add("mean_min", DataTypes.DoubleType, false)
            .add("mean_max", DataTypes.DoubleType, false)
            .add("mean_abs_max", DataTypes.DoubleType, false)
            .add("zeros", DataTypes.LongType, false);

    static final StructType REJECTS = new StructType()
            .add("record", DataTypes.StringType, false)
            .add("rule", DataTypes.StringType, false)
            .add("reason", DataTypes.StringType, false);

    /** What a run found. */
    public record Summary(String output, long examples, long rejected, double loss, double accuracy, double seconds, GradientSum sum) {}

    /** Typed, validated settings. */
    record Settings(String output, String data, String model, String split, int batch, int depth, DataType dtype, long limit,
                    int inputGradients, long seed, String head, int inputSize, Normalize normalize) {
        static Settings of(JobConfig c, Configuration conf) {
            c.require("data", "model", "output");
            Normalize normalize;
            try {
                normalize = Normalize.parse(c.get("normalize"));
            } catch (IllegalArgumentException e) {
                throw new JobConfig.ConfigException("gradients: --" + e.getMessage());
            }
            return new Settings(Storage.qualify(c.get("output"), conf), Storage.qualify(c.get("data"), conf),
                    Storage.qualify(c.get("model"), conf), c.choice("split"), c.getInt("batch"), c.getInt("depth"), Nets.dtype(c),
                    c.getLong("limit"), c.getInt("input-gradients"), c.getLong("seed"), c.get("head").trim(), c.getInt("input-size"), normalize);
        }
    }

    public static int main(String[] args) {
        return Jobs.main("gradients", KEYS, args, Jobs.Options.NONE, (spark, cfg) -> {
            Summary s = run(spark, cfg);
            System.out.printf(Locale.ROOT, "gradients: %d examples (%d rejected), mean loss %.6f, accuracy %.2f %%, in %.1f s%n",
                    s.examples(), s.rejected(), s.loss(), 100 * s.accuracy(), s.seconds());
            System.out.println("output: " + s.output());
            return 0;
        });
    }

    public static Summary run(SparkSession spark, JobConfig cfg) {
        try (JobRun run = JobRun.start(spark, "gradients", cfg)) {
            return doRun(run);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The network of a run: a description or train's model.json ({@code net}), or a user's model file ({@code model}). */
    private record Network(Nets.Loaded net, ModelNetwork.Info model, int[] input, int classes, List<NetSpec.ParamShape> params,
                           String summary) {
        static Network of(Settings st, Configuration conf) throws IOException {
            if (!Storage.exists(st.model(), conf)) throw new JobConfig.ConfigException("model: " + st.model() + " does not exist");
            if (ModelNetwork.isModel(st.model(), conf)) {
                ModelNetwork.Info m = ModelNetwork.describe(st.model(), st.head(), st.inputSize(), st.normalize(), conf);
                if (m.size() > Integer.MAX_VALUE - 8) {
                    throw new JobConfig.ConfigException("gradients: " + st.model() + " has " + m.size() + " parameter values; at most "
                            + (Integer.MAX_VALUE - 8) + " fit one gradient sum");
                }
                if (m.declaredBatch() > 0 && m.declaredBatch() != st.batch()) {
                    throw new JobConfig.ConfigException("gradients: --batch " + st.batch() + ": " + st.model() + " has a fixed batch of "
                            + m.declaredBatch() + "; give --batch " + m.declaredBatch());
                }
                List<NetSpec.ParamShape> ps = new ArrayList<>();
                for (int i = 0; i < m.params().size(); i++) ps.add(new NetSpec.ParamShape(m.params().get(i), m.shapes().get(i)));
                return new Network(null, m, m.input(), m.classes(), ps, m.summary());
            }
            if (!st.head().isBlank() || st.inputSize() > 0 || !st.normalize().equals(Normalize.NONE)) {
                throw new JobConfig.ConfigException("gradients: --head, --input-size and --normalize apply to model files (ONNX, Keras, "
                        + "TF.js); " + st.model() + " is a network description");
            }
            Nets.Loaded n = Nets.load(st.model(), st.seed(), conf);
            return new Network(n, null, n.spec().input(), n.spec().classes(), n.spec().params(), n.spec().summary());
        }

        int size() {
            long n = 0;
            for (NetSpec.ParamShape p : params) n += p.size();
            return (int) n;
        }

        String kind() { return net != null ? net.kind() : "model " + model.uri(); }

        String sha256() { return net != null ? net.sha256() : model.sha256(); }
    }

    private static Summary doRun(JobRun run) throws IOException {
        JobConfig cfg = run.cfg;
        SparkSession spark = run.spark;
        JavaSparkContext jsc = run.jsc;
        Configuration conf = run.conf;
        Settings st = Settings.of(cfg, conf);
        String output = st.output(), split = st.split();
        int batch = st.batch(), depth = st.depth(), inputGrads = st.inputGradients();
        DataType dtype = st.dtype();
        int parts = run.partitions(2);
        Network net = Network.of(st, conf);
        LabelledData.Source data = LabelledData.resolve(st.data(), split, parts, st.limit(), net.input(), net.classes(), conf);
        String staging = run.stage(output);
        System.err.println("gradients: " + Executors.checkNatives(jsc));
        System.err.println("gradients: network " + net.summary() + ", " + net.kind());
        System.err.println("gradients: data " + data.describe() + ", blocks of " + batch + ", " + dtype + ", treeAggregate depth " + depth);

        Broadcast<SerializableConfiguration> hc = run.hadoopConf();
        // a description's parameters travel as a broadcast; a model file's executors read the file itself
        Broadcast<double[]> weights = net.net() != null ? run.broadcast(net.net().params()) : null;
        CollectionAccumulator<String> rejects = jsc.sc().collectionAccumulator("rejects");
        String text = net.net() != null ? net.net().spec().text() : null;
        ModelNetwork.Info info = net.model();
        int[] input = net.input();
        int classes = net.classes();
        int size = net.size();
        GradientSum total;
        try {
            JavaRDD<LabelledData.Block> blocks = jsc.parallelize(data.shards(), data.shards().size()).flatMap(s -> {
                Iterator<LabelledData.Block> it = LabelledData.read(s, batch, input, classes, hc.value().value());
                return new Iterator<LabelledData.Block>() {
                    @Override public boolean hasNext() { return it.hasNext(); }

                    @Override public LabelledData.Block next() {
                        LabelledData.Block b = it.next();
                        for (String r : b.rejects()) rejects.add(r);
                        return b;
                    }
                };
            });
            total = info != null
                    ? blocks.treeAggregate(new GradientSum(size),
                            (acc, b) -> ModelNetwork.add(acc, info, batch, dtype, b, hc.value().value()), GradientSum::merge, depth)
                    : blocks.treeAggregate(new GradientSum(size),
                            (acc, b) -> Nets.add(acc, text, dtype, weights.value(), b, true), GradientSum::merge, depth);
        } finally {
            if (weights != null) weights.destroy();
        }
        java.util.TreeSet<String> allRejects = new java.util.TreeSet<>(data.rejects());  // entries of class folders not read
        allRejects.addAll(rejects.value());                  // a re-run task adds its rejects again: each record once
        Map<String, Long> byRule = new java.util.TreeMap<>();
        for (String r : allRejects) byRule.merge(LabelledData.rejectFields(r)[1], 1L, Long::sum);
        if (total.count() == 0) {
            throw new IllegalStateException("gradients: no example of " + data.uri() + " could be read (" + allRejects.size()
                    + " rejected, by rule: " + byRule + ")");
        }

        // outputs: one .npy per parameter (sum and mean), statistics, rejects
        double[] sum = total.sum(), mean = total.mean();
        List<Row> stats = new ArrayList<>();
        List<NetSpec.ParamShape> ps = net.params();
        List<String> files = Npy.fileNames(ps.stream().map(NetSpec.ParamShape::name).toList());
        int b = 0;
        for (int i = 0; i < ps.size(); i++) {
            NetSpec.ParamShape p = ps.get(i);
            int a = b;
            b = (int) (a + p.size());
            String file = files.get(i);
            Storage.write(staging + "/sum/" + file, Npy.float64(sum, a, b, p.shape()), conf);
            Storage.write(staging + "/mean/" + file, Npy.float64(mean, a, b, p.shape()), conf);
            double l2s = 0, l2m = 0, mn = Double.POSITIVE_INFINITY, mx = Double.NEGATIVE_INFINITY, amx = 0;
            long zeros = 0;
            for (int j = a; j < b; j++) {
                l2s += sum[j] * sum[j];
                l2m += mean[j] * mean[j];
                mn = Math.min(mn, mean[j]);
                mx = Math.max(mx, mean[j]);
                amx = Math.max(amx, Math.abs(mean[j]));
                if (sum[j] == 0) zeros++;
            }
            stats.add(RowFactory.create(p.name(), Arrays.toString(p.shape()), (long) (b - a), total.count(), Math.sqrt(l2s), Math.sqrt(l2m),
                    mn, mx, amx, zeros));
        }
        spark.createDataFrame(stats, STATS).coalesce(1).write().parquet(staging + "/stats.parquet");
        List<Row> rej = new ArrayList<>();
        for (String r : allRejects) {
            String[] f = LabelledData.rejectFields(r);
            rej.add(RowFactory.create(f[0], f[1], f[2]));
        }
        spark.createDataFrame(rej, REJECTS).coalesce(1).write().parquet(staging + "/rejects.parquet");
        if (inputGrads > 0) writeInputGradients(net, data, inputGrads, dtype, staging, conf);

        double seconds = run.seconds();
        Map<String, Object> manifest = run.manifest();
        manifest.put("model", net.net() != null
                ? Map.of("source", net.kind(), "network", net.summary(), "sha256", net.sha256(), "description", net.net().spec().text())
                : Map.of("source", net.kind(), "format", info.format(), "network", net.summary(), "sha256", net.sha256(),
                        "head", info.head(), "normalize", info.normalize().toString(), "classes", info.classes()));
        List<Map<String, Object>> paramList = new ArrayList<>();
        for (int i = 0; i < ps.size(); i++) {
            paramList.add(Map.of("name", ps.get(i).name(), "shape", Arrays.toString(ps.get(i).shape()), "file", files.get(i)));
        }
        manifest.put("parameters", paramList);
        manifest.put("data", Map.of("uri", data.uri(), "split", split, "kind", data.kind(), "classes", data.classes()));
        manifest.put("examples", total.count());
        manifest.put("rejected", rej.size());
        manifest.put("rejects_by_rule", byRule);
        manifest.put("loss_sum", total.loss());
        manifest.put("loss_mean", total.loss() / total.count());
        manifest.put("accuracy", (double) total.correct() / total.count());
        manifest.put("sums", "float64 (" + dtype.name().toLowerCase(Locale.ROOT) + " computation per block); "
                + "independent of partitioning and merge order up to float64 rounding");
        @SuppressWarnings("unchecked") Map<String, Object> sparkInfo = (Map<String, Object>) manifest.get("spark");
        sparkInfo.put("partitions", data.shards().size());
        sparkInfo.put("depth", depth);
        run.commit(manifest);
        return new Summary(output, total.count(), rej.size(), total.loss() / total.count(), (double) total.correct() / total.count(), seconds, total);
    }

    /** d loss / d input for the first k readable examples, on the driver: inputs/gradients.npy, inputs/images.npy, inputs/labels.txt. */
    private static void writeInputGradients(Network net, LabelledData.Source data, int k, DataType dtype, String staging,
                                            Configuration conf) throws IOException {
        // the first k readable examples, across shards and blocks
        List<LabelledData.Block> got = new ArrayList<>();
        int have = 0;
        int[] in = net.input();
        for (LabelledData.Shard shard : data.shards()) {
            Iterator<LabelledData.Block> it = LabelledData.read(shard, k, in, net.classes(), conf);
            while (have < k && it.hasNext()) {
                LabelledData.Block blk = it.next();
                got.add(blk);
                have += blk.size();
            }
            LabelledData.close(it);
            if (have >= k) break;
        }
        LabelledData.Block b = Batches.concat(got, k, in[0] * in[1] * in[2]);
        int n = b.size();
        if (n == 0) return;
        Net.Eval e;
        if (net.net() != null) {
            try (Net graph = Net.build(net.net().spec(), n, dtype, true)) {
                e = graph.run(net.net().params(), b.x(), b.y(), true);
            }
        } else {
            try (ModelNetwork graph = ModelNetwork.build(net.model(), n, dtype, true, conf)) {
                e = graph.run(b, net.model().normalize(), true);
            }
        }
        try {
            double[] g = e.inputGradient().data().asDouble();
            if (net.model() != null) net.model().normalize().backprop(g, in[2]);    // w.r.t. the pixels written beside it, not the model's input
            long[] shape = {n, in[0], in[1], in[2]};
            Storage.write(staging + "/inputs/gradients.npy", Npy.float64(g, 0, g.length, shape), conf);
            double[] x = new double[b.x().length];
            for (int i = 0; i < x.length; i++) x[i] = b.x()[i];
            Storage.write(staging + "/inputs/images.npy", Npy.float64(x, 0, x.length, shape), conf);
            StringBuilder sb = new StringBuilder("index\tlabel\n");
            for (int i = 0; i < n; i++) sb.append(b.index()[i]).append('\t').append(b.y()[i]).append('\n');
            Storage.writeString(staging + "/inputs/labels.tsv", sb.toString(), conf);
        } finally {
            e.close();
        }
    }
}
