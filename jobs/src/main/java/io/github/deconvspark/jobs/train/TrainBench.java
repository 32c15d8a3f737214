package io.github.deconvspark.jobs.train;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.Jobs;
import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.labelled.LabelledData;
import io.github.deconvspark.jobs.nets.Nets;
import io.github.deconvspark.models.net.NetSpec;
import io.github.deconvspark.models.net.Optimizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Training throughput on Spark against the same loop in-process: the same network, batches,
 * kernels and optimizer; the in-process steps run over the training blocks collected to the driver,
 * one graph run per step. Rounds alternate (in-process, Spark) in one JVM after a warm-up of both;
 * medians of ms/step are compared, with Spark's step split into compute (the slowest partition's
 * graph run), aggregation (adding and merging the float64 sums), update and the rest (scheduling,
 * broadcast, result transfer).
 */
public final class TrainBench {
    private TrainBench() {}

    static final List<JobConfig.Key> KEYS;

    static {
        List<JobConfig.Key> k = new ArrayList<>(Train.KEYS);
        k.add(JobConfig.Key.integer("steps", 40, 1, 100_000, "steps per round"));
        k.add(JobConfig.Key.integer("rounds", 3, 1, 1000, "rounds of each (medians reported)"));
        k.add(JobConfig.Key.integer("warmup", 10, 0, 100_000, "warm-up steps of each before the rounds"));
        KEYS = List.copyOf(k);
    }

    public static int main(String[] args) {
        String[] withOut = args;
        if (Arrays.stream(args).noneMatch(a -> a.equals("--output") || a.startsWith("output="))) {
            withOut = Arrays.copyOf(args, args.length + 2);
            withOut[args.length] = "--output";
            withOut[args.length + 1] = "unused";
        }
        return Jobs.main("bench-train", KEYS, withOut, Jobs.Options.NONE.spark(Train::sparkConf).local(cfg -> {
            Train.validate(cfg);
            return null;
        }), (spark, cfg) -> {
            run(spark, cfg);
            return 0;
        });
    }

    static void run(SparkSession spark, JobConfig cfg) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        var conf = spark.sparkContext().hadoopConfiguration();
        long seed = cfg.getLong("seed");
        int batch = cfg.getInt("batch");
        int steps = cfg.getInt("steps"), rounds = cfg.getInt("rounds"), warmup = cfg.getInt("warmup");
        DataType dtype = Nets.dtype(cfg);
        Nets.Loaded model = Nets.load(Storage.qualify(cfg.get("model"), conf), seed, conf);
        NetSpec spec = model.spec();
        Train.Data data = Train.data(jsc, cfg, spec, conf);
        int[] in = spec.input();
        int per = in[0] * in[1] * in[2], size = model.params().length, depth = cfg.getInt("depth");
        List<LabelledData.Block> local = data.trainBlocks().collect();
        Steps.Work work = new Steps.Work(spec.text(), dtype, size, per);
        Steps.OnSpark onSpark = new Steps.OnSpark(jsc, data.trainBlocks(), data.testBlocks(), work, depth);
        Steps inProcess = new Steps.InProcess(local, List.of(), work);
        Trainer trainer = new Trainer(data.train().examples(), batch, seed, 0, null);
        if (steps > trainer.stepsPerEpoch()) steps = trainer.stepsPerEpoch();
        System.err.printf(Locale.ROOT, "bench-train: %s; batch %d, %d steps x %d rounds, %s, %d partitions (master %s)%n", spec.summary(), batch, steps,
                rounds, dtype, data.train().shards().size(), spark.sparkContext().master());
        for (Steps s : List.of(inProcess, onSpark)) {
            trainer.steps(1, 0, Math.min(warmup, trainer.stepsPerEpoch()), model.params().clone(), Train.optimizer(cfg, size), s, new Trainer.Times());
        }
        TaskTimes tasks = new TaskTimes();
        spark.sparkContext().addSparkListener(tasks);
        double[] loopMs = new double[rounds], sparkMs = new double[rounds];
        Trainer.Times loopAll = new Trainer.Times(), sparkAll = new Trainer.Times();
        for (int r = 0; r < rounds; r++) {
            Trainer.Times lt = new Trainer.Times(), st = new Trainer.Times();
            Optimizer o1 = Train.optimizer(cfg, size), o2 = Train.optimizer(cfg, size);
            trainer.steps(1, 0, steps, model.params().clone(), o1, inProcess, lt);
            trainer.steps(1, 0, steps, model.params().clone(), o2, onSpark, st);
            loopMs[r] = lt.msPerStep();
            sparkMs[r] = st.msPerStep();
            loopAll.add(lt);
            sparkAll.add(st);
            System.err.printf(Locale.ROOT, "bench-train: round %d: in-process %.1f ms/step, Spark %.1f ms/step (%+.1f %%)%n", r + 1, loopMs[r], sparkMs[r],
                    100 * (sparkMs[r] / loopMs[r] - 1));
        }
        double lm = median(loopMs), sm = median(sparkMs);
        System.out.printf(Locale.ROOT, "bench-train: batch %d, medians of %d rounds of %d steps%n", batch, rounds, steps);
        System.out.printf(Locale.ROOT, "  in-process: %.1f ms/step, %.0f images/s  (%s)%n", lm, batch * 1000 / lm, loopAll.describe());
        System.out.printf(Locale.ROOT, "  Spark:      %.1f ms/step, %.0f images/s  (%s)%n", sm, batch * 1000 / sm, sparkAll.describe());
        System.out.println("  Spark tasks " + tasks.describe(sparkAll.steps));
        long all = sparkAll.steps + (long) Math.min(warmup, trainer.stepsPerEpoch());
        System.out.printf(Locale.ROOT, "  Spark driver per step: broadcast %.1f ms, job %.1f ms (submit to task start %.1f, task end to result %.1f), "
                + "destroy %.1f ms%n", onSpark.broadcastNanos / 1e6 / all, onSpark.jobNanos / 1e6 / all, onSpark.launchNanos / 1e6 / all,
                onSpark.returnNanos / 1e6 / all, onSpark.destroyNanos / 1e6 / all);
        System.out.printf(Locale.ROOT, "  Spark's cost per step: %+.1f %%%n", 100 * (sm / lm - 1));
        data.release();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
