package io.github.deconvspark.jobs.gradients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.visualize.VisualizeJobTest;
import io.github.deconvspark.models.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gradients job on a PyTorch user's own model: torchvision's squeezenet1_1 exported to ONNX (seeded weights, by
 * models/scripts/torch-onnx.sh), over a folder of real photos in class folders named by ImageNet class index, in
 * blocks that do not divide the data (the last one padded). The reference is PyTorch's autograd on the same
 * architecture with the ONNX file's weights, over the pixels the job saw (its inputs/images.npy):
 * src/test/python/torch_gradients.py. Every parameter's summed gradient, the loss and the input gradients agree.
 */
class GradientsModelsTest {
    static SparkSession spark;
    static Path work, data, squeezenet;

    @BeforeAll static void setUp() throws Exception {
        Path photos = Path.of(VisualizeJobTest.run(List.of("bash", VisualizeJobTest.ROOT.resolve("data/fetch-photos.sh").toString())));
        squeezenet = Path.of(VisualizeJobTest.run(List.of("bash", VisualizeJobTest.ROOT.resolve("models/scripts/torch-onnx.sh").toString())))
                .resolve("squeezenet1_1.onnx");
        work = Files.createTempDirectory(Files.createDirectories(VisualizeJobTest.TARGET.resolve("gradients-models")), "run");
        data = work.resolve("data");
        Map<String, List<String>> classes = Map.of("207", List.of("dog.jpg", "chelsea.png"), "281", List.of("coffee.png", "astronaut.png",
                "person.jpg"));
        for (Map.Entry<String, List<String>> c : classes.entrySet()) {
            Path dir = Files.createDirectories(data.resolve(c.getKey()));
            for (String f : c.getValue()) Files.copy(photos.resolve(f), dir.resolve(f));
        }
        spark = SparkSession.builder().master("local[2]").appName("GradientsModelsTest").config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll static void tearDown() {
        if (spark != null) spark.stop();
    }

    private static GradientsJob.Summary job(Path model, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("--data", data.toString(), "--model", model.toString(), "--output", out.toString(),
                "--batch", "2", "--partitions", "2", "--input-gradients", "8"));
        args.addAll(List.of(extra));
        return GradientsJob.run(spark, JobConfig.parse("gradients", GradientsJob.KEYS, args.toArray(new String[0])));
    }

    /** PyTorch's figures for a job output (see torch_gradients.py). */
    private static Map<String, Object> torch(Path out) throws Exception {
        String json = VisualizeJobTest.run(List.of("/usr/bin/python3",
                VisualizeJobTest.ROOT.resolve("jobs/src/test/python/torch_gradients.py").toString(), squeezenet.toString(), "squeezenet1_1",
                out.toString()));
        return Json.object(json, "torch_gradients.py");
    }

    /** Checks a run against PyTorch: the worst relative L2 error over the parameters, the input gradient and the loss. */
    private static double check(Path out, GradientsJob.Summary s, double tol) throws Exception {
        assertEquals(5, s.examples());
        assertEquals(0, s.rejected());
        Map<String, Object> ref = torch(out);
        assertEquals(5L, Json.integer(ref.get("examples"), "examples"));
        double lossRef = Json.num(ref.get("loss"), "loss");
        assertEquals(lossRef, s.loss() * 5, tol * Math.abs(lossRef), "summed loss");
        Map<String, Object> params = Json.obj(ref.get("parameters"), "parameters");
        assertEquals(52L, Json.integer(ref.get("torch_parameters"), "torch_parameters"), "squeezenet1_1's 26 convolutions, weight and bias");
        try (java.util.stream.Stream<Path> files = Files.list(out.resolve("sum"))) {
            assertEquals(files.count(), params.size(), "every initializer the job wrote is checked: " + params.keySet());
        }
        double worst = 0;
        for (Map.Entry<String, Object> p : params.entrySet()) {
            Map<String, Object> v = Json.obj(p.getValue(), p.getKey());
            assertNotNull(v.get("diff_l2"), p.getKey() + ": sizes differ " + v);
            double rel = Json.num(v.get("diff_l2"), "diff") / Json.num(v.get("ref_l2"), "ref");
            assertTrue(rel <= tol, p.getKey() + ": relative L2 error " + rel + " > " + tol);
            worst = Math.max(worst, rel);
        }
        Map<String, Object> in = Json.obj(ref.get("input"), "input");
        double inRel = Json.num(in.get("diff_l2"), "diff") / Json.num(in.get("ref_l2"), "ref");
        assertTrue(inRel <= tol, "input gradient: relative L2 error " + inRel);
        System.out.printf("GradientsModelsTest: worst parameter relative L2 %.3g, input gradient %.3g, loss %.9g (PyTorch %.9g)%n",
                worst, inRel, s.loss() * 5, lossRef);
        return worst;
    }

    @Test void onnxModelEqualsPyTorchAutogradInFloat64() throws Exception {
        Path out = work.resolve("f64");
        GradientsJob.Summary s = job(squeezenet, out, "--normalize", "imagenet", "--dtype", "float64");
        check(out, s, 1e-9);
        String manifest = Files.readString(out.resolve("manifest.json"), StandardCharsets.UTF_8);
        assertTrue(manifest.contains("\"format\": \"onnx\"") || manifest.contains("\"format\":\"onnx\""), manifest);
        assertTrue(Files.exists(out.resolve("_SUCCESS")));
        assertTrue(Files.exists(out.resolve("mean/features.0.weight.npy")), "files named as the ONNX initializers");
    }

    @Test void onnxModelInFloat32() throws Exception {
        Path out = work.resolve("f32");
        check(out, job(squeezenet, out, "--normalize", "imagenet", "--dtype", "float32", "--partitions", "3"), 2e-5);
    }

    @Test void badModelSettingsAreConfigErrors() throws Exception {
        Exception e = assertThrows(JobConfig.ConfigException.class,
                () -> job(squeezenet, work.resolve("bad1"), "--head", "/features/features.12/Concat_output_0"));
        assertTrue(e.getMessage().contains("[batch, classes]") && e.getMessage().contains("--head"), e.getMessage());
        Path net = work.resolve("small.net");
        Files.writeString(net, GradientsJobTest.NET);
        e = assertThrows(JobConfig.ConfigException.class, () -> job(net, work.resolve("bad2"), "--normalize", "imagenet"));
        assertTrue(e.getMessage().contains("network description"), e.getMessage());
        e = assertThrows(JobConfig.ConfigException.class, () -> job(squeezenet, work.resolve("bad3"), "--normalize", "mean=1,2"));
        assertTrue(e.getMessage().contains("normalize"), e.getMessage());
    }
}
