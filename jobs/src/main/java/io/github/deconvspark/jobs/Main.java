package io.github.deconvspark.jobs;

import io.github.deconvspark.kernels.Natives;
import java.util.Arrays;

/** The application's single entry point: {@code <job> [args...]}, as bin/deconv-spark and spark-submit call it. */
public final class Main {
    private Main() {}

    static final java.util.Set<String> JOBS = java.util.Set.of("kernels-demo", "visualize", "bench-visualize", "gradcheck", "gradients", "train", "bench-train", "export-images");

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
        if (job.equals("visualize")) {
            System.exit(runJob(() -> io.github.deconvspark.jobs.visualize.Visualize.main(rest)));
        }
        if (job.equals("gradcheck")) {
            System.exit(runJob(() -> io.github.deconvspark.jobs.gradcheck.GradCheck.main(rest)));
        }
        if (job.equals("gradients")) {
            System.exit(runJob(() -> io.github.deconvspark.jobs.gradients.GradientsJob.main(rest)));
        }
        if (job.equals("train")) {
            System.exit(runJob(() -> io.github.deconvspark.jobs.train.Train.main(rest)));
        }
        if (job.equals("export-images")) {
            System.exit(runJob(() -> io.github.deconvspark.jobs.labelled.ExportImages.main(rest)));
        }
        if (job.equals("bench-train")) {
            System.exit(runJob(() -> io.github.deconvspark.jobs.train.TrainBench.main(rest)));
        }
        if (job.equals("bench-visualize")) {
            System.exit(runJob(() -> io.github.deconvspark.jobs.visualize.VisualizeBench.main(rest)));
        }
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

    /** Runs a job; configuration errors print their message alone (exit 2), other failures their stack trace (exit 1). */
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
        } catch (IllegalStateException e) {
            if (e.getMessage() != null && e.getMessage().contains("native")) {
                System.err.println("deconv-spark: " + e.getMessage());
                return 3;
            }
            throw e;
        }
    }
}
