package io.github.deconvspark.jobs.visualize;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * bench-visualize's PyTorch peer: runs {@code bench/scripts/torch_visualize.py} (Debian's python3-torch) on the same
 * files, model, layer and batch right after our rounds, and prints the two side by side: our whole job's projections/s
 * (Spark, reading, decoding and writing included) against PyTorch's compute alone (forward with switches and the
 * seeded backward, one map per image), and our scan's images/s against PyTorch's forward pass.
 */
final class TorchPeer {
    private TorchPeer() {}

    static void compare(String script, Visualize.Settings st, Visualizer.Plan plan, int files, int rounds, int projections,
                        double jobSeconds, double scanSeconds) {
        String layer = plan.units().get(0).node();
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", script, "--model", Path.of(java.net.URI.create(st.model())).toString(),
                "--input", Path.of(java.net.URI.create(st.input())).toString(), "--layer", layer, "--batch", Integer.toString(plan.batch()),
                "--threads", "2", "--rounds", Integer.toString(rounds), "--limit", Integer.toString(files)));
        String json;
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (InputStream in = p.getInputStream()) {
                json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (p.waitFor() != 0) throw new IllegalStateException(script + " exited with " + p.exitValue());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(script + " interrupted", e);
        }
        double forward = number(json, "forward_images_per_s"), autograd = number(json, "projections_per_s");
        double ours = projections / jobSeconds, oursScan = files / scanSeconds;
        System.out.println("PyTorch: " + json.strip());
        System.out.printf(Locale.ROOT, "bench-visualize vs PyTorch: whole job %.2f projections/s (%d in %.2f s) against PyTorch autograd "
                + "%.2f/s: %.2fx; our scan %.1f images/s against PyTorch's forward %.1f: %.2fx; PyTorch sgemm %.0f GFLOP/s%n",
                ours, projections, jobSeconds, autograd, ours / autograd, oursScan, forward, oursScan / forward, number(json, "sgemm_gflops"));
    }

    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": ([0-9.eE+-]+)").matcher(json);
        if (!m.find()) throw new IllegalStateException("torch_visualize.py printed no " + key + ": " + json);
        return Double.parseDouble(m.group(1));
    }
}
