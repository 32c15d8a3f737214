package io.github.deconvspark.jobs;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The Spark session of a job: spark-submit's settings, then conf and command-line spark.* keys; local[*] when no master is given. */
public final class Sparks {
    private Sparks() {}

    public static SparkSession session(String app, String master, Map<String, String> sparkConf) {
        SparkConf c = new SparkConf().setAppName(app);           // picks up spark.* system properties (spark-submit)
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
}
