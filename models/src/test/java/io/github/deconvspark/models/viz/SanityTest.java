package io.github.deconvspark.models.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.tfjs.TfjsModel;
import io.github.deconvspark.models.viz.Sanity.Group;
import io.github.deconvspark.models.viz.Sanity.Method;
import io.github.deconvspark.models.viz.Sanity.Result;
import io.github.deconvspark.models.viz.Sanity.Step;
import java.awt.image.BufferedImage;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;

/**
 * {@link Sanity}'s cascading randomization (Adebayo et al. 2018) on the real gear model (batch 4), its gender head
 * (class 0), three real images packed into one batch: skimage's astronaut face, the face mirrored, and a crop shifted by
 * (-15, +15) pixels. The cascade is gear's 8 groups for the head (gender_output, dense_3, then conv2d_6 .. conv2d_2 each
 * with its batch-norm, conv2d_1); gradient, saliency, gradient x input and guided backprop run the whole cascade,
 * integrated gradients (m = 4, black baseline) its first 3 groups, to keep the test short. Checked: step 0 is exactly 1;
 * gradient-based maps change once the top layers are randomized; what guided backprop does is measured and asserted as
 * it is; only the chosen parameters are fed, the layers below them compute as trained, and the model is as loaded after
 * the runs (no state leaks); the same seed repeats bit for bit; the SVG is well-formed with one polyline per method.
 */
class SanityTest {
    static final String HEAD = TfjsGearTest.P + "gender_output/BiasAdd";
    static final int CLS = 0, S = 198, IG_STEPS = 4, IG_GROUPS = 3;
    static final long SEED = 2018;
    static final List<Method> FULL = List.of(Method.GRADIENT, Method.SALIENCY, Method.GRADIENT_X_INPUT, Method.GUIDED_BACKPROP);
    static TfjsModel model, one;
    static Tensor score;
    static List<INDArray> images;
    static List<Group> cascade;
    static INDArray batch, trainedScores;
    static final Map<String, INDArray> trainedParams = new HashMap<>(), trainedValues = new HashMap<>();
    static List<Result> full, ig;

    @BeforeAll static void load() throws Exception {
        model = TfjsModel.load(TfjsGearTest.gearModel(), 4);
        one = TfjsModel.load(TfjsGearTest.gearModel(), 1);
        score = model.layer(HEAD);
        BufferedImage photo = ImageIO.read(TfjsGearTest.astronautPng().toFile());
        INDArray face = crop(photo, 125, 10, false);
        images = List.of(face, crop(photo, 125, 10, true), crop(photo, 110, 25, false));
        batch = Nd4j.zeros(DataType.FLOAT, 4, S, S, 3);
        for (int i = 0; i < images.size(); i++) batch.putSlice(i, images.get(i));
        for (String p : model.parameters()) {
            trainedParams.put(p, model.layer(p).value());
            trainedValues.put(p, model.layer(p).value().dup());
        }
        trainedScores = model.graph().run(score, Map.of(model.input(), batch));
        cascade = Sanity.cascade(model, score);
        long t0 = System.nanoTime();
        full = Sanity.run(model, score, images, CLS, FULL, cascade, 1, SEED);
        ig = Sanity.run(model, score, images, CLS, List.of(Method.INTEGRATED_GRADIENTS), cascade.subList(0, IG_GROUPS), IG_STEPS, SEED);
        System.out.printf("sanity on gear: %d groups, 3 images, %.1f s%n", cascade.size(), (System.nanoTime() - t0) / 1e9);
        for (Result r : full) print(r);
        for (Result r : ig) print(r);
    }

    @AfterAll static void close() {
        model.close();
        one.close();
    }

    /** A 198 x 198 crop at (x0, y0), RGB / 255, mirrored left to right if asked: [H, W, C]. */
    static INDArray crop(BufferedImage img, int x0, int y0, boolean mirror) {
        float[] f = new float[S * S * 3];
        for (int y = 0; y < S; y++) {
            for (int x = 0; x < S; x++) {
                int rgb = img.getRGB(x0 + (mirror ? S - 1 - x : x), y0 + y), o = (y * S + x) * 3;
                f[o] = ((rgb >> 16) & 0xff) / 255f;
                f[o + 1] = ((rgb >> 8) & 0xff) / 255f;
                f[o + 2] = (rgb & 0xff) / 255f;
            }
        }
        return Nd4j.create(f, new long[] {S, S, 3}, 'c');
    }

    static void print(Result r) {
        System.out.println("sanity " + r.method() + ": step, layer randomized last, mean Spearman |map|, signed, SSIM; per image Spearman |map|");
        for (Step s : r.steps()) {
            System.out.printf("  %d %-24s %7.4f %7.4f %7.4f  %s%n", s.randomized(), short_(s.layer()), s.meanSpearmanAbs(), s.meanSpearmanSigned(),
                    s.meanSsim(), java.util.Arrays.toString(java.util.Arrays.stream(s.spearmanAbs()).map(v -> Math.round(v * 1e4) / 1e4).toArray()));
        }
    }

    static String short_(String layer) {
        return layer.startsWith(TfjsGearTest.P) ? layer.substring(TfjsGearTest.P.length()) : layer;
    }

    static Step step(Method m, int s) {
        for (Result r : full) if (r.method() == m) return r.steps().get(s);
        for (Result r : ig) if (r.method() == m) return r.steps().get(s);
        throw new AssertionError(m + " not run");
    }

    @Test void theCascadeRunsFromTheOutputBackToTheInputWithEachConvAndItsBatchNorm() {
        List<String> want = new ArrayList<>(List.of("gender_output/BiasAdd", "dense_3/Relu"));
        for (int c = 6; c >= 1; c--) want.add("conv2d_" + c + "/Relu");
        assertEquals(want, cascade.stream().map(g -> short_(g.layer())).toList());
        assertEquals(List.of(TfjsGearTest.P + "gender_output/MatMul/ReadVariableOp", TfjsGearTest.P + "gender_output/BiasAdd/ReadVariableOp"),
                cascade.get(0).parameters());
        for (int c = 6; c >= 2; c--) {
            Group g = cascade.get(8 - c);
            String bn = TfjsGearTest.P + "batch_normalization_" + (c - 1) + "/FusedBatchNormV3";
            assertEquals(List.of(TfjsGearTest.P + "conv2d_" + c + "/Relu", bn + "/Mul", bn), g.layers());
            assertEquals(4, g.parameters().size(), g.toString());
            assertTrue(g.parameters().containsAll(List.of(bn + "/Scaled", bn + "/Offset")), g.toString());
        }
        for (Group g : cascade) {
            for (String p : g.parameters()) {
                assertFalse(p.contains("dense_1") || p.contains("dense_2") || p.contains("age") || p.contains("race"),
                        p + ": the gender score does not depend on it");
            }
        }
    }

    @Test void stepZeroIsExactlyTheTrainedMap() {
        for (List<Result> rs : List.of(full, ig)) {
            for (Result r : rs) {
                Step s = r.steps().get(0);
                assertEquals(Sanity.TRAINED, s.layer());
                for (double[] v : List.of(s.spearmanAbs(), s.spearmanSigned(), s.ssim())) {
                    assertArrayEquals(new double[] {1, 1, 1}, v, 0.0, r.method() + " step 0");
                }
            }
        }
    }

    /**
     * The test passes for the gradient-based maps: with the top 2-3 layers randomized the signed maps are uncorrelated
     * with the trained ones (measured |rho| < 0.04; saliency has no sign), the absolute maps' rank correlation is down
     * to 0.63-0.77 and their SSIM to 0.26-0.37; with the whole cascade randomized the absolute maps keep 0.2-0.4.
     */
    @Test void gradientMapsChangeOnceTheTopLayersAreRandomized() {
        for (Method m : List.of(Method.GRADIENT, Method.SALIENCY, Method.GRADIENT_X_INPUT, Method.INTEGRATED_GRADIENTS)) {
            for (int s = 2; s <= 3; s++) {
                Step st = step(m, s);
                String at = m + " with the top " + s + " layers randomized: ";
                if (m != Method.SALIENCY) assertTrue(Math.abs(st.meanSpearmanSigned()) < 0.1, at + "signed rho " + st.meanSpearmanSigned());
                assertTrue(st.meanSpearmanAbs() < 0.85, at + "|map| rho is still " + st.meanSpearmanAbs() + " (the maps should change)");
                assertTrue(st.meanSsim() < 0.5, at + "SSIM " + st.meanSsim());
            }
            if (m != Method.INTEGRATED_GRADIENTS) {
                Step last = step(m, cascade.size());
                assertTrue(last.meanSpearmanAbs() < 0.5, m + " with every layer randomized: |map| rho " + last.meanSpearmanAbs());
            }
        }
    }

    /**
     * Guided backprop as the paper found it, up to a point: randomizing the top 4 layers (gender_output, dense_3,
     * conv2d_6, conv2d_5) leaves its maps nearly as they were (measured |map| rho 0.97, 0.93, 0.87, 0.78 and signed rho
     * 0.98 .. 0.89, where the gradient's signed maps are uncorrelated at once), but once conv2d_4 is randomized too its
     * maps change (|map| rho 0.21 at step 5): on gear the lower convolutions, not the head, shape guided backprop's maps.
     */
    @Test void guidedBackpropBarelyChangesWithTheTopLayersRandomizedButDoesWithTheLowerOnes() {
        for (int s = 1; s <= 4; s++) {
            Step g = step(Method.GUIDED_BACKPROP, s), grad = step(Method.GRADIENT, s);
            String at = "guided backprop with the top " + s + " layers randomized: ";
            assertTrue(g.meanSpearmanAbs() > (s <= 2 ? 0.85 : 0.7), at + "|map| rho " + g.meanSpearmanAbs());
            assertTrue(g.meanSpearmanSigned() > 0.8, at + "signed rho " + g.meanSpearmanSigned());
            assertTrue(g.meanSpearmanAbs() > grad.meanSpearmanAbs() && g.meanSsim() > grad.meanSsim(),
                    at + "changes no less than the gradient's (|map| rho " + g.meanSpearmanAbs() + " vs " + grad.meanSpearmanAbs() + ")");
        }
        Step five = step(Method.GUIDED_BACKPROP, 5);
        assertTrue(five.meanSpearmanAbs() < 0.5, "guided backprop with conv2d_4 and above randomized: |map| rho " + five.meanSpearmanAbs());
    }

    @Test void randomizationFeedsOnlyTheChosenParametersAndLeavesTheModelAsLoaded() {
        int s = 3;
        Map<Tensor, INDArray> feeds = Sanity.randomized(model, cascade, s, SEED);
        java.util.Set<Tensor> want = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Group g : cascade.subList(0, s)) for (String p : g.parameters()) want.add(model.layer(p));
        assertEquals(want, feeds.keySet());
        for (Map.Entry<Tensor, INDArray> e : feeds.entrySet()) {
            INDArray trained = e.getKey().value(), r = e.getValue();
            assertArrayEquals(trained.shape(), r.shape());
            assertEquals(trained.dataType(), r.dataType());
            assertNotEquals(trained, r, e.getKey().name() + " is not re-drawn");
            if (trained.length() >= 1000) {      // a large one spreads as the trained one
                double sd = trained.stdNumber().doubleValue();
                assertEquals(trained.meanNumber().doubleValue(), r.meanNumber().doubleValue(), 0.05 * sd, e.getKey().name() + " mean");
                assertEquals(sd, r.stdNumber().doubleValue(), 0.05 * sd, e.getKey().name() + " std");
                assertTrue(r.sub(trained.meanNumber()).amaxNumber().doubleValue() <= 2 * sd / Sanity.TRUNCATED_STD * 1.001, "truncated at 2");
            }
        }
        Map<Tensor, INDArray> in = new java.util.HashMap<>(feeds);
        in.put(model.input(), batch);
        Tensor below = model.layer(TfjsGearTest.P + "max_pooling2d_4/MaxPool");      // conv2d_6's input: below the randomized layers
        List<INDArray> got = model.graph().run(List.of(below, score), in);
        assertArrayEquals(model.graph().run(below, Map.of(model.input(), batch)).data().asFloat(), got.get(0).data().asFloat(),
                "a layer below the randomized ones changed");
        assertFalse(java.util.Arrays.equals(trainedScores.data().asFloat(), got.get(1).data().asFloat()), "the randomized scores equal the trained");
        // after every run of this class (the @BeforeAll ones included): the model is as loaded
        assertArrayEquals(trainedScores.data().asFloat(), model.graph().run(score, Map.of(model.input(), batch)).data().asFloat(),
                "the trained model's scores changed after the runs");
        for (String p : model.parameters()) {
            assertSame(trainedParams.get(p), model.layer(p).value(), p + " was replaced");
            assertArrayEquals(trainedValues.get(p).data().asFloat(), model.layer(p).value().data().asFloat(), p + " was written");
        }
    }

    @Test void theSameSeedRepeatsBitForBitAndAnotherDiffers() {
        List<Method> ms = List.of(Method.GRADIENT, Method.INTEGRATED_GRADIENTS, Method.GUIDED_BACKPROP);
        Tensor head = one.layer(HEAD);
        List<Group> top = Sanity.cascade(one, head).subList(0, 1);       // the batch-1 model: one image, a quarter of the work
        List<Result> a = Sanity.run(one, head, images.subList(0, 1), CLS, ms, top, 2, 7);
        List<Result> b = Sanity.run(one, head, images.subList(0, 1), CLS, ms, top, 2, 7);
        for (int k = 0; k < ms.size(); k++) {
            for (int s = 0; s <= top.size(); s++) {
                Step x = a.get(k).steps().get(s), y = b.get(k).steps().get(s);
                assertArrayEquals(x.spearmanAbs(), y.spearmanAbs(), 0.0, ms.get(k) + " step " + s);
                assertArrayEquals(x.spearmanSigned(), y.spearmanSigned(), 0.0, ms.get(k) + " step " + s);
                assertArrayEquals(x.ssim(), y.ssim(), 0.0, ms.get(k) + " step " + s);
                if (s > 0) assertTrue(x.spearmanAbs()[0] < 1, ms.get(k) + " step " + s + ": unchanged");
            }
        }
        List<Group> two = Sanity.cascade(one, head).subList(0, 2);
        Map<Tensor, INDArray> r7 = Sanity.randomized(one, two, 2, 7), again = Sanity.randomized(one, two, 2, 7), r8 = Sanity.randomized(one, two, 2, 8);
        assertEquals(r7.keySet(), again.keySet());
        for (Tensor t : r7.keySet()) {
            assertArrayEquals(r7.get(t).data().asFloat(), again.get(t).data().asFloat(), t.name());
            assertFalse(java.util.Arrays.equals(r7.get(t).data().asFloat(), r8.get(t).data().asFloat()), t.name() + ": seeds 7 and 8 agree");
        }
    }

    @Test void theSvgIsWellFormedWithOnePolylinePerMethod() throws Exception {
        String svg = Sanity.svg(full);
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(svg)));
        assertEquals("svg", d.getDocumentElement().getTagName());
        assertEquals("http://www.w3.org/2000/svg", d.getDocumentElement().getAttribute("xmlns"));
        assertEquals(FULL.size(), d.getElementsByTagName("polyline").getLength());
        for (int i = 0; i < FULL.size(); i++) {
            String pts = ((org.w3c.dom.Element) d.getElementsByTagName("polyline").item(i)).getAttribute("points");
            assertEquals(cascade.size() + 1, pts.trim().split(" ").length, "one point per step: " + pts);
        }
        assertTrue(svg.contains(">conv2d_6/Relu<") && svg.contains(">trained<"), "the steps' layers label the x axis");
        java.nio.file.Files.writeString(TfjsGearTest.TARGET.resolve("sanity-gear.svg"), svg);
        assertThrows(IllegalArgumentException.class, () -> Sanity.svg(List.of(full.get(0), ig.get(0))), "curves of different cascades");
    }

    @Test void refusesBadArgumentsNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sanity.run(model, score, List.of(Nd4j.zeros(DataType.FLOAT, 10, 10, 3)), CLS, FULL, 1, 1));
        assertTrue(e.getMessage().contains("image 0") && e.getMessage().contains("[198, 198, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sanity.run(model, score, images, 5, FULL, 1, 1));
        assertTrue(e.getMessage().contains("class 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sanity.randomized(model, cascade, 9, 1));
        assertTrue(e.getMessage().contains("step 9") && e.getMessage().contains("8 groups"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sanity.run(model, score, images, CLS, FULL, List.of(), 1, 1));
        assertTrue(e.getMessage().contains("cascade is empty"), e.getMessage());
    }
}
