package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.models.viz.Explainer.Method;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.images.ImagePrep;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The visualize job on a real local Spark session (local[2]) with the real gear model over real
 * photos (fetched and cached by the repository's scripts), plus bad files: its results equal the
 * in-process loop's, do not depend on the partitioning, survive re-runs and a grown input, and the
 * bad files are rejected with reasons. The gallery opens in headless Chromium with every picture.
 */
public class VisualizeJobTest {
    public static final Path ROOT = Path.of(System.getProperty("deconv.root", "..")).toAbsolutePath().normalize();
    public static final Path TARGET = Path.of(System.getProperty("deconv.jobs.target", "target")).toAbsolutePath();
    static final String[] SETTINGS = {"--layers", "conv2d_2/Relu,conv2d_4/Relu,conv2d_6/Relu", "--channels", "0-1", "--top-k", "3",
            "--batch", "4"};
    static SparkSession spark;
    static Path model, photos, work;

    /** Runs a fixture script; its last line of output (the path it prints). */
    public static String run(List<String> cmd) throws IOException, InterruptedException {
        String[] lines = runAll(cmd).split("\n");
        return lines[lines.length - 1].trim();
    }

    /** Runs a fixture script; all it prints. */
    public static String runAll(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IllegalStateException(cmd + " failed:\n" + out);
        return out;
    }

    @BeforeAll static void setUp() throws Exception {
        model = Path.of(run(List.of("bash", ROOT.resolve("models/fetch-gear.sh").toString())));
        Path all = Path.of(run(List.of("bash", ROOT.resolve("data/fetch-photos.sh").toString())));
        work = Files.createTempDirectory(Files.createDirectories(TARGET.resolve("visualize-test")), "run");
        photos = Files.createDirectories(work.resolve("photos/sub"));
        // 10 real photos: faces, non-faces, a grayscale photo, JPEGs; one in a subfolder
        for (String f : List.of("astronaut.png", "camera.png", "chelsea.png", "coffee.png", "lfw-000.png", "lfw-001.png",
                "lfw-002.png", "lfw-150.png", "dog.jpg")) {
            Files.copy(all.resolve(f), photos.getParent().resolve(f));
        }
        Files.copy(all.resolve("person.jpg"), photos.resolve("person.jpg"));
        // an RGBA photo, a truncated JPEG, a text file, an empty file
        BufferedImage face = ImageIO.read(all.resolve("lfw-003.png").toFile());
        BufferedImage rgba = new BufferedImage(face.getWidth(), face.getHeight(), BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < face.getHeight(); y++) for (int x = 0; x < face.getWidth(); x++) rgba.setRGB(x, y, face.getRGB(x, y) & 0x80ffffff);
        ImageIO.write(rgba, "png", photos.getParent().resolve("lfw-003-alpha.png").toFile());
        byte[] jpg = Files.readAllBytes(all.resolve("eagle.jpg"));
        Files.write(photos.getParent().resolve("broken.jpg"), Arrays.copyOf(jpg, jpg.length / 3));
        Files.writeString(photos.getParent().resolve("notes.txt"), "not an image\n");
        Files.write(photos.getParent().resolve("empty.png"), new byte[0]);
        spark = SparkSession.builder().master("local[2]").appName("VisualizeJobTest").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }

    @AfterAll static void tearDown() {
        if (spark != null) spark.stop();
    }

    static Visualize.Summary job(Path input, Path output, String... extra) {
        List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--model", model.toString(), "--output",
                output.toString()));
        args.addAll(List.of(SETTINGS));
        args.addAll(List.of(extra));
        return Visualize.run(spark, JobConfig.parse("visualize", Visualize.KEYS, args.toArray(new String[0])));
    }

    /** activations by path: ok rows' values (rejects: their reason). */
    static Map<String, Object> activations(Path out) {
        Map<String, Object> m = new TreeMap<>();
        for (Row r : spark.read().parquet(out.resolve("activations.parquet").toString()).collectAsList()) {
            m.put(r.getAs("path"), r.<Boolean>getAs("ok") ? r.getList(r.fieldIndex("values")) : "rejected: " + r.getAs("reason"));
        }
        return m;
    }

    /** projections by "unit/rank": image, position, box and raw values. */
    static Map<String, List<Object>> projections(Path out) {
        Map<String, List<Object>> m = new TreeMap<>();
        for (Row r : spark.read().parquet(out.resolve("projections.parquet").toString()).collectAsList()) {
            m.put(r.getAs("unit") + "/" + r.getAs("rank"), List.of(r.getAs("image"), r.getAs("y"), r.getAs("x"),
                    r.getList(r.fieldIndex("box")), r.getList(r.fieldIndex("values")), r.getAs("activation")));
        }
        return m;
    }

    static Map<String, byte[]> pngs(Path out) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(out.resolve("images"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) m.put(out.relativize(p).toString(), Files.readAllBytes(p));
        }
        return m;
    }

    static void assertSamePngs(Map<String, byte[]> a, Map<String, byte[]> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), k);
    }

    @Test void resultsEqualTheLoopAndDoNotDependOnPartitioning() throws Exception {
        Path one = work.resolve("out-1"), three = work.resolve("out-3");
        Visualize.Summary s1 = job(photos.getParent(), one, "--partitions", "1");
        Visualize.Summary s3 = job(photos.getParent(), three, "--partitions", "3");
        assertEquals(14, s1.files());
        assertEquals(11, s1.images());
        assertEquals(3, s1.rejects());
        assertEquals(6 * 3, s1.projections());
        assertEquals(activations(one), activations(three));
        assertEquals(projections(one), projections(three));
        assertSamePngs(pngs(one), pngs(three));

        // rejects, with reasons
        Map<String, String> rejects = new TreeMap<>();
        for (Row r : spark.read().parquet(one.resolve("rejects.parquet").toString()).collectAsList()) {
            rejects.put(Path.of(r.<String>getAs("path")).getFileName().toString(), r.getAs("rule") + ": " + r.getAs("reason"));
        }
        assertEquals(List.of("broken.jpg", "empty.png", "notes.txt"), new ArrayList<>(rejects.keySet()).subList(0, 3));
        assertTrue(rejects.get("broken.jpg").startsWith("truncated: jpeg: "), rejects.get("broken.jpg"));
        assertEquals("empty: an empty file (0 bytes)", rejects.get("empty.png"));
        assertTrue(rejects.get("notes.txt").startsWith("not-an-image: no decoder recognises its content"), rejects.get("notes.txt"));

        // the in-process loop over the same files: same values, same projections
        Visualizer.Plan plan;
        try (TfjsModel m = TfjsModel.load(model)) {
            plan = Visualizer.plan(m, Method.DECONVNET, List.of(SETTINGS[1].split(",")), "0-1", "", "all", 4);
        }
        VisualizeLoop.Result loop = VisualizeLoop.run(plan, model, VisualizeLoop.files(photos.getParent()), 3, ImagePrep.Limits.DEFAULT);
        Map<String, Object> jobActs = activations(one);
        assertEquals(loop.rejects().keySet().size() + loop.values().size(), jobActs.size());
        for (Map.Entry<String, float[]> e : loop.values().entrySet()) {
            List<Object> want = new ArrayList<>();
            for (float v : e.getValue()) want.add(v);
            assertEquals(want, jobActs.get(e.getKey()), e.getKey());
        }
        Map<String, List<Object>> jobProj = projections(one);
        assertEquals(loop.projections().size(), jobProj.size());
        for (Visualizer.Projected p : loop.projections()) {
            List<Object> j = jobProj.get(p.sel().unit() + "/" + p.sel().rank());
            assertEquals(p.sel().path(), j.get(0));
            List<Float> values = new ArrayList<>();
            for (float v : p.values()) values.add(v);
            assertEquals(values, j.get(4), "projection " + p.sel());
        }

        // manifest, gallery, commit marker; no staging left behind
        String manifest = Files.readString(one.resolve("manifest.json"));
        assertTrue(manifest.contains("\"sha256\": \"" + plan.modelSha256() + "\""), manifest);
        assertTrue(manifest.contains("\"rejects\": 3"), manifest);
        assertTrue(Files.exists(one.resolve("_SUCCESS")));
        try (Stream<Path> s = Files.list(work)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".staging-")), "staging folders left");
        }
        galleryOpensInChromium(one, 2 * 18);
    }

    @Test void reRunsReuseAndGrownInputsAddOnly() throws Exception {
        Path in = work.resolve("grow");
        Files.createDirectories(in);
        try (Stream<Path> s = Files.list(photos.getParent())) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("lfw-00")).toList()) Files.copy(p, in.resolve(p.getFileName()));
        }
        Path out = work.resolve("grow-out");
        Visualize.Summary first = job(in, out);
        assertEquals(first.files(), first.scanned());
        Map<String, List<Object>> proj1 = projections(out);
        Map<String, byte[]> png1 = pngs(out);

        Visualize.Summary again = job(in, out);                          // same input: everything reused, same outputs
        assertEquals(0, again.scanned());
        assertEquals(first.files(), again.reused());
        assertEquals(proj1, projections(out));
        assertSamePngs(png1, pngs(out));

        Files.copy(photos.getParent().resolve("chelsea.png"), in.resolve("chelsea.png"));
        Files.copy(photos.getParent().resolve("lfw-150.png"), in.resolve("lfw-150.png"));
        Visualize.Summary grown = job(in, out);
        assertEquals(2, grown.scanned());
        assertEquals(first.files(), grown.reused());
        Path fresh = work.resolve("grow-fresh");
        job(in, fresh, "--reuse", "false");
        Map<String, Object> a = activations(out), b = activations(fresh);
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            @SuppressWarnings("unchecked") List<Float> x = (List<Float>) a.get(k), y = (List<Float>) b.get(k);
            for (int i = 0; i < x.size(); i++) assertEquals(y.get(i), x.get(i), 1e-5f * Math.max(1, Math.abs(y.get(i))), k + " unit " + i);
        }
        Map<String, List<Object>> pg = projections(out), pf = projections(fresh);
        assertEquals(pf.keySet(), pg.keySet());
        for (String k : pf.keySet()) assertEquals(pf.get(k).subList(0, 4), pg.get(k).subList(0, 4), "selection " + k);
    }

    @Test void staleStagingIsCleanedAndForeignOutputsAreKept() throws Exception {
        Path out = work.resolve("stale-out");
        Path stale = work.resolve(".stale-out.staging-deadbeef");
        Files.createDirectories(stale.resolve("images"));              // what a killed run leaves
        Path in = work.resolve("stale-in");
        Files.createDirectories(in);
        Files.copy(photos.getParent().resolve("lfw-000.png"), in.resolve("a.png"));
        job(in, out);
        assertFalse(Files.exists(stale), "the killed run's staging folder is removed");
        assertTrue(Files.exists(out.resolve("_SUCCESS")));

        Path foreign = Files.createDirectories(work.resolve("not-ours"));
        Files.writeString(foreign.resolve("thesis.tex"), "precious");
        var e = assertThrows(JobConfig.ConfigException.class, () -> job(in, foreign));
        assertTrue(e.getMessage().contains("exists and is not a visualize output"), e.getMessage());
        assertEquals("precious", Files.readString(foreign.resolve("thesis.tex")));

        var bad = assertThrows(IllegalArgumentException.class, () -> job(in, work.resolve("x"), "--layers", "conv9/Relu"));
        assertTrue(bad.getMessage().contains("'conv9/Relu' is not a layer of"), bad.getMessage());
        assertTrue(bad.getMessage().contains("conv2d_3/Relu"), "lists the legal layers: " + bad.getMessage());
    }

    @Test void saliencyRanksImagesPerClass() throws Exception {
        Path out = work.resolve("saliency");
        Visualize.Summary s = job(photos.getParent(), out, "--method", "saliency", "--head", "gender_output/BiasAdd");
        assertEquals(2 * 3, s.projections());
        for (Row r : spark.read().parquet(out.resolve("projections.parquet").toString()).collectAsList()) {
            assertEquals(List.of(198, 198), r.getList(r.fieldIndex("shape")));
            assertTrue(Files.size(out.resolve(r.<String>getAs("projection_file"))) > 0);
        }
    }

    @Test void guidedAndGradCam() throws Exception {
        Path in = work.resolve("methods-in");
        Files.createDirectories(in);
        for (String f : List.of("astronaut.png", "lfw-000.png", "lfw-001.png")) Files.copy(photos.getParent().resolve(f), in.resolve(f));
        Path guided = work.resolve("guided");
        Visualize.Summary g = job(in, guided, "--method", "guided", "--layers", "conv2d_5/Relu", "--top-k", "2");
        assertEquals(2 * 2, g.projections());
        Path cam = work.resolve("gradcam");
        Visualize.Summary c = job(in, cam, "--method", "gradcam", "--layers", "conv2d_6/Relu", "--head", "gender_output/BiasAdd");
        assertEquals(2 * 3, c.projections());
        for (Row r : spark.read().parquet(cam.resolve("projections.parquet").toString()).collectAsList()) {
            assertEquals(List.of(8, 8), r.getList(r.fieldIndex("shape")), "Grad-CAM at conv2d_6's resolution");
            for (Object v : r.getList(r.fieldIndex("values"))) assertTrue((Float) v >= 0, "Grad-CAM is rectified");
        }
    }

    /**
     * A run killed (SIGKILL, in its own JVM) in the middle of writing leaves the previous output as it
     * was, and only a hidden staging folder beside it, which the next run removes.
     */
    @Test void aKilledRunLeavesThePreviousOutputIntact() throws Exception {
        Path in = work.resolve("kill-in");
        Files.createDirectories(in);
        try (Stream<Path> s = Files.list(photos.getParent())) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("lfw-")).toList()) Files.copy(p, in.resolve(p.getFileName()));
        }
        Path out = work.resolve("kill-out");
        job(in, out, "--top-k", "1");
        String manifest = Files.readString(out.resolve("manifest.json"));
        Map<String, byte[]> before = pngs(out);

        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-Dorg.bytedeco") || a.startsWith("-Xmx")).toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.github.deconvspark.jobs.Main", "visualize",
                "--input", in.toString(), "--model", model.toString(), "--output", out.toString(), "--reuse", "false",
                "--channels", "0-7", "--top-k", "9", "spark.ui.enabled=false"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("killed-run.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        Path staging = null;
        while (staging == null && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(200);
            try (Stream<Path> s = Files.list(work)) {
                staging = s.filter(f -> f.getFileName().toString().startsWith(".kill-out.staging-"))
                        .filter(f -> Files.exists(f.resolve("images"))).findFirst().orElse(null);
            }
        }
        assertTrue(staging != null, "the run reached its projections: " + Files.readString(work.resolve("killed-run.log")));
        p.destroyForcibly().waitFor();
        assertEquals(manifest, Files.readString(out.resolve("manifest.json")), "the previous output is untouched");
        assertSamePngs(before, pngs(out));
        assertTrue(Files.exists(staging), "the killed run's work is only in its hidden staging folder");
        job(in, out, "--top-k", "1");
        assertFalse(Files.exists(staging), "the next run removes it");
    }

    /** Opens index.html in Debian's headless Chromium and reads the page's own count of loaded pictures. */
    static void galleryOpensInChromium(Path out, int pictures) throws Exception {
        String chromium = Stream.of("/usr/bin/chromium", "/usr/bin/chromium-browser").filter(p -> Files.isExecutable(Path.of(p)))
                .findFirst().orElse(null);
        if (chromium == null) {
            assertFalse(System.getenv().containsKey("CI_REQUIRE_CHROMIUM"), "chromium is required here but not installed");
            System.out.println("SKIPPED gallery browser check: chromium is not installed (apt-get install chromium)");
            return;
        }
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                "--virtual-time-budget=10000", "--dump-dom", out.resolve("index.html").toUri().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertTrue(dom.contains("data-images-loaded=\"" + pictures + "\""), "every picture loads: " + dom.substring(0, Math.min(400, dom.length())));
        assertTrue(dom.contains("data-images-broken=\"0\""), "no broken picture");
    }
}
