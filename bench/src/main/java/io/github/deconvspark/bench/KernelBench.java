package io.github.deconvspark.bench;

import io.github.deconvspark.kernels.Conv2D;
import io.github.deconvspark.kernels.MaxPoolWithArgmax;
import io.github.deconvspark.kernels.Pool2D;
import io.github.deconvspark.kernels.Unpool2D;
import io.github.deconvspark.kernels.autodiff.Gradients;
import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.internal.Dnnl;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.MirroringPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Times our kernels on the shapes of {@code conf/bench/kernels.txt} and, in the same run, its peers on the same
 * shapes: with {@code --tf-classpath} TensorFlow Java in its own JVM, with {@code --torch-script} PyTorch (Debian's
 * python3-torch, NCHW and channels_last, the faster counting). Rounds alternate the three. Prints per case the median
 * times, GFLOP/s, ours/TF and ours/best peer, then their geometric means and the worst ratios. A {@code matmul} case
 * is each library's sgemm peak (ours: oneDNN's, the library our convolutions run on; ND4J's OpenBLAS beside it), so a
 * reader can tell which machine the figures come from; it is not in the means.
 *
 * <pre>KernelBench --shapes conf/bench/kernels.txt [--warmup 5] [--iters 10] [--rounds 1] [--only SUBSTRING]
 *            [--tf-classpath CP] [--torch-script FILE] [--markdown FILE]</pre>
 */
public final class KernelBench {
    private static final int[] ONE = {1};
    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.FIRST_LOOP)
            .policyMirroring(MirroringPolicy.FULL).policySpill(SpillPolicy.REALLOCATE).build();

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = options(args);
        Path shapes = Path.of(opts.getOrDefault("--shapes", "conf/bench/kernels.txt"));
        int warmup = Integer.parseInt(opts.getOrDefault("--warmup", "5"));
        int iters = Integer.parseInt(opts.getOrDefault("--iters", "10"));
        String only = opts.getOrDefault("--only", "");
        List<BenchCase> cases = new ArrayList<>();
        for (BenchCase c : BenchCase.read(shapes)) if (c.name().contains(only)) cases.add(c);

        int rounds = Integer.parseInt(opts.getOrDefault("--rounds", "1"));
        // Rounds alternate TF and ours; each case reports the median over rounds, so a disturbance of one
        // round (this machine's timings vary by up to 2x between runs) moves neither side.
        Map<String, List<Double>> tfRounds = new LinkedHashMap<>();
        Map<String, List<Double>> torchRounds = new LinkedHashMap<>();
        Map<String, String> torchLayout = new LinkedHashMap<>();
        Map<String, List<Double>> ourRounds = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            if (opts.containsKey("--tf-classpath")) {
                runTensorFlow(opts.get("--tf-classpath"), shapes, warmup, iters, only)
                        .forEach((k, v) -> tfRounds.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
            }
            if (opts.containsKey("--torch-script")) {
                runTorch(opts.get("--torch-script"), shapes, warmup, iters, only, torchLayout)
                        .forEach((k, v) -> torchRounds.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
            }
            for (BenchCase c : cases) {
                ourRounds.computeIfAbsent(c.name(), x -> new ArrayList<>()).add(time(c, warmup, iters));
                // Each case starts from a clean slate: no workspace or garbage left by the one before.
                Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
                System.gc();
            }
        }
        List<String[]> rows = new ArrayList<>();
        Ratios vsTf = new Ratios();
        Ratios vsBest = new Ratios();
        for (BenchCase c : cases) {
            double ours = median(ourRounds.get(c.name()));
            double flops = flops(c);
            Double tf = tfRounds.containsKey(c.name()) ? median(tfRounds.get(c.name())) : null;
            Double torch = torchRounds.containsKey(c.name()) ? median(torchRounds.get(c.name())) : null;
            Double best = tf == null ? torch : torch == null ? tf : Math.min(tf, torch);
            boolean peak = c.op().equals("matmul");
            if (!peak && tf != null) vsTf.add(c.name(), ours / tf);
            if (!peak && best != null) vsBest.add(c.name(), ours / best);
            String[] row = {c.name(), fmt("%.2f", ours), tf == null ? "" : fmt("%.2f", tf),
                    torch == null ? "" : fmt("%.2f", torch) + " (" + torchLayout.get(c.name()) + ")",
                    tf == null ? "" : fmt("%.2f", ours / tf), best == null ? "" : fmt("%.2f", ours / best),
                    flops > 0 ? fmt("%.1f", flops / ours / 1e6) : "-", flops > 0 && tf != null ? fmt("%.1f", flops / tf / 1e6) : "-",
                    flops > 0 && torch != null ? fmt("%.1f", flops / torch / 1e6) : "-"};
            rows.add(row);
            System.out.println(String.join("\t", row));
        }
        StringBuilder md = new StringBuilder();
        md.append("| case | ours ms | TF ms | PyTorch ms | ours/TF | ours/best peer | ours GFLOP/s | TF GFLOP/s | PyTorch GFLOP/s |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String[] r : rows) md.append("| ").append(String.join(" | ", r)).append(" |\n");
        md.append('\n');
        if (cases.stream().anyMatch(c -> c.op().equals("matmul"))) {
            md.append(fmt("ND4J's own sgemm (Nd4j.gemm, OpenBLAS) at %d^3: %.1f GFLOP/s.%n%n", GEMM, ModelBench.nd4jGemm(GEMM)));
        }
        vsTf.report(md, "ours/TF");
        vsBest.report(md, "ours/best peer");
        System.out.println();
        System.out.print(md);
        if (opts.containsKey("--markdown")) Files.writeString(Path.of(opts.get("--markdown")), md);
    }

    /** Ratios of one kind: their geometric mean and the worst. */
    private static final class Ratios {
        double logSum;
        int count;
        double worst;
        String worstName = "";

        void add(String name, double r) {
            logSum += Math.log(r);
            count++;
            if (r > worst) {
                worst = r;
                worstName = name;
            }
        }

        void report(StringBuilder md, String what) {
            if (count == 0) return;
            md.append(fmt("Geometric mean of %s over %d cases: **%.2f**; worst: %s at **%.2f**.%n", what, count,
                    Math.exp(logSum / count), worstName, worst));
        }
    }

    private static final int GEMM = 2048;

    /** Runs PyTorch's side (bench/scripts/torch_kernels.py, Debian's python3) and reads its medians and layouts. */
    private static Map<String, Double> runTorch(String script, Path shapes, int warmup, int iters, String only,
                                                Map<String, String> layouts) throws IOException, InterruptedException {
        List<String> cmd = List.of("/usr/bin/python3", script, "--shapes", shapes.toString(), "--warmup", Integer.toString(warmup),
                "--iters", Integer.toString(iters), "--threads", "2", "--only", only);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Map<String, Double> medians = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split("\t");
                if (f.length >= 3) {
                    medians.put(f[0], Double.parseDouble(f[1]));
                    layouts.put(f[0], f[2]);
                    System.err.println("PyTorch " + f[0] + " " + f[1] + " ms (" + f[2] + ")");
                } else {
                    System.err.println("PyTorch: " + line);
                }
            }
        }
        if (p.waitFor() != 0) throw new IllegalStateException(script + " exited with " + p.exitValue());
        return medians;
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: KernelBench [--shapes FILE] [--warmup N] [--iters N] [--rounds N] [--only TEXT]"
                        + " [--tf-classpath CP] [--torch-script FILE] [--markdown FILE]; got " + Arrays.toString(args));
            }
            o.put(args[i], args[++i]);
        }
        return o;
    }

    private static String fmt(String f, Object... v) {
        return String.format(Locale.ROOT, f, v);
    }

    /** Runs the oracle's TfBench in its own JVM (TF and ND4J cannot share one) and reads its medians. */
    private static Map<String, Double> runTensorFlow(String classpath, Path shapes, int warmup, int iters, String only)
            throws IOException, InterruptedException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, "io.github.deconvspark.oracle.TfBench", "--shapes", shapes.toString(),
                "--warmup", Integer.toString(warmup), "--iters", Integer.toString(iters));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
        Process p = pb.start();
        Map<String, Double> medians = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split("\t");
                if (f.length >= 2 && f[0].contains(only)) {
                    try {
                        medians.put(f[0], Double.parseDouble(f[1]));
                        System.err.println("TF " + f[0] + " " + f[1] + " ms");
                    } catch (NumberFormatException e) {
                        System.err.println("TF: " + line);
                    }
                }
            }
        }
        if (p.waitFor() != 0) throw new IllegalStateException("TfBench exited with " + p.exitValue());
        return medians;
    }

    /**
     * Forward and backward through the autodiff of a VGG-style stack: per width a 3x3 SAME conv, ReLU and
     * 2x2/2 max pool; loss = sum; returns a call that computes the gradient of every filter.
     */
    private static Supplier<INDArray> vggGradients(BenchCase c, INDArray x) {
        Graph g = new Graph();
        List<Tensor> filters = new ArrayList<>();
        Tensor a = g.constant("x", x);
        long in = c.i("c");
        for (String width : c.s("widths").split(",")) {
            long out = Long.parseLong(width);
            Tensor f = g.variable("w", Nd4j.rand(DataType.FLOAT, 3, 3, in, out).subi(0.5));
            filters.add(f);
            Tensor conv = Ops.conv2d(a, f, ONE, Padding.SAME, DataFormat.NHWC, ONE);
            a = Ops.maxPool(Ops.relu(conv), new int[] {2}, new int[] {2}, Padding.VALID, DataFormat.NHWC);
            in = out;
        }
        List<Tensor> grads = Gradients.gradients(List.of(Ops.reduceSum(a)), filters);
        return () -> g.run(grads, Map.of()).get(0);
    }

    static double flops(BenchCase c) {
        return switch (c.op()) {
            case "conv2d", "conv2d_backprop_input", "conv2d_backprop_filter" -> {
                int[] o = outHw(c);
                yield 2.0 * c.i("n") * o[0] * o[1] * c.i("oc") * c.i("k") * c.i("k") * c.i("c");
            }
            case "conv2d_transpose" -> 2.0 * c.i("n") * c.i("h") * c.i("w") * c.i("c") * c.i("k") * c.i("k") * c.i("oc");
            case "matmul" -> 2.0 * c.i("n") * c.i("n") * c.i("n");
            default -> 0;
        };
    }

    private static int[] outHw(BenchCase c) {
        int s = c.i("s");
        int ke = c.i("k");
        boolean same = c.s("pad").equalsIgnoreCase("SAME");
        return new int[] {same ? (c.i("h") + s - 1) / s : (c.i("h") - ke) / s + 1,
                same ? (c.i("w") + s - 1) / s : (c.i("w") - ke) / s + 1};
    }

    /** Median milliseconds of one call; inputs made once, outputs in a reused workspace. */
    static double time(BenchCase c, int warmup, int iters) {
        Nd4j.getRandom().setSeed(42);
        if (c.op().equals("matmul")) return Dnnl.sgemmMillis(c.i("n"), warmup, iters);
        int n = c.i("n"), h = c.i("h"), w = c.i("w"), ch = c.i("c"), k = c.i("k", 1), s = c.i("s", 1);
        Padding pad = Padding.parse(c.fields().getOrDefault("pad", "VALID"));
        int[] ks = {k};
        int[] st = {s};
        DataFormat f = DataFormat.NHWC;
        INDArray x = Nd4j.rand(DataType.FLOAT, n, h, w, ch).subi(0.5);
        Supplier<INDArray> call;
        switch (c.op()) {
            case "conv2d" -> {
                INDArray filter = Nd4j.rand(DataType.FLOAT, k, k, ch, c.i("oc")).subi(0.5);
                call = () -> Conv2D.conv2d(x, filter, st, pad, f, ONE);
            }
            case "conv2d_backprop_input", "conv2d_backprop_filter" -> {
                int[] o = outHw(c);
                INDArray filter = Nd4j.rand(DataType.FLOAT, k, k, ch, c.i("oc")).subi(0.5);
                INDArray dy = Nd4j.rand(DataType.FLOAT, n, o[0], o[1], c.i("oc")).subi(0.5);
                long[] xs = x.shape();
                call = c.op().equals("conv2d_backprop_input")
                        ? () -> Conv2D.conv2dBackpropInput(xs, filter, dy, st, pad, f, ONE)
                        : () -> Conv2D.conv2dBackpropFilter(x, filter.shape(), dy, st, pad, f, ONE);
            }
            case "conv2d_transpose" -> {
                INDArray filter = Nd4j.rand(DataType.FLOAT, k, k, c.i("oc"), ch).subi(0.5);
                long[] out = {n, c.i("oh"), c.i("ow"), c.i("oc")};
                call = () -> Conv2D.conv2dTranspose(x, filter, out, st, pad, f, ONE);
            }
            case "max_pool" -> call = () -> Pool2D.maxPool(x, ks, st, pad, f);
            case "avg_pool" -> call = () -> Pool2D.avgPool(x, ks, st, pad, f);
            case "max_pool_with_argmax" -> call = () -> Pool2D.maxPoolWithArgmax(x, ks, st, pad, false).output();
            case "max_unpool" -> {
                MaxPoolWithArgmax r = Pool2D.maxPoolWithArgmax(x, ks, st, pad, false);
                call = () -> Unpool2D.maxUnpool(r.output(), r.argmax(), x.shape(), false);
            }
            case "vgg_grad" -> call = vggGradients(c, x);
            default -> throw new IllegalArgumentException("bench case " + c.name() + ": unknown op " + c.op());
        }
        double[] ms = new double[iters];
        for (int i = 0; i < warmup + iters; i++) {
            // Each call's outputs live in a workspace that the next call reuses, as TensorFlow's
            // allocator reuses its buffers: fresh pages cost ~0.6 ms/MB on this VM (docs/BENCHMARKS.md).
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, "kernel-bench")) {
                long t0 = System.nanoTime();
                call.get();
                long t1 = System.nanoTime();
                if (i >= warmup) ms[i - warmup] = (t1 - t0) / 1e6;
            }
        }
        Arrays.sort(ms);
        return iters % 2 == 1 ? ms[iters / 2] : (ms[iters / 2 - 1] + ms[iters / 2]) / 2;
    }
}
