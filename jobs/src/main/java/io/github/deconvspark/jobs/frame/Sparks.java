package io.github.deconvspark.jobs.frame;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session of a job. Settings, later ones winning: {@code spark-defaults.conf} from the
 * classpath (the repository's conf/, also inside the application jar) for keys nobody else set,
 * spark-submit's settings (system properties), then the job's spark.* keys (conf file, command line).
 * With no master anywhere, an embedded {@code local[*]} session runs.
 */
public final class Sparks {
    private Sparks() {}

    public static SparkSession session(String app, String master, Map<String, String> sparkConf) {
        SparkConf c = new SparkConf().setAppName(app);           // picks up spark.* system properties (spark-submit)
        for (Map.Entry<String, String> e : defaults().entrySet()) c.setIfMissing(e.getKey(), e.getValue());
        sparkConf.forEach(c::set);
        if (master != null && !master.isBlank()) {
            c.setMaster(master);
        } else if (!c.contains("spark.master")) {
            c.setMaster("local[*]");
        }
        // Spark's stage progress bar for people on a terminal, not for logs and CI.
        if (!c.contains("spark.ui.showConsoleProgress")) c.set("spark.ui.showConsoleProgress", String.valueOf(System.console() != null));
        return SparkSession.builder().config(c).getOrCreate();
    }

    /** spark-defaults.conf from the classpath (empty when there is none). */
    static Map<String, String> defaults() {
        Properties p = new Properties();
        try (InputStream in = Sparks.class.getClassLoader().getResourceAsStream("spark-defaults.conf")) {
            if (in != null) p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read spark-defaults.conf from the classpath: " + e.getMessage(), e);
        }
        Map<String, String> m = new java.util.TreeMap<>();
        for (String k : p.stringPropertyNames()) m.put(k.trim(), p.getProperty(k).trim());
        return m;
    }
}
