package io.github.deconvspark.jobs;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.kernels.Natives;
import java.util.Arrays;

/** The application's single entry point: {@code <job> [args...]}, as bin/deconv-spark and spark-submit call it. */
public final class Main {
    private Main() {}

    /** The jobs that run through {@link #runJob} (exit codes 2: configuration, 3: natives), by name. */
    static final java.util.Map<String, java.util.function.ToIntFunction<String[]>> SPARK_JOBS = java.util.Map.of(
            "visualize", io.github.deconvspark.jobs.visualize.Visualize::main,
            "bench-visualize", io.github.deconvspark.jobs.visualize.VisualizeBench::main,
            "gradcheck", io.github.deconvspark.jobs.gradcheck.GradCheck::main,
            "gradients", io.github.deconvspark.jobs.gradients.GradientsJob::main,
            "train", io.github.deconvspark.jobs.train.Train::main,
            "bench-train", io.github.deconvspark.jobs.train.TrainBench::main,
            "export-images", io.github.deconvspark.jobs.labelled.ExportImages::main);

    static final java.util.Set<String> JOBS;

    static {
        java.util.Set<String> all = new java.util.TreeSet<>(SPARK_JOBS.keySet());
        all.add("kernels-demo");
        JOBS = java.util.Collections.unmodifiableSet(all);
    }

    static final String USAGE = """
            usage: deconv-spark <job> [args...]
            jobs:
              kernels-demo   run every example of the TensorFlow tutorial on our kernels and print its outputs
              bench-visualize  the visualize job on local Spark against an in-process loop (visualize's options, rounds=N)
              gradcheck      seeded gradient checks of every op on Spark (--cases N --seed S --output URI; --case ID: one)
              gradients      the gradient of the loss over a whole labelled data set w.r.t. every parameter (--help: options)
              train          synchronous data-parallel training of a CNN (SGD momentum / Adam), checkpoints, --resume (--help)
              export-images  the first N images of an IDX data set as PNG files in class folders (--data --output --limit)
              bench-train    training steps on local Spark against the same loop in-process (train's options, rounds=N)
              visualize      deconvnet / guided backprop / saliency / Grad-CAM of a CNN over an image set (--help: options)
            """;

    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
            System.out.print(USAGE);
            System.exit(args.length == 0 ? 2 : 0);
        }
        String job = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (!JOBS.contains(job)) {
            System.err.println("deconv-spark: unknown job '" + job + "'\n" + USAGE);
            System.exit(2);
        }
        java.util.function.ToIntFunction<String[]> sparkJob = SPARK_JOBS.get(job);
        if (sparkJob != null) System.exit(runJob(() -> sparkJob.applyAsInt(rest)));
        try {
            Natives.check();
        } catch (IllegalStateException e) {
            System.err.println("deconv-spark: " + e.getMessage());
            System.exit(3);
        }
        switch (job) {
            case "kernels-demo" -> KernelsDemo.main(rest);
            default -> throw new AssertionError(job);
        }
    }

    /**
     * Runs a job. Configuration errors print their message alone (exit 2), natives that do not load theirs (exit 3), a
     * visualize run with no readable image its reasons (exit 4); a failure to reach or read storage one line with its
     * causes (exit 1: "connection refused", "no file system for scheme"); anything else its stack trace (exit 1).
     */
    static int runJob(java.util.function.IntSupplier job) {
        try {
            Natives.check();
            return job.getAsInt();
        } catch (JobConfig.ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        } catch (IllegalArgumentException e) {
            System.err.println("deconv-spark: " + e.getMessage());
            return 2;
        } catch (io.github.deconvspark.jobs.visualize.Visualize.NoImagesException e) {
            System.err.println(e.getMessage());
            return 4;
        } catch (IllegalStateException e) {
            if (e.getMessage() != null && e.getMessage().contains("native")) {
                System.err.println("deconv-spark: " + e.getMessage());
                return 3;
            }
            if (storage(e)) return 1;
            throw e;
        } catch (RuntimeException e) {
            if (storage(e)) return 1;
            throw e;
        }
    }

    /** Prints a storage failure (an IOException anywhere in the causes) as one line; false for anything else. */
    private static boolean storage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.io.IOException) {
                System.err.println("deconv-spark: cannot read or write storage: " + io.github.deconvspark.jobs.inputs.Reject.causes(e));
                return true;
            }
        }
        return false;
    }
}
