package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.Sparks;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * bin/deconv-spark bench-visualize: the whole visualize job on local Spark against the plain
 * in-process loop ({@link VisualizeLoop}) over the same local images, model and settings, in one
 * JVM, alternating rounds (loop, job, loop, job, ...) after a warm-up of each. Takes visualize's
 * options (local --input folder) plus {@code rounds=N}. Prints images/s of both and the job's cost
 * over the loop.
 */
public final class VisualizeBench {
    private VisualizeBench() {}

    public static int main(String[] args) {
        if (JobConfig.wantsHelp(args)) {
            System.out.print(JobConfig.help("bench-visualize", Visualize.KEYS));
            System.out.printf("  %-22s %s%n", "rounds=N", "timed rounds of each, loop and job alternating, after a warm-up (default: 3)");
            System.out.printf("  %-22s %s%n", "torch=SCRIPT", "then PyTorch's side (bench/scripts/torch_visualize.py) on the same files, model and layer");
            return 0;
        }
        int rounds = 3;
        String torch = null;
        List<String> rest = new ArrayList<>();
        for (String a : args) {
            if (a.startsWith("rounds=")) rounds = Integer.parseInt(a.substring(7));
            else if (a.startsWith("torch=")) torch = a.substring(6);
            else rest.add(a);
        }
        JobConfig cfg = JobConfig.parse("visualize", Visualize.KEYS, rest.toArray(new String[0]));
        SparkSession spark = Sparks.session("deconv-spark bench-visualize", cfg.get("master"), cfg.spark());
        try {
            Visualize.Settings st = Visualize.Settings.of(cfg, spark.sparkContext().hadoopConfiguration());
            Path model = Path.of(java.net.URI.create(st.model()));
            Path input = Path.of(java.net.URI.create(st.input()));
            Visualizer.Plan plan;
            try (Model m = Models.load(model)) {
                plan = Visualizer.plan(m, st.methods(), st.layers(), st.channels(), st.head(), st.classes(), st.batch(), st.inputSize(), st.normalize(), st.options(), st.faithfulnessSteps());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            List<Path> files = VisualizeLoop.files(input);
            // The job must not reuse activations between rounds: it would skip the scan.
            List<String> jobArgs = new ArrayList<>(rest);
            jobArgs.add("reuse=false");
            JobConfig jobCfg = JobConfig.parse("visualize", Visualize.KEYS, jobArgs.toArray(new String[0]));
            double[] loop = new double[rounds + 1], job = new double[rounds + 1], scans = new double[rounds + 1];
            int projections = 0;
            for (int r = 0; r <= rounds; r++) {
                long t0 = System.nanoTime();
                VisualizeLoop.Result lr = VisualizeLoop.run(plan, model, files, st.topK(), st.limits());
                loop[r] = (System.nanoTime() - t0) / 1e9;
                scans[r] = lr.scanSeconds();
                long t1 = System.nanoTime();
                Visualize.Summary s = Visualize.run(spark, jobCfg);
                job[r] = (System.nanoTime() - t1) / 1e9;
                projections = (int) s.projections();
                System.out.printf(Locale.ROOT, "%s: loop %.2f s (scan %.2f, project %.2f; %d projections), job %.2f s (%d projections)%n",
                        r == 0 ? "warm-up" : "round " + r, loop[r], lr.scanSeconds(), lr.projectSeconds(), lr.projections().size(),
                        job[r], s.projections());
            }
            if (Boolean.getBoolean("deconv.profile")) System.out.println(io.github.deconvspark.kernels.autodiff.Graph.profileReport());
            double l = median(Arrays.copyOfRange(loop, 1, loop.length)), j = median(Arrays.copyOfRange(job, 1, job.length));
            int n = files.size();
            System.out.printf(Locale.ROOT, "bench-visualize: %d files, master %s: loop %.2f s (%.1f images/s), job %.2f s (%.1f images/s): "
                    + "job/loop %.3f (cost %+.1f%%)%n", n, spark.sparkContext().master(), l, n / l, j, n / j, j / l, 100 * (j / l - 1));
            if (torch != null) {
                double scan = median(Arrays.copyOfRange(scans, 1, scans.length));
                TorchPeer.compare(torch, st, plan, files.size(), rounds, projections, j, scan);
            }
            return 0;
        } finally {
            spark.stop();
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
