package io.github.deconvspark.jobs.train;

import io.github.deconvspark.jobs.frame.Executors;
import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.JobRun;
import io.github.deconvspark.jobs.frame.Jobs;
import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.labelled.LabelledData;
import io.github.deconvspark.jobs.nets.Nets;
import io.github.deconvspark.models.json.JsonOut;
import io.github.deconvspark.models.net.NetSpec;
import io.github.deconvspark.models.net.Optimizer;
import io.github.deconvspark.models.tfjs.NetFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
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
            JobConfig.Key.integer("epochs", 5, 1, 100_000, "epochs (passes over the training set)"),
            JobConfig.Key.integer("batch", 128, 1, 1 << 20, "global batch size of a step (split across the partitions)"),
            JobConfig.Key.choice("optimizer", "adam", Optimizer.KINDS, "adam or sgd (with --momentum)"),
            JobConfig.Key.decimal("lr", "0.001", 0, 10, "learning rate"),
            JobConfig.Key.decimal("lr-decay", "1.0", 0, 1, "learning rate factor per epoch (epoch e uses lr * lr-decay^(e-1))"),
            JobConfig.Key.decimal("momentum", "0.9", 0, 0.999999, "sgd: momentum"),
            JobConfig.Key.decimal("beta1", "0.9", 0, 0.999999, "adam: beta1"),
            JobConfig.Key.decimal("beta2", "0.999", 0, 0.999999, "adam: beta2"),
            JobConfig.Key.decimal("epsilon", "1e-7", 0, 1, "adam: epsilon"),
            JobConfig.Key.integer("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE, "seed of the initialization and of the batch order"),
            JobConfig.Key.choice("dtype", "float32", List.of("float32", "float64"), "float32 or float64 computation (sums and parameters are float64 either way)"),
            JobConfig.Key.integer("depth", 1, 1, 16, "1: each step's partial sums merged on the driver; >= 2: treeAggregate of that depth (many executors)"),
            JobConfig.Key.integer("partitions", 0, 0, 1_000_000, "partitions of the training set (0: one per executor JVM, whose kernels use all its cores)"),
            JobConfig.Key.integer("limit", 0, 0, Long.MAX_VALUE, "use only the first N training examples (0: all)"),
            JobConfig.Key.integer("test-limit", 0, 0, Long.MAX_VALUE, "use only the first N held-out examples (0: all)"),
            JobConfig.Key.bool("resume", false, "continue from the output's latest checkpoint"),
            JobConfig.Key.bool("overwrite", false, "delete an earlier training run in the output and start over"),
            JobConfig.Key.integer("progress-every", 50, 0, 1_000_000, "print a progress line every N steps (0: only per epoch)"),
            new JobConfig.Key("master", "", "Spark master URL (default: spark-submit's, else local[*])"));

    /** What a run did. */
    public record Summary(String output, List<Trainer.Epoch> history, int resumedFrom, Trainer.Times times, double[] params) {
        public Trainer.Epoch last() { return history.get(history.size() - 1); }
    }

    public static int main(String[] args) {
        return Jobs.main("train", KEYS, args, Jobs.Options.NONE.spark(Train::sparkConf).local(cfg -> {
            validate(cfg);                    // before a session starts
            return null;
        }), (spark, cfg) -> {
            Summary s = run(spark, cfg);
            Trainer.Epoch e = s.last();
            System.out.printf(Locale.ROOT, "train: %d epochs, test accuracy %.2f %% (loss %.4f), %s%n", e.epoch(), 100 * e.testAccuracy(),
                    e.testLoss(), s.times().describe());
            System.out.println("model: " + s.output() + "/model/model.json");
            System.out.println("report: " + s.output() + "/index.html");
            return 0;
        });
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

    /** Typed, validated settings of a run (the data keys are read by {@link #sources}). */
    record Settings(String output, String model, long seed, int batch, int epochs, boolean resume, boolean overwrite, DataType dtype,
                    int depth, int progressEvery, String optimizer, double lr, double lrDecay) {
        static Settings of(JobConfig c, Configuration conf) {
            validate(c);
            return new Settings(Storage.qualify(c.get("output"), conf), Storage.qualify(c.get("model"), conf), c.getLong("seed"),
                    c.getInt("batch"), c.getInt("epochs"), c.getBool("resume"), c.getBool("overwrite"), Nets.dtype(c), c.getInt("depth"),
                    c.getInt("progress-every"), c.choice("optimizer"), c.getDouble("lr"), c.getDouble("lr-decay"));
        }
    }

    /** What the keys' own rules cannot say (their ranges are checked when the configuration is parsed). */
    static void validate(JobConfig cfg) {
        cfg.require("data", "model", "output");
        if (cfg.getBool("resume") && cfg.getBool("overwrite")) {
            throw new JobConfig.ConfigException("train: --resume and --overwrite contradict each other; give one");
        }
    }

    static Optimizer optimizer(JobConfig cfg, int size) {
        double lr = cfg.getDouble("lr");
        return cfg.get("optimizer").equals("sgd") ? Optimizer.sgd(size, lr, cfg.getDouble("momentum"))
                : Optimizer.adam(size, lr, cfg.getDouble("beta1"), cfg.getDouble("beta2"), cfg.getDouble("epsilon"));
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
        int parts = cfg.getInt("partitions");
        if (parts == 0) parts = io.github.deconvspark.jobs.frame.Executors.jvms(jsc);
        String uri = Storage.qualify(cfg.get("data"), conf);
        LabelledData.Source train = LabelledData.resolve(uri, "train", parts, cfg.getLong("limit"), spec.input(), spec.classes(), conf);
        String testUri = cfg.get("test-data").isBlank() ? uri : Storage.qualify(cfg.get("test-data"), conf);
        String testSplit = cfg.get("test-data").isBlank() || LabelledData.hasSplit(testUri, "test", conf) ? "test" : "train";
        LabelledData.Source test = LabelledData.resolve(testUri, testSplit, parts, cfg.getLong("test-limit"), spec.input(),
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
        validate(cfg);
        try (JobRun run = JobRun.start(spark, "train", cfg)) {
            return doRun(run);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Summary doRun(JobRun run) throws IOException {
        JobConfig cfg = run.cfg;
        JavaSparkContext jsc = run.jsc;
        Configuration conf = run.conf;
        Settings st = Settings.of(cfg, conf);
        String output = st.output();
        long seed = st.seed();
        int batch = st.batch(), epochs = st.epochs();
        boolean resume = st.resume();
        DataType dtype = st.dtype();
        Nets.Loaded model = Nets.load(st.model(), seed, conf);
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
            if (isTrain && st.overwrite()) {
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
            Checkpoints.State cp;
            try {
                cp = Checkpoints.read(output, epoch, conf);
            } catch (IllegalArgumentException e) {
                System.err.println("train: --resume: skipping checkpoint " + epoch + ": " + e.getMessage());
                continue;
            }
            String dir = Checkpoints.dir(output, epoch);
            if (!cp.netText().equals(spec.text())) {
                throw new JobConfig.ConfigException("train: --resume: the checkpoint " + dir + " is of another network than --model "
                        + cfg.get("model") + "; resume with the same description");
            }
            if (cp.seed() != seed || cp.batch() != batch || !cp.batches().equals(batches)) {
                throw new JobConfig.ConfigException("train: --resume: the checkpoint " + dir + " was trained with seed " + cp.seed() + ", batch "
                        + cp.batch() + " on " + cp.batches() + "; this run asks for seed " + seed + ", batch " + batch + " on " + batches
                        + "; resume with the same (the batch order depends on them), or --overwrite true");
            }
            params = cp.params();
            cp.restore(opt, dir);
            history.addAll(cp.history());
            from = epoch;
            System.err.println("train: resuming after epoch " + from + " (" + dir + ")");
            break;
        }
        if (resume && from == 0 && !checkpoints.isEmpty()) {
            throw new JobConfig.ConfigException("train: --resume: none of the checkpoints " + checkpoints + " under " + output
                    + "/checkpoints could be read; --overwrite true starts over");
        }
        String runId = run.runId;
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
                st.depth());
        Trainer trainer = new Trainer(data.train().examples(), batch, seed, st.progressEvery(), System.err);
        System.err.println("train: " + trainer.stepsPerEpoch() + " steps of " + batch + " per epoch, " + st.optimizer() + " lr " + cfg.get("lr")
                + ", " + data.train().shards().size() + " partitions, epochs " + (from + 1) + ".." + epochs);
        Trainer.Times times = new Trainer.Times();
        double lr0 = st.lr(), decay = st.lrDecay();
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
        Map<String, Object> manifest = run.manifest();
        manifest.put("model", Map.of("source", model.kind(), "network", spec.summary(), "description", spec.text(),
                "trained_sha256", Nets.sha256(spec, params), "file", output + "/model/model.json"));
        Map<String, Long> byRule = new java.util.TreeMap<>();
        for (String r : data.rejects()) byRule.merge(LabelledData.rejectFields(r)[1], 1L, Long::sum);
        manifest.put("data", Map.of("train", data.train().describe(), "test", data.test().describe(), "rejected", data.rejects().size(),
                "rejects_by_rule", byRule));
        manifest.put("resumed_after_epoch", from);
        manifest.put("history", history.stream().map(Checkpoints::row).toList());
        manifest.put("step_times", times.describe());
        @SuppressWarnings("unchecked") Map<String, Object> sparkInfo = (Map<String, Object>) manifest.get("spark");
        sparkInfo.put("partitions", data.train().shards().size());
        Storage.writeAtomic(output + "/manifest.json", (JsonOut.write(manifest) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8), runId, conf);
        Storage.writeString(output + "/_SUCCESS", "", conf);
        return new Summary(output, history, from, times, params);
    }
}
