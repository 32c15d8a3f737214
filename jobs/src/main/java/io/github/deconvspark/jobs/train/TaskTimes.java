package io.github.deconvspark.jobs.train;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/** Spark's own task metrics summed over tasks (for the benchmark's step split): deserialization, run, result serialization, result size. */
final class TaskTimes extends SparkListener {
    final AtomicLong tasks = new AtomicLong(), deserializeMs = new AtomicLong(), runMs = new AtomicLong(), serializeMs = new AtomicLong(),
            resultBytes = new AtomicLong(), gcMs = new AtomicLong();

    @Override public void onTaskEnd(SparkListenerTaskEnd e) {
        TaskMetrics m = e.taskMetrics();
        if (m == null) return;
        tasks.incrementAndGet();
        deserializeMs.addAndGet(m.executorDeserializeTime());
        runMs.addAndGet(m.executorRunTime());
        serializeMs.addAndGet(m.resultSerializationTime());
        resultBytes.addAndGet(m.resultSize());
        gcMs.addAndGet(m.jvmGCTime());
    }

    void reset() {
        for (AtomicLong a : new AtomicLong[] {tasks, deserializeMs, runMs, serializeMs, resultBytes, gcMs}) a.set(0);
    }

    String describe(long steps) {
        if (tasks.get() == 0) return "no tasks";
        return String.format(Locale.ROOT, "per step: %.2f tasks; per task: deserialize %.1f ms, run %.1f ms (GC %.1f), serialize result %.1f ms, result %.2f MB",
                (double) tasks.get() / steps, (double) deserializeMs.get() / tasks.get(), (double) runMs.get() / tasks.get(),
                (double) gcMs.get() / tasks.get(), (double) serializeMs.get() / tasks.get(), resultBytes.get() / 1e6 / tasks.get());
    }
}
