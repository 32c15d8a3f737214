package io.github.deconvspark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.gradients.GradientsJobTest;
import io.github.deconvspark.jobs.labelled.ExportImages;
import io.github.deconvspark.jobs.labelled.LabelledData;
import io.github.deconvspark.jobs.visualize.Visualize;
import io.github.deconvspark.jobs.visualize.VisualizeJobTest;
import io.github.deconvspark.models.net.Net;
import io.github.deconvspark.models.net.NetSpec;
import io.github.deconvspark.models.net.Optimizer;
import io.github.deconvspark.models.tfjs.NetFiles;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The train job on real local Spark over real MNIST: a short run lowers the loss and writes
 * checkpoints and a model that TfjsModel and the visualize job load; Spark's steps equal the
 * in-process steps; a run killed after a checkpoint resumes to the same parameters as an
 * uninterrupted run.
 */
public class TrainJobTest {
    static final String[] SETTINGS = {"--limit", "2048", "--test-limit", "512", "--epochs", "3", "--batch", "64", "--lr", "0.003", "--partitions", "2",
            "--progress-every", "0"};
    static SparkSession spark;
    static Path mnist, work, net;
    static Train.Summary straight;

    @BeforeAll static void setUp() throws Exception {
        mnist = Path.of(VisualizeJobTest.run(List.of("bash", VisualizeJobTest.ROOT.resolve("data/fetch-mnist.sh").toString())));
        work = Files.createTempDirectory(Files.createDirectories(VisualizeJobTest.TARGET.resolve("train-test")), "run");
        net = work.resolve("small.net");
        Files.writeString(net, GradientsJobTest.NET);
        spark = SparkSession.builder().master("local[2]").appName("TrainJobTest").config("spark.ui.enabled", "false").getOrCreate();
        straight = train(work.resolve("straight"));
    }

    @AfterAll static void tearDown() {
        if (spark != null) spark.stop();
    }

    static List<String> args(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("--data", mnist.toString(), "--model", net.toString(), "--output", out.toString()));
        a.addAll(List.of(SETTINGS));
        a.addAll(List.of(extra));
        return a;
    }

    static Train.Summary train(Path out, String... extra) {
        return Train.run(spark, JobConfig.parse("train", Train.KEYS, args(out, extra).toArray(new String[0])));
    }

    @Test void aShortRunLowersTheLossAndWritesALoadableModel() throws Exception {
        NetSpec spec = NetSpec.parse(GradientsJobTest.NET, "small.net");
        // the held-out loss before training, in-process
        Configuration conf = new Configuration();
        LabelledData.Source test = LabelledData.resolve(mnist.toString(), "test", 1, 512, spec.input(), 10, conf);
        LabelledData.Block all = LabelledData.read(test.shards().get(0), 512, spec.input(), 10, conf).next();
        double before;
        try (Net n = Net.build(spec, 512, DataType.FLOAT, false)) {
            Net.Eval e = n.run(Net.initialize(spec, 1), all.x(), all.y(), false);
            before = e.lossSum() / 512;
            e.close();
        }
        List<Trainer.Epoch> h = straight.history();
        assertEquals(3, h.size());
        assertTrue(h.get(2).trainLoss() < h.get(0).trainLoss(), "training loss falls: " + h);
        assertTrue(h.get(2).testLoss() < 0.5 * before, "held-out loss " + h.get(2).testLoss() + " vs " + before + " before training");
        assertTrue(h.get(2).testAccuracy() > 0.8, "held-out accuracy " + h.get(2).testAccuracy());
        assertEquals(512, h.get(2).testExamples());

        Path out = work.resolve("straight");
        for (int e = 1; e <= 3; e++) {
            for (String f : List.of("model.json", "weights.bin", "state.bin", "checkpoint.json")) {
                assertTrue(Files.isRegularFile(out.resolve(String.format("checkpoints/epoch-%04d/%s", e, f))), e + "/" + f);
            }
        }
        assertEquals(4, Files.readAllLines(out.resolve("history.csv")).size());
        String html = Files.readString(out.resolve("index.html"));
        assertTrue(html.contains("<svg") && html.contains("held-out accuracy"), "report");
        assertTrue(Files.exists(out.resolve("_SUCCESS")) && Files.readString(out.resolve("manifest.json")).contains("\"trained_sha256\""));

        // the final model: TfjsModel gives the trained network's logits; read() gives its parameters back
        NetFiles.Loaded back = NetFiles.read(Files.readAllBytes(out.resolve("model/model.json")), Files.readAllBytes(out.resolve("model/weights.bin")), "m");
        for (int i = 0; i < back.params().length; i++) assertEquals((float) straight.params()[i], back.params()[i], 0.0);
        try (TfjsModel m = TfjsModel.load(out.resolve("model/model.json"), 8); Net n = Net.build(spec, 8, DataType.FLOAT, false)) {
            float[] x = java.util.Arrays.copyOf(all.x(), 8 * 784);
            INDArray logits = m.run(Nd4j.create(x, new long[] {8, 28, 28, 1}, 'c')).get("logits");
            Net.Eval e = n.run(straight.params(), x, java.util.Arrays.copyOf(all.y(), 8), false);
            assertArrayEquals(e.logits().data().asFloat(), logits.data().asFloat(), 1e-5f);
            e.close();
        }

        // the visualize job loads it and looks at what the convolutions learned, on MNIST digits as PNGs
        Path digits = work.resolve("digits");
        ExportImages.export(mnist.toUri().toString(), "test", 24, digits.toUri().toString(), conf);
        Visualize.Summary v = Visualize.run(spark, JobConfig.parse("visualize", Visualize.KEYS, new String[] {"--input", digits.toString(),
                "--model", out.resolve("model/model.json").toString(), "--output", work.resolve("vis").toString(), "--layers", "conv1/Relu,conv2/Relu",
                "--channels", "0-3", "--top-k", "2", "--head", "dense2/BiasAdd", "--batch", "8"}));
        assertEquals(24, v.images());
        assertEquals(16, v.projections());
        assertTrue(Files.readString(work.resolve("vis/index.html")).contains("conv2/Relu"));
    }

    /**
     * A damaged newest checkpoint is skipped (saying so) and the run resumes from the one before, to the
     * same end; other data than the checkpoint's is refused, as is another job's output folder.
     */
    @Test void resumeSkipsADamagedCheckpointAndRefusesOtherData() throws Exception {
        Path out = work.resolve("damaged");
        Path src = work.resolve("straight");
        try (var files = Files.walk(src)) {
            for (Path f : files.toList()) {
                Path t = out.resolve(src.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(t);
                else Files.copy(f, t);
            }
        }
        byte[] state = Files.readAllBytes(out.resolve("checkpoints/epoch-0003/state.bin"));
        Files.write(out.resolve("checkpoints/epoch-0003/state.bin"), java.util.Arrays.copyOf(state, state.length / 2));
        JobConfig.ConfigException e = assertThrows(JobConfig.ConfigException.class, () -> train(out, "--resume", "true", "--limit", "1024"));
        assertTrue(e.getMessage().contains("was trained with seed 1, batch 64 on") && e.getMessage().contains("2048 examples"), e.getMessage());
        Train.Summary resumed = train(out, "--resume", "true");
        assertEquals(2, resumed.resumedFrom());
        assertEquals(3, resumed.history().size());
        double worst = 0;
        for (int i = 0; i < resumed.params().length; i++) worst = Math.max(worst, Math.abs(resumed.params()[i] - straight.params()[i]));
        assertTrue(worst < 1e-6, "max |resumed - uninterrupted| " + worst);

        Path gradients = work.resolve("a-gradients-output");
        Files.createDirectories(gradients);
        Files.writeString(gradients.resolve("manifest.json"), "{\n  \"job\": \"gradients\"\n}\n");
        e = assertThrows(JobConfig.ConfigException.class, () -> train(gradients, "--resume", "true"));
        assertTrue(e.getMessage().contains("is not a training run"), e.getMessage());
    }

    /** Momentum SGD trains too (and resumes its velocity: the optimizer's state is part of the checkpoint). */
    @Test void momentumSgdLowersTheLoss() {
        Train.Summary s = train(work.resolve("sgd"), "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9", "--epochs", "2");
        assertTrue(s.history().get(1).trainLoss() < s.history().get(0).trainLoss() && s.last().testLoss() < 1.0, "sgd: " + s.history());
    }

    /** Step for step, Spark (3 partitions; driver merge and treeAggregate) and the in-process loop reach the same parameters. */
    @Test void sparkStepsEqualInProcessSteps() throws Exception {
        NetSpec spec = NetSpec.parse(GradientsJobTest.NET, "small.net");
        JobConfig cfg = JobConfig.parse("train", Train.KEYS, args(work.resolve("unused"), "--partitions", "3").toArray(new String[0]));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Train.Data data = Train.data(jsc, cfg, spec, new Configuration());
        try {
            int size = (int) spec.size();
            Steps.Work work = new Steps.Work(spec.text(), DataType.FLOAT, size, 784);
            Steps local = new Steps.InProcess(data.trainBlocks().collect(), data.testBlocks().collect(), work);
            Trainer t = new Trainer(2048, 64, 1, 0, null);
            double[] b = Net.initialize(spec, 1);
            Optimizer ob = Optimizer.adam(size, 0.001, 0.9, 0.999, 1e-7);
            t.steps(1, 0, 8, b, ob, local, new Trainer.Times());
            for (int depth : new int[] {1, 3}) {   // partial sums merged on the driver, and treeAggregate
                Steps onSpark = new Steps.OnSpark(jsc, data.trainBlocks(), data.testBlocks(), work, depth);
                double[] a = Net.initialize(spec, 1);
                Optimizer oa = Optimizer.adam(size, 0.001, 0.9, 0.999, 1e-7);
                t.steps(1, 0, 8, a, oa, onSpark, new Trainer.Times());
                double worst = 0;
                for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
                assertTrue(worst < 1e-5, "depth " + depth + ": max |Spark - in-process| after 8 steps: " + worst);
                assertEquals(local.evaluate(a).loss(), onSpark.evaluate(a).loss(), 1e-3);
            }
        } finally {
            data.release();
        }
    }

    /**
     * A run killed (SIGKILL, its own JVM) after its first checkpoint leaves no model and no _SUCCESS;
     * --resume true continues from the checkpoint and ends with the parameters of an uninterrupted run.
     */
    @Test void aKilledRunResumesToTheSameModel() throws Exception {
        Path out = work.resolve("killed");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-Dorg.bytedeco") || a.startsWith("-Xmx")).toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.github.deconvspark.jobs.Main", "train"));
        cmd.addAll(args(out, "--master", "local[2]", "spark.ui.enabled=false"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("killed-run.log").toFile()).start();
        Path first = out.resolve("checkpoints/epoch-0001/state.bin");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (!Files.exists(first) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        p.destroyForcibly().waitFor();
        assertTrue(Files.exists(first), "the run wrote its first checkpoint: " + Files.readString(work.resolve("killed-run.log")));
        assertFalse(Files.exists(out.resolve("checkpoints/epoch-0003")), "killed before its last epoch");
        assertFalse(Files.exists(out.resolve("_SUCCESS")) || Files.exists(out.resolve("model")), "a killed run leaves no model");

        JobConfig.ConfigException e = assertThrows(JobConfig.ConfigException.class, () -> train(out));
        assertTrue(e.getMessage().contains("--resume true continues it, --overwrite true starts over"), e.getMessage());
        Train.Summary resumed = train(out, "--resume", "true");
        assertTrue(resumed.resumedFrom() >= 1, "resumed from " + resumed.resumedFrom());
        assertEquals(3, resumed.history().size());
        double worst = 0;
        for (int i = 0; i < resumed.params().length; i++) worst = Math.max(worst, Math.abs(resumed.params()[i] - straight.params()[i]));
        assertTrue(worst < 1e-6, "max |resumed - uninterrupted| " + worst);
        assertEquals(straight.last().testLoss(), resumed.last().testLoss(), 1e-6);

        // --overwrite starts over; a folder that is not a training run is refused
        Train.Summary again = train(out, "--overwrite", "true", "--epochs", "1");
        assertEquals(0, again.resumedFrom());
        assertEquals(1, again.history().size());
        Path other = work.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("keep.txt"), "mine");
        e = assertThrows(JobConfig.ConfigException.class, () -> train(other, "--overwrite", "true"));
        assertTrue(e.getMessage().contains("is not a training run"), e.getMessage());
    }
}
