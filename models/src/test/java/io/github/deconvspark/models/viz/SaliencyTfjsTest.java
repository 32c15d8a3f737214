package io.github.deconvspark.models.viz;

import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.tfjs.TfjsModel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Saliency (Simonyan et al. 2013) on the gear model and a real photo against the official TF.js
 * runtime's own gradient (tf.valueAndGrad through GraphModel.execute, src/test/node/gradient.js):
 * the class score, and max |d score / d image| over colour channels at every pixel.
 */
class SaliencyTfjsTest {
    @Test void saliencyEqualsTfjsGradient() throws Exception {
        Assumptions.assumeTrue(TfjsGearTest.nodeAvailable(), "SKIPPED: 'node' is not on PATH (apt-get install nodejs npm)");
        String script = TfjsGearTest.MODELS.resolve("fetch-gear.sh").toString();
        Path modelJson = TfjsGearTest.gearModel();
        Path photo = TfjsGearTest.astronautPng();
        String nodeModules = TfjsGearTest.lastLine(TfjsGearTest.run(List.of("bash", script, "tfjs", TfjsGearTest.TARGET.toString()), Map.of()));
        Path work = Files.createDirectories(TfjsGearTest.TARGET.resolve("saliency-reference"));
        float[] pixels = TfjsGearTest.astronautFace(photo);
        ByteBuffer in = ByteBuffer.allocate(pixels.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        in.asFloatBuffer().put(pixels);
        Files.write(work.resolve("input.f32"), in.array());
        String head = TfjsGearTest.P + "gender_output/BiasAdd";
        int cls = 0;
        System.out.println(TfjsGearTest.lastLine(TfjsGearTest.run(List.of("node", TfjsGearTest.MODELS.resolve("src/test/node/gradient.js").toString(),
                modelJson.toString(), work.resolve("input.f32").toString(), "1,198,198,3", work.toString(), head, String.valueOf(cls)),
                Map.of("NODE_PATH", nodeModules))));
        float[] grad = TfjsGearTest.readF32(work.resolve("grad.f32"));
        float score = TfjsGearTest.readF32(work.resolve("score.f32"))[0];
        try (TfjsModel m = TfjsModel.load(modelJson)) {
            INDArray image = Nd4j.create(pixels, new long[] {1, 198, 198, 3}, 'c');
            Projections.Projection s = Projections.saliency(m.graph(), m.input(), m.layer(head), image, cls);
            assertEquals(score, s.activation(), 1e-5, "class score");
            float[] ours = s.projection().dup('c').data().asFloat();
            assertEquals(198 * 198, ours.length);
            double maxRef = 0, maxDiff = 0;
            for (int p = 0; p < ours.length; p++) {
                double ref = Math.max(Math.abs(grad[3 * p]), Math.max(Math.abs(grad[3 * p + 1]), Math.abs(grad[3 * p + 2])));
                maxRef = Math.max(maxRef, ref);
                maxDiff = Math.max(maxDiff, Math.abs(ref - ours[p]));
            }
            System.out.printf("saliency gender class %d: score %.7g (TF.js %.7g), max|TF.js| %.4g, max|diff| %.3g%n", cls, s.activation(),
                    score, maxRef, maxDiff);
            assertTrue(maxRef > 0);
            assertTrue(maxDiff <= 1e-4 * maxRef, "max|diff| " + maxDiff + " > 1e-4 * " + maxRef);
        }
    }
}
