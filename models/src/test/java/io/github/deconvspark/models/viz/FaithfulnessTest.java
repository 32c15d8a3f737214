package io.github.deconvspark.models.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Faithfulness} on the real gear model and a real photo: the curves against a naive loop (each perturbed image
 * built here, one forward pass at batch 1 each, softmax by hand), packed (batch 4) equal to batch 1 bit for bit, the
 * end points, a batch of images as each alone, and a check that can fail on meaning (gradient x input and integrated
 * gradients against a random map and their inverse: deleting to grey and inserting they beat both, deleting to black
 * only their inverse); by hand: the trapezoid, the pixel order with ties, the step counts, the blur, the aggregate.
 */
class FaithfulnessTest {
    static final String HEAD = AttributionsTest.HEAD;
    static final int N = 16, HW = 198 * 198;
    static TfjsModel one, four;
    static INDArray image, gxi;
    /** The curves of {@link #gxi} at batch 4, default options. */
    static Faithfulness.Curves gxiCurves;
    static int cls;

    @BeforeAll static void load() throws Exception {
        var json = TfjsGearTest.gearModel();
        one = TfjsModel.load(json, 1);
        four = TfjsModel.load(json, 4);
        image = Nd4j.create(TfjsGearTest.astronautFace(TfjsGearTest.astronautPng()), new long[] {198, 198, 3}, 'c');
        cls = Attributions.predictedClass(four.graph(), four.input(), four.layer(HEAD), image);
        gxi = Attributions.gradientTimesInput(four.graph(), four.input(), four.layer(HEAD), image, cls).sum(2);   // [H, W]
        gxiCurves = curves(four, gxi, Faithfulness.Options.of(N));
    }

    @AfterAll static void close() {
        one.close();
        four.close();
    }

    /** The scores of one image [H, W, C] (float64 values) by a forward pass at batch 1. */
    static double[] scores(double[] img) {
        INDArray x = Nd4j.create(img, new long[] {1, 198, 198, 3}, 'c').castTo(DataType.FLOAT);
        return one.graph().run(one.layer(HEAD), Map.of(one.input(), x)).castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    static double softmax(double[] s, int c) {
        double max = Double.NEGATIVE_INFINITY, z = 0;
        for (double v : s) max = Math.max(max, v);
        for (double v : s) z += Math.exp(v - max);
        return Math.exp(s[c] - max) / z;
    }

    static Faithfulness.Curves curves(TfjsModel m, INDArray map, Faithfulness.Options o) {
        return Faithfulness.curves(m.graph(), m.input(), m.layer(HEAD), image, map, cls, o);
    }

    static double maxDiff(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    @Test void curvesEqualANaiveLoopPackedEqualsBatchOneAndTheEndsAreTheirImages() {
        Faithfulness.Options o = Faithfulness.Options.of(N);
        Faithfulness.Curves c1 = curves(one, gxi, o), c4 = gxiCurves;
        assertArrayEquals(c1.deletion(), c4.deletion(), "deletion: packed (batch 4) != batch 1");
        assertArrayEquals(c1.insertion(), c4.insertion(), "insertion: packed (batch 4) != batch 1");
        assertEquals(c1.deletionAuc(), c4.deletionAuc());
        assertEquals(c1.insertionAuc(), c4.insertionAuc());
        // the naive loop: the order by a stable sort on -saliency (+0.0 folds -0 into +0), each image built by hand
        double[] s = gxi.dup('c').data().asDouble(), x = image.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int[] order = IntStream.range(0, HW).boxed().sorted(Comparator.comparingDouble(i -> -(s[i] + 0.0))).mapToInt(i -> i).toArray();
        double[] blurred = Faithfulness.blur(image, Faithfulness.BLUR_SIGMA).data().asDouble();
        double[] del = new double[N + 1], ins = new double[N + 1], delScore = new double[N + 1], insScore = new double[N + 1];
        for (int k = 0; k <= N; k++) {
            long m = Math.round((double) k * HW / N);
            double[] d = x.clone(), in = blurred.clone();
            for (int p = 0; p < m; p++) {
                for (int q = 0; q < 3; q++) {
                    d[order[p] * 3 + q] = 0;
                    in[order[p] * 3 + q] = x[order[p] * 3 + q];
                }
            }
            double[] sd = scores(d), si = scores(in);
            del[k] = softmax(sd, cls);
            ins[k] = softmax(si, cls);
            delScore[k] = sd[cls];
            insScore[k] = si[cls];
        }
        System.out.printf("naive loop vs Faithfulness (n %d, class %d): max|diff| deletion %s, insertion %s (bit for bit)%n", N, cls,
                maxDiff(del, c4.deletion()), maxDiff(ins, c4.insertion()));
        assertArrayEquals(del, c4.deletion(), "deletion != the naive loop");
        assertArrayEquals(ins, c4.insertion(), "insertion != the naive loop");
        double trapezoid = 0;
        for (int k = 0; k < N; k++) trapezoid += (del[k] + del[k + 1]) / 2 / N;
        assertEquals(trapezoid, c4.deletionAuc(), 1e-15);
        Faithfulness.Curves raw = curves(four, gxi, new Faithfulness.Options(N, 0, Faithfulness.BLUR_SIGMA, Faithfulness.Value.SCORE));
        assertArrayEquals(delScore, raw.deletion(), "deletion scores != the naive loop");
        assertArrayEquals(insScore, raw.insertion(), "insertion scores != the naive loop");
        // the ends: all black, the blurred image, the original
        double original = softmax(scores(x), cls);
        assertEquals(softmax(scores(new double[x.length]), cls), c4.deletion()[N], "deletion at k = n != the all-black image");
        assertEquals(softmax(scores(blurred), cls), c4.insertion()[0], "insertion at k = 0 != the blurred image");
        assertEquals(original, c4.insertion()[N], "insertion at k = n != the original");
        assertEquals(original, c4.deletion()[0], "deletion at k = 0 != the original");
        System.out.printf("ends: original p %.5f, all black %.5f, blurred (sigma 5) %.5f%n", original, c4.deletion()[N], c4.insertion()[0]);
    }

    /**
     * A check that can fail on meaning, against a random map (a seeded permutation) and the same map inverted. On gear
     * (gender, astronaut face, predicted class 0 at p 0.998) deleting to black does not separate the orders: the
     * all-black image is class 0 at p 0.998 too, and a random scatter of black pixels lowers p the most (the
     * out-of-distribution artefact of deletion), so there gradient x input and integrated gradients beat only their
     * inverse, and that is what is asserted. Deleting to grey (0.5) they beat both; inserting into the blurred copy
     * they beat both. Grad-CAM++ (its [8, 8] map upsampled) is measured (to black) and printed.
     */
    @Test void gradientMapsDeleteFasterAndInsertFasterThanARandomOrAnInvertedMap() {
        INDArray black = Nd4j.zeros(DataType.FLOAT, 198, 198, 3);
        INDArray ig = Attributions.integratedGradients(four.graph(), four.input(), four.layer(HEAD), image, black, cls, 16,
                Attributions.Riemann.TRAPEZOID).sum(2);
        int[] perm = IntStream.range(0, HW).toArray();
        SplittableRandom r = new SplittableRandom(42);
        for (int i = HW - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        INDArray random = Nd4j.create(IntStream.of(perm).asDoubleStream().toArray(), new long[] {198, 198}, 'c');
        INDArray cam = Attributions.gradCamPlusPlus(four.graph(), four.input(), four.layer(BatchProjectionsTest.CONV6), four.layer(HEAD), image, cls);
        List<String> names = List.of("gradient x input", "inverted gradient x input", "integrated gradients (m 16)",
                "inverted integrated gradients", "random (seeded permutation)", "Grad-CAM++ conv2d_6 " + java.util.Arrays.toString(cam.shape()));
        List<INDArray> maps = List.of(gxi, gxi.neg(), ig, ig.neg(), random, cam);
        List<INDArray> images = java.util.Collections.nCopies(maps.size(), image);
        int[] classes = new int[maps.size()];
        java.util.Arrays.fill(classes, cls);
        List<Faithfulness.Curves> c = new ArrayList<>();
        for (double baseline : new double[] {0, 0.5}) {
            int count = baseline == 0 ? maps.size() : 5;                 // grey: not Grad-CAM++
            List<Faithfulness.Curves> ci = Faithfulness.curves(four.graph(), four.input(), four.layer(HEAD), images.subList(0, count),
                    maps.subList(0, count), java.util.Arrays.copyOf(classes, count),
                    new Faithfulness.Options(N, baseline, Faithfulness.BLUR_SIGMA, Faithfulness.Value.PROBABILITY));
            for (int i = 0; i < count; i++) {
                System.out.printf("gear gender class %d, n %d, deletion to %.1f: %-32s deletion AUC %.4f, insertion AUC %.4f%n", cls, N, baseline,
                        names.get(i), ci.get(i).deletionAuc(), ci.get(i).insertionAuc());
            }
            c.addAll(ci);
        }
        int grey = maps.size();
        for (int m : new int[] {0, 2}) {
            String name = names.get(m);
            assertTrue(c.get(m).deletionAuc() < c.get(m + 1).deletionAuc(), name + ": deletion (black) AUC not below the inverted map's");
            assertTrue(c.get(4).deletionAuc() < c.get(m).deletionAuc(), name + ": gear's known case changed: random now deletes (black) slower");
            assertTrue(c.get(grey + m).deletionAuc() < c.get(grey + 4).deletionAuc(), name + ": deletion (grey) AUC not below the random map's");
            assertTrue(c.get(grey + m).deletionAuc() < c.get(grey + m + 1).deletionAuc(), name + ": deletion (grey) AUC not below the inverted's");
            assertTrue(c.get(m).insertionAuc() > c.get(4).insertionAuc(), name + ": insertion AUC not above the random map's");
            assertTrue(c.get(m).insertionAuc() > c.get(m + 1).insertionAuc(), name + ": insertion AUC not above the inverted map's");
        }
    }

    /** Two images (the face and its mirror) with their own maps in one call: each as when alone, and their aggregate. */
    @Test void aBatchOfImagesPacksTogetherAndAggregates() {
        double[] x = image.castTo(DataType.DOUBLE).dup('c').data().asDouble(), flip = new double[x.length];
        for (int y = 0; y < 198; y++) for (int xx = 0; xx < 198; xx++) for (int q = 0; q < 3; q++) {
            flip[(y * 198 + xx) * 3 + q] = x[(y * 198 + 197 - xx) * 3 + q];
        }
        INDArray mirror = Nd4j.create(flip, new long[] {198, 198, 3}, 'c');
        INDArray mirrorMap = Attributions.gradientTimesInput(four.graph(), four.input(), four.layer(HEAD), mirror, cls).sum(2);
        Faithfulness.Options o = Faithfulness.Options.of(N);
        List<Faithfulness.Curves> both = Faithfulness.curves(four.graph(), four.input(), four.layer(HEAD), List.of(image, mirror),
                List.of(gxi, mirrorMap), new int[] {cls, cls}, o);
        Faithfulness.Curves alone = gxiCurves;
        Faithfulness.Curves mirrorAlone = Faithfulness.curves(four.graph(), four.input(), four.layer(HEAD), mirror, mirrorMap, cls, o);
        assertArrayEquals(alone.deletion(), both.get(0).deletion(), "image 0 in a batch call != alone");
        assertArrayEquals(alone.insertion(), both.get(0).insertion(), "image 0 in a batch call != alone");
        assertArrayEquals(mirrorAlone.deletion(), both.get(1).deletion(), "image 1 in a batch call != alone");
        assertArrayEquals(mirrorAlone.insertion(), both.get(1).insertion(), "image 1 in a batch call != alone");
        Faithfulness.Aggregate a = new Faithfulness.Aggregate(N).add(both.get(0)).merge(new Faithfulness.Aggregate(N).add(both.get(1)));
        double d0 = both.get(0).deletionAuc(), d1 = both.get(1).deletionAuc();
        assertEquals((d0 + d1) / 2, a.meanDeletionAuc(), 1e-15);
        assertEquals(Math.abs(d0 - d1) / 2, a.stdDeletionAuc(), 1e-15);
        System.out.println(a + " (gradient x input; the face and its mirror)");
    }

    @Test void trapezoidOrderCountsAndBlurByHand() {
        assertEquals(0.5, Faithfulness.auc(new double[] {1, 0.5, 0}), 0);          // ((1 + .5)/2 + (.5 + 0)/2) / 2
        assertEquals(0.5, Faithfulness.auc(new double[] {0, 1}), 0);
        assertEquals(0.4375, Faithfulness.auc(new double[] {0, 0, 1, 0.5, 0.5}), 0);  // (0 + .5 + .75 + .5) / 4
        assertEquals(1, Faithfulness.auc(new double[] {1, 1, 1, 1, 1}), 0);
        // ties by index, -0 == +0
        assertArrayEquals(new int[] {1, 4, 0, 2, 5, 6, 3}, Faithfulness.order(new double[] {0.5, 2, 0.5, -1, 2, 0.0, -0.0}));
        assertArrayEquals(new int[] {0, 1, 2}, Faithfulness.order(new double[] {3, 3, 3}));
        // round(k hw / n), half up: hw 7, n 3 -> 0 2 5 7; hw 6, n 4 -> 0 2 3 5 6 (1.5 -> 2, 4.5 -> 5)
        assertArrayEquals(new int[] {0, 2, 5, 7}, IntStream.rangeClosed(0, 3).map(k -> Faithfulness.count(k, 3, 7)).toArray());
        assertArrayEquals(new int[] {0, 2, 3, 5, 6}, IntStream.rangeClosed(0, 4).map(k -> Faithfulness.count(k, 4, 6)).toArray());
        assertEquals(50176, Faithfulness.count(50176, 50176, 50176));              // k hw past 2^31
        // blur, sigma 0.5: r = 1, taps (e^-2, 1, e^-2) / (1 + 2 e^-2) = (a, b, a); a delta at the centre and one at a corner
        double e = Math.exp(-2), a = e / (1 + 2 * e), b = 1 / (1 + 2 * e);
        double[] img = new double[3 * 3 * 2];
        img[(1 * 3 + 1) * 2] = 1;                                                   // channel 0: centre
        img[1] = 1;                                                                 // channel 1: (0, 0), edges clamped
        double[] got = Faithfulness.blur(Nd4j.create(img, new long[] {3, 3, 2}, 'c'), 0.5).data().asDouble();
        double[] centre = {a * a, a * b, a * a, a * b, b * b, a * b, a * a, a * b, a * a};
        double[] corner = {(a + b) * (a + b), (a + b) * a, 0, a * (a + b), a * a, 0, 0, 0, 0};
        for (int p = 0; p < 9; p++) {
            assertEquals(centre[p], got[p * 2], 1e-15, "centre delta at " + p);
            assertEquals(corner[p], got[p * 2 + 1], 1e-15, "corner delta at " + p);
        }
        assertArrayEquals(img, Faithfulness.blur(Nd4j.create(img, new long[] {3, 3, 2}, 'c'), 0).data().asDouble());
        // the blur keeps a constant image (weights sum to 1)
        double[] flat = Faithfulness.blur(Nd4j.valueArrayOf(new long[] {5, 4, 1}, 0.25), 3).data().asDouble();
        for (double v : flat) assertEquals(0.25, v, 1e-15);
    }

    @Test void theAggregateIsTheMeanAndStdAndMergesAsOneSequence() throws Exception {
        double[][] d = {{1, 0.5, 0}, {0.8, 0.2, 0.1}, {0.9, 0.9, 0.3}, {0.6, 0.1, 0}};
        double[][] in = {{0, 0.5, 1}, {0.2, 0.6, 0.8}, {0.1, 0.4, 0.9}, {0.3, 0.3, 0.6}};
        List<Faithfulness.Curves> cs = new ArrayList<>();
        for (int i = 0; i < 4; i++) cs.add(new Faithfulness.Curves(d[i], in[i], Faithfulness.auc(d[i]), Faithfulness.auc(in[i])));
        Faithfulness.Aggregate all = new Faithfulness.Aggregate(2);
        for (Faithfulness.Curves c : cs) all.add(c);
        double mean = 0, var = 0;
        for (Faithfulness.Curves c : cs) mean += c.deletionAuc() / 4;
        for (Faithfulness.Curves c : cs) var += (c.deletionAuc() - mean) * (c.deletionAuc() - mean) / 4;
        assertEquals(4, all.count());
        assertEquals(mean, all.meanDeletionAuc(), 1e-15);
        assertEquals(Math.sqrt(var), all.stdDeletionAuc(), 1e-15);
        assertArrayEquals(new double[] {0.825, 0.425, 0.1}, all.meanDeletionCurve(), 1e-15);
        assertEquals(0.15, all.meanInsertionCurve()[0], 1e-15);
        assertEquals(Math.sqrt((0.0225 + 0.0025 + 0.0025 + 0.0225) / 4), all.stdInsertionCurve()[0], 1e-15);
        // partitions (one empty) merged, and a serialized round trip
        Faithfulness.Aggregate p = new Faithfulness.Aggregate(2).add(cs.get(0)), q = new Faithfulness.Aggregate(2).add(cs.get(1)).add(cs.get(2));
        Faithfulness.Aggregate merged = new Faithfulness.Aggregate(2).merge(p).merge(new Faithfulness.Aggregate(2)).merge(q)
                .merge(new Faithfulness.Aggregate(2).add(cs.get(3)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(merged);
        }
        Faithfulness.Aggregate back;
        try (ObjectInputStream oin = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (Faithfulness.Aggregate) oin.readObject();
        }
        assertEquals(4, back.count());
        assertArrayEquals(all.meanInsertionCurve(), back.meanInsertionCurve(), 1e-15);
        assertArrayEquals(all.stdDeletionCurve(), back.stdDeletionCurve(), 1e-15);
        assertEquals(all.stdInsertionAuc(), back.stdInsertionAuc(), 1e-15);
        assertTrue(Double.isNaN(new Faithfulness.Aggregate(3).meanDeletionAuc()));
        assertThrows(IllegalArgumentException.class, () -> new Faithfulness.Aggregate(3).add(cs.get(0)));
    }

    @Test void optionsOutOfRangeAreRefusedWithTheRule() {
        var e = assertThrows(IllegalArgumentException.class, () -> curves(four, gxi, Faithfulness.Options.of(0)));
        assertTrue(e.getMessage().contains("steps 0 must be 1 to 39204 (the pixels of a 198x198 image)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> curves(four, gxi, Faithfulness.Options.of(HW + 1)));
        assertTrue(e.getMessage().contains("steps 39205 must be 1 to 39204"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> curves(four, Nd4j.zeros(199, 198), Faithfulness.Options.of(N)));
        assertTrue(e.getMessage().contains("map 0 shape [199, 198] must be [h, w] with h 1 to 198 and w 1 to 198"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> curves(four, Nd4j.zeros(198, 198, 3), Faithfulness.Options.of(N)));
        assertTrue(e.getMessage().contains("map 0 shape [198, 198, 3] must be [h, w]"), e.getMessage());
        INDArray nan = gxi.dup();
        nan.putScalar(new long[] {3, 7}, Double.NaN);
        e = assertThrows(IllegalArgumentException.class, () -> curves(four, nan, Faithfulness.Options.of(N)));
        assertTrue(e.getMessage().contains("map 0 value NaN at (3, 7) must be finite"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> curves(four, gxi, new Faithfulness.Options(N, 0, -1, Faithfulness.Value.PROBABILITY)));
        assertTrue(e.getMessage().contains("blur sigma -1.0 must be 0 to 198 (pixels)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> curves(four, gxi, new Faithfulness.Options(N, Double.NaN, 5, Faithfulness.Value.PROBABILITY)));
        assertTrue(e.getMessage().contains("deletion baseline NaN must be finite"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Faithfulness.curves(four.graph(), four.input(), four.layer(HEAD), image, gxi,
                2, Faithfulness.Options.of(N)));
        assertTrue(e.getMessage().contains("class 2 is outside the head"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Faithfulness.curves(four.graph(), four.input(), four.layer(HEAD),
                Nd4j.zeros(100, 100, 3), gxi, cls, Faithfulness.Options.of(N)));
        assertTrue(e.getMessage().contains("image 0 shape [100, 100, 3] does not match"), e.getMessage());
    }
}
