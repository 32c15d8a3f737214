package io.github.deconvspark.jobs.train;

import io.github.deconvspark.jobs.nets.Batches;
import io.github.deconvspark.jobs.nets.GradientSum;
import io.github.deconvspark.models.net.Optimizer;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Synchronous mini-batch training over {@link Steps}: per step the mean gradient of the batch, one
 * optimizer update of the float64 master parameters; per epoch an evaluation on the held-out set.
 * The same loop runs on Spark and in-process, so their costs compare step for step.
 */
public final class Trainer {
    /** One epoch's figures; train loss/accuracy are means over the epoch's batches, before each update. */
    public record Epoch(int epoch, double learningRate, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy,
                        long testExamples, double seconds, double imagesPerSecond) {}

    /** Loss and hits summed over the examples some steps saw (before each update). */
    public record Seen(double loss, long count, long correct) {
        Seen plus(GradientSum g) {
            return new Seen(loss + g.loss(), count + g.count(), correct + g.correct());
        }
    }

    /** Per-step time split, in nanoseconds summed over the steps timed. */
    public static final class Times {
        public long steps, images, wall, compute, aggregate, update;

        public String describe() {
            if (steps == 0) return "no steps";
            double w = wall / 1e6 / steps, c = compute / 1e6 / steps, a = aggregate / 1e6 / steps, u = update / 1e6 / steps;
            return String.format(Locale.ROOT, "%.1f ms/step: compute %.1f, aggregation %.1f, update %.1f, scheduling and transfer %.1f; %.0f images/s",
                    w, c, a, u, Math.max(0, w - c - a - u), images / (wall / 1e9));
        }

        public double msPerStep() { return wall / 1e6 / steps; }

        /** Adds another run's times to these. */
        public void add(Times t) {
            steps += t.steps;
            images += t.images;
            wall += t.wall;
            compute += t.compute;
            aggregate += t.aggregate;
            update += t.update;
        }
    }

    private final long examples;
    private final int batch;
    private final long seed;
    private final int progressEvery;
    private final PrintStream log;

    public Trainer(long examples, int batch, long seed, int progressEvery, PrintStream log) {
        if (Batches.steps(examples, batch) < 1) {
            throw new IllegalArgumentException("train: " + examples + " training examples are fewer than one batch of " + batch);
        }
        this.examples = examples;
        this.batch = batch;
        this.seed = seed;
        this.progressEvery = progressEvery;
        this.log = log;
    }

    public int stepsPerEpoch() {
        return Batches.steps(examples, batch);
    }

    /** Runs steps [from, to) of epoch {@code epoch} (1-based), updating {@code params} in place; adds to {@code times}. */
    public Seen steps(int epoch, int from, int to, double[] params, Optimizer opt, Steps steps, Times times) {
        int[] order = Batches.order(examples, seed, epoch);
        Seen seen = new Seen(0, 0, 0);
        int total = stepsPerEpoch();
        long t0 = System.nanoTime();
        for (int s = from; s < to; s++) {
            long w0 = System.nanoTime();
            GradientSum g = steps.step(params, Batches.step(order, s, batch));
            long u0 = System.nanoTime();
            if (g.count() == 0) throw new IllegalStateException("train: step " + s + " of epoch " + epoch + " found none of its examples");
            opt.step(params, g.mean());
            long end = System.nanoTime();
            times.steps++;
            times.images += g.count();
            times.wall += end - w0;
            times.compute += g.maxPartitionComputeNanos();
            times.aggregate += g.aggregateNanos();
            times.update += end - u0;
            seen = seen.plus(g);
            if (log != null && progressEvery > 0 && ((s + 1) % progressEvery == 0 || s + 1 == total)) {
                double secs = (end - t0) / 1e9;
                log.printf(Locale.ROOT, "train: epoch %d step %d/%d  loss %.4f  accuracy %.2f %%  %.0f images/s  eta %s%n", epoch, s + 1, total,
                        seen.loss() / seen.count(), 100.0 * seen.correct() / seen.count(), seen.count() / secs,
                        eta((double) (total - s - 1) * secs / (s + 1 - from)));
            }
        }
        return seen;
    }

    /** A whole epoch: its steps, then the evaluation. */
    public Epoch epoch(int epoch, double[] params, Optimizer opt, Steps steps, Times times) {
        long t0 = System.nanoTime();
        Seen seen = steps(epoch, 0, stepsPerEpoch(), params, opt, steps, times);
        double secs = (System.nanoTime() - t0) / 1e9;
        GradientSum test = steps.evaluate(params);
        return new Epoch(epoch, opt.learningRate(), seen.loss() / seen.count(), (double) seen.correct() / seen.count(),
                test.count() == 0 ? Double.NaN : test.loss() / test.count(), test.count() == 0 ? Double.NaN : (double) test.correct() / test.count(),
                test.count(), (System.nanoTime() - t0) / 1e9, seen.count() / secs);
    }

    static String eta(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
