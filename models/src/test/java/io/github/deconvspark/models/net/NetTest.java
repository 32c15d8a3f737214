package io.github.deconvspark.models.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.autodiff.GradientCheck;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.tfjs.NetFiles;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NetTest {
    static final String SMALL = """
            # a small CNN: every layer kind
            input 12 12 2
            conv 3x3 4 same
            relu
            maxpool 2x2          # 6x6
            conv 3x3 5 valid stride 1
            relu
            avgpool 2x2 stride 2 # 2x2
            flatten
            dense 6
            relu
            dense 3
            """;

    @Test
    void parsesShapesAndParameters() {
        NetSpec s = NetSpec.parse(SMALL, "small.net");
        assertArrayEquals(new int[] {12, 12, 2}, s.input());
        assertEquals(3, s.classes());
        List<String> names = s.params().stream().map(NetSpec.ParamShape::name).toList();
        assertEquals(List.of("conv1/kernel", "conv1/bias", "conv2/kernel", "conv2/bias", "dense1/kernel", "dense1/bias", "dense2/kernel", "dense2/bias"), names);
        assertArrayEquals(new long[] {3, 3, 4, 5}, s.params().get(2).shape());
        assertArrayEquals(new long[] {20, 6}, s.params().get(4).shape()); // 2x2x5
        assertEquals(3 * 3 * 2 * 4 + 4 + 3 * 3 * 4 * 5 + 5 + 20 * 6 + 6 + 6 * 3 + 3, s.size());
        NetSpec lenet = NetSpec.parse("input 28 28 1\nconv 5x5 20\nmaxpool 2x2\nconv 5x5 50\nmaxpool 2\nflatten\ndense 500\nrelu\ndense 10", "lenet");
        assertArrayEquals(new int[] {4, 4, 50}, lenet.layers().get(3).outShape()); // Caffe's LeNet: 24, 12, 8, 4
    }

    @Test
    void errorsNameTheLineTheRuleAndTheLegalValues() {
        assertMessage("x.net line 2 ('convolution 3x3 4'): unknown layer 'convolution'; layers: input, conv", "input 8 8 1\nconvolution 3x3 4\ndense 2");
        assertMessage("line 1 ('conv 3x3 4'): the first layer must be 'input H W C'", "conv 3x3 4\ndense 2");
        assertMessage("window '3x5' must be square", "input 8 8 1\nconv 3x5 4\nflatten\ndense 2");
        assertMessage("dense needs a flat input: add 'flatten' before it", "input 8 8 1\ndense 2");
        assertMessage("the last layer must be 'dense N'", "input 8 8 1\nconv 3x3 4");
        assertMessage("with VALID padding the input height (4) must be >= the effective kernel", "input 4 4 1\nconv 5x5 4\nflatten\ndense 2");
        assertMessage("unknown option 'fast'; options: same, valid, stride S", "input 8 8 1\nconv 3x3 4 fast\nflatten\ndense 2");
        assertMessage("filters 0 is out of range 1..65536", "input 8 8 1\nconv 3x3 0\nflatten\ndense 2");
        assertMessage("no 'input H W C' line", "# nothing\n");
    }

    private static void assertMessage(String part, String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetSpec.parse(text, "x.net"));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    /** The loss gradient of every parameter and of the input against float64 finite differences. */
    @Test
    void gradientsMatchFiniteDifferences() {
        NetSpec s = NetSpec.parse(SMALL, "small.net");
        try (Net net = Net.build(s, 3, DataType.DOUBLE, true)) {
            double[] p = Net.initialize(s, 7);
            SplittableRandom r = new SplittableRandom(3);
            for (int i = 0; i < p.length; i++) p[i] += r.nextDouble(-0.05, 0.05); // nonzero biases
            long[] off = Net.offsets(s);
            Map<Tensor, INDArray> feeds = new HashMap<>();
            for (int i = 0; i < net.params().size(); i++) {
                feeds.put(net.params().get(i), Nd4j.create(java.util.Arrays.copyOfRange(p, (int) off[i], (int) off[i + 1]), net.params().get(i).shape(), 'c'));
            }
            feeds.put(net.input(), GradientCheck.uniform(DataType.DOUBLE, 11, 0, 1, net.input().shape()));
            feeds.put(net.labels(), Nd4j.create(new double[] {0, 1, 0, 1, 0, 0, 0, 0, 1}, new long[] {3, 3}, 'c'));
            List<Tensor> xs = new java.util.ArrayList<>(net.params());
            xs.add(net.input());
            GradientCheck.Result res = GradientCheck.check(net.loss(), xs, feeds, new GradientCheck.Options(1e-6, 1e-6, 1e-4, 0, 8, 5));
            assertTrue(res.passed(), res.report());
        }
    }

    /** run() sums the loss over the batch, counts argmax hits and returns the gradient of the sum. */
    @Test
    void runSumsLossAndCountsCorrect() {
        NetSpec s = NetSpec.parse(SMALL, "small.net");
        double[] p = Net.initialize(s, 1);
        float[] x = new float[4 * 12 * 12 * 2];
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        int[] y = {0, 1, 2, 1};
        try (Net four = Net.build(s, 4, DataType.DOUBLE, false); Net one = Net.build(s, 1, DataType.DOUBLE, false)) {
            Net.Eval all = four.run(p, x, y, true);
            double loss = 0;
            long correct = 0;
            double[] g0 = new double[(int) all.gradients()[0].length()];
            for (int i = 0; i < 4; i++) {
                Net.Eval e = one.run(p, java.util.Arrays.copyOfRange(x, i * 288, (i + 1) * 288), new int[] {y[i]}, true);
                loss += e.lossSum();
                correct += e.correct();
                double[] g = e.gradients()[0].data().asDouble();
                for (int j = 0; j < g.length; j++) g0[j] += g[j];
                e.close();
            }
            assertEquals(loss, all.lossSum(), 1e-12 * Math.abs(loss));
            assertEquals(correct, all.correct());
            assertArrayEquals(g0, all.gradients()[0].data().asDouble(), 1e-12);
            all.close();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> four.run(p, x, new int[] {0, 1, 3, 1}, false));
            assertTrue(e.getMessage().contains("label 3 of example 2 is out of range 0..2"), e.getMessage());
        }
    }

    /** The TF.js export loads with TfjsModel and gives the net's logits; read() gives the description and weights back. */
    @Test
    void exportLoadsAsTfjsAndReadsBack(@TempDir Path dir) throws Exception {
        NetSpec s = NetSpec.parse(SMALL, "small.net");
        double[] p = Net.initialize(s, 9);
        for (int i = 0; i < p.length; i++) p[i] = (float) p[i];
        Files.write(dir.resolve("model.json"), NetFiles.modelJson(s));
        Files.write(dir.resolve(NetFiles.WEIGHTS), NetFiles.weights(s, p));
        float[] x = new float[2 * 12 * 12 * 2];
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        try (Net net = Net.build(s, 2, DataType.FLOAT, false); TfjsModel m = TfjsModel.load(dir.resolve("model.json"), 2)) {
            Net.Eval e = net.run(p, x, new int[] {0, 0}, false);
            INDArray logits = m.run(Nd4j.create(x, new long[] {2, 12, 12, 2}, 'c')).get("logits");
            assertArrayEquals(e.logits().data().asFloat(), logits.data().asFloat(), 1e-6f);
            assertTrue(m.hasLayer("conv2/Relu") && m.hasLayer("pool1/MaxPool") && m.hasLayer("dense2/BiasAdd"));
            e.close();
        }
        NetFiles.Loaded back = NetFiles.read(Files.readAllBytes(dir.resolve("model.json")), Files.readAllBytes(dir.resolve(NetFiles.WEIGHTS)), "m");
        assertEquals(s.text(), back.spec().text());
        assertArrayEquals(p, back.params(), 0);
    }

    /** Hand-computed steps of both rules. */
    @Test
    void optimizerRules() throws Exception {
        double[] p = {1.0, -2.0};
        Optimizer sgd = Optimizer.sgd(2, 0.1, 0.9);
        sgd.step(p, new double[] {0.5, -1.0}); // v = -0.05, 0.1
        assertArrayEquals(new double[] {0.95, -1.9}, p, 1e-15);
        sgd.step(p, new double[] {0.5, -1.0}); // v = 0.9*-0.05 - 0.05 = -0.095; 0.09 + 0.1 = 0.19
        assertArrayEquals(new double[] {0.855, -1.71}, p, 1e-15);
        double[] q = {1.0, -2.0};
        Optimizer adam = Optimizer.adam(2, 0.01, 0.9, 0.999, 1e-7);
        adam.step(q, new double[] {0.5, -4.0}); // m = 0.1 g, v = 0.001 g^2, alpha = 0.01 sqrt(0.001) / 0.1
        double alpha = 0.01 * Math.sqrt(0.001) / 0.1;
        assertArrayEquals(new double[] {1.0 - alpha * 0.05 / (Math.sqrt(0.001 * 0.25) + 1e-7), -2.0 + alpha * 0.4 / (Math.sqrt(0.001 * 16) + 1e-7)},
                q, 1e-15);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        adam.save(new java.io.DataOutputStream(bytes));
        Optimizer again = Optimizer.adam(2, 0.01, 0.9, 0.999, 1e-7);
        again.restore(new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())), "state");
        double[] q2 = q.clone();
        adam.step(q, new double[] {0.1, 0.2});
        again.step(q2, new double[] {0.1, 0.2});
        assertArrayEquals(q, q2, 0);
        assertEquals(2, again.steps());
    }
}
