package io.github.deconvspark.jobs;

/** Prints the JVM module options Spark needs on Java 17 (what bin/spark-class adds), for bin/deconv-spark. */
public final class JvmOptions {
    private JvmOptions() {}

    public static void main(String[] args) {
        System.out.println("-XX:+IgnoreUnrecognizedVMOptions " + org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptions());
    }
}
