package io.github.deconvspark.jobs.gradcheck;

import io.github.deconvspark.jobs.frame.Executors;
import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.JobRun;
import io.github.deconvspark.jobs.frame.Jobs;
import io.github.deconvspark.jobs.frame.Storage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

/**
 * The gradient-check job: {@code cases} seeded cases ({@link Cases}) partitioned across executors,
 * each checked in float64 against finite differences ({@link Checker}); a Parquet table of every
 * verdict, an HTML summary with the error distribution per op (failing cases first), a manifest;
 * exit code 1 when any case fails, so a scheduler can alert. {@code --case ID} re-runs one case
 * locally and prints everything about it.
 */
public final class GradCheck {
    private GradCheck() {}

    public static final List<JobConfig.Key> KEYS = List.of(
            new JobConfig.Key("output", "", "output folder (replaced atomically); required unless --case"),
            JobConfig.Key.integer("cases", 1000, 1, 100_000_000, "number of cases"),
            JobConfig.Key.integer("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE, "seed of the case generator (same seed, same cases and verdicts)"),
            new JobConfig.Key("ops", "all", "ops to check: all, or a comma-separated list"),
            JobConfig.Key.choice("dtype", "float64", List.of("float64"), "float64 (the only dtype: finite differences need it)"),
            new JobConfig.Key("case", "", "re-run one case locally by its id (SEED-INDEX-OP), with full detail"),
            new JobConfig.Key("model", "", "whole-model mode: a model (ONNX, TF.js model.json, Keras .keras/.h5, local path or URI); "
                    + "checks d loss / d every parameter (float64); --list-layers prints its layers"),
            JobConfig.Key.integer("input-size", 0, 0, 8192, "whole-model mode: the image side for a model whose input height/width are dynamic"),
            new JobConfig.Key("images", "", "whole-model mode: the images (file, folder or glob, any Hadoop URI)"),
            JobConfig.Key.integer("model-images", 1, 1, 1_000_000, "whole-model mode: how many images (the first in path order)"),
            new JobConfig.Key("model-params", "all", "whole-model mode: all, or parameters whose name contains one of a,b,..."),
            JobConfig.Key.integer("directions", 4, 1, 1000, "whole-model mode: random directions per parameter"),
            JobConfig.Key.integer("partitions", 0, 0, 1_000_000, "partitions (0: 8 per core of the default parallelism)"),
            new JobConfig.Key("master", "", "Spark master URL (default: spark-submit's, else local[*])"));

    static final StructType SCHEMA = new StructType()
            .add("case_id", DataTypes.StringType, false)
            .add("op", DataTypes.StringType, false)
            .add("params", DataTypes.StringType, false)
            .add("order", DataTypes.StringType, false)
            .add("status", DataTypes.StringType, false)
            .add("passed", DataTypes.BooleanType, false)
            .add("max_abs_error", DataTypes.DoubleType, true)
            .add("max_rel_error", DataTypes.DoubleType, true)
            .add("tolerance_ratio", DataTypes.DoubleType, true)
            .add("compared", DataTypes.IntegerType, false)
            .add("mode", DataTypes.StringType, false)
            .add("detail", DataTypes.StringType, false)
            .add("millis", DataTypes.DoubleType, false);

    /** What a run found. */
    public record Summary(String output, long cases, long failed, double seconds, Map<String, long[]> perOp) {
        public double casesPerSecond() { return seconds > 0 ? cases / seconds : 0; }
    }

    /** Typed, validated settings (whole-model mode's are ModelCheck's). */
    record Settings(String output, long cases, long seed, List<String> ops, boolean wholeModel, String model, int directions) {
        static Settings of(JobConfig c, Configuration conf) {
            return new Settings(Storage.qualify(c.get("output"), conf), c.getLong("cases"), c.getLong("seed"), GradCheck.ops(c), !c.get("model").isBlank(),
                    c.get("model").isBlank() ? "" : Storage.qualify(c.get("model"), conf), c.getInt("directions"));
        }
    }

    public static int main(String[] args) {
        return Jobs.main("gradcheck", KEYS, args, Jobs.Options.NONE.help("ops: " + String.join(", ", Cases.ops()) + "\n").local(GradCheck::oneCase)
                        .layers("model", "input-size"),
                (spark, cfg) -> {
                    if (cfg.get("output").isBlank()) throw new JobConfig.ConfigException("gradcheck: --output is required (or --case ID)");
                    Summary s = run(spark, cfg);
                    System.out.printf(Locale.ROOT, "gradcheck: %d cases, %d failed, in %.1f s (%.0f cases/s)%n", s.cases(), s.failed(),
                            s.seconds(), s.casesPerSecond());
                    System.out.println("summary: " + s.output() + "/index.html");
                    return s.failed() == 0 ? 0 : 1;
                });
    }

    /** --case ID: one case, locally, with full detail (no Spark); null when the run is a Spark run. */
    static Integer oneCase(JobConfig cfg) {
        if (cfg.get("case").isBlank()) return null;
        Cases.Case c = Cases.parse(cfg.get("case"));
        System.out.println("case " + c.id() + ": " + c.describe());
        Checker.Verdict v = Checker.run(c);
        System.out.printf(Locale.ROOT, "%s in %.1f ms: %s%n", v.status().toUpperCase(Locale.ROOT), v.millis(), v.detail());
        return v.passed() ? 0 : 1;
    }

    static List<String> ops(JobConfig cfg) {
        List<String> all = Cases.ops();
        List<String> ops = cfg.get("ops").equals("all") ? all : cfg.list("ops");
        for (String o : ops) {
            if (!all.contains(o)) throw new JobConfig.ConfigException("gradcheck: --ops: unknown op '" + o + "'; ops: " + String.join(", ", all));
        }
        if (ops.isEmpty()) throw new JobConfig.ConfigException("gradcheck: --ops selects nothing");
        return ops;
    }

    /** Case i goes to partition i * parts / n: each task generates and checks its own range. */
    static JavaRDD<Row> cases(JavaSparkContext jsc, long n, int parts, long seed, List<String> ops) {
        List<long[]> ranges = new ArrayList<>();
        for (int p = 0; p < parts; p++) ranges.add(new long[] {p * n / parts, (p + 1) * n / parts});
        return jsc.parallelize(ranges, parts).flatMap(range -> {
            List<Row> out = new ArrayList<>();
            for (long i = range[0]; i < range[1]; i++) {
                out.add(row(Checker.run(Cases.generate(seed, i, ops))));
            }
            return out.iterator();
        });
    }

    /** A verdict as a row of {@link #SCHEMA}. */
    static Row row(Checker.Verdict v) {
        return RowFactory.create(v.id(), v.op(), v.params(), v.order(), v.status(), v.passed(), v.absError(), v.relError(), v.ratio(),
                v.compared(), v.mode(), v.detail(), v.millis());
    }

    public static Summary run(SparkSession spark, JobConfig cfg) {
        try (JobRun run = JobRun.start(spark, "gradcheck", cfg)) {
            return run(run);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Summary run(JobRun run) throws IOException {
        JobConfig cfg = run.cfg;
        SparkSession spark = run.spark;
        JavaSparkContext jsc = run.jsc;
        Configuration conf = run.conf;
        Settings st = Settings.of(cfg, conf);
        String output = st.output();
        long n = st.cases(), seed = st.seed();
        List<String> ops = st.ops();
        int parts = (int) Math.min(n, run.partitions(8));
        String staging = run.stage(output);
        System.err.println("gradcheck: " + Executors.checkNatives(jsc));
        if (!st.wholeModel()) System.err.println("gradcheck: " + n + " cases over " + ops.size() + " ops, seed " + seed + ", " + parts + " partitions");

        JavaRDD<Row> rows;
        if (st.wholeModel()) {
            List<String[]> work = ModelCheck.plan(cfg, conf);
            n = work.size();
            String model = st.model();
            int dirs = st.directions(), size = cfg.getInt("input-size");
            int given = cfg.getInt("partitions");        // 0: 4 per core; each task holds a float64 run's arrays
            int mparts = (int) Math.max(1, Math.min(n, given > 0 ? given : jsc.defaultParallelism() * 4L));
            System.err.println("gradcheck: whole-model mode, " + n + " (image, parameter) cases, " + dirs + " directions each");
            Broadcast<SerializableConfiguration> hc = run.hadoopConf();
            rows = jsc.parallelize(work, mparts).map(w -> row(ModelCheck.run(model, w[0], w[1], dirs, seed, size, hc.value().value())));
        } else {
            rows = cases(jsc, n, parts, seed, ops);
        }
        spark.createDataFrame(rows, SCHEMA).write().parquet(staging + "/cases.parquet");
        Dataset<Row> all = spark.read().parquet(staging + "/cases.parquet");
        String t = "cases_" + run.runId;
        all.createOrReplaceTempView(t);
        Map<String, long[]> perOp = new LinkedHashMap<>();
        List<Row> byOp = spark.sql("SELECT op, count(*), sum(CASE WHEN passed THEN 0 ELSE 1 END), sum(millis), "
                + "max(tolerance_ratio), max(max_rel_error) FROM " + t + " GROUP BY op ORDER BY op").collectAsList();
        long failed = 0;
        for (Row r : byOp) {
            perOp.put(r.getString(0), new long[] {r.getLong(1), r.getLong(2), Math.round(r.getDouble(3))});
            failed += r.getLong(2);
        }
        // error distribution: per op, counts of log10(|diff| / tolerance) in quarter decades
        List<Row> hist = spark.sql("SELECT op, CAST(floor(log10(greatest(tolerance_ratio, 1e-12)) * 4) AS INT) AS bin, count(*) FROM "
                + t + " WHERE tolerance_ratio IS NOT NULL AND NOT isnan(tolerance_ratio) GROUP BY op, bin").collectAsList();
        List<Row> failures = spark.sql("SELECT case_id, op, params, order, status, tolerance_ratio, detail FROM " + t
                + " WHERE NOT passed ORDER BY case_id LIMIT " + Summaries.MAX_FAILURES).collectAsList();
        Summary s = new Summary(output, n, failed, run.seconds(), perOp);
        Storage.writeString(staging + "/index.html", Summaries.html(s, seed, byOp, hist, failures), conf);
        Map<String, Object> manifest = run.manifest();
        @SuppressWarnings("unchecked") Map<String, Object> sparkInfo = (Map<String, Object>) manifest.get("spark");
        sparkInfo.put("partitions", parts);
        manifest.put("ops", ops);
        manifest.put("options", Checker.OPTIONS.toString());
        manifest.put("cases", n);
        manifest.put("failed", failed);
        run.commit(manifest);
        return s;
    }
}
