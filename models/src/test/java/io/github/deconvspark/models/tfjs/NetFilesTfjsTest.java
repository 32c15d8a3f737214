package io.github.deconvspark.models.tfjs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.models.net.Net;
import io.github.deconvspark.models.net.NetSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A network exported by {@link NetFiles} (what the train job writes) run by the official TF.js runtime
 * (tfjs-converter 4.22 in Node, src/test/node/reference.js): its logits and probabilities equal the
 * network's own forward pass (Net, float32). Skipped only when node is not installed, as TfjsGearTest.
 */
class NetFilesTfjsTest {
    /** Every layer kind, both paddings, a stride. */
    static final String NET = """
            input 16 16 3
            conv 3x3 6 same
            relu
            maxpool 2x2
            conv 3x3 8 valid stride 2
            relu
            avgpool 2x2 stride 1 same
            flatten
            dense 12
            relu
            dense 5
            """;

    @Test void tfjsRunsTheExportedNetwork() throws Exception {
        Assumptions.assumeTrue(TfjsGearTest.nodeAvailable(),
                "SKIPPED: 'node' is not on PATH, so the official TF.js runtime cannot run (apt-get install nodejs npm)");
        String nodeModules = TfjsGearTest.lastLine(TfjsGearTest.run(List.of("bash", TfjsGearTest.MODELS.resolve("fetch-gear.sh").toString(), "tfjs",
                TfjsGearTest.TARGET.toString()), Map.of()));
        NetSpec spec = NetSpec.parse(NET, "test.net");
        SplittableRandom r = new SplittableRandom(5);
        double[] p = Net.initialize(spec, 3);
        for (int i = 0; i < p.length; i++) p[i] += r.nextDouble(-0.05, 0.05);   // nonzero biases
        Path dir = Files.createDirectories(TfjsGearTest.TARGET.resolve("netfiles-tfjs"));
        Files.write(dir.resolve("model.json"), NetFiles.modelJson(spec));
        Files.write(dir.resolve(NetFiles.WEIGHTS), NetFiles.weights(spec, p));
        int n = 3;
        float[] x = new float[n * 16 * 16 * 3];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        ByteBuffer in = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        in.asFloatBuffer().put(x);
        Files.write(dir.resolve("input.f32"), in.array());
        System.out.println(TfjsGearTest.lastLine(TfjsGearTest.run(List.of("node", TfjsGearTest.MODELS.resolve("src/test/node/reference.js").toString(),
                dir.resolve("model.json").toString(), dir.resolve("input.f32").toString(), n + ",16,16,3", dir.toString(), "dense2/BiasAdd",
                "probabilities"), Map.of("NODE_PATH", nodeModules))));
        float[] logitsTfjs = TfjsGearTest.readF32(dir.resolve("0.f32")), probsTfjs = TfjsGearTest.readF32(dir.resolve("1.f32"));

        try (Net net = Net.build(spec, n, DataType.FLOAT, false)) {
            Net.Eval e = net.run(p, x, new int[n], false);
            float[] logits = e.logits().data().asFloat();
            e.close();
            assertEquals(n * 5, logitsTfjs.length);
            double worst = 0, scale = 0;
            for (int i = 0; i < logits.length; i++) {
                worst = Math.max(worst, Math.abs(logits[i] - logitsTfjs[i]));
                scale = Math.max(scale, Math.abs(logitsTfjs[i]));
            }
            System.out.printf("exported net vs TF.js: logits max|diff| %.3g of %.3g%n", worst, scale);
            assertTrue(worst <= 1e-5 * Math.max(1, scale), "logits: max|diff| " + worst);
            for (int b = 0; b < n; b++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int c = 0; c < 5; c++) max = Math.max(max, logits[b * 5 + c]);
                for (int c = 0; c < 5; c++) sum += Math.exp(logits[b * 5 + c] - max);
                for (int c = 0; c < 5; c++) assertEquals(Math.exp(logits[b * 5 + c] - max) / sum, probsTfjs[b * 5 + c], 1e-6, "probability " + b + "," + c);
            }
        }
    }
}
