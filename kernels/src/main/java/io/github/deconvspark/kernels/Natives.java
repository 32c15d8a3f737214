package io.github.deconvspark.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Checks, before any kernel runs, that ND4J's native library loads on this machine, and says
 * what to do when it does not (for instance an AVX-512 build on a CPU without AVX-512).
 */
public final class Natives {
    private static volatile String description;
    /** The first failure, rethrown by later calls (ND4J's static initializer fails only once, with the real cause). */
    private static volatile IllegalStateException failure;

    private Natives() {}

    /** The ND4J native classifier this build was packaged with, e.g. linux-x86_64-onednn-avx512. */
    public static String classifier() {
        return properties("/deconv-spark-kernels.properties").getProperty("nd4j.classifier", "unknown");
    }

    /**
     * The version of the ND4J jar that is loaded (not the one the build asked for), from the pom.properties Maven
     * puts in every jar it builds, which survives shading; ND4J's manifests carry no Implementation-Version.
     */
    public static String nd4jVersion() {
        return properties("/META-INF/maven/org.nd4j/nd4j-api/pom.properties").getProperty("version", "unknown");
    }

    private static Properties properties(String resource) {
        Properties p = new Properties();
        try (InputStream in = Nd4j.class.getResourceAsStream(resource)) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            // fall through: unknown
        }
        return p;
    }

    /**
     * Loads the native backend once and runs a tiny product; returns a one-line description.
     *
     * @throws IllegalStateException naming the classifier, the cause and the fix
     */
    public static String check() {
        String d = description;
        if (d != null) return d;
        if (failure != null) throw failure;
        synchronized (Natives.class) {
            if (description != null) return description;
            String classifier = classifier();
            String fix = " Rebuild with another ND4J classifier, e.g. mvn -Dnd4j.classifier=linux-x86_64-onednn-avx2 package"
                    + " (legal: linux-x86_64-onednn-avx512, linux-x86_64-onednn-avx2, linux-x86_64-onednn).";
            if (classifier.contains("avx512") && !cpuHas("avx512f")) {
                throw new IllegalStateException("ND4J natives: this build uses " + classifier
                        + " but this CPU has no AVX-512 (no avx512f flag in /proc/cpuinfo)." + fix);
            }
            if (classifier.contains("avx2") && !cpuHas("avx2")) {
                throw new IllegalStateException("ND4J natives: this build uses " + classifier
                        + " but this CPU has no AVX2 (no avx2 flag in /proc/cpuinfo)." + fix);
            }
            try {
                double v = Nd4j.ones(DataType.FLOAT, 2, 2).mmul(Nd4j.ones(DataType.FLOAT, 2, 2)).getDouble(0);
                if (v != 2.0) throw new IllegalStateException("ND4J natives: a 2x2 product gave " + v + ", not 2");
            } catch (Throwable t) {
                Throwable root = t;
                while (root.getCause() != null && root.getCause() != root) root = root.getCause();
                // kept: a second call would only see "Could not initialize class ...Nd4j"
                failure = new IllegalStateException("ND4J natives (" + classifier + ") failed to load on "
                        + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ": " + t
                        + (root != t ? " (root cause: " + root + ")" : "") + "." + fix, t);
                throw failure;
            }
            String dnnl;
            try {
                dnnl = io.github.deconvspark.kernels.internal.Dnnl.describe();
            } catch (IllegalStateException e) {
                failure = e;
                throw e;
            }
            description = "ND4J " + nd4jVersion() + " native " + classifier + ", "
                    + Nd4j.getExecutioner().getEnvironmentInformation().getProperty("blas.vendor", "?") + " BLAS, " + dnnl;
            return description;
        }
    }

    private static boolean cpuHas(String flag) {
        try {
            Path cpuinfo = Path.of("/proc/cpuinfo");
            if (!Files.isReadable(cpuinfo)) return true; // cannot tell: let the loader decide
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("flags")) return (" " + line + " ").contains(" " + flag + " ");
            }
            return true;
        } catch (IOException e) {
            return true;
        }
    }
}
