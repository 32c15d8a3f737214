package io.github.deconvspark.jobs.frame;

import io.github.deconvspark.models.json.JsonOut;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * One run of a job, the frame every job runs in: its name, configuration and Spark session; the output protocol
 * ({@link #stage}: the output must be this job's own, stale staging of killed runs removed, a hidden staging folder;
 * {@link #commit}: manifest, {@code _SUCCESS}, then the atomic swap); one provenance header for every manifest
 * ({@link #manifest}); and the broadcasts registered with it ({@link #broadcast}), destroyed when it closes, as is the
 * staging folder of a run that did not commit.
 */
public final class JobRun implements AutoCloseable {
    public final String job;
    public final JobConfig cfg;
    public final SparkSession spark;
    public final JavaSparkContext jsc;
    public final Configuration conf;
    public final String runId = Storage.newRunId();
    private final long t0 = System.nanoTime();
    private final List<Broadcast<?>> broadcasts = new ArrayList<>();
    private Broadcast<SerializableConfiguration> hadoop;
    private String output, staging;
    private boolean committed;

    private JobRun(String job, JobConfig cfg, SparkSession spark) {
        this.job = job;
        this.cfg = cfg;
        this.spark = spark;
        this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        this.conf = spark.sparkContext().hadoopConfiguration();
    }

    public static JobRun start(SparkSession spark, String job, JobConfig cfg) {
        return new JobRun(job, cfg, spark);
    }

    public double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** A broadcast destroyed when the run closes. */
    public <T> Broadcast<T> broadcast(T value) {
        Broadcast<T> b = jsc.broadcast(value);
        broadcasts.add(b);
        return b;
    }

    /** The Hadoop configuration for executors (one broadcast per run). */
    public Broadcast<SerializableConfiguration> hadoopConf() {
        if (hadoop == null) hadoop = broadcast(new SerializableConfiguration(conf));
        return hadoop;
    }

    /**
     * The number of partitions: {@code --partitions} when it is not 0, else {@code perCore} per core of Spark's default
     * parallelism (at least 1).
     */
    public int partitions(int perCore) {
        int p = cfg.getInt("partitions");
        return p > 0 ? p : Math.max(1, jsc.defaultParallelism() * perCore);
    }

    /** Opens the output for writing: refused unless absent or this job's own; returns the hidden staging folder. */
    public String stage(String output) throws IOException {
        Storage.requireOwnOutput(output, job, conf);
        Storage.cleanStale(output, runId, conf);
        this.output = output;
        this.staging = Storage.staging(output, runId);
        return staging;
    }

    public String output() { return output; }

    public String staging() { return staging; }

    /**
     * The provenance header of every manifest: job, run id, finish time, the resolved configuration and where each value
     * came from, the spark.* settings given, Spark's master, version and parallelism, and the run's seconds so far.
     * The job adds its own entries after these.
     */
    public Map<String, Object> manifest() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("job", job);
        m.put("run_id", runId);
        m.put("finished", Instant.now().toString());
        m.put("config", cfg.resolved());
        m.put("config_sources", cfg.sources());
        m.put("spark_config", cfg.spark());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("master", spark.sparkContext().master());
        s.put("version", spark.version());
        s.put("default_parallelism", jsc.defaultParallelism());
        m.put("spark", s);
        m.put("seconds", Math.round(seconds() * 10) / 10.0);
        return m;
    }

    /** Writes manifest.json and _SUCCESS into the staging folder, then swaps it in as the output. */
    public void commit(Map<String, Object> manifest) throws IOException {
        if (staging == null) throw new IllegalStateException(job + ": commit before stage");
        Storage.writeString(staging + "/manifest.json", JsonOut.write(manifest) + "\n", conf);
        Storage.writeString(staging + "/_SUCCESS", "", conf);
        Storage.commit(staging, output, runId, conf);
        committed = true;
    }

    /** Destroys the registered broadcasts; removes the staging folder of a run that did not commit. */
    @Override public void close() {
        for (Broadcast<?> b : broadcasts) {
            try {
                b.destroy();
            } catch (Exception e) {
                // destroyed already, or a stopped context: nothing left to free
            }
        }
        broadcasts.clear();
        if (staging != null && !committed) {
            try {
                Storage.delete(staging, conf);
            } catch (IOException | RuntimeException e) {
                System.err.println(job + ": could not remove the staging folder " + staging + " (the next run will): " + e.getMessage());
            }
        }
    }
}
