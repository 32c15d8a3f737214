package io.github.deconvspark.models.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Attributions} on the real gear model and a real photo: against the official TF.js runtime (gradient x input,
 * integrated gradients, SmoothGrad with the same noise, guided backprop of a class; src/test/node/attribution.js), and the
 * properties that must hold: completeness of integrated gradients with its error falling as m grows, SmoothGrad with sigma
 * 0 equal to its base method, packed (batch 4) equal to one at a time (batch 1) bit for bit, the noise repeatable from its
 * seed. The same references on a second model: {@link EmotionTfjsTest}.
 */
class AttributionsTest {
    static final String HEAD = TfjsGearTest.P + "gender_output/BiasAdd";
    static final int CLS = 0;
    static TfjsModel one, four;
    static INDArray image;

    @BeforeAll static void load() throws Exception {
        Path json = TfjsGearTest.gearModel();
        one = TfjsModel.load(json, 1);
        four = TfjsModel.load(json, 4);
        image = Nd4j.create(TfjsGearTest.astronautFace(TfjsGearTest.astronautPng()), new long[] {198, 198, 3}, 'c');
    }

    @AfterAll static void close() {
        one.close();
        four.close();
    }

    static double score(TfjsModel m, INDArray x) {
        INDArray batch = Nd4j.zeros(DataType.FLOAT, m.input().shape());
        batch.putSlice(0, x.castTo(DataType.FLOAT));
        return m.graph().run(m.layer(HEAD), Map.of(m.input(), batch)).getDouble(0, CLS);
    }

    @Test void riemannRulesPlaceAndWeighTheirSteps() {
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75}, Attributions.Riemann.LEFT.alphas(4));
        assertArrayEquals(new double[] {0.25, 0.5, 0.75, 1}, Attributions.Riemann.RIGHT.alphas(4));
        assertArrayEquals(new double[] {0.125, 0.375, 0.625, 0.875}, Attributions.Riemann.MIDDLE.alphas(4));
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, Attributions.Riemann.TRAPEZOID.alphas(4));
        assertArrayEquals(new double[] {0.125, 0.25, 0.25, 0.25, 0.125}, Attributions.Riemann.TRAPEZOID.weights(4));
        assertArrayEquals(new double[] {1}, Attributions.Riemann.MIDDLE.weights(1));
    }

    @Test void integratedGradientsAreCompleteTheMoreSoTheMoreSteps() {
        INDArray black = Nd4j.zeros(DataType.FLOAT, 198, 198, 3);
        double delta = score(four, image) - score(four, black);
        assertTrue(Math.abs(delta) > 0.1, "f(x) - f(black) = " + delta + ": too small to judge completeness");
        StringBuilder path = new StringBuilder();
        for (double a : new double[] {0, 0.25, 0.5, 0.75, 1}) path.append(String.format(" f(%.2f) %.4f", a, score(four, image.mul(a))));
        System.out.println("integrated gradients: the score along the path from black:" + path);
        List<Double> errors = new ArrayList<>();
        for (int m : new int[] {2, 8, 32, 128}) {
            double sum = Attributions.integratedGradients(four.graph(), four.input(), four.layer(HEAD), image, black, CLS, m,
                    Attributions.Riemann.TRAPEZOID).sumNumber().doubleValue();
            errors.add(Math.abs(sum - delta) / Math.abs(delta));
        }
        System.out.printf("integrated gradients, gear gender class %d: f(x) - f(black) = %.5f; completeness error at m = 2, 8, 32, 128: %s%n",
                CLS, delta, errors);
        for (int i = 1; i < errors.size(); i++) assertTrue(errors.get(i) < errors.get(i - 1), "the error does not fall with m: " + errors);
    }

    @Test void packedEqualsOneAtATimeAndSigmaZeroIsTheBaseMethod() {
        INDArray base = Attributions.noise(new long[] {198, 198, 3}, 0.2, 7, 0).addi(0.5);       // a noise baseline
        for (Attributions.Riemann rule : Attributions.Riemann.values()) {
            INDArray packed = Attributions.integratedGradients(four.graph(), four.input(), four.layer(HEAD), image, base, CLS, 5, rule);
            INDArray single = Attributions.integratedGradients(one.graph(), one.input(), one.layer(HEAD), image, base, CLS, 5, rule);
            assertArrayEquals(single.data().asDouble(), packed.data().asDouble(), rule + ": packed (batch 4) != one at a time");
        }
        INDArray grad = Attributions.gradient(four.graph(), four.input(), four.layer(HEAD), image, CLS);
        INDArray sg0 = Attributions.smoothGrad(four.graph(), four.input(), four.layer(HEAD), image, CLS, Attributions.Base.GRADIENT, 3, 0, 1,
                null, 1, Attributions.Riemann.MIDDLE);
        assertSame(grad, sg0, "SmoothGrad, sigma 0 != the gradient");
        INDArray gxi = Attributions.gradientTimesInput(one.graph(), one.input(), one.layer(HEAD), image, CLS);
        INDArray sgx0 = Attributions.smoothGrad(four.graph(), four.input(), four.layer(HEAD), image, CLS, Attributions.Base.GRADIENT_X_INPUT, 5,
                0, 1, null, 1, Attributions.Riemann.MIDDLE);
        assertSame(gxi, sgx0, "SmoothGrad of gradient x input, sigma 0 != gradient x input");
        // seeded noise: the same seed repeats, another seed differs
        assertArrayEquals(Attributions.noise(new long[] {5, 5}, 1, 3, 2).data().asDouble(),
                Attributions.noise(new long[] {5, 5}, 1, 3, 2).data().asDouble());
        assertFalse(java.util.Arrays.equals(Attributions.noise(new long[] {5, 5}, 1, 3, 2).data().asDouble(),
                Attributions.noise(new long[] {5, 5}, 1, 3, 3).data().asDouble()));
    }

    /** Equal values (-0 == +0): the mean of n equal float64 values is that value up to its last bits. */
    static void assertSame(INDArray want, INDArray got, String what) {
        double[] w = want.data().asDouble(), g = got.data().asDouble();
        assertEquals(w.length, g.length, what);
        for (int i = 0; i < w.length; i++) {
            assertTrue(Math.abs(w[i] - g[i]) <= 4 * Math.ulp(w[i]), what + " at " + i + ": " + w[i] + " vs " + g[i]);
        }
    }

    @Test void occlusionEqualsANaiveLoopOfForwardPasses() {
        assertArrayEquals(new int[] {0, 4, 8, 10}, Attributions.positions(14, 4, 4));
        assertArrayEquals(new int[] {0, 5, 10}, Attributions.positions(14, 4, 5));
        assertArrayEquals(new int[] {0}, Attributions.positions(14, 14, 3));
        int window = 40, stride = 32;
        double baseline = 0.5;
        INDArray packed = Attributions.occlusion(four.graph(), four.input(), four.layer(HEAD), image, CLS, window, stride, baseline);
        // the naive loop: one forward pass per window on the batch-1 model
        double full = score(one, image);
        double[] sum = new double[198 * 198];
        int[] count = new int[198 * 198];
        int windows = 0;
        for (int y0 : new int[] {0, 32, 64, 96, 128, 158}) {
            for (int x0 : new int[] {0, 32, 64, 96, 128, 158}) {
                INDArray c = image.dup('c');
                for (int y = y0; y < y0 + window; y++) {
                    for (int x = x0; x < x0 + window; x++) {
                        for (int ch = 0; ch < 3; ch++) c.putScalar(new long[] {y, x, ch}, baseline);
                    }
                }
                double drop = full - score(one, c);
                windows++;
                for (int y = y0; y < y0 + window; y++) {
                    for (int x = x0; x < x0 + window; x++) {
                        sum[y * 198 + x] += drop;
                        count[y * 198 + x]++;
                    }
                }
            }
        }
        for (int i = 0; i < sum.length; i++) sum[i] /= count[i];
        assertEquals(36, windows);
        assertArrayEquals(new long[] {198, 198}, packed.shape());
        assertArrayEquals(sum, packed.data().asDouble(), "occlusion (packed, batch 4) != the naive loop (batch 1)");
        double lo = packed.minNumber().doubleValue(), hi = packed.maxNumber().doubleValue();
        System.out.printf("occlusion %dx%d stride %d of gear gender class %d: drops from %.4f to %.4f%n", window, window, stride, CLS, lo, hi);
        assertTrue(hi > lo, "occlusion map is flat");
    }

    /**
     * Grad-CAM++ on a tiny net whose score is linear in its last conv layer, so d score / d layer is the dense layer's
     * column (analytic, not autodiff): the formula by hand, every class.
     */
    @Test void gradCamPlusPlusEqualsTheFormulaByHand() {
        try (ProjectionsTest.TinyNet n = new ProjectionsTest.TinyNet(21)) {
            double[] a = n.run(n.c2).castTo(DataType.DOUBLE).data().asDouble();          // [1, 3, 3, 4]
            int anyPositive = 0;
            for (int cls = 0; cls < 5; cls++) {
                double[] g = new double[36], sumA = new double[4], w = new double[4], want = new double[9];
                for (int i = 0; i < 36; i++) {
                    g[i] = n.wd.getDouble(i, cls);
                    sumA[i % 4] += a[i];
                }
                for (int i = 0; i < 36; i++) {
                    double alpha = g[i] == 0 ? 0 : g[i] * g[i] / (2 * g[i] * g[i] + sumA[i % 4] * g[i] * g[i] * g[i] + 1e-6);
                    w[i % 4] += alpha * Math.max(g[i], 0);
                }
                for (int p = 0; p < 9; p++) {
                    double v = 0;
                    for (int k = 0; k < 4; k++) v += w[k] * a[p * 4 + k];
                    want[p] = Math.max(v, 0);
                    if (want[p] > 0) anyPositive++;
                }
                INDArray got = Attributions.gradCamPlusPlus(n.g, n.x, n.c2, n.score, n.image, cls);
                assertArrayEquals(new long[] {3, 3}, got.shape());
                double[] gv = got.data().asDouble();
                for (int p = 0; p < 9; p++) {
                    assertEquals(want[p], gv[p], 1e-6 * Math.max(1, Math.abs(want[p])), "class " + cls + " cell " + p);
                }
            }
            assertTrue(anyPositive > 0, "every map is zero: the case tests nothing");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Attributions.gradCamPlusPlus(n.g, n.x, n.score, n.score, n.image, 0));
            assertTrue(e.getMessage().contains("must be 4-D NHWC"), e.getMessage());
        }
    }

    @Test void thePredictedClassIsTheLargestScore() {
        try (ProjectionsTest.TinyNet n = new ProjectionsTest.TinyNet(23)) {
            double[] s = n.run(n.score).castTo(DataType.DOUBLE).data().asDouble();
            int want = 0;
            for (int c = 1; c < s.length; c++) if (s[c] > s[want]) want = c;
            assertEquals(want, Attributions.predictedClass(n.g, n.x, n.score, n.image));
        }
    }

    @Test void upsamplingIsBilinearWithCornersAligned() {
        // a 2x2 map (one channel of two) to 3x3: corners kept, edge midpoints the mean of two, the centre of four
        double[] a = {1, 9, 3, 9, 5, 9, 11, 9};                                  // [2, 2, 2], channel 0: 1 3 / 5 11
        assertArrayEquals(new double[] {1, 2, 3, 3, 5, 7, 5, 8, 11}, Attributions.upsample(a, 2, 2, 2, 0, 3, 3), 1e-12);
        assertArrayEquals(new double[] {9, 9, 9, 9}, Attributions.upsample(a, 2, 2, 2, 1, 2, 2), 1e-12);
    }

    /** Score-CAM on the tiny net against a naive loop: one forward pass per masked image, softmax, weighted sum. */
    @Test void scoreCamEqualsANaiveLoopOfForwardPasses() {
        try (ProjectionsTest.TinyNet n = new ProjectionsTest.TinyNet(22)) {
            double[] a = n.run(n.c2).castTo(DataType.DOUBLE).data().asDouble();          // [1, 3, 3, 4]
            double[] x = n.image.castTo(DataType.DOUBLE).data().asDouble();               // [1, 9, 9, 2]
            for (int cls : new int[] {0, 3}) {
                double[] s = new double[4];
                for (int k = 0; k < 4; k++) {
                    double[] up = new double[81];
                    for (int y = 0; y < 9; y++) {
                        for (int xx = 0; xx < 9; xx++) {                              // 3 -> 9, corners aligned: step 1/4 cell
                            double sy = y / 4.0, sx = xx / 4.0;
                            int y0 = Math.min((int) sy, 1), x0 = Math.min((int) sx, 1);
                            double fy = sy - y0, fx = sx - x0;
                            up[y * 9 + xx] = (1 - fy) * ((1 - fx) * a[(y0 * 3 + x0) * 4 + k] + fx * a[(y0 * 3 + x0 + 1) * 4 + k])
                                    + fy * ((1 - fx) * a[((y0 + 1) * 3 + x0) * 4 + k] + fx * a[((y0 + 1) * 3 + x0 + 1) * 4 + k]);
                        }
                    }
                    double lo = java.util.Arrays.stream(up).min().getAsDouble(), hi = java.util.Arrays.stream(up).max().getAsDouble();
                    double[] img = x.clone();
                    for (int p = 0; p < 81; p++) for (int c = 0; c < 2; c++) img[p * 2 + c] *= hi > lo ? (up[p] - lo) / (hi - lo) : 0;
                    INDArray masked = Nd4j.create(img, new long[] {1, 9, 9, 2}, 'c').castTo(DataType.FLOAT);
                    s[k] = n.g.run(n.score, Map.of(n.x, masked)).getDouble(0, cls);
                }
                double max = java.util.Arrays.stream(s).max().getAsDouble(), z = 0;
                for (double v : s) z += Math.exp(v - max);
                double[] want = new double[9];
                for (int p = 0; p < 9; p++) {
                    double v = 0;
                    for (int k = 0; k < 4; k++) v += Math.exp(s[k] - max) / z * a[p * 4 + k];
                    want[p] = Math.max(v, 0);
                }
                INDArray got = Attributions.scoreCam(n.g, n.x, n.c2, n.score, n.image, cls);
                assertArrayEquals(want, got.data().asDouble(), 1e-9, "Score-CAM class " + cls);
                assertTrue(got.maxNumber().doubleValue() > 0, "Score-CAM class " + cls + " is all zero");
            }
        }
    }

    @Test void optionsOutOfRangeAreRefusedWithTheRule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Attributions.check(four.layer(HEAD), 0, 0, 1, 0.1));
        assertTrue(e.getMessage().contains("steps 0 (integrated gradients' m) must be >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attributions.check(four.layer(HEAD), 0, 1, 0, 0.1));
        assertTrue(e.getMessage().contains("samples 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attributions.check(four.layer(HEAD), 0, 1, 1, -0.5));
        assertTrue(e.getMessage().contains("sigma -0.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attributions.check(four.layer(HEAD), 0, 1, 1, Double.NaN));
        assertTrue(e.getMessage().contains("sigma NaN"), e.getMessage());
        long classes = four.layer(HEAD).size(1);
        e = assertThrows(IllegalArgumentException.class, () -> Attributions.check(four.layer(HEAD), (int) classes, 1, 1, 0));
        assertTrue(e.getMessage().contains("class " + classes + " is outside the head"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attributions.check(four.layer(TfjsGearTest.P + "conv2d_5/Relu"), 0, 1, 1, 0));
        assertTrue(e.getMessage().contains("must be [batch, classes]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Attributions.gradient(four.graph(), four.input(), four.layer(HEAD), Nd4j.zeros(DataType.FLOAT, 100, 100, 3), 0));
        assertTrue(e.getMessage().contains("image shape [100, 100, 3] does not match"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Attributions.occlusion(four.graph(), four.input(), four.layer(HEAD), image, 0, 199, 8, 0));
        assertTrue(e.getMessage().contains("occlusion window 199 must be 1 to 198 (the image is 198x198)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Attributions.occlusion(four.graph(), four.input(), four.layer(HEAD), image, 0, 8, 0, 0));
        assertTrue(e.getMessage().contains("occlusion stride 0 must be >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attributions.integratedGradients(four.graph(), four.input(), four.layer(HEAD),
                image, null, 0, 4, Attributions.Riemann.LEFT));
        assertTrue(e.getMessage().contains("baseline is null"), e.getMessage());
    }

    static void write(Path p, float[] v) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.write(p, b.array());
    }

    static float[] floats(INDArray a) {
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    /** ours vs TF.js: max |diff| <= tol * max |TF.js|; the relative difference, printed. */
    static double assertNear(float[] ref, INDArray ours, double tol, String what) {
        assertEquals(ref.length, ours.length(), what);
        double rel = CamTfjsTest.relDiff(ref, 0, ours, what);
        assertTrue(rel <= tol, what + ": max|diff| " + rel + " of max|TF.js| > " + tol);
        return rel;
    }

    /** ours vs TF.js where ours is deliberately wrong (another class, rule or layer): must miss by over 100x tol. */
    static void assertMisses(float[] ref, INDArray wrong, double tol, String what) {
        double rel = CamTfjsTest.relDiff(ref, 0, wrong, "mismatch: " + what);
        assertTrue(rel > 100 * tol, what + " is within 100x the tolerance (" + rel + "): the comparison is too weak");
    }

    /**
     * SmoothGrad's noisy points as attribution.js takes them: per sample, x + noise rounded to float32 as the model's input is,
     * minus x, so TF.js's x + noise is that point; the samples one after the other.
     */
    static float[] smoothGradNoise(INDArray image, double sigma, long seed, int samples) {
        double range = image.maxNumber().doubleValue() - image.minNumber().doubleValue();
        float[] noise = new float[samples * (int) image.length()];
        for (int s = 0; s < samples; s++) {
            INDArray noisy = image.castTo(DataType.DOUBLE).add(Attributions.noise(image.shape(), sigma * range, seed, s)).castTo(DataType.FLOAT);
            float[] n = floats(noisy.sub(image.castTo(DataType.FLOAT)));
            System.arraycopy(n, 0, noise, s * n.length, n.length);
        }
        return noise;
    }

    /** attribution.js's command for {@code out}: [--unfuse] MODEL INPUT SHAPE OUT NODE CLASS METHOD ARGS. */
    static List<String> attributionJs(Path model, boolean unfuse, Path input, long[] shape, Path out, String head, int cls, String... method) {
        List<String> cmd = new ArrayList<>(List.of("node", TfjsGearTest.MODELS.resolve("src/test/node/attribution.js").toString()));
        if (unfuse) cmd.add("--unfuse");
        cmd.addAll(List.of(model.toString(), input.toString(), "1," + shape[0] + "," + shape[1] + "," + shape[2], out.toString(), head,
                String.valueOf(cls)));
        cmd.addAll(List.of(method));
        return cmd;
    }

    @Test void matchTheTfjsRuntime() throws Exception {
        Assumptions.assumeTrue(TfjsGearTest.nodeAvailable(), "SKIPPED: 'node' is not on PATH (apt-get install nodejs npm)");
        Path work = Files.createDirectories(TfjsGearTest.TARGET.resolve("attribution-reference"));
        Path input = work.resolve("input.f32"), model = TfjsGearTest.gearModel();
        write(input, floats(image));
        INDArray baseline = Attributions.noise(new long[] {198, 198, 3}, 0.1, 11, 0).addi(0.3).castTo(DataType.FLOAT);
        write(work.resolve("baseline.f32"), floats(baseline));
        int samples = 2;                   // TF.js's CPU backend takes ~7 s per gradient of gear: few of them
        double sigma = 0.1;
        write(work.resolve("noise.f32"), smoothGradNoise(image, sigma, 5, samples));
        var reference = CamTfjsTest.inBackground(List.of(
                attributionJs(model, false, input, image.shape(), work.resolve("gxi"), HEAD, CLS, "gradxinput"),
                attributionJs(model, false, input, image.shape(), work.resolve("ig"), HEAD, CLS, "ig", work.resolve("baseline.f32").toString(),
                        "3", "middle"),
                attributionJs(model, false, input, image.shape(), work.resolve("sg"), HEAD, CLS, "smoothgrad",
                        work.resolve("noise.f32").toString(), String.valueOf(samples))));
        INDArray gxi = Attributions.gradientTimesInput(four.graph(), four.input(), four.layer(HEAD), image, CLS);
        INDArray ig = Attributions.integratedGradients(four.graph(), four.input(), four.layer(HEAD), image, baseline, CLS, 3,
                Attributions.Riemann.MIDDLE);
        INDArray sg = Attributions.smoothGrad(four.graph(), four.input(), four.layer(HEAD), image, CLS, Attributions.Base.GRADIENT, samples,
                sigma, 5, null, 1, Attributions.Riemann.MIDDLE);
        reference.join().forEach(System.out::println);
        assertNear(TfjsGearTest.readF32(work.resolve("gxi/attr.f32")), gxi, 1e-4, "gradient x input");
        assertNear(TfjsGearTest.readF32(work.resolve("ig/attr.f32")), ig, 1e-4, "integrated gradients (m 3, middle, noise baseline)");
        assertNear(TfjsGearTest.readF32(work.resolve("sg/attr.f32")), sg, 1e-4, "SmoothGrad (n 2, sigma 0.1)");
    }

    /**
     * Guided backprop of a class ({@link Explainer.Method#GUIDED}, {@link Explainer.Target#ofClass}) against TF.js with the
     * guided rule registered as the Relu gradient (attribution.js guided). The seven ReLUs between the image and the gender
     * head (six conv, one dense) are all fused ops, _FusedConv2D and _FusedMatMul, which TF.js runs unfused while it records
     * gradients, so the registered gradient reaches each (attribution.js counts its calls). One TF.js gradient, ~7 s; the
     * plain gradient and the other class must miss it.
     */
    @Test void guidedBackpropOfAClassMatchesTheTfjsRuntime() throws Exception {
        Assumptions.assumeTrue(TfjsGearTest.nodeAvailable(), "SKIPPED: 'node' is not on PATH (apt-get install nodejs npm)");
        Path work = Files.createDirectories(TfjsGearTest.TARGET.resolve("attribution-reference"));
        Path input = work.resolve("input.f32");
        write(input, floats(image));
        var reference = CamTfjsTest.inBackground(List.of(attributionJs(TfjsGearTest.gearModel(), false, input, image.shape(),
                work.resolve("guided"), HEAD, CLS, "guided")));
        Explainer ex = new Explainer(four, HEAD);
        INDArray guided = ex.explain(image, Explainer.Method.GUIDED, Explainer.Options.defaults(), Explainer.Target.ofClass(CLS)).attribution();
        INDArray other = ex.explain(image, Explainer.Method.GUIDED, Explainer.Options.defaults(), Explainer.Target.ofClass(1 - CLS)).attribution();
        INDArray plain = Attributions.gradient(four.graph(), four.input(), four.layer(HEAD), image, CLS);
        System.out.println(reference.join().get(0));
        float[] ref = TfjsGearTest.readF32(work.resolve("guided/attr.f32"));
        assertNear(ref, guided, 1e-4, "gear guided backprop, gender class " + CLS);
        assertMisses(ref, other, 1e-4, "Java guided class " + (1 - CLS) + " vs TF.js class " + CLS);
        assertMisses(ref, plain, 1e-4, "Java plain gradient (ReluRule.GRADIENT) vs TF.js guided");
    }
}
