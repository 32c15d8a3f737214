package io.github.deconvspark.models.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * {@link Attributions#gradCamPlusPlus} and {@link Attributions#scoreCam} on the real gear model and a real photo (and, through
 * {@link #matchesTfjs}, on emotion: {@link EmotionTfjsTest})
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

    /** Commands run one after the other in the background with NODE_PATH set to the TF.js runtime: their last lines. */
    static CompletableFuture<List<String>> inBackground(List<List<String>> cmds) throws Exception {
        Map<String, String> env = Map.of("NODE_PATH", TfjsGearTest.tfjsRuntime());      // fetched here, not in the background
        return CompletableFuture.supplyAsync(() -> {
            List<String> lines = new ArrayList<>();
            try {
                for (List<String> cmd : cmds) lines.add(TfjsGearTest.lastLine(TfjsGearTest.run(cmd, env)));
            } catch (Exception e) {
                throw new CompletionException(e);
            }
            return lines;
        });
    }

    /**
     * A CAM reference: {@code layer} ([1, h, w, K]) of {@code model} for the pre-softmax {@code head}; Grad-CAM++ of every class,
     * Score-CAM of {@code scoreCamClass}; {@code wrongLayer} a layer of the same shape; {@code unfuse}: cam.js's --unfuse;
     * {@code batch}: the Java model's (Score-CAM packs its masked images in batches).
     */
    record Case(String name, Path model, boolean unfuse, INDArray image, String head, String layer, String wrongLayer, int scoreCamClass,
                int batch) {
        String shortName(String node) {
            return node.substring(node.lastIndexOf('/', node.lastIndexOf('/') - 1) + 1);
        }
    }

    /**
     * cam.js's maps (in the background while Java computes) against ours, each within {@link #TOL} of its max; ours of the next
     * class, and of the wrong layer, must miss TF.js's by over 100x the tolerance, so the comparison can fail.
     */
    static void matchesTfjs(Case c) throws Exception {
        Path work = Files.createDirectories(TfjsGearTest.TARGET.resolve("cam-reference").resolve(c.name()));
        Path out = work.resolve("out");
        for (String f : new String[] {"gradcampp.f32", "scorecam.f32", "scores.f32"}) Files.deleteIfExists(out.resolve(f));
        AttributionsTest.write(work.resolve("input.f32"), AttributionsTest.floats(c.image()));
        List<String> cmd = new ArrayList<>(List.of("node", TfjsGearTest.MODELS.resolve("src/test/node/cam.js").toString()));
        if (c.unfuse()) cmd.add("--unfuse");
        long[] shape = c.image().shape();
        cmd.addAll(List.of(c.model().toString(), work.resolve("input.f32").toString(), "1," + shape[0] + "," + shape[1] + "," + shape[2],
                out.toString(), c.head(), c.layer()));
        long t0 = System.nanoTime();
        CompletableFuture<List<String>> reference = inBackground(List.of(cmd));
        INDArray[] camPP;
        INDArray wrongLayer, scoreCam, scores;
        double javaSeconds, ppSeconds;
        long[] hw;
        int k = c.scoreCamClass();
        try (TfjsModel four = TfjsModel.load(c.model(), c.batch())) {
            int classes = (int) four.layer(c.head()).size(1);
            hw = Arrays.copyOfRange(four.layer(c.layer()).shape(), 1, 3);
            camPP = new INDArray[classes];
            long t1 = System.nanoTime();
            for (int cl = 0; cl < classes; cl++) {
                camPP[cl] = Attributions.gradCamPlusPlus(four.graph(), four.input(), four.layer(c.layer()), four.layer(c.head()), c.image(), cl);
            }
            wrongLayer = Attributions.gradCamPlusPlus(four.graph(), four.input(), four.layer(c.wrongLayer()), four.layer(c.head()), c.image(), k);
            ppSeconds = (System.nanoTime() - t1) / 1e9;
            scoreCam = Attributions.scoreCam(four.graph(), four.input(), four.layer(c.layer()), four.layer(c.head()), c.image(), k);
            INDArray batch = Nd4j.zeros(DataType.FLOAT, four.input().shape());
            batch.putSlice(0, c.image().castTo(DataType.FLOAT));
            scores = four.graph().run(four.layer(c.head()), Map.of(four.input(), batch)).slice(0);
            javaSeconds = (System.nanoTime() - t0) / 1e9;
        }
        System.out.println(reference.join().get(0));
        System.out.printf("%s CAM references: Java %.1f s (of it Grad-CAM++ x%d %.1f s; overlapping Node), both %.1f s%n", c.name(), javaSeconds,
                camPP.length + 1, ppSeconds, (System.nanoTime() - t0) / 1e9);
        int classes = camPP.length, cells = (int) camPP[0].length(), other = (k + 1) % classes;
        float[] refPP = TfjsGearTest.readF32(out.resolve("gradcampp.f32")), refScore = TfjsGearTest.readF32(out.resolve("scorecam.f32"));
        float[] refScores = TfjsGearTest.readF32(out.resolve("scores.f32"));
        assertEquals(classes * cells, refPP.length);
        assertEquals(classes * cells, refScore.length);
        assertArrayEquals(hw, camPP[0].shape());
        assertArrayEquals(hw, scoreCam.shape());
        for (int cl = 0; cl < classes; cl++) {
            assertEquals(refScores[cl], scores.getDouble(cl), 1e-5 * Math.abs(refScores[cl]) + 1e-6, c.name() + " head score " + cl);
        }
        System.out.println(c.name() + " scores: Java " + scores + ", TF.js " + Arrays.toString(refScores));

        String l = c.shortName(c.layer());
        for (int cl = 0; cl < classes; cl++) {
            double pp = relDiff(refPP, cl * cells, camPP[cl], c.name() + " Grad-CAM++ " + l + " class " + cl);
            assertTrue(pp <= TOL, c.name() + " Grad-CAM++ class " + cl + ": relative max|diff| " + pp + " > " + TOL);
        }
        double sc = relDiff(refScore, k * cells, scoreCam, c.name() + " Score-CAM " + l + " class " + k);
        assertTrue(sc <= TOL, c.name() + " Score-CAM: relative max|diff| " + sc + " > " + TOL);
        // the comparison can fail: the wrong class or the wrong layer is far outside the tolerance
        double ppClass = relDiff(refPP, other * cells, camPP[k], "mismatch: Java Grad-CAM++ class " + k + " vs TF.js class " + other);
        double ppLayer = relDiff(refPP, k * cells, wrongLayer, "mismatch: Java Grad-CAM++ of " + c.shortName(c.wrongLayer()) + " vs TF.js " + l);
        double scClass = relDiff(refScore, other * cells, scoreCam, "mismatch: Java Score-CAM class " + k + " vs TF.js class " + other);
        for (double wrong : new double[] {ppClass, ppLayer, scClass}) {
            assertTrue(wrong > 100 * TOL, "a wrong class or layer is within 100x the tolerance (" + wrong + "): the comparison is too weak");
        }
    }

    @Test void gradCamPlusPlusAndScoreCamMatchTheTfjsRuntime() throws Exception {
        Assumptions.assumeTrue(TfjsGearTest.nodeAvailable(), "SKIPPED: 'node' is not on PATH (apt-get install nodejs npm)");
        INDArray image = Nd4j.create(TfjsGearTest.astronautFace(TfjsGearTest.astronautPng()), new long[] {198, 198, 3}, 'c');
        matchesTfjs(new Case("gear", TfjsGearTest.gearModel(), false, image, HEAD, LAYER, WRONG_LAYER, 0, 4));
    }
}
