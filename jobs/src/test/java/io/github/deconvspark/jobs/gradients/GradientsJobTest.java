package io.github.deconvspark.jobs.gradients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.labelled.ExportImages;
import io.github.deconvspark.jobs.labelled.LabelledData;
import io.github.deconvspark.jobs.nets.GradientSum;
import io.github.deconvspark.jobs.visualize.VisualizeJobTest;
import io.github.deconvspark.models.net.Net;
import io.github.deconvspark.models.net.NetSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The gradients job on real local Spark over real MNIST: its aggregated gradient equals one
 * single-process float64 run over the whole batch (read from the IDX files by hand, not by the
 * job's reader), whatever the partitioning; image folders give the same gradient as the IDX files
 * they were exported from; bad records are skipped and reported.
 */
public class GradientsJobTest {
    static final Path ROOT = VisualizeJobTest.ROOT;
    /** A small CNN: every parameter kind of the LeNet, fast enough for many runs. */
    public static final String NET = """
            input 28 28 1
            conv 5x5 6
            relu
            maxpool 2x2
            conv 3x3 8 same
            relu
            maxpool 2x2 stride 2
            flatten
            dense 16
            relu
            dense 10
            """;
    static SparkSession spark;
    static Path mnist, work, net;

    @BeforeAll static void setUp() throws Exception {
        mnist = Path.of(VisualizeJobTest.run(List.of("bash", ROOT.resolve("data/fetch-mnist.sh").toString())));
        work = Files.createTempDirectory(Files.createDirectories(VisualizeJobTest.TARGET.resolve("gradients-test")), "run");
        net = work.resolve("small.net");
        Files.writeString(net, NET);
        spark = SparkSession.builder().master("local[2]").appName("GradientsJobTest").config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll static void tearDown() {
        if (spark != null) spark.stop();
    }

    static GradientsJob.Summary job(Path data, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("--data", data.toString(), "--model", net.toString(), "--output", out.toString()));
        args.addAll(List.of(extra));
        return GradientsJob.run(spark, JobConfig.parse("gradients", GradientsJob.KEYS, args.toArray(new String[0])));
    }

    /** The first n MNIST training examples, read by hand: 16- and 8-byte headers, then unsigned bytes. */
    static float[] images(int n) throws IOException {
        byte[] b = Files.readAllBytes(mnist.resolve("train-images-idx3-ubyte"));
        float[] x = new float[n * 784];
        for (int i = 0; i < x.length; i++) x[i] = (b[16 + i] & 0xff) / 255f;
        return x;
    }

    static int[] labels(int n) throws IOException {
        byte[] b = Files.readAllBytes(mnist.resolve("train-labels-idx1-ubyte"));
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = b[8 + i] & 0xff;
        return y;
    }

    /** A .npy file's float64 values (the job writes version 1.0, little-endian, C order). */
    static double[] npy(Path p, long[] shape) throws IOException {
        byte[] b = Files.readAllBytes(p);
        assertEquals("NUMPY", new String(b, 1, 5, StandardCharsets.US_ASCII));
        int hl = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        String header = new String(b, 10, hl, StandardCharsets.US_ASCII);
        StringBuilder dims = new StringBuilder();
        for (long d : shape) dims.append(d).append(", ");
        String want = shape.length == 1 ? dims.toString().trim() : dims.substring(0, dims.length() - 2);
        assertTrue(header.contains("'descr': '<f8'") && header.contains("'shape': (" + want + ")"), header);
        ByteBuffer bb = ByteBuffer.wrap(b, 10 + hl, b.length - 10 - hl).order(ByteOrder.LITTLE_ENDIAN);
        double[] v = new double[bb.remaining() / 8];
        for (int i = 0; i < v.length; i++) v[i] = bb.getDouble();
        return v;
    }

    static double relError(double[] a, double[] ref) {
        double worst = 0, scale = 0;
        for (double r : ref) scale = Math.max(scale, Math.abs(r));
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - ref[i]));
        return worst / scale;
    }

    @Test void aggregatedGradientEqualsSingleProcessFullBatch() throws Exception {
        int n = 300;
        NetSpec spec = NetSpec.parse(NET, "small.net");
        double[] params = Net.initialize(spec, 1);
        double[] ref;
        double refLoss;
        try (Net full = Net.build(spec, n, DataType.DOUBLE, false)) {
            Net.Eval e = full.run(params, images(n), labels(n), true);
            refLoss = e.lossSum();
            List<Double> all = new ArrayList<>();
            for (INDArray g : e.gradients()) for (double d : g.data().asDouble()) all.add(d);
            ref = all.stream().mapToDouble(Double::doubleValue).toArray();
            e.close();
        }
        long[] off = Net.offsets(spec);
        List<NetSpec.ParamShape> ps = spec.params();
        for (int parts : new int[] {1, 2, 3, 7}) {
            Path out = work.resolve("agg-" + parts);
            GradientsJob.Summary s = job(mnist, out, "--limit", "" + n, "--partitions", "" + parts, "--batch", "64", "--depth", parts == 7 ? "3" : "2");
            assertEquals(n, s.examples());
            assertEquals(refLoss / n, s.loss(), 1e-12 * refLoss);
            for (int i = 0; i < ps.size(); i++) {
                String f = ps.get(i).name().replace('/', '_') + ".npy";
                double[] want = Arrays.copyOfRange(ref, (int) off[i], (int) off[i + 1]);
                double[] sum = npy(out.resolve("sum").resolve(f), ps.get(i).shape());
                double[] mean = npy(out.resolve("mean").resolve(f), ps.get(i).shape());
                double err = relError(sum, want);
                assertTrue(err < 1e-9, parts + " partitions, " + f + ": relative error " + err);
                for (int j = 0; j < mean.length; j++) assertEquals(sum[j] / n, mean[j], 0.0);
            }
            String manifest = Files.readString(out.resolve("manifest.json"));
            assertTrue(manifest.contains("\"examples\": " + n) && manifest.contains("\"sha256\""), manifest);
            assertTrue(Files.exists(out.resolve("_SUCCESS")));
        }
        // the statistics table: one row per parameter, norms as computed from the reference
        Map<String, Row> stats = new TreeMap<>();
        for (Row r : spark.read().parquet(work.resolve("agg-3/stats.parquet").toString()).collectAsList()) stats.put(r.getString(0), r);
        assertEquals(ps.size(), stats.size());
        for (int i = 0; i < ps.size(); i++) {
            double l2 = 0;
            for (int j = (int) off[i]; j < off[i + 1]; j++) l2 += ref[j] * ref[j];
            Row r = stats.get(ps.get(i).name());
            assertEquals(Math.sqrt(l2), r.getDouble(r.fieldIndex("sum_l2")), 1e-9 * Math.sqrt(l2));
            assertEquals(n, r.getLong(r.fieldIndex("examples")));
        }
        numpyReads(work.resolve("agg-7/sum/conv1_kernel.npy"), Arrays.stream(ref, 0, (int) off[1]).sum());
    }

    /** numpy itself loads the file (Debian python3-numpy; required where CI_REQUIRE_NUMPY is set). */
    static void numpyReads(Path npy, double expectedSum) throws Exception {
        String out = "";
        for (String python : List.of("python3", "/usr/bin/python3")) {      // a pyenv python first, then Debian's
            Process p;
            try {
                p = new ProcessBuilder(python, "-c", "import numpy, sys; a = numpy.load(sys.argv[1]); print(a.shape, repr(float(a.sum())))",
                        npy.toString()).redirectErrorStream(true).start();
            } catch (IOException e) {
                continue;
            }
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) continue;
            assertTrue(out.startsWith("(5, 5, 1, 6)"), out);
            double got = Double.parseDouble(out.substring(out.lastIndexOf(' ') + 1));
            assertEquals(expectedSum, got, 1e-9 * Math.max(1, Math.abs(expectedSum)), out);
            return;
        }
        assertFalse(System.getenv().containsKey("CI_REQUIRE_NUMPY"), "numpy is required here: " + out);
        System.out.println("SKIPPED numpy check: python3 with numpy is not available (apt-get install python3-numpy): " + out);
    }

    @Test void treeAggregateOverEmptyPartitions() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<GradientSum> two = List.of(new GradientSum(3).add(new double[] {1, 2, 3}, 1, 1, 1), new GradientSum(3).add(new double[] {4, 5, 6}, 2, 2, 0));
        for (int depth : new int[] {1, 2, 3}) {
            GradientSum g = jsc.parallelize(two, 6).treeAggregate(new GradientSum(3), GradientSum::merge, GradientSum::merge, depth);
            assertArrayEquals(new double[] {5, 7, 9}, g.sum(), 0);
            assertEquals(3, g.count());
            assertEquals(3.0, g.loss());
        }
        GradientSum none = jsc.parallelize(List.<GradientSum>of(), 4).treeAggregate(new GradientSum(3), GradientSum::merge, GradientSum::merge, 2);
        assertTrue(none.isEmpty());
    }

    /** Class folders of PNGs exported from the IDX test split give the IDX gradient; bad files are skipped and reported. */
    @Test void imageFoldersEqualTheirIdxSourceAndBadRecordsAreSkipped() throws Exception {
        Files.createDirectories(work.resolve("foreign"));
        Files.writeString(work.resolve("foreign/manifest.json"), "{\n  \"job\": \"train\"\n}\n");
        Path folders = work.resolve("folders");
        Configuration conf = new Configuration();
        assertEquals(60, ExportImages.export(mnist.toUri().toString(), "test", 60, folders.toUri().toString(), conf));
        Files.writeString(folders.resolve("3/notes.png"), "not an image");
        Files.write(folders.resolve("7/empty.png"), new byte[0]);
        GradientsJob.Summary f = job(folders, work.resolve("g-folders"), "--partitions", "3");
        GradientsJob.Summary i = job(mnist, work.resolve("g-idx"), "--split", "test", "--limit", "60");
        assertEquals(60, f.examples());
        assertEquals(2, f.rejected());
        assertEquals(60, i.examples());
        assertTrue(relError(f.sum().sum(), i.sum().sum()) < 1e-12, "folders = IDX: " + relError(f.sum().sum(), i.sum().sum()));
        Map<String, String> rejects = new TreeMap<>();
        for (Row r : spark.read().parquet(work.resolve("g-folders/rejects.parquet").toString()).collectAsList()) {
            rejects.put(Path.of(r.getString(0)).getFileName().toString(), r.getString(1) + ": " + r.getString(2));
        }
        assertEquals("empty: an empty file (0 bytes)", rejects.get("empty.png"));
        assertTrue(rejects.get("notes.png").startsWith("not-an-image: no decoder recognises its content"), rejects.toString());

        // a limit keeps every class: the files of the classes are interleaved
        LabelledData.Source few = LabelledData.resolve(folders.toString(), "train", 1, 12, new int[] {28, 28, 1}, 10, conf);
        assertEquals(9, java.util.Arrays.stream(few.shards().get(0).fileLabels()).distinct().count(), "the 9 classes (no 8) among 12 of 62 files");
        // the gradients job does not overwrite another job's output
        JobConfig.ConfigException e = assertThrows(JobConfig.ConfigException.class, () -> job(mnist, work.resolve("foreign"), "--limit", "10"));
        assertTrue(e.getMessage().contains("is not a gradients output"), e.getMessage());

        // an IDX set with a label out of range: that record is skipped and named
        Path bad = work.resolve("bad-idx");
        Files.createDirectories(bad);
        byte[] img = Files.readAllBytes(mnist.resolve("t10k-images-idx3-ubyte")), lab = Files.readAllBytes(mnist.resolve("t10k-labels-idx1-ubyte"));
        byte[] img20 = Arrays.copyOf(img, 16 + 20 * 784), lab20 = Arrays.copyOf(lab, 8 + 20);
        img20[7] = 20;
        img20[6] = 0;
        lab20[7] = 20;
        lab20[6] = 0;
        lab20[8 + 5] = 12;
        Files.write(bad.resolve("train-images-idx3-ubyte"), img20);
        Files.write(bad.resolve("train-labels-idx1-ubyte"), lab20);
        GradientsJob.Summary b = job(bad, work.resolve("g-bad"));
        assertEquals(19, b.examples());
        Row r = spark.read().parquet(work.resolve("g-bad/rejects.parquet").toString()).collectAsList().get(0);
        assertTrue(r.getString(0).endsWith("train-labels-idx1-ubyte#5") && r.getString(1).equals("label-out-of-range")
                && r.getString(2).equals("label 12 is out of range 0..9"), r.toString());
    }

    @Test void badConfigurationIsRefusedWithTheRule() throws Exception {
        JobConfig.ConfigException e = assertThrows(JobConfig.ConfigException.class,
                () -> JobConfig.parse("gradients", GradientsJob.KEYS, new String[] {"--data", "x", "--depht", "3"}));
        assertTrue(e.getMessage().contains("depht") && e.getMessage().contains("depth"), e.getMessage());
        Path wide = work.resolve("wide.net");
        Files.writeString(wide, NET.replace("input 28 28 1", "input 32 32 1"));
        e = assertThrows(JobConfig.ConfigException.class, () -> GradientsJob.run(spark, JobConfig.parse("gradients", GradientsJob.KEYS,
                new String[] {"--data", mnist.toString(), "--model", wide.toString(), "--output", work.resolve("x").toString()})));
        assertTrue(e.getMessage().contains("28x28 grayscale images; the network's input is 32x32x1"), e.getMessage());
        Path gear = Path.of(VisualizeJobTest.run(List.of("bash", ROOT.resolve("models/fetch-gear.sh").toString())));
        e = assertThrows(JobConfig.ConfigException.class, () -> GradientsJob.run(spark, JobConfig.parse("gradients", GradientsJob.KEYS,
                new String[] {"--data", mnist.toString(), "--model", gear.toString(), "--output", work.resolve("x").toString()})));
        // a TF.js model.json that train did not write is a user's model: gear has three heads, so the loss needs --head
        assertTrue(e.getMessage().contains("has 3 outputs") && e.getMessage().contains("--head"), e.getMessage());
        Path broken = work.resolve("broken.net");
        Files.writeString(broken, "input 28 28 1\nconv 5x5 6\ndense 10\n");
        e = assertThrows(JobConfig.ConfigException.class, () -> GradientsJob.run(spark, JobConfig.parse("gradients", GradientsJob.KEYS,
                new String[] {"--data", mnist.toString(), "--model", broken.toString(), "--output", work.resolve("x").toString()})));
        assertTrue(e.getMessage().contains("broken.net line 3 ('dense 10'): dense needs a flat input"), e.getMessage());
        assertFalse(Files.exists(work.resolve("x")));
    }
}
