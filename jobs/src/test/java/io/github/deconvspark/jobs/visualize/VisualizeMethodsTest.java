package io.github.deconvspark.jobs.visualize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.images.ImagePrep;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import io.github.deconvspark.models.viz.Attributions;
import io.github.deconvspark.models.viz.Explainer;
import io.github.deconvspark.models.viz.Explainer.Method;
import io.github.deconvspark.models.viz.Sanity;
import io.github.deconvspark.models.viz.Faithfulness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The visualize job with several methods in one pass (--method a,b,c) on the real gear model and real photos: every
 * map the job wrote equals, bit for bit, the library's {@link Explainer} run in this JVM on the image as the job
 * prepares it (SmoothGrad with the seed of the image's path); the ranks and files; the gallery's side-by-side table;
 * SmoothGrad's maps the same on another partitioning; and bad method options refused at configuration time, before a
 * Spark session exists.
 */
class VisualizeMethodsTest {
    static final String P = "StatefulPartitionedCall/model_1/";
    static final List<Method> METHODS = List.of(Method.SALIENCY, Method.INTEGRATED_GRADIENTS, Method.SMOOTHGRAD, Method.GRADCAM_PLUS_PLUS,
            Method.GUIDED, Method.OCCLUSION, Method.GUIDED_GRADCAM);
    static final String[] ARGS = {"--method", "saliency,ig,smoothgrad,gradcam++,guided,occlusion,guided-gradcam", "--layers", "conv2d_6/Relu",
            "--head", "gender_output/BiasAdd", "--classes", "0-1", "--top-k", "2", "--steps", "4", "--samples", "2", "--sigma", "0.2",
            "--window", "66", "--stride", "66", "--batch", "4", "--seed", "11"};
    static Path model, in, work;
    static SparkSession spark;

    @BeforeAll static void setUp() throws Exception {
        model = Path.of(VisualizeJobTest.run(List.of("bash", VisualizeJobTest.ROOT.resolve("models/fetch-gear.sh").toString())));
        Path all = Path.of(VisualizeJobTest.run(List.of("bash", VisualizeJobTest.ROOT.resolve("data/fetch-photos.sh").toString())));
        work = Files.createTempDirectory(Files.createDirectories(VisualizeJobTest.TARGET.resolve("visualize-methods-test")), "run");
        in = Files.createDirectories(work.resolve("in"));
        for (String f : List.of("astronaut.png", "lfw-000.png", "lfw-001.png")) Files.copy(all.resolve(f), in.resolve(f));
        spark = SparkSession.builder().master("local[2]").appName("VisualizeMethodsTest").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }

    @AfterAll static void tearDown() {
        if (spark != null) spark.stop();
    }

    static Visualize.Summary job(Path output, String... extra) {
        List<String> args = new ArrayList<>(List.of("--input", in.toString(), "--model", model.toString(), "--output", output.toString()));
        args.addAll(List.of(ARGS));
        args.addAll(List.of(extra));
        return Visualize.run(spark, JobConfig.parse("visualize", Visualize.KEYS, args.toArray(new String[0])));
    }

    @Test void severalMethodsInOnePassEqualTheLibrary() throws Exception {
        Path out = work.resolve("methods");
        Visualize.Summary s = job(out, "--partitions", "2");
        assertEquals(2 * 2 * METHODS.size(), s.projections(), "2 classes x top-2 x 7 methods");
        List<Row> rows = spark.read().parquet(out.resolve("projections.parquet").toString()).collectAsList();
        Explainer.Options o = Explainer.Options.defaults().withLayer(P + "conv2d_6/Relu").withSteps(4)
                .withSmoothGrad(2, 0.2, Attributions.Base.GRADIENT).withOcclusion(66, 66, 0).withBaselineImage(Nd4j.zeros(198, 198, 3));
        Map<String, Integer> perMethod = new HashMap<>();
        try (Model m = Models.load(model, 1, DataType.FLOAT)) {
            Explainer e = new Explainer(m, P + "gender_output/BiasAdd");
            for (Row r : rows) {
                Method method = Method.of(r.getAs("method"));
                perMethod.merge(method.toString(), 1, Integer::sum);
                String path = r.getAs("image");
                int cls = r.getAs("channel");
                INDArray x = Nd4j.create(ImagePrep.read(path, 198, ImagePrep.Limits.DEFAULT, null).pixels(), new long[] {198, 198, 3}, 'c');
                Explainer.Options oi = method == Method.SMOOTHGRAD ? o.withSeed(ClassMaps.seedOf(11, path)) : o;
                Explainer.Explanation want = e.explain(List.of(x), method, oi, new int[] {cls}).get(0);
                float[] got = new float[r.getList(r.fieldIndex("values")).size()];
                for (int i = 0; i < got.length; i++) got[i] = r.<Float>getList(r.fieldIndex("values")).get(i);
                assertArrayEquals(want.attribution().castTo(DataType.FLOAT).dup('c').data().asFloat(), got, method + " of " + path);
                List<Integer> shape = new ArrayList<>();
                for (long d : want.attribution().shape()) shape.add((int) d);
                assertEquals(shape, r.getList(r.fieldIndex("shape")), method + " shape");
                assertEquals((float) want.value(), r.<Float>getAs("activation"), 1e-5, "the class score");
                assertTrue(Files.size(out.resolve(r.<String>getAs("projection_file"))) > 0);
                assertTrue(Files.exists(out.resolve(r.<String>getAs("patch_file"))), "the patch is written once per selection");
            }
        }
        for (Method m : METHODS) assertEquals(4, perMethod.get(m.toString()), m + ": " + perMethod);
        String html = Files.readString(out.resolve("index.html"));
        assertTrue(html.contains("<table class=\"methods\">"), "side by side");
        for (Method m : METHODS) assertTrue(html.contains("<th>" + Gallery.esc(m) + "</th>"), m + " column");

        // SmoothGrad's noise comes from the image's path: the same maps on one partition and with other methods beside it
        Path one = work.resolve("smoothgrad-1");
        job(one, "--partitions", "1", "--method", "smoothgrad");
        Map<String, List<Object>> a = maps(rows, "smoothgrad"), b = maps(spark.read().parquet(one.resolve("projections.parquet").toString())
                .collectAsList(), "smoothgrad");
        assertEquals(4, b.size());
        assertEquals(a, b);
    }

    @Test void theSanityCheckIsAJobOutputAndFlagsGuidedBackprop() throws Exception {
        Path out = work.resolve("sanity");
        job(out, "--method", "gradient,guided,gradcam", "--classes", "0", "--sanity-images", "2", "--faithfulness-steps", "8");
        List<Row> rows = spark.read().parquet(out.resolve("sanity.parquet").toString()).orderBy("image", "method", "step").collectAsList();
        try (Model m = Models.load(model, 4, DataType.FLOAT)) {
            List<Sanity.Group> cascade = Sanity.cascade(m, m.layer(P + "gender_output/BiasAdd"));
            assertEquals(2 * 2 * (cascade.size() + 1), rows.size(), "2 images x gradient, guided x the trained model and each step");
            String first = rows.get(0).getAs("image");
            INDArray x = Nd4j.create(ImagePrep.read(first, 198, ImagePrep.Limits.DEFAULT, null).pixels(), new long[] {198, 198, 3}, 'c');
            List<Sanity.Result> want = Sanity.run(m, m.layer(P + "gender_output/BiasAdd"), List.of(x), 0,
                    List.of(Sanity.Method.GRADIENT, Sanity.Method.GUIDED_BACKPROP), 4, 11);          // --steps 4, --seed 11 of ARGS
            for (Sanity.Result r : want) {
                for (Sanity.Step st : r.steps()) {
                    Row got = rows.stream().filter(q -> q.getAs("image").equals(first) && q.getAs("method").equals(SanityStage.name(r.method()))
                            && q.<Integer>getAs("step") == st.randomized()).findFirst().orElseThrow();
                    assertEquals(st.spearmanAbs()[0], got.<Double>getAs("spearman_abs"), 0, r.method() + " step " + st.randomized());
                    assertEquals(st.ssim()[0], got.<Double>getAs("ssim"), 0);
                    assertEquals(st.layer(), got.getAs("layer"));
                }
            }
        }
        // the deletion and insertion curves of every map: the library's on the map the job made
        List<Row> maps = spark.read().parquet(out.resolve("projections.parquet").toString()).collectAsList();
        assertEquals(2 * 3, maps.size());
        try (Model m = Models.load(model, 4, DataType.FLOAT)) {
            Explainer e = new Explainer(m, P + "gender_output/BiasAdd");
            Explainer.Options o = Explainer.Options.defaults().withLayer(P + "conv2d_6/Relu").withBaselineImage(Nd4j.zeros(198, 198, 3));
            for (Row r : maps) {
                String path = r.getAs("image");
                INDArray x = Nd4j.create(ImagePrep.read(path, 198, ImagePrep.Limits.DEFAULT, null).pixels(), new long[] {198, 198, 3}, 'c');
                Explainer.Explanation ex = e.explain(List.of(x), Method.of(r.getAs("method")), o, new int[] {0}).get(0);
                Faithfulness.Curves want = Faithfulness.curves(m.graph(), m.input(), e.head(), x, ex.display(), 0, Faithfulness.Options.of(8));
                assertEquals(want.deletionAuc(), r.<Double>getAs("deletion_auc"), 0, r.getAs("method") + " deletion AUC");
                assertEquals(want.insertionAuc(), r.<Double>getAs("insertion_auc"), 0, r.getAs("method") + " insertion AUC");
                assertEquals(9, r.getList(r.fieldIndex("deletion")).size());
            }
        }
        String faith = Files.readString(out.resolve("index.html"));
        assertTrue(faith.contains("<table id=\"faithfulness-table\">"), "the AUCs per method");
        System.out.println("faithfulness table: " + faith.substring(faith.indexOf("<table id=\"faithfulness-table\">"),
                faith.indexOf("</table>", faith.indexOf("faithfulness-table"))));

        for (Row r : rows) if (r.<Integer>getAs("step") == 0) assertEquals(1.0, r.<Double>getAs("spearman_abs"), 0, "the trained model's own maps");
        String html = Files.readString(out.resolve("index.html"));
        assertTrue(html.contains("<polyline"), "the plot");
        String table = html.substring(html.indexOf("<table id=\"sanity-table\">"));
        String guided = table.substring(table.indexOf("<td>guided-backprop</td>")), gradient = table.substring(table.indexOf("<td>gradient</td>"));
        System.out.println("sanity table: " + table.substring(0, table.indexOf("</table>")));
        assertTrue(guided.substring(0, guided.indexOf("</tr>")).contains("FLAGGED"), "guided backprop barely changes with the head randomized");
        assertFalse(gradient.substring(0, gradient.indexOf("</tr>")).contains("FLAGGED"), "the gradient changes");
    }

    static Map<String, List<Object>> maps(List<Row> rows, String method) {
        Map<String, List<Object>> m = new java.util.TreeMap<>();
        for (Row r : rows) {
            if (r.getAs("method").equals(method)) m.put(r.getAs("channel") + "/" + r.getAs("rank"), List.of(r.getAs("image"), r.getList(r.fieldIndex("values"))));
        }
        return m;
    }

    @Test void badMethodOptionsAreRefusedBeforeSparkStarts() {
        String[][] cases = {
                {"--steps", "0"}, {"--steps must be an integer in [1, 4096]"},
                {"--sigma", "-0.5"}, {"--sigma"},
                {"--window", "500"}, {"window 500 must be 1 to 198"},
                {"--method", "gradcam", "--layers", "dense_3/Relu"}, {"4-D NHWC feature map"},
                {"--classes", "5"}, {"out of range"},
                {"--method", "lime"}, {"--method must be one of"},
                {"--method", "gradcam", "--layers", ""}, {"map one convolutional layer"},
                {"--method", "ig,ig"}, {"names ig twice"},
                {"--method", "ig", "--head", ""}, {"--head is empty"},
                {"--method", "gradcam,occlusion", "--sanity-images", "2"}, {"has none of them"},
                {"--method", "guided", "--faithfulness-steps", "8"}, {"have no class"},
                {"--faithfulness-steps", "100000"}, {"--faithfulness-steps must be an integer"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            List<String> args = new ArrayList<>(List.of("visualize", "--input", in.toString(), "--model", model.toString(), "--output",
                    work.resolve("never").toString()));
            args.addAll(List.of(ARGS));
            args.addAll(List.of(cases[i]));
            Exception e = assertThrows(JobConfig.ConfigException.class,
                    () -> Visualize.main(args.subList(1, args.size()).toArray(new String[0])), String.join(" ", cases[i]));
            assertTrue(e.getMessage().contains(cases[i + 1][0]), String.join(" ", cases[i]) + ": " + e.getMessage());
        }
        assertFalse(spark.sparkContext().isStopped(), "no session was made (and stopped) for a refused configuration");
        assertFalse(Files.exists(work.resolve("never")));
    }
}
