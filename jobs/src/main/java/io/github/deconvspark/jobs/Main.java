package io.github.deconvspark.jobs;

import io.github.deconvspark.kernels.Natives;
import java.util.Arrays;

/** The application's single entry point: {@code <job> [args...]}, as bin/deconv-spark and spark-submit call it. */
public final class Main {
    private Main() {}

    static final java.util.Set<String> JOBS = java.util.Set.of("kernels-demo");

    static final String USAGE = """
            usage: deconv-spark <job> [args...]
            jobs:
              kernels-demo   run every example of the TensorFlow tutorial on our kernels and print its outputs
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
}
