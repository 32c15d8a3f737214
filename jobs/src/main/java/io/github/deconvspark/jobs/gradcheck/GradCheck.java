package io.github.deconvspark.jobs.gradcheck;

import io.github.deconvspark.jobs.Executors;
import io.github.deconvspark.jobs.JobConfig;
import io.github.deconvspark.jobs.Sparks;
import io.github.deconvspark.jobs.Storage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

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
            new JobConfig.Key("cases", "1000", "number of cases"),
            new JobConfig.Key("seed", "1", "seed of the case generator (same seed, same cases and verdicts)"),
            new JobConfig.Key("ops", "all", "ops to check: all, or a comma-separated list"),
            new JobConfig.Key("dtype", "float64", "float64 (the only dtype: finite differences need it)"),
            new JobConfig.Key("case", "", "re-run one case locally by its id (SEED-INDEX-OP), with full detail"),
            new JobConfig.Key("model", "", "whole-model mode: a TF.js model.json; checks d loss / d every parameter (float64)"),
            new JobConfig.Key("images", "", "whole-model mode: the images (file, folder or glob, any Hadoop URI)"),
            new JobConfig.Key("model-images", "1", "whole-model mode: how many images (the first in path order)"),
            new JobConfig.Key("model-params", "all", "whole-model mode: all, or parameters whose name contains one of a,b,..."),
            new JobConfig.Key("directions", "4", "whole-model mode: random directions per parameter"),
            new JobConfig.Key("partitions", "0", "partitions (0: 8 per core of the default parallelism)"),
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

    public static int main(String[] args) {
        if (JobConfig.wantsHelp(args)) {
            System.out.print(JobConfig.help("gradcheck", KEYS) + "ops: " + String.join(", ", Cases.ops()) + "\n");
            return 0;
        }
        JobConfig cfg = JobConfig.parse("gradcheck", KEYS, args);
        cfg.choice("dtype", List.of("float64"));
        if (!cfg.get("case").isBlank()) {
            Cases.Case c = Cases.parse(cfg.get("case"));
            System.out.println("case " + c.id() + ": " + c.describe());
            Checker.Verdict v = Checker.run(c);
            System.out.printf(Locale.ROOT, "%s in %.1f ms: %s%n", v.status().toUpperCase(Locale.ROOT), v.millis(), v.detail());
            return v.passed() ? 0 : 1;
        }
        if (cfg.get("output").isBlank()) throw new JobConfig.ConfigException("gradcheck: --output is required (or --case ID)");
        SparkSession spark = Sparks.session("deconv-spark gradcheck", cfg.get("master"), cfg.spark());
        try {
            Summary s = run(spark, cfg);
            System.out.printf(Locale.ROOT, "gradcheck: %d cases, %d failed, in %.1f s (%.0f cases/s)%n", s.cases(), s.failed(), s.seconds(),
                    s.casesPerSecond());
            System.out.println("summary: " + s.output() + "/index.html");
            return s.failed() == 0 ? 0 : 1;
        } finally {
            spark.stop();
        }
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
        long n = cfg.getLong("cases", 1, 100_000_000);
        long seed = cfg.getLong("seed", Long.MIN_VALUE, Long.MAX_VALUE);
        List<String> ops = ops(cfg);
        int parts = cfg.getInt("partitions", 0, 1_000_000);
        if (parts == 0) parts = (int) Math.max(1, Math.min(n, jsc.defaultParallelism() * 8L));
        Storage.requireOwnOutput(output, "gradcheck", conf);
        String runId = Storage.newRunId();
        Storage.cleanStale(output, runId, conf);
        String staging = Storage.staging(output, runId);
        System.err.println("gradcheck: " + Executors.checkNatives(jsc));
        System.err.println("gradcheck: " + n + " cases over " + ops.size() + " ops, seed " + seed + ", " + parts + " partitions");

        JavaRDD<Row> rows;
        if (!cfg.get("model").isBlank()) {
            List<String[]> work = ModelCheck.plan(cfg, conf);
            n = work.size();
            String model = Storage.qualify(cfg.get("model"), conf);
            int dirs = cfg.getInt("directions", 1, 1000);
            int mparts = (int) Math.max(1, Math.min(n, jsc.defaultParallelism() * 4L));
            System.err.println("gradcheck: whole-model mode, " + n + " (image, parameter) cases, " + dirs + " directions each");
            org.apache.spark.broadcast.Broadcast<org.apache.spark.util.SerializableConfiguration> hc =
                    jsc.broadcast(new org.apache.spark.util.SerializableConfiguration(conf));
            rows = jsc.parallelize(work, mparts).map(w -> {
                return row(ModelCheck.run(model, w[0], w[1], dirs, seed, hc.value().value()));
            });
        } else {
            rows = cases(jsc, n, parts, seed, ops);
        }
        spark.createDataFrame(rows, SCHEMA).write().parquet(staging + "/cases.parquet");
        Dataset<Row> all = spark.read().parquet(staging + "/cases.parquet");
        all.createOrReplaceTempView("cases_" + runId);
        String t = "cases_" + runId;
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
        double seconds = (System.nanoTime() - t0) / 1e9;
        Summary s = new Summary(output, n, failed, seconds, perOp);
        Storage.writeString(staging + "/index.html", Summaries.html(s, seed, byOp, hist, failures), conf);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("job", "gradcheck");
        manifest.put("run_id", runId);
        manifest.put("finished", Instant.now().toString());
        manifest.put("config", cfg.resolved());
        manifest.put("ops", ops);
        manifest.put("options", Checker.OPTIONS.toString());
        manifest.put("cases", n);
        manifest.put("failed", failed);
        manifest.put("seconds", Math.round(seconds * 10) / 10.0);
        manifest.put("spark", Map.of("master", spark.sparkContext().master(), "partitions", parts));
        Storage.writeString(staging + "/manifest.json", io.github.deconvspark.models.json.JsonOut.write(manifest) + "\n", conf);
        Storage.writeString(staging + "/_SUCCESS", "", conf);
        Storage.commit(staging, output, runId, conf);
        return s;
    }
}
