package io.github.deconvspark.jobs.gradients;

import io.github.deconvspark.jobs.Executors;
import io.github.deconvspark.jobs.JobConfig;
import io.github.deconvspark.jobs.Sparks;
import io.github.deconvspark.jobs.Storage;
import io.github.deconvspark.jobs.labelled.LabelledData;
import io.github.deconvspark.jobs.train.Batches;
import io.github.deconvspark.jobs.train.Nets;
import io.github.deconvspark.models.json.JsonOut;
import io.github.deconvspark.models.net.Net;
import io.github.deconvspark.models.net.NetSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
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
            new JobConfig.Key("model", "", "the network: a description (.net, docs/MODELS.md) or a model.json written by train"),
            new JobConfig.Key("output", "", "output folder (replaced atomically)"),
            new JobConfig.Key("split", "train", "which split of the data: train or test"),
            new JobConfig.Key("loss", "softmax-xent", "the loss: softmax-xent (softmax cross-entropy of the logits, summed over examples)"),
            new JobConfig.Key("batch", "256", "examples per graph run (a block) on the executors"),
            new JobConfig.Key("depth", "2", "treeAggregate depth"),
            new JobConfig.Key("dtype", "float64", "float64 or float32 computation (sums are float64 either way)"),
            new JobConfig.Key("limit", "0", "use only the first N examples (0: all)"),
            new JobConfig.Key("seed", "1", "initialization seed when --model is a description"),
            new JobConfig.Key("input-gradients", "0", "also write d loss / d input of the first K examples (inputs/)"),
            new JobConfig.Key("partitions", "0", "partitions of the data (0: 2 per core of the default parallelism)"),
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

    public static int main(String[] args) {
        if (JobConfig.wantsHelp(args)) {
            System.out.print(JobConfig.help("gradients", KEYS));
            return 0;
        }
        JobConfig cfg = JobConfig.parse("gradients", KEYS, args);
        cfg.require("data", "model", "output");
        cfg.choice("loss", List.of("softmax-xent"));
        SparkSession spark = Sparks.session("deconv-spark gradients", cfg.get("master"), cfg.spark());
        try {
            Summary s = run(spark, cfg);
            System.out.printf(Locale.ROOT, "gradients: %d examples (%d rejected), mean loss %.6f, accuracy %.2f %%, in %.1f s%n",
                    s.examples(), s.rejected(), s.loss(), 100 * s.accuracy(), s.seconds());
            System.out.println("output: " + s.output());
            return 0;
        } finally {
            spark.stop();
        }
    }

    public static Summary run(SparkSession spark, JobConfig cfg) {
        try {
            return doRun(spark, cfg);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Summary doRun(SparkSession spark, JobConfig cfg) throws IOException {
        long t0 = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String output = Storage.qualify(cfg.get("output"), conf);
        String split = cfg.choice("split", LabelledData.SPLITS);
        int batch = cfg.getInt("batch", 1, 65536);
        int depth = cfg.getInt("depth", 1, 16);
        DataType dtype = Nets.dtype(cfg);
        long limit = cfg.getLong("limit", 0, Long.MAX_VALUE);
        int inputGrads = cfg.getInt("input-gradients", 0, 4096);
        int parts = cfg.getInt("partitions", 0, 1_000_000);
        if (parts == 0) parts = jsc.defaultParallelism() * 2;
        Nets.Loaded model = Nets.load(Storage.qualify(cfg.get("model"), conf), cfg.getLong("seed", Long.MIN_VALUE, Long.MAX_VALUE), conf);
        NetSpec spec = model.spec();
        LabelledData.Source data = LabelledData.resolve(Storage.qualify(cfg.get("data"), conf), split, parts, limit, spec.input(),
                spec.classes(), conf);
        Storage.requireOwnOutput(output, "gradients", conf);
        String runId = Storage.newRunId();
        Storage.cleanStale(output, runId, conf);
        String staging = Storage.staging(output, runId);
        System.err.println("gradients: " + Executors.checkNatives(jsc));
        System.err.println("gradients: network " + spec.summary() + ", " + model.kind());
        System.err.println("gradients: data " + data.describe() + ", blocks of " + batch + ", " + dtype + ", treeAggregate depth " + depth);

        Broadcast<SerializableConfiguration> hc = jsc.broadcast(new SerializableConfiguration(conf));
        Broadcast<double[]> weights = jsc.broadcast(model.params());
        CollectionAccumulator<String> rejects = jsc.sc().collectionAccumulator("rejects");
        String text = spec.text();
        int[] input = spec.input();
        int classes = spec.classes();
        int size = model.params().length;
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
            total = blocks.treeAggregate(new GradientSum(size),
                    (acc, b) -> Nets.add(acc, text, dtype, weights.value(), b, true),
                    GradientSum::merge, depth);
        } finally {
            weights.destroy();
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
        long[] off = Net.offsets(spec);
        List<Row> stats = new ArrayList<>();
        List<NetSpec.ParamShape> ps = spec.params();
        for (int i = 0; i < ps.size(); i++) {
            NetSpec.ParamShape p = ps.get(i);
            int a = (int) off[i], b = (int) off[i + 1];
            String file = p.name().replace('/', '_') + ".npy";
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
        if (inputGrads > 0) writeInputGradients(spec, model.params(), data, inputGrads, dtype, staging, conf);

        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("job", "gradients");
        manifest.put("run_id", runId);
        manifest.put("finished", Instant.now().toString());
        manifest.put("config", cfg.resolved());
        manifest.put("config_sources", cfg.sources());
        manifest.put("model", Map.of("source", model.kind(), "network", spec.summary(), "sha256", model.sha256(), "description", spec.text()));
        manifest.put("parameters", ps.stream().map(p -> Map.of("name", p.name(), "shape", Arrays.toString(p.shape()),
                "file", p.name().replace('/', '_') + ".npy")).toList());
        manifest.put("data", Map.of("uri", data.uri(), "split", split, "kind", data.kind(), "classes", data.classes()));
        manifest.put("examples", total.count());
        manifest.put("rejected", rej.size());
        manifest.put("rejects_by_rule", byRule);
        manifest.put("loss_sum", total.loss());
        manifest.put("loss_mean", total.loss() / total.count());
        manifest.put("accuracy", (double) total.correct() / total.count());
        manifest.put("sums", "float64 (" + dtype.name().toLowerCase(Locale.ROOT) + " computation per block); "
                + "independent of partitioning and merge order up to float64 rounding");
        manifest.put("seconds", Math.round(seconds * 10) / 10.0);
        manifest.put("spark", Map.of("master", spark.sparkContext().master(), "partitions", data.shards().size(), "depth", depth));
        Storage.writeString(staging + "/manifest.json", JsonOut.write(manifest) + "\n", conf);
        Storage.writeString(staging + "/_SUCCESS", "", conf);
        Storage.commit(staging, output, runId, conf);
        return new Summary(output, total.count(), rej.size(), total.loss() / total.count(), (double) total.correct() / total.count(), seconds, total);
    }

    /** d loss / d input for the first k readable examples, on the driver: inputs/gradients.npy, inputs/images.npy, inputs/labels.txt. */
    private static void writeInputGradients(NetSpec spec, double[] params, LabelledData.Source data, int k, DataType dtype, String staging,
                                            Configuration conf) throws IOException {
        // the first k readable examples, across shards and blocks
        List<LabelledData.Block> got = new ArrayList<>();
        int have = 0;
        for (LabelledData.Shard shard : data.shards()) {
            Iterator<LabelledData.Block> it = LabelledData.read(shard, k, spec.input(), spec.classes(), conf);
            while (have < k && it.hasNext()) {
                LabelledData.Block blk = it.next();
                got.add(blk);
                have += blk.size();
            }
            LabelledData.close(it);
            if (have >= k) break;
        }
        LabelledData.Block b = Batches.concat(got, k, spec.input()[0] * spec.input()[1] * spec.input()[2]);
        int n = b.size();
        if (n == 0) return;
        try (Net net = Net.build(spec, n, dtype, true)) {
            Net.Eval e = net.run(params, b.x(), b.y(), true);
            double[] g = e.inputGradient().data().asDouble();
            int[] in = spec.input();
            long[] shape = {n, in[0], in[1], in[2]};
            Storage.write(staging + "/inputs/gradients.npy", Npy.float64(g, 0, g.length, shape), conf);
            double[] x = new double[b.x().length];
            for (int i = 0; i < x.length; i++) x[i] = b.x()[i];
            Storage.write(staging + "/inputs/images.npy", Npy.float64(x, 0, x.length, shape), conf);
            StringBuilder sb = new StringBuilder("index\tlabel\n");
            for (int i = 0; i < n; i++) sb.append(b.index()[i]).append('\t').append(b.y()[i]).append('\n');
            Storage.writeString(staging + "/inputs/labels.tsv", sb.toString(), conf);
            e.close();
        }
    }
}
