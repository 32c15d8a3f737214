package io.github.deconvspark.jobs.frame;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.SparkSession;

/** The main of every Spark job: --help, the configuration, the session, the job's body, the session stopped. */
public final class Jobs {
    private Jobs() {}

    /** A job's body on a session: returns the exit code. */
    public interface Body {
        int run(SparkSession spark, JobConfig cfg) throws Exception;
    }

    /** How a job's main may differ: text after the keys' help, Spark settings of its own, work that needs no Spark. */
    public record Options(String extraHelp, Function<JobConfig, Map<String, String>> sparkConf, Function<JobConfig, Integer> withoutSpark,
                          String modelKey, String inputSizeKey) {
        public static final Options NONE = new Options("", JobConfig::spark, c -> null, null, null);

        public Options help(String text) { return new Options(text, sparkConf, withoutSpark, modelKey, inputSizeKey); }

        public Options spark(Function<JobConfig, Map<String, String>> f) { return new Options(extraHelp, f, withoutSpark, modelKey, inputSizeKey); }

        /** Work done before (and instead of) a session when it returns an exit code, e.g. gradcheck's --case. */
        public Options local(Function<JobConfig, Integer> f) { return new Options(extraHelp, sparkConf, f, modelKey, inputSizeKey); }

        /** A bare --list-layers prints the layers of the model named by {@code model} (loaded with {@code inputSize}, may be null). */
        public Options layers(String model, String inputSize) { return new Options(extraHelp, sparkConf, withoutSpark, model, inputSize); }
    }

    public static int main(String job, List<JobConfig.Key> keys, String[] args, Options options, Body body) {
        if (JobConfig.wantsHelp(args)) {
            System.out.print(JobConfig.help(job, keys) + options.extraHelp());
            return 0;
        }
        if (options.modelKey() != null && ListLayers.wanted(args)) {
            return ListLayers.print(job, JobConfig.parseWithout(job, keys, ListLayers.strip(args)), options.modelKey(), options.inputSizeKey());
        }
        JobConfig cfg = JobConfig.parse(job, keys, args);
        Integer local = options.withoutSpark().apply(cfg);
        if (local != null) return local;
        SparkSession spark = Sparks.session("deconv-spark " + job, cfg.get("master"), options.sparkConf().apply(cfg));
        try {
            return body.run(spark, cfg);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new java.io.UncheckedIOException(e instanceof java.io.IOException io ? io : new java.io.IOException(e));
        } finally {
            spark.stop();
        }
    }
}
