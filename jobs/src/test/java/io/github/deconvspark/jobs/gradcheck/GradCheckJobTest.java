package io.github.deconvspark.jobs.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.frame.JobConfig;
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

/** The gradcheck job on a real local Spark session: fault injection, reproducibility, partition independence. */
class GradCheckJobTest {
    static SparkSession spark;
    static Path work;
    static final List<String> WRONG = List.of("wrong_sign", "missing_term", "wrong_padding_offset");

    @BeforeAll static void setUp() throws Exception {
        work = Files.createTempDirectory(Files.createDirectories(Path.of(System.getProperty("deconv.jobs.target", "target"))), "gradcheck");
        spark = SparkSession.builder().master("local[2]").appName("GradCheckJobTest").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }

    @AfterAll static void tearDown() {
        if (spark != null) spark.stop();
    }

    static GradCheck.Summary job(String... args) {
        return GradCheck.run(spark, JobConfig.parse("gradcheck", GradCheck.KEYS, args));
    }

    static Map<String, String> verdicts(Path out) {
        return verdictsOf(spark, out);
    }

    static Map<String, String> verdictsOf(SparkSession spark, Path out) {
        Map<String, String> m = new TreeMap<>();
        for (Row r : spark.read().parquet(out.resolve("cases.parquet").toString()).collectAsList()) {
            m.put(r.getAs("case_id"), r.getAs("status") + " " + r.getAs("order") + " " + r.getAs("params") + " " + r.getAs("max_abs_error")
                    + " " + r.getAs("compared") + " " + r.getAs("detail"));
        }
        return m;
    }

    static String realOps() {
        List<String> ops = new ArrayList<>(Cases.ops());
        ops.removeAll(WRONG);
        return String.join(",", ops);
    }

    @Test void wrongRulesAreReportedAsFailures() throws Exception {
        Path out = work.resolve("faults");
        GradCheck.Summary s = job("--output", out.toString(), "--cases", "30", "--ops", String.join(",", WRONG));
        assertEquals(30, s.failed(), "every case of a wrong rule fails: " + verdicts(out));
        for (String op : WRONG) assertEquals(10, s.perOp().get(op)[1], op);
        String html = Files.readString(out.resolve("index.html"));
        assertTrue(html.contains("30 of 30 cases fail"), "the summary says so");
        assertTrue(html.contains("1-0-wrong_sign"), "failing cases are listed with their ids");
        // one of them re-run by its id, locally: the same verdict
        Cases.Case c = Cases.parse("1-4-missing_term");
        Checker.Verdict v = Checker.run(c);
        assertEquals("fail", v.status(), v.detail());
        assertEquals(1, GradCheck.main(new String[] {"--case", "1-2-wrong_padding_offset"}), "exit code 1 for a failing case");
    }

    /** Whole-model mode on the real gear model (float64) and a real photo: every checked parameter passes. */
    @Test void wholeModelMode() throws Exception {
        Path root = Path.of(System.getProperty("deconv.root", "..")).toAbsolutePath();
        Path model = Path.of(io.github.deconvspark.jobs.visualize.VisualizeJobTest.run(List.of("bash", root.resolve("models/fetch-gear.sh").toString())));
        Path photos = Path.of(io.github.deconvspark.jobs.visualize.VisualizeJobTest.run(List.of("bash", root.resolve("data/fetch-photos.sh").toString())));
        Path out = work.resolve("model");
        GradCheck.Summary s = job("--output", out.toString(), "--model", model.toString(), "--images", photos.resolve("astronaut.png").toString(),
                "--model-params", "conv2d_1/,conv2d_6/,gender_output/", "--directions", "2");
        Map<String, String> v = verdicts(out);
        assertEquals(6, v.size(), "kernel and bias of 3 layers: " + v.keySet());
        assertEquals(0, s.failed(), "failures: " + v);
        assertTrue(v.values().stream().allMatch(x -> x.contains("random directions")), "directional derivatives");
    }

    @Test void realRulesPassAndVerdictsDoNotDependOnPartitioning() throws Exception {
        Path one = work.resolve("p1"), many = work.resolve("p7");
        GradCheck.Summary a = job("--output", one.toString(), "--cases", "300", "--seed", "7", "--ops", realOps(), "--partitions", "1");
        GradCheck.Summary b = job("--output", many.toString(), "--cases", "300", "--seed", "7", "--ops", realOps(), "--partitions", "7");
        assertEquals(0, a.failed(), "failures: " + verdicts(one).values().stream().filter(v -> !v.startsWith("pass")).limit(5).toList());
        assertEquals(0, b.failed());
        assertEquals(verdicts(one), verdicts(many));
        Map<String, String> v = verdicts(one);
        assertEquals(300, v.size());
        assertTrue(v.values().stream().anyMatch(x -> x.contains(" second ")), "second-order cases are drawn");
        assertTrue(v.keySet().stream().anyMatch(x -> x.endsWith("-conv2d_transpose")));
        // the same seed generates the same case, from its id alone
        String id = v.keySet().iterator().next();
        assertEquals(Cases.parse(id).describe(), Cases.parse(id).describe());
        assertEquals(0, GradCheck.main(new String[] {"--case", id}), "a passing case exits 0");
        assertTrue(Files.readString(one.resolve("manifest.json")).contains("\"failed\": 0"));
    }
}
