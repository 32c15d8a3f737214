package io.github.deconvspark.models.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.autodiff.Gradients;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import io.github.deconvspark.models.onnx.OnnxFixtures;
import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.viz.Projections;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * nsfwjs 4.4.0's two Keras networks (TF.js layers models of Keras 2.2.4's MobileNetV2 and InceptionV3, real trained
 * weights) against the official TF.js runtime (tfjs-layers 4.22, backend-cpu: src/test/node/layers-reference.js) on a
 * real photo: the output and a spread of inner layers, by Keras layer name; the same networks written as Keras 3
 * {@code .keras} and legacy {@code .h5} files (models/scripts/keras-files.sh) load to the same weights and outputs, bit
 * for bit; the input gradient (saliency) of mobilenet_v2 against TF.js's {@code tf.grad} and float64 central differences. Only the photo goes in (layer-level comparisons; the
 * class labels are not used).
 */
class KerasTfjsTest {
    /** Layers compared with TF.js (those keras-files.sh --check probes). */
    static final Map<String, List<String>> PROBES = Map.of(
            "mobilenet_v2", List.of("Conv1", "bn_Conv1", "Conv1_relu", "expanded_conv_depthwise", "block_2_add", "block_16_project_BN",
                    "average_pooling2d_1", "dense_1"),
            "inception_v3", List.of("conv2d_1", "batch_normalization_1", "activation_1", "max_pooling2d_1", "mixed0", "mixed5", "mixed10",
                    "average_pooling2d_10"));

    static String nodeModules;
    static Map<String, Path> kerasFiles = new HashMap<>();

    @BeforeAll static void fixtures() throws Exception {
        Assumptions.assumeTrue(TfjsGearTest.nodeAvailable(), "SKIPPED: 'node' is not on PATH (apt-get install nodejs npm)");
        nodeModules = TfjsGearTest.lastLine(TfjsGearTest.run(List.of("bash", TfjsGearTest.MODELS.resolve("scripts/tfjs-layers.sh").toString(),
                TfjsGearTest.TARGET.toString()), Map.of()));
        String out = TfjsGearTest.run(List.of("bash", TfjsGearTest.MODELS.resolve("scripts/keras-files.sh").toString()), Map.of());
        for (String line : out.split("\n")) {
            String[] p = line.trim().split(" ", 2);
            if (p.length == 2 && p[0].matches("\\w+\\.(keras|h5)")) kerasFiles.put(p[0], Path.of(p[1]));
        }
        assertEquals(4, kerasFiles.size(), "keras-files.sh printed " + out);
    }

    @Test void mobilenetV2() throws Exception {
        compare("mobilenet_v2", 224, true);
    }

    @Test void inceptionV3() throws Exception {
        compare("inception_v3", 299, false);
    }

    /** The photo as the networks take it: [1, size, size, 3] in [0, 1] (what nsfwjs feeds). */
    static INDArray photo(int size) throws Exception {
        float[] x = OnnxFixtures.nchw(List.of(OnnxFixtures.photos().resolve("dog.jpg")), size, size, new float[3], new float[] {1, 1, 1});
        return OnnxFixtures.toNhwc(x, new long[] {1, 3, size, size}, DataType.FLOAT);
    }

    private static void compare(String name, int size, boolean grad) throws Exception {
        Path modelJson = Path.of(OnnxFixtures.npmModel("nsfwjs-" + name));
        INDArray image = photo(size);
        Path work = Files.createDirectories(TfjsGearTest.TARGET.resolve("keras-reference").resolve(name));
        float[] px = image.dup('c').data().asFloat();
        ByteBuffer buf = ByteBuffer.allocate(px.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(px);
        Files.write(work.resolve("input.f32"), buf.array());
        int unit = 2;
        List<String> cmd = new ArrayList<>(List.of("node", TfjsGearTest.MODELS.resolve("src/test/node/layers-reference.js").toString(),
                modelJson.toString(), work.resolve("input.f32").toString(), "1," + size + "," + size + ",3", work.toString(),
                "--unit", String.valueOf(unit)));
        if (!grad) cmd.add("--no-grad");
        cmd.addAll(PROBES.get(name));
        TfjsGearTest.run(cmd, Map.of("NODE_PATH", nodeModules));

        List<String> failures = new ArrayList<>();
        INDArray output;
        try (Model m = Models.load(modelJson, 1, DataType.FLOAT)) {
            assertEquals("tfjs-layers", m.format());
            List<String> probes = PROBES.get(name);
            List<Tensor> fetch = new ArrayList<>();
            for (String l : probes) fetch.add(m.layer(l));
            fetch.add(m.outputs().values().iterator().next());
            List<INDArray> got = m.graph().run(fetch, Map.of(m.input(), image));
            for (int i = 0; i <= probes.size(); i++) {
                boolean out = i == probes.size();
                float[] ref = TfjsGearTest.readF32(work.resolve(out ? "output.f32" : i + ".f32"));
                double[] d = OnnxFixtures.diff(got.get(i), ref);
                String label = out ? "output" : probes.get(i);
                double tol = 1e-5 * Math.max(out ? 1 : d[1], Float.MIN_NORMAL);
                System.out.printf("%s %-28s max|TF.js| %10.4g  max|diff| %9.3g  rel %9.3g%n", name, label, d[1], d[0], d[0] / d[1]);
                if (!(d[0] <= tol) || d[1] == 0) failures.add(label + ": max|diff| " + d[0] + " > " + tol);
            }
            output = got.get(probes.size());
            if (grad) gradient(m, modelJson, image, TfjsGearTest.readF32(work.resolve("grad.f32")), unit, failures);
            for (String ext : List.of("keras", "h5")) sameAsJson(m, kerasFiles.get(name + "." + ext), image, output, failures);
        }
        assertTrue(failures.isEmpty(), name + " differs: " + failures);
    }

    /**
     * The input gradient of output unit {@code unit} against TF.js's tf.grad, and against float64 central differences.
     * MobileNetV2's dense ReLU6 kinks make its float32 input gradient depend on the last bits of every activation: moving
     * the input by 1e-6 (about TF.js's and our inner layers' float32 disagreement, 1e-6 relative) changes our own gradient by
     * about 1% (L2), so no float32 implementation can match another one to 1e-4 here. So tf.grad must differ from ours by
     * no more than ours differs from itself under that move (measured here, seeded), and, the strict check, the gradient of
     * the float64 model must equal float64 central differences (h = 1e-8, where the kinks do not cross) to 1e-5 along
     * seeded random directions.
     */
    private static void gradient(Model m, Path modelJson, INDArray image, float[] tfjs, int unit, List<String> failures)
            throws Exception {
        INDArray ref = Nd4j.create(tfjs, image.shape(), 'c');
        INDArray ours = inputGradient(m, unit, image);
        Nd4j.getRandom().setSeed(11);
        INDArray moved = inputGradient(m, unit, image.add(Nd4j.randn(DataType.FLOAT, image.shape()).mul(1e-6)));
        double vsTfjs = relL2(ref, ours), own = relL2(moved, ours);
        Projections.Projection s = Projections.saliency(m.graph(), m.input(), m.outputs().values().iterator().next(), image, unit);
        double salDiff = Transforms.abs(ref, true).max(3).sub(s.projection()).amaxNumber().doubleValue();
        System.out.printf("gradient of unit %d: relL2 vs tf.grad %.3g; ours moved by 1e-6 input noise: relL2 %.3g; saliency max|diff| %.3g"
                + " of max %.4g%n", unit, vsTfjs, own, salDiff, s.projection().amaxNumber().doubleValue());
        if (!(vsTfjs <= own)) failures.add("gradient: relL2 vs tf.grad " + vsTfjs + " > " + own + " (ours under 1e-6 input noise)");
        try (Model d = Models.load(modelJson, 1, DataType.DOUBLE)) {
            INDArray x = image.castTo(DataType.DOUBLE);
            INDArray g = inputGradient(d, unit, x);
            Tensor score = score(d, unit);
            for (int k = 0; k < 3; k++) {
                INDArray dir = Nd4j.randn(DataType.DOUBLE, x.shape());
                double h = 1e-8, analytic = g.mul(dir).sumNumber().doubleValue();
                double fp = d.graph().run(score, Map.of(d.input(), x.add(dir.mul(h)))).getDouble(0);
                double fm = d.graph().run(score, Map.of(d.input(), x.sub(dir.mul(h)))).getDouble(0);
                double fd = (fp - fm) / (2 * h), rel = Math.abs(fd - analytic) / Math.abs(fd);
                System.out.printf("float64 direction %d: <gradient, d> %.10g, central difference %.10g, rel %.3g%n", k, analytic, fd, rel);
                if (!(rel <= 1e-5)) failures.add("float64 gradient along direction " + k + ": rel " + rel + " from central differences");
            }
        }
    }

    private static Tensor score(Model m, int unit) {
        return Ops.reduceSum(Ops.slice(m.outputs().values().iterator().next(), new long[] {0, unit}, new long[] {1, 1}));
    }

    private static INDArray inputGradient(Model m, int unit, INDArray image) {
        return m.graph().run(Gradients.gradient(score(m, unit), m.input()), Map.of(m.input(), image));
    }

    private static double relL2(INDArray a, INDArray ref) {
        return a.sub(ref).norm2Number().doubleValue() / ref.norm2Number().doubleValue();
    }

    /** A Keras file of the same network: the same layers, the same weights and the same output, exactly. */
    private static void sameAsJson(Model json, Path file, INDArray image, INDArray output, List<String> failures) throws Exception {
        try (Model k = Models.load(file, 1, DataType.FLOAT)) {
            assertEquals(file.toString().endsWith(".h5") ? "keras-h5" : "keras", k.format());
            assertEquals(json.layerNames(), k.layerNames(), file + ": layer names");
            assertEquals(json.parameters(), k.parameters(), file + ": parameters");
            List<Tensor> ps = new ArrayList<>();
            for (String p : k.parameters()) ps.add(k.layer(p));
            List<INDArray> kv = k.graph().run(ps, Map.of());
            for (int i = 0; i < ps.size(); i++) {
                String p = k.parameters().get(i);
                INDArray a = kv.get(i);
                INDArray b = json.graph().run(json.layer(p));
                if (!a.equals(b)) failures.add(file.getFileName() + " " + p + " differs from model.json's");
            }
            INDArray y = k.graph().run(k.outputs().values().iterator().next(), Map.of(k.input(), image));
            assertArrayEquals(output.shape(), y.shape());
            if (!y.equals(output)) failures.add(file.getFileName() + ": output differs from model.json's");
            System.out.printf("%s: %d layers, %d weights, output equal to model.json's: %b%n", file.getFileName(), k.layerNames().size(),
                    k.parameters().size(), y.equals(output));
        }
    }
}
