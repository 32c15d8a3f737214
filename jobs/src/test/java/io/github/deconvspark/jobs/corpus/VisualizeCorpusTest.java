package io.github.deconvspark.jobs.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.inputs.Uris;
import io.github.deconvspark.jobs.visualize.Visualize;
import io.github.deconvspark.jobs.visualize.VisualizeJobTest;
import io.github.deconvspark.models.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The visualize job on local Spark over a folder holding every entry of the adversarial corpus plus real photos:
 * it completes, lists every entry it did not read in rejects.parquet with the expected rule and cause (none
 * vanishes), counts the rejects by rule in the manifest and the gallery, and projects the good images.
 */
class VisualizeCorpusTest {
    static SparkSession spark;
    static FileCorpus.Built corpus;
    static Path work, input, model;

    @BeforeAll static void setUp() throws Exception {
        model = Path.of(VisualizeJobTest.run(List.of("bash", VisualizeJobTest.ROOT.resolve("models/fetch-gear.sh").toString())));
        Path photos = Path.of(VisualizeJobTest.run(List.of("bash", VisualizeJobTest.ROOT.resolve("data/fetch-photos.sh").toString())));
        work = VisualizeJobTest.TARGET.resolve("corpus/visualize");
        FileCorpus.sh("rm -rf \"$1\"", work.toString());
        corpus = FileCorpus.build(work.resolve("input/corpus"), 1);
        input = work.resolve("input");
        Path real = Files.createDirectories(input.resolve("photos"));
        for (String f : List.of("astronaut.png", "chelsea.png", "coffee.png", "dog.jpg", "lfw-000.png", "horses.jpg")) {
            Files.copy(photos.resolve(f), real.resolve(f));
        }
        spark = SparkSession.builder().master("local[2]").appName("VisualizeCorpusTest").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }

    @AfterAll static void tearDown() throws Exception {
        if (spark != null) spark.stop();
        if (corpus != null) corpus.close();
    }

    static Visualize.Summary job(Path in, Path out) {
        return Visualize.run(spark, JobConfig.parse("visualize", Visualize.KEYS, new String[] {"--input", in.toString(), "--model",
                model.toString(), "--output", out.toString(), "--layers", "conv2d_1/Relu", "--channels", "0-1", "--top-k", "2",
                "--batch", "4", "--partitions", "3", "--max-image-pixels", "4000000", "--max-file-bytes", "64000000"}));
    }

    @Test void everyBadEntryIsListedWithItsRuleAndTheGoodOnesAreProjected() throws Exception {
        Path out = work.resolve("out");
        Visualize.Summary s = job(input, out);
        Map<String, Expect> expected = corpus.expected();
        long readable = expected.values().stream().filter(Expect::readable).count();
        assertEquals(expected.size() + 6, s.files(), "every entry is listed");
        assertEquals(readable + 6, s.images());
        assertEquals(expected.size() - readable, s.rejects());
        assertEquals(2 * 2, s.projections(), "the top 2 of 2 feature maps");

        Map<String, String[]> rejects = new TreeMap<>();
        for (Row r : spark.read().parquet(out.resolve("rejects.parquet").toString()).collectAsList()) {
            rejects.put(r.getString(0), new String[] {r.getString(3), r.getString(4)});
        }
        Outcomes o = new Outcomes();
        Map<String, Long> byRule = new TreeMap<>();
        for (Map.Entry<String, Expect> c : expected.entrySet()) {
            String[] got = rejects.remove(c.getKey());
            if (c.getValue().readable()) {
                if (got != null) o.problem(c.getKey() + ": readable, rejected: " + got[0] + ": " + got[1]);
                continue;
            }
            byRule.merge(c.getValue().outcome(), 1L, Long::sum);
            if (got == null) o.problem(c.getKey() + ": expected " + c.getValue() + ", not in rejects.parquet");
            else o.check(c.getKey(), c.getValue(), got[0], got[1]);
        }
        for (String x : rejects.keySet()) o.problem(x + ": in rejects.parquet, not expected: " + String.join(": ", rejects.get(x)));
        assertTrue(o.problems().isEmpty(), o.report());

        // the run summary counts rejects by rule, in the manifest and the gallery
        Map<String, Object> manifest = Json.object(Files.readString(out.resolve("manifest.json")), "manifest");
        @SuppressWarnings("unchecked") Map<String, Object> counts = (Map<String, Object>) manifest.get("counts");
        Map<String, Long> manifestByRule = new TreeMap<>();
        ((Map<?, ?>) counts.get("rejects_by_rule")).forEach((k, v) -> manifestByRule.put((String) k, ((Number) v).longValue()));
        assertEquals(byRule, manifestByRule);
        String html = Files.readString(out.resolve("index.html"), StandardCharsets.UTF_8);
        for (Map.Entry<String, Long> e : byRule.entrySet()) {
            assertTrue(html.contains("<tr><td>" + e.getKey() + "</td><td>" + e.getValue() + "</td></tr>"), e.toString());
        }
        // the projections are of the good images only
        List<String> images = new ArrayList<>();
        for (Row r : spark.read().parquet(out.resolve("projections.parquet").toString()).collectAsList()) images.add(r.getAs("image"));
        for (String i : images) assertTrue(expected.getOrDefault(i, Expect.accept()).readable(), i);
    }

    /** A name with glob characters is read as itself when it exists; a colon in the name is no scheme. */
    @Test void oddNamesGivenDirectlyAreReadAsThemselves() {
        Path names = corpus.root().resolve("names");
        for (String n : List.of("[1].png", "a*b?.png", "{x,y}.png", "2024-01-01 10:00:00.png", "photo:1.png", "100%.png")) {
            Visualize.Summary s = job(names.resolve(n), work.resolve("out-" + Integer.toHexString(n.hashCode())));
            assertEquals(1, s.files(), n);
            assertEquals(1, s.images(), n);
        }
    }

    @Test void anOutputInsideTheInputIsRefused() {
        JobConfig.ConfigException e = assertThrows(JobConfig.ConfigException.class, () -> job(input, input.resolve("photos/out")));
        assertTrue(e.getMessage().contains("is inside --input"), e.getMessage());
        e = assertThrows(JobConfig.ConfigException.class, () -> job(input.resolve("photos"), input));
        assertTrue(e.getMessage().contains("is inside --output"), e.getMessage());
    }

    /** A run in which no entry is an image fails, says why, and keeps the previous output. */
    @Test void aRunWithNoImageFailsAndKeepsThePreviousOutput() throws Exception {
        Path out = work.resolve("out-kept");
        Visualize.Summary first = job(input.resolve("photos"), out);
        assertEquals(6, first.images());
        byte[] before = Files.readAllBytes(out.resolve("manifest.json"));
        Path bad = work.resolve("nothing-readable");
        FileCorpus.sh("rm -rf \"$1\" && mkdir -p \"$1\" && cd \"$1\" && mkfifo fifo.png && ln -s /dev/zero zero.png && ln -s nowhere.png "
                + "dangling.png && : > empty.png && echo text > notes.txt", bad.toString());
        Visualize.NoImagesException e = assertThrows(Visualize.NoImagesException.class, () -> job(bad, out));
        assertTrue(e.getMessage().contains("could be read as an image") && e.getMessage().contains("previous output")
                && e.getMessage().contains("not-a-regular-file"), e.getMessage());
        assertEquals(new String(before), new String(Files.readAllBytes(out.resolve("manifest.json"))), "the previous output is kept");
        try (var st = Files.list(out.getParent())) {
            assertTrue(st.noneMatch(p -> p.getFileName().toString().startsWith(".out-kept.staging")), "no staging left behind");
        }
    }

    /** A model whose input has a fixed batch of 1 with --batch 4 is refused before the run, saying what to use. */
    @Test void aBatchLargerThanTheModelsFixedBatchIsRefusedUpFront() throws Exception {
        Path m = Files.createDirectories(work.resolve("fixed-batch"));
        Files.copy(model.resolveSibling("gear.bin"), m.resolve("gear.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String json = Files.readString(model);
        assertTrue(json.contains("\"size\":\"-1\""), "gear's input has a -1 batch");
        Files.writeString(m.resolve("gear.json"), json.replace("\"size\":\"-1\"", "\"size\":\"1\""));   // the placeholder and the signature
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Visualize.run(spark, JobConfig.parse("visualize",
                Visualize.KEYS, new String[] {"--input", input.resolve("photos").toString(), "--model", m.resolve("gear.json").toString(),
                        "--output", work.resolve("out-batch").toString(), "--layers", "conv2d_1/Relu", "--batch", "4"})));
        assertTrue(e.getMessage().contains("fixed batch dimension of 1: use --batch 1"), e.getMessage());
    }

    /** Storage that cannot be reached or has no file system is one configuration error naming the option. */
    @Test void unreachableInputsAreOneLineNamingTheOption() {
        spark.sparkContext().hadoopConfiguration().setInt("ipc.client.connect.max.retries", 0);
        JobConfig.ConfigException e = assertThrows(JobConfig.ConfigException.class, () -> Visualize.run(spark, JobConfig.parse("visualize",
                Visualize.KEYS, new String[] {"--input", "jar:file:/x.zip!/a", "--model", model.toString(), "--output",
                        work.resolve("out-jar").toString(), "--layers", "conv2d_1/Relu"})));
        assertTrue(e.getMessage().startsWith("visualize: --input") && e.getMessage().contains("\"jar\""), e.getMessage());
        e = assertThrows(JobConfig.ConfigException.class, () -> Visualize.run(spark, JobConfig.parse("visualize", Visualize.KEYS,
                new String[] {"--input", "hdfs://127.0.0.1:1/photos", "--model", model.toString(), "--output",
                        work.resolve("out-hdfs").toString(), "--layers", "conv2d_1/Relu"})));
        assertTrue(e.getMessage().startsWith("visualize: --input hdfs://127.0.0.1:1/photos") && e.getMessage().contains("Connection refused"),
                e.getMessage());
        assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
    }

    static String uri(Path p) {
        return Uris.of(p);
    }
}
