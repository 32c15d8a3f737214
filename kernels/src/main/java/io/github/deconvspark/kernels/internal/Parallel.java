package io.github.deconvspark.kernels.internal;

import java.util.stream.IntStream;

/**
 * Splits loops over the common fork-join pool. Threads default to the machine's cores; set
 * {@code -Ddeconv.threads=1} where the caller already runs one task per core (Spark executors).
 */
public final class Parallel {
    public static final int THREADS = Math.max(1,
            Integer.getInteger("deconv.threads", Runtime.getRuntime().availableProcessors()));

    private Parallel() {}

    public interface Range {
        void run(int start, int end);
    }

    /** Runs body over [0, n) in at most THREADS contiguous ranges of at least minPerTask items. */
    public static void ranges(int n, int minPerTask, Range body) {
        int tasks = Math.min(THREADS, Math.max(1, n / Math.max(1, minPerTask)));
        if (tasks <= 1) {
            body.run(0, n);
            return;
        }
        IntStream.range(0, tasks).parallel().forEach(t -> body.run(
                (int) ((long) n * t / tasks), (int) ((long) n * (t + 1) / tasks)));
    }
}
