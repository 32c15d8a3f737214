package io.github.deconvspark.jobs.train;

import io.github.deconvspark.jobs.Executors;
import io.github.deconvspark.jobs.JobConfig;
import io.github.deconvspark.jobs.Sparks;
import io.github.deconvspark.jobs.Storage;
import io.github.deconvspark.jobs.labelled.LabelledData;
import io.github.deconvspark.models.json.JsonOut;
import io.github.deconvspark.models.tfjs.NetFiles;
import io.github.deconvspark.models.net.NetSpec;
import io.github.deconvspark.models.net.Optimizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The train job: synchronous data-parallel mini-batch training. The training set is read once by
 * the executors and cached there; every step broadcasts the parameters, each partition computes the
 * gradient of its share of the batch, treeAggregate sums them (float64) and the driver applies one
 * optimizer update. After each epoch: evaluation on the held-out set and a checkpoint; at the end
 * the model (TF.js, loadable by the visualize job), the history, a chart page and the manifest.
 * {@code --resume true} continues a killed run from its latest checkpoint, with the same batches.
 */
public final class Train {
    private Train() {}

    public static final List<JobConfig.Key> KEYS = List.of(
            Nets.DATA_KEY,
            new JobConfig.Key("model", "", "the network: a description (.net, docs/MODELS.md), or a model.json written by train (fine-tuning)"),
            new JobConfig.Key("output", "", "output folder: checkpoints/, model/, history.csv, index.html, manifest.json"),
            new JobConfig.Key("test-data", "", "held-out data (default: the test split of --data)"),
            new JobConfig.Key("epochs", "5", "epochs (passes over the training set)"),
            new JobConfig.Key("batch", "128", "global batch size of a step (split across the partitions)"),
            new JobConfig.Key("optimizer", "adam", "adam or sgd (with --momentum)"),
            new JobConfig.Key("lr", "0.001", "learning rate"),
            new JobConfig.Key("lr-decay", "1.0", "learning rate factor per epoch (epoch e uses lr * lr-decay^(e-1))"),
            new JobConfig.Key("momentum", "0.9", "sgd: momentum"),
            new JobConfig.Key("beta1", "0.9", "adam: beta1"),
            new JobConfig.Key("beta2", "0.999", "adam: beta2"),
            new JobConfig.Key("epsilon", "1e-7", "adam: epsilon"),
            new JobConfig.Key("seed", "1", "seed of the initialization and of the batch order"),
            new JobConfig.Key("dtype", "float32", "float32 or float64 computation (sums and parameters are float64 either way)"),
            new JobConfig.Key("depth", "1", "1: each step's partial sums merged on the driver; >= 2: treeAggregate of that depth (many executors)"),
            new JobConfig.Key("partitions", "0", "partitions of the training set (0: one per executor JVM, whose kernels use all its cores)"),
            new JobConfig.Key("limit", "0", "use only the first N training examples (0: all)"),
            new JobConfig.Key("test-limit", "0", "use only the first N held-out examples (0: all)"),
            new JobConfig.Key("resume", "false", "continue from the output's latest checkpoint"),
            new JobConfig.Key("overwrite", "false", "delete an earlier training run in the output and start over"),
            new JobConfig.Key("progress-every", "50", "print a progress line every N steps (0: only per epoch)"),
            new JobConfig.Key("master", "", "Spark master URL (default: spark-submit's, else local[*])"));

    /** What a run did. */
    public record Summary(String output, List<Trainer.Epoch> history, int resumedFrom, Trainer.Times times, double[] params) {
        public Trainer.Epoch last() { return history.get(history.size() - 1); }
    }

    public static int main(String[] args) {
        if (JobConfig.wantsHelp(args)) {
            System.out.print(JobConfig.help("train", KEYS));
            return 0;
        }
        JobConfig cfg = JobConfig.parse("train", KEYS, args);
        validate(cfg);
        SparkSession spark = Sparks.session("deconv-spark train", cfg.get("master"), sparkConf(cfg));
        try {
            Summary s = run(spark, cfg);
            Trainer.Epoch e = s.last();
            System.out.printf(Locale.ROOT, "train: %d epochs, test accuracy %.2f %% (loss %.4f), %s%n", e.epoch(), 100 * e.testAccuracy(),
                    e.testLoss(), s.times().describe());
            System.out.println("model: " + s.output() + "/model/model.json");
            System.out.println("report: " + s.output() + "/index.html");
            return 0;
        } finally {
            spark.stop();
        }
    }

    /**
     * Spark settings for many small jobs (one per step), unless given: task results (a gradient, a few MB)
     * returned directly instead of through the block manager, and broadcasts (parameters: random floats
     * that do not compress) not compressed.
     */
    static Map<String, String> sparkConf(JobConfig cfg) {
        Map<String, String> m = new LinkedHashMap<>(cfg.spark());
        m.putIfAbsent("spark.task.maxDirectResultSize", "64m");
        m.putIfAbsent("spark.broadcast.compress", "false");
        m.putIfAbsent("spark.ui.showConsoleProgress", "false"); // a job per step: the progress lines say more
        return m;
    }

    static void validate(JobConfig cfg) {
        cfg.require("data", "model", "output");
        cfg.choice("optimizer", Optimizer.KINDS);
        cfg.getInt("epochs", 1, 100_000);
        cfg.getInt("batch", 1, 1 << 20);
        cfg.getDouble("lr", 0, 10);
        cfg.getDouble("lr-decay", 0, 1);
        cfg.getDouble("momentum", 0, 0.999999);
        cfg.getDouble("beta1", 0, 0.999999);
        cfg.getDouble("beta2", 0, 0.999999);
        cfg.getDouble("epsilon", 0, 1);
        if (cfg.getBool("resume") && cfg.getBool("overwrite")) {
            throw new JobConfig.ConfigException("train: --resume and --overwrite contradict each other; give one");
        }
    }

    static Optimizer optimizer(JobConfig cfg, int size) {
        double lr = cfg.getDouble("lr", 0, 10);
        return cfg.get("optimizer").equals("sgd") ? Optimizer.sgd(size, lr, cfg.getDouble("momentum", 0, 0.999999))
                : Optimizer.adam(size, lr, cfg.getDouble("beta1", 0, 0.999999), cfg.getDouble("beta2", 0, 0.999999), cfg.getDouble("epsilon", 0, 1));
    }

    /** The training and held-out sets, read by the executors and cached there. */
    record Data(LabelledData.Source train, LabelledData.Source test, JavaRDD<LabelledData.Block> trainBlocks, JavaRDD<LabelledData.Block> testBlocks,
                List<String> rejects) {
        void release() {
            trainBlocks.unpersist(false);
            testBlocks.unpersist(false);
        }
    }

    /** The training set (the data's train split) and the held-out set (the data's test split, or --test-data's). */
    record Sources(LabelledData.Source train, LabelledData.Source test) {}

    static Sources sources(JavaSparkContext jsc, JobConfig cfg, NetSpec spec, Configuration conf) throws IOException {
        int parts = cfg.getInt("partitions", 0, 1_000_000);
        if (parts == 0) parts = io.github.deconvspark.jobs.Executors.jvms(jsc);
        String uri = Storage.qualify(cfg.get("data"), conf);
        LabelledData.Source train = LabelledData.resolve(uri, "train", parts, cfg.getLong("limit", 0, Long.MAX_VALUE), spec.input(), spec.classes(), conf);
        String testUri = cfg.get("test-data").isBlank() ? uri : Storage.qualify(cfg.get("test-data"), conf);
        String testSplit = cfg.get("test-data").isBlank() || LabelledData.hasSplit(testUri, "test", conf) ? "test" : "train";
        LabelledData.Source test = LabelledData.resolve(testUri, testSplit, parts, cfg.getLong("test-limit", 0, Long.MAX_VALUE), spec.input(),
                spec.classes(), conf);
        return new Sources(train, test);
    }

    static Data data(JavaSparkContext jsc, JobConfig cfg, NetSpec spec, Configuration conf) throws IOException {
        return cache(jsc, sources(jsc, cfg, spec, conf), spec, conf);
    }

    /** Reads both sets on the executors, in blocks of 256 examples, and caches them there. */
    static Data cache(JavaSparkContext jsc, Sources src, NetSpec spec, Configuration conf) {
        LabelledData.Source train = src.train(), test = src.test();
        Broadcast<SerializableConfiguration> hc = jsc.broadcast(new SerializableConfiguration(conf));
        CollectionAccumulator<String> rejects = jsc.sc().collectionAccumulator("rejects");
        int[] input = spec.input();
        int classes = spec.classes();
        List<JavaRDD<LabelledData.Block>> rdds = new ArrayList<>();
        for (LabelledData.Source s : List.of(train, test)) {
            JavaRDD<LabelledData.Block> r = jsc.parallelize(s.shards(), s.shards().size()).flatMap(sh -> {
                Iterator<LabelledData.Block> it = LabelledData.read(sh, 256, input, classes, hc.value().value());
                List<LabelledData.Block> out = new ArrayList<>();
                while (it.hasNext()) {
                    LabelledData.Block b = it.next();
                    for (String x : b.rejects()) rejects.add(x);
                    out.add(new LabelledData.Block(b.index(), b.x(), b.y(), List.of()));
                }
                return out.iterator();
            }).persist(StorageLevel.MEMORY_AND_DISK()); // a set larger than the executors' memory spills to their disks
            r.count();
            rdds.add(r);
        }
        // a re-run task adds its rejects again: each record once; entries of class folders that were not read, too
        java.util.TreeSet<String> all = new java.util.TreeSet<>(rejects.value());
        all.addAll(train.rejects());
        all.addAll(test.rejects());
        return new Data(train, test, rdds.get(0), rdds.get(1), new ArrayList<>(all));
    }

    public static Summary run(SparkSession spark, JobConfig cfg) {
        try {
            return doRun(spark, cfg);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Summary doRun(SparkSession spark, JobConfig cfg) throws IOException {
        validate(cfg);
        long t0 = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String output = Storage.qualify(cfg.get("output"), conf);
        long seed = cfg.getLong("seed", Long.MIN_VALUE, Long.MAX_VALUE);
        int batch = cfg.getInt("batch", 1, 1 << 20), epochs = cfg.getInt("epochs", 1, 100_000);
        boolean resume = cfg.getBool("resume");
        DataType dtype = Nets.dtype(cfg);
        Nets.Loaded model = Nets.load(Storage.qualify(cfg.get("model"), conf), seed, conf);
        NetSpec spec = model.spec();

        Sources sources = sources(jsc, cfg, spec, conf);
        String batches = sources.train().uri() + " (" + sources.train().split() + "): " + sources.train().examples() + " examples, limit "
                + cfg.get("limit") + ", " + dtype.name().toLowerCase(java.util.Locale.ROOT);

        // the output: a new folder, an earlier run to resume, or (--overwrite) one to replace
        org.apache.hadoop.fs.Path out = Storage.path(output);
        FileSystem fs = Storage.fs(out, conf);
        List<Integer> checkpoints = List.of();
        if (fs.exists(out)) {
            boolean isTrain = "train".equals(Storage.manifestJob(output, conf)) || fs.exists(new org.apache.hadoop.fs.Path(out, "checkpoints"));
            if (!isTrain && fs.listStatus(out).length > 0) {
                throw new JobConfig.ConfigException("train: the output " + output + " exists and is not a training run; choose another");
            }
            checkpoints = Checkpoints.epochs(output, conf);
            if (isTrain && cfg.getBool("overwrite")) {
                fs.delete(out, true);
                checkpoints = List.of();
            } else if (isTrain && !resume) {
                throw new JobConfig.ConfigException("train: the output " + output + " holds a training run (" + checkpoints.size()
                        + " epochs checkpointed); --resume true continues it, --overwrite true starts over");
            }
        }
        double[] params = model.params();
        Optimizer opt = optimizer(cfg, params.length);
        List<Trainer.Epoch> history = new ArrayList<>();
        int from = 0;
        for (int epoch : resume ? checkpoints : List.<Integer>of()) {   // newest first; a damaged one is skipped, saying so
            Checkpoints.State st;
            try {
                st = Checkpoints.read(output, epoch, conf);
            } catch (IllegalArgumentException e) {
                System.err.println("train: --resume: skipping checkpoint " + epoch + ": " + e.getMessage());
                continue;
            }
            String dir = Checkpoints.dir(output, epoch);
            if (!st.netText().equals(spec.text())) {
                throw new JobConfig.ConfigException("train: --resume: the checkpoint " + dir + " is of another network than --model "
                        + cfg.get("model") + "; resume with the same description");
            }
            if (st.seed() != seed || st.batch() != batch || !st.batches().equals(batches)) {
                throw new JobConfig.ConfigException("train: --resume: the checkpoint " + dir + " was trained with seed " + st.seed() + ", batch "
                        + st.batch() + " on " + st.batches() + "; this run asks for seed " + seed + ", batch " + batch + " on " + batches
                        + "; resume with the same (the batch order depends on them), or --overwrite true");
            }
            params = st.params();
            st.restore(opt, dir);
            history.addAll(st.history());
            from = epoch;
            System.err.println("train: resuming after epoch " + from + " (" + dir + ")");
            break;
        }
        if (resume && from == 0 && !checkpoints.isEmpty()) {
            throw new JobConfig.ConfigException("train: --resume: none of the checkpoints " + checkpoints + " under " + output
                    + "/checkpoints could be read; --overwrite true starts over");
        }
        String runId = Storage.newRunId();
        Checkpoints.cleanStaging(output, conf);
        Storage.delete(output + "/_SUCCESS", conf);

        System.err.println("train: " + Executors.checkNatives(jsc));
        Data data = cache(jsc, sources, spec, conf);
        System.err.println("train: network " + spec.summary() + ", " + model.kind());
        System.err.println("train: " + data.train().describe() + "; held out: " + data.test().describe()
                + (data.rejects().isEmpty() ? "" : "; " + data.rejects().size() + " bad records skipped"));
        int size = params.length;
        int[] in = spec.input();
        Steps steps = new Steps.OnSpark(jsc, data.trainBlocks(), data.testBlocks(), new Steps.Work(spec.text(), dtype, size, in[0] * in[1] * in[2]),
                cfg.getInt("depth", 1, 16));
        Trainer trainer = new Trainer(data.train().examples(), batch, seed, cfg.getInt("progress-every", 0, 1_000_000), System.err);
        System.err.println("train: " + trainer.stepsPerEpoch() + " steps of " + batch + " per epoch, " + cfg.get("optimizer") + " lr " + cfg.get("lr")
                + ", " + data.train().shards().size() + " partitions, epochs " + (from + 1) + ".." + epochs);
        Trainer.Times times = new Trainer.Times();
        double lr0 = cfg.getDouble("lr", 0, 10), decay = cfg.getDouble("lr-decay", 0, 1);
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("network", spec.summary());
        info.put("config", cfg.resolved());
        try {
            for (int e = from + 1; e <= epochs; e++) {
                opt.setLearningRate(lr0 * Math.pow(decay, e - 1));
                Trainer.Epoch ep = trainer.epoch(e, params, opt, steps, times);
                history.add(ep);
                Checkpoints.write(output, new Checkpoints.State(spec.text(), seed, batch, batches, e, params, Checkpoints.optimizerBytes(opt), history), spec,
                        info, runId, conf);
                System.err.printf(Locale.ROOT, "train: epoch %d/%d done in %.1f s: train loss %.4f accuracy %.2f %%; held out loss %.4f accuracy %.2f %% "
                        + "(%d examples); checkpoint %s%n", e, epochs, ep.seconds(), ep.trainLoss(), 100 * ep.trainAccuracy(), ep.testLoss(),
                        100 * ep.testAccuracy(), ep.testExamples(), Checkpoints.dir(output, e));
            }
        } finally {
            data.release();
        }
        if (history.isEmpty()) throw new JobConfig.ConfigException("train: nothing to do: --epochs " + epochs + " and no epoch trained");

        // the final model, history, report and manifest; _SUCCESS last
        String staging = output + "/.model.staging-" + runId;
        Storage.write(staging + "/model.json", NetFiles.modelJson(spec), conf);
        Storage.write(staging + "/" + NetFiles.WEIGHTS, NetFiles.weights(spec, params), conf);
        Storage.commit(staging, output + "/model", runId, conf);
        StringBuilder csv = new StringBuilder("epoch,learning_rate,train_loss,train_accuracy,test_loss,test_accuracy,test_examples,seconds,images_per_second\n");
        for (Trainer.Epoch h : history) {
            csv.append(String.format(Locale.ROOT, "%d,%g,%.6f,%.6f,%.6f,%.6f,%d,%.1f,%.0f%n", h.epoch(), h.learningRate(), h.trainLoss(), h.trainAccuracy(),
                    h.testLoss(), h.testAccuracy(), h.testExamples(), h.seconds(), h.imagesPerSecond()));
        }
        Storage.writeAtomic(output + "/history.csv", csv.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), runId, conf);
        Storage.writeAtomic(output + "/index.html", Report.html(spec, cfg, history, data).getBytes(java.nio.charset.StandardCharsets.UTF_8), runId, conf);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("job", "train");
        manifest.put("run_id", runId);
        manifest.put("finished", Instant.now().toString());
        manifest.put("config", cfg.resolved());
        manifest.put("config_sources", cfg.sources());
        manifest.put("model", Map.of("source", model.kind(), "network", spec.summary(), "description", spec.text(),
                "trained_sha256", Nets.sha256(spec, params), "file", output + "/model/model.json"));
        Map<String, Long> byRule = new java.util.TreeMap<>();
        for (String r : data.rejects()) byRule.merge(LabelledData.rejectFields(r)[1], 1L, Long::sum);
        manifest.put("data", Map.of("train", data.train().describe(), "test", data.test().describe(), "rejected", data.rejects().size(),
                "rejects_by_rule", byRule));
        manifest.put("resumed_after_epoch", from);
        manifest.put("history", history.stream().map(Checkpoints::row).toList());
        manifest.put("step_times", times.describe());
        manifest.put("seconds", Math.round(seconds * 10) / 10.0);
        manifest.put("spark", Map.of("master", spark.sparkContext().master(), "partitions", data.train().shards().size()));
        Storage.writeAtomic(output + "/manifest.json", (JsonOut.write(manifest) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8), runId, conf);
        Storage.writeString(output + "/_SUCCESS", "", conf);
        return new Summary(output, history, from, times, params);
    }
}
