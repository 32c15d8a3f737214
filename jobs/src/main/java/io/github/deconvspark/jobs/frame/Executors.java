package io.github.deconvspark.jobs.frame;

import io.github.deconvspark.kernels.Natives;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;

/** Checks run on the executors before a job's real work. */
public final class Executors {
    private Executors() {}

    /**
     * Executor JVMs registered now (local mode: 1, the driver's). The kernels use every core of their
     * JVM (ND4J's OpenMP and a fork-join pool), so a step of the train job runs best as one task per JVM.
     */
    public static int jvms(JavaSparkContext jsc) {
        int n = jsc.sc().getExecutorMemoryStatus().size();
        return jsc.sc().isLocal() ? 1 : Math.max(1, n - 1);
    }

    /**
     * One small task per task slot loads ND4J's native libraries ({@link Natives#check}); returns what
     * was found ("ND4J ... on host:pid, ..."). A failure stops the job at once with the executor's
     * message (which names the native build and the fix), instead of failing later in every task.
     */
    public static String checkNatives(JavaSparkContext jsc) {
        int n = Math.max(1, jsc.defaultParallelism());
        List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < n; i++) slots.add(i);
        try {
            List<String> found = jsc.parallelize(slots, n).map(i -> {
                String d = Natives.check();
                return d + " on " + InetAddress.getLocalHost().getHostName() + ":" + ProcessHandle.current().pid();
            }).distinct().collect();
            List<String> sorted = new ArrayList<>(found);
            java.util.Collections.sort(sorted);
            return "natives ok in " + sorted.size() + " executor JVM(s): " + String.join("; ", sorted);
        } catch (Exception e) {
            Throwable t = e;
            while (t.getCause() != null && !(t instanceof IllegalStateException)) t = t.getCause();
            throw new IllegalStateException("an executor cannot run the kernels: " + (t instanceof IllegalStateException ? t.getMessage()
                    : e.getMessage()), e instanceof SparkException ? e : null);
        }
    }
}
