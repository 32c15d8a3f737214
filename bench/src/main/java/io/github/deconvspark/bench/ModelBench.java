package io.github.deconvspark.bench;

import io.github.deconvspark.kernels.autodiff.Gradients;
import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import io.github.deconvspark.models.onnx.proto.Onnx.GraphProto;
import io.github.deconvspark.models.onnx.proto.Onnx.ModelProto;
import io.github.deconvspark.models.onnx.proto.Onnx.NodeProto;
import io.github.deconvspark.models.onnx.proto.Onnx.OperatorSetIdProto;
import io.github.deconvspark.models.onnx.proto.Onnx.TensorShapeProto;
import io.github.deconvspark.models.onnx.proto.Onnx.TypeProto;
import io.github.deconvspark.models.onnx.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Whole CNNs, ours against ONNX Runtime (forward) and PyTorch (forward, and forward+backward) in one run: the
 * torchvision models that models/scripts/torch-onnx.sh exports, batch 8, 224x224, float32, 2 threads each. Ours is
 * the ONNX file loaded by {@link Models#load} (NHWC inside), ONNX Runtime runs the same file (its default
 * optimizations, intra-op threads 2), PyTorch the same architecture and seeded weights in its own process
 * (bench/scripts/torch_bench.py). forward+backward = the gradients of sum(output) for the input and every parameter
 * (what a training step or a gradient check computes), in one pass. Each library's sgemm peak (1024^3) is measured in
 * the same run, to say what the machine gave each. Rounds alternate the three; per figure the median over rounds of
 * medians over iterations.
 *
 * <pre>ModelBench --torch-models DIR --torch-script FILE [--python /usr/bin/python3] [--models resnet18,mobilenet_v2]
 *            [--batch 8] [--warmup 3] [--iters 10] [--rounds 3] [--markdown FILE]</pre>
 */
public final class ModelBench {
    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) o.put(args[i], args[i + 1]);
        Path dir = Path.of(o.getOrDefault("--torch-models", "."));
        List<String> names = List.of(o.getOrDefault("--models", "resnet18,mobilenet_v2").split(","));
        int batch = Integer.parseInt(o.getOrDefault("--batch", "8"));
        int warmup = Integer.parseInt(o.getOrDefault("--warmup", "3")), iters = Integer.parseInt(o.getOrDefault("--iters", "10"));
        int rounds = Integer.parseInt(o.getOrDefault("--rounds", "3"));
        Map<String, List<Double>> t = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            System.err.printf("round %d/%d: PyTorch%n", r + 1, rounds);
            torch(o, names, batch, warmup, iters, t);
            for (String n : names) {
                Path f = dir.resolve(n + ".onnx");
                System.err.printf("round %d/%d: %s ONNX Runtime%n", r + 1, rounds, n);
                add(t, n + "/ort/forward", ort(f, batch, warmup, iters));
                System.err.printf("round %d/%d: %s ours%n", r + 1, rounds, n);
                double[] ours = ours(f, batch, warmup, iters);
                add(t, n + "/ours/forward", ours[0]);
                add(t, n + "/ours/forward_backward", ours[1]);
            }
            add(t, "sgemm/ours", nd4jGemm(GEMM));
            add(t, "sgemm/ort", ortGemm());
        }
        String table = table(names, batch, t);
        System.out.print(table);
        if (o.containsKey("--markdown")) Files.writeString(Path.of(o.get("--markdown")), table);
    }

    static void add(Map<String, List<Double>> t, String k, double v) { t.computeIfAbsent(k, x -> new ArrayList<>()).add(v); }

    static double med(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    interface Run { void run() throws Exception; }

    static double medianMs(Run f, int warmup, int iters) throws Exception {
        for (int i = 0; i < warmup; i++) f.run();
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            f.run();
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        return med(ms);
    }

    static float[] input(int batch) {
        Random r = new Random(3);
        float[] x = new float[batch * 3 * 224 * 224];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** Forward, and forward+backward (d sum(output) / d input and every parameter), of our load of the ONNX file. */
    static double[] ours(Path f, int batch, int warmup, int iters) throws Exception {
        try (Model m = Models.load(f, batch, DataType.FLOAT)) {
            INDArray x = Nd4j.create(input(batch), new long[] {batch, 3, 224, 224}, 'c').permute(0, 2, 3, 1).dup('c');
            Graph g = m.graph();
            Tensor out = m.outputs().values().iterator().next();
            List<Tensor> wrt = new ArrayList<>(List.of(m.input()));
            for (String p : m.parameters()) wrt.add(m.layer(p));
            List<Tensor> fetch = new ArrayList<>(List.of(out));
            fetch.addAll(Gradients.gradients(Ops.reduceSum(out), wrt));
            Map<Tensor, INDArray> feed = Map.of(m.input(), x);
            double fwd = medianMs(() -> g.run(out, feed), warmup, iters);
            double both = medianMs(() -> g.run(fetch, feed), warmup, iters);
            return new double[] {fwd, both};
        }
    }

    static double ort(Path f, int batch, int warmup, int iters) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(2);
            so.setInterOpNumThreads(1);
            try (OrtSession s = env.createSession(f.toString(), so);
                 OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input(batch)), new long[] {batch, 3, 224, 224})) {
                String in = s.getInputNames().iterator().next();
                return medianMs(() -> s.run(Map.of(in, x)).close(), warmup, iters);
            }
        }
    }

    static final int GEMM = 1024;

    /** GFLOP/s of ND4J's Nd4j.gemm (OpenBLAS) on two n x n float32 matrices, median of 10 after 3. */
    static double nd4jGemm(int n) throws Exception {
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n), b = Nd4j.rand(DataType.FLOAT, n, n), c = Nd4j.create(DataType.FLOAT, n, n);
        return 2.0 * n * n * n / (medianMs(() -> Nd4j.gemm(a, b, c, false, false, 1.0, 0.0), 3, 10) * 1e-3) / 1e9;
    }

    /** GFLOP/s of ONNX Runtime's MatMul (a one-node model). */
    static double ortGemm() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(2);
            float[] v = new float[GEMM * GEMM];
            Random r = new Random(1);
            for (int i = 0; i < v.length; i++) v[i] = r.nextFloat();
            try (OrtSession s = env.createSession(matmulModel(GEMM), so);
                 OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(v), new long[] {GEMM, GEMM})) {
                Map<String, OnnxTensor> feed = Map.of("a", x, "b", x);
                return 2.0 * GEMM * GEMM * GEMM / (medianMs(() -> s.run(feed).close(), 3, 10) * 1e-3) / 1e9;
            }
        }
    }

    /** y = MatMul(a, b) of two n x n float inputs, as ONNX bytes. */
    static byte[] matmulModel(int n) {
        java.util.function.Function<String, ValueInfoProto> value = name -> ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1)
                        .setShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(n))
                                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(n))))).build();
        GraphProto g = GraphProto.newBuilder().setName("matmul").addInput(value.apply("a")).addInput(value.apply("b"))
                .addOutput(value.apply("y")).addNode(NodeProto.newBuilder().setOpType("MatMul").addInput("a").addInput("b").addOutput("y"))
                .build();
        return ModelProto.newBuilder().setIrVersion(7).setGraph(g).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                .build().toByteArray();
    }

    static void torch(Map<String, String> o, List<String> names, int batch, int warmup, int iters, Map<String, List<Double>> t)
            throws IOException, InterruptedException {
        List<String> cmd = List.of(o.getOrDefault("--python", "/usr/bin/python3"), o.get("--torch-script"), "--models", String.join(",", names),
                "--batch", String.valueOf(batch), "--threads", "2", "--warmup", String.valueOf(warmup), "--iters", String.valueOf(iters));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IOException(cmd + " failed: " + out);
        add(t, "sgemm/torch", number(out, "\"sgemm_gflops\": ([0-9.eE+-]+)"));
        for (String n : names) {
            add(t, n + "/torch/forward", number(out, "\"" + n + "\": \\{\"forward_ms\": ([0-9.eE+-]+)"));
            add(t, n + "/torch/forward_backward", number(out, "\"" + n + "\": \\{\"forward_ms\": [0-9.eE+-]+, \"forward_backward_ms\": ([0-9.eE+-]+)"));
        }
    }

    static double number(String json, String regex) {
        Matcher m = Pattern.compile(regex).matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + regex + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    static String table(List<String> names, int batch, Map<String, List<Double>> t) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "sgemm peak (1024^3, GFLOP/s, 2 threads): ours (Nd4j.gemm) %.1f, ONNX Runtime %.1f, PyTorch %.1f%n%n",
                med(t.get("sgemm/ours")), med(t.get("sgemm/ort")), med(t.get("sgemm/torch"))));
        sb.append("| model | pass | ours ms | ONNX Runtime ms | PyTorch ms | ours images/s | ours / faster peer |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|\n");
        for (String n : names) {
            for (String pass : List.of("forward", "forward_backward")) {
                double ours = med(t.get(n + "/ours/" + pass)), torch = med(t.get(n + "/torch/" + pass));
                double ort = pass.equals("forward") ? med(t.get(n + "/ort/forward")) : Double.NaN;
                double peer = Double.isNaN(ort) ? torch : Math.min(ort, torch);
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %s | %.1f | %.1f | %.2f |%n", n, pass.replace('_', '+'), ours,
                        Double.isNaN(ort) ? "-" : String.format(Locale.ROOT, "%.1f", ort), torch, batch * 1000 / ours, ours / peer));
            }
        }
        return sb.toString();
    }
}
