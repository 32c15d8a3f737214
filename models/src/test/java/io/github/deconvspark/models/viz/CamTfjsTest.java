package io.github.deconvspark.models.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Attributions#gradCamPlusPlus} and {@link Attributions#scoreCam} on the real gear model and a real photo
 * against the official TF.js runtime (src/test/node/cam.js: its own d score / d layer through GraphModel.execute fed
 * at the layer, its own tf.image.resizeBilinear, min-max masks, forward passes and softmax), for conv2d_6/Relu
 * ([8, 8, 192], the layer the Grad-CAM tests use) and the gender head. Score-CAM there takes 192 masked forward passes,
 * which TF.js's CPU backend would need ~12 minutes for (3.8 s a pass): cam.js runs them on tfjs-backend-wasm (~33 s on
 * an idle 2-core machine) while the Java side computes, so the test takes about as long as the Node script (72 s when
 * measured beside other builds).
 *
 * <p>Tolerance: max |Java - TF.js| <= 1e-4 max |TF.js| per map. Both run the model in float32 (the head's scores
 * agree to ~1e-6 relative), Java forms the maps in float64 and TF.js in float32; 1e-4 is ~10^3 float32 ulps of the map's
 * largest value, and far below what a wrong class or a wrong layer gives (checked here: they must miss by over 100x
 * the tolerance, so the comparison can fail).
 */
class CamTfjsTest {
    static final String HEAD = AttributionsTest.HEAD;
    static final String LAYER = TfjsGearTest.P + "conv2d_6/Relu";
    /** The same [8, 8, 192] shape as LAYER, one affine step later (its batch norm): the "wrong layer". */
    static final String WRONG_LAYER = TfjsGearTest.P + "batch_normalization_5/FusedBatchNormV3";
    static final double TOL = 1e-4;

    /** max |ours - ref[from .. from + n)| / max |ref[from ..]|, printed with what it is. */
    static double relDiff(float[] ref, int from, INDArray ours, String what) {
        double[] o = ours.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < o.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(ref[from + i]));
            maxDiff = Math.max(maxDiff, Math.abs(ref[from + i] - o[i]));
        }
        assertTrue(maxRef > 0, what + ": the TF.js map is all zero, the comparison tests nothing");
        System.out.printf("%s: max|TF.js| %.4g, max|diff| %.3g, relative %.3g%n", what, maxRef, maxDiff, maxDiff / maxRef);
        return maxDiff / maxRef;
    }

    @Test void gradCamPlusPlusAndScoreCamMatchTheTfjsRuntime() throws Exception {
        Assumptions.assumeTrue(TfjsGearTest.nodeAvailable(), "SKIPPED: 'node' is not on PATH (apt-get install nodejs npm)");
        String nodeModules = TfjsGearTest.lastLine(TfjsGearTest.run(List.of("bash", TfjsGearTest.MODELS.resolve("fetch-gear.sh").toString(),
                "tfjs", TfjsGearTest.TARGET.toString()), Map.of()));
        Path json = TfjsGearTest.gearModel();
        INDArray image = Nd4j.create(TfjsGearTest.astronautFace(TfjsGearTest.astronautPng()), new long[] {198, 198, 3}, 'c');
        Path work = Files.createDirectories(TfjsGearTest.TARGET.resolve("cam-reference"));
        Path out = work.resolve("out");
        for (String f : new String[] {"gradcampp.f32", "scorecam.f32", "scores.f32"}) Files.deleteIfExists(out.resolve(f));
        AttributionsTest.write(work.resolve("input.f32"), AttributionsTest.floats(image));
        List<String> cmd = List.of("node", TfjsGearTest.MODELS.resolve("src/test/node/cam.js").toString(), json.toString(),
                work.resolve("input.f32").toString(), "1,198,198,3", out.toString(), HEAD, LAYER);
        long t0 = System.nanoTime();
        // the reference in the background: the Java maps are computed meanwhile
        CompletableFuture<String> reference = CompletableFuture.supplyAsync(() -> {
            try {
                return TfjsGearTest.run(cmd, Map.of("NODE_PATH", nodeModules));
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        INDArray[] camPP = new INDArray[2];
        INDArray wrongLayer, scoreCam, scores;
        double javaSeconds, ppSeconds;
        try (TfjsModel four = TfjsModel.load(json, 4)) {
            long t1 = System.nanoTime();
            for (int c = 0; c < 2; c++) {
                camPP[c] = Attributions.gradCamPlusPlus(four.graph(), four.input(), four.layer(LAYER), four.layer(HEAD), image, c);
            }
            wrongLayer = Attributions.gradCamPlusPlus(four.graph(), four.input(), four.layer(WRONG_LAYER), four.layer(HEAD), image, 0);
            ppSeconds = (System.nanoTime() - t1) / 1e9;
            scoreCam = Attributions.scoreCam(four.graph(), four.input(), four.layer(LAYER), four.layer(HEAD), image, 0);
            INDArray batch = Nd4j.zeros(DataType.FLOAT, four.input().shape());
            batch.putSlice(0, image.castTo(DataType.FLOAT));
            scores = four.graph().run(four.layer(HEAD), Map.of(four.input(), batch)).slice(0);
            javaSeconds = (System.nanoTime() - t0) / 1e9;
        }
        System.out.println(TfjsGearTest.lastLine(reference.join()));
        System.out.printf("CAM references: Java %.1f s (of it Grad-CAM++ x3 %.1f s; overlapping Node), both %.1f s%n", javaSeconds, ppSeconds,
                (System.nanoTime() - t0) / 1e9);
        float[] refPP = TfjsGearTest.readF32(out.resolve("gradcampp.f32")), refScore = TfjsGearTest.readF32(out.resolve("scorecam.f32"));
        float[] refScores = TfjsGearTest.readF32(out.resolve("scores.f32"));
        assertEquals(2 * 64, refPP.length);
        assertEquals(2 * 64, refScore.length);
        assertArrayEquals(new long[] {8, 8}, camPP[0].shape());
        assertArrayEquals(new long[] {8, 8}, scoreCam.shape());
        for (int c = 0; c < 2; c++) {
            assertEquals(refScores[c], scores.getDouble(c), 1e-5 * Math.abs(refScores[c]) + 1e-6, "head score " + c);
        }
        System.out.println("gear gender scores: Java " + scores + ", TF.js " + Arrays.toString(refScores));

        double[] pp = {relDiff(refPP, 0, camPP[0], "Grad-CAM++ conv2d_6 class 0"), relDiff(refPP, 64, camPP[1], "Grad-CAM++ conv2d_6 class 1")};
        double sc = relDiff(refScore, 0, scoreCam, "Score-CAM conv2d_6 class 0");
        // the comparison can fail: the wrong class or the wrong layer is far outside the tolerance
        double ppClass = relDiff(refPP, 64, camPP[0], "mismatch: Java Grad-CAM++ class 0 vs TF.js class 1");
        double ppLayer = relDiff(refPP, 0, wrongLayer, "mismatch: Java Grad-CAM++ of batch_normalization_5 vs TF.js conv2d_6");
        double scClass = relDiff(refScore, 64, scoreCam, "mismatch: Java Score-CAM class 0 vs TF.js class 1");
        for (int c = 0; c < 2; c++) assertTrue(pp[c] <= TOL, "Grad-CAM++ class " + c + ": relative max|diff| " + pp[c] + " > " + TOL);
        assertTrue(sc <= TOL, "Score-CAM: relative max|diff| " + sc + " > " + TOL);
        for (double wrong : new double[] {ppClass, ppLayer, scClass}) {
            assertTrue(wrong > 100 * TOL, "a wrong class or layer is within 100x the tolerance (" + wrong + "): the comparison is too weak");
        }
    }
}
