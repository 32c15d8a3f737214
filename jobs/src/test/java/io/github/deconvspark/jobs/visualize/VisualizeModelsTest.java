package io.github.deconvspark.jobs.visualize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The visualize job on a user's own CNN, as a PyTorch and a Keras user would run it: --list-layers to pick a layer
 * by the format's own names, then deconvnet, guided backprop and saliency runs on real photos with the model's
 * preprocessing (--normalize imagenet for torchvision's resnet18 exported to ONNX; [0, 1] for nsfwjs's mobilenet_v2
 * as a Keras 3 .keras file).
 */
class VisualizeModelsTest {
    static SparkSession spark;
    static Path work, input, resnet, keras;

    @BeforeAll static void setUp() throws Exception {
        Path photos = Path.of(VisualizeJobTest.run(List.of("bash", VisualizeJobTest.ROOT.resolve("data/fetch-photos.sh").toString())));
        resnet = Path.of(VisualizeJobTest.run(List.of("bash", VisualizeJobTest.ROOT.resolve("models/scripts/torch-onnx.sh").toString())))
                .resolve("resnet18.onnx");
        for (String line : VisualizeJobTest.runAll(List.of("bash", VisualizeJobTest.ROOT.resolve("models/scripts/keras-files.sh").toString()))
                .split("\n")) {
            if (line.startsWith("mobilenet_v2.keras ")) keras = Path.of(line.substring("mobilenet_v2.keras ".length()).trim());
        }
        work = Files.createTempDirectory(Files.createDirectories(VisualizeJobTest.TARGET.resolve("visualize-models")), "run");
        input = Files.createDirectories(work.resolve("photos"));
        for (String f : List.of("dog.jpg", "astronaut.png", "chelsea.png", "coffee.png")) Files.copy(photos.resolve(f), input.resolve(f));
        spark = SparkSession.builder().master("local[2]").appName("VisualizeModelsTest").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }

    @AfterAll static void tearDown() {
        if (spark != null) spark.stop();
    }

    /** Visualize.main's exit code and what it printed. */
    private static String[] main(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(p);
            code = Visualize.main(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out.length() > 3000 ? out.substring(0, 3000) + "...\n" : out);
        return new String[] {String.valueOf(code), out};
    }

    private static Visualize.Summary job(Path model, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--model", model.toString(), "--output", out.toString(),
                "--batch", "2", "--partitions", "2"));
        args.addAll(List.of(extra));
        return Visualize.run(spark, JobConfig.parse("visualize", Visualize.KEYS, args.toArray(new String[0])));
    }

    /** The last layer of op {@code op} (an ONNX op type or a Keras class). */
    private static String last(Path model, String op) throws Exception {
        try (Model m = Models.load(model, 1, DataType.FLOAT)) {
            String found = null;
            for (String n : m.layerNames()) if (m.opOf(n).equals(op)) found = n;
            assertTrue(found != null, model + " has a " + op);
            return found;
        }
    }

    @Test void listLayersNamesTheFormatsOwnLayersWithShapes() throws Exception {
        String[] r = main("--list-layers", "--model", resnet.toString());
        assertEquals("0", r[0]);
        assertTrue(r[1].contains("(onnx)"), r[1]);
        String relu = last(resnet, "Relu");
        assertTrue(r[1].lines().anyMatch(l -> l.trim().startsWith(relu) && l.contains("Relu") && l.contains("[1, 512, 7, 7]")),
                "lists " + relu + " with its NCHW shape");
        String[] k = main("--list-layers", "--model", keras.toString());
        assertEquals("0", k[0]);
        assertTrue(k[1].contains("(keras)") && k[1].contains("block_16_project_BN") && k[1].contains("DepthwiseConv2D"), k[1]);
        var none = assertThrows(JobConfig.ConfigException.class, () -> main("--list-layers"));
        assertTrue(none.getMessage().contains("--list-layers needs --model"), none.getMessage());
    }

    @Test void resnet18FromPytorch() throws Exception {
        String relu = last(resnet, "Relu");
        Path out = work.resolve("resnet-deconvnet");
        Visualize.Summary s = job(resnet, out, "--normalize", "imagenet", "--layers", relu, "--channels", "0-1", "--top-k", "2");
        assertEquals(4, s.images());
        assertEquals(0, s.rejects());
        assertEquals(2 * 2, s.projections());
        for (Row row : spark.read().parquet(out.resolve("projections.parquet").toString()).collectAsList()) {
            assertEquals(relu, row.getAs("layer"));
            assertTrue(Files.size(out.resolve(row.<String>getAs("projection_file"))) > 0);
        }
        assertTrue(Files.exists(out.resolve("_SUCCESS")) && Files.exists(out.resolve("index.html")));
        String head;
        try (Model m = Models.load(resnet, 1, DataType.FLOAT)) {
            head = m.outputs().keySet().iterator().next();
        }
        Path sal = work.resolve("resnet-saliency");
        Visualize.Summary t = job(resnet, sal, "--normalize", "imagenet", "--method", "saliency", "--head", head, "--classes", "0-1",
                "--top-k", "2");
        assertEquals(2 * 2, t.projections());
        for (Row row : spark.read().parquet(sal.resolve("projections.parquet").toString()).collectAsList()) {
            assertEquals(List.of(224, 224), row.getList(row.fieldIndex("shape")), "saliency in the image's layout and size");
        }
    }

    @Test void mobilenetV2FromKeras() throws Exception {
        String relu = last(keras, "ReLU");
        Path out = work.resolve("keras-guided");
        Visualize.Summary s = job(keras, out, "--method", "guided", "--layers", relu, "--channels", "0-2", "--top-k", "1",
                "--normalize", "none");
        assertEquals(0, s.rejects());
        assertEquals(3, s.projections());
        for (Row row : spark.read().parquet(out.resolve("projections.parquet").toString()).collectAsList()) {
            assertEquals(List.of(224, 224, 3), row.getList(row.fieldIndex("shape")), "guided backprop in the image's layout and size");
        }
    }
}
