package io.github.deconvspark.jobs.nets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

/** The aggregator's add/merge algebra, by hand. */
class GradientSumTest {
    @Test
    void handComputedCase() {
        GradientSum a = new GradientSum(3).add(new double[] {1, 2, 3}, 0.5, 2, 1);
        GradientSum b = new GradientSum(3).add(new double[] {10, -2, 0.25}, 1.5, 3, 3);
        GradientSum m = a.merge(b);
        assertArrayEquals(new double[] {11, 0, 3.25}, m.sum(), 0);
        assertArrayEquals(new double[] {11 / 5.0, 0, 3.25 / 5}, m.mean(), 0);
        assertEquals(2.0, m.loss());
        assertEquals(5, m.count());
        assertEquals(4, m.correct());
    }

    @Test
    void mergeWithAnEmptySideEitherWay() {
        GradientSum full = new GradientSum(2).add(new double[] {1, -1}, 3, 4, 2);
        GradientSum left = new GradientSum(2).merge(full);
        GradientSum right = new GradientSum(2).add(new double[] {1, -1}, 3, 4, 2).merge(new GradientSum(2));
        for (GradientSum g : new GradientSum[] {left, right}) {
            assertArrayEquals(new double[] {1, -1}, g.sum(), 0);
            assertEquals(4, g.count());
            assertEquals(3.0, g.loss());
            assertEquals(2, g.correct());
        }
        // merging an empty sum copies nothing and shares no buffer
        left.sum()[0] = 100;
        assertEquals(1, full.sum()[0]);
        GradientSum empty = new GradientSum(2).merge(new GradientSum(2));
        assertTrue(empty.isEmpty());
        assertArrayEquals(new double[] {0, 0}, empty.mean(), 0);
        assertThrows(IllegalArgumentException.class, () -> new GradientSum(2).merge(new GradientSum(3)));
    }

    /** Merge order does not matter while sums are exact; float64 keeps float32 terms exact. */
    @Test
    void float32TermsSumExactlyInAnyOrder() {
        float[] terms = {1.0e-3f, 3.0e4f, -2.5e-7f, 7.0f, -3.0e4f, 1.1920929e-7f, 0.1f};
        GradientSum forward = new GradientSum(1), backward = new GradientSum(1);
        for (float t : terms) forward.merge(new GradientSum(1).add(new double[] {t}, 0, 1, 0));
        for (int i = terms.length - 1; i >= 0; i--) backward.merge(new GradientSum(1).add(new double[] {terms[i]}, 0, 1, 0));
        assertEquals(forward.sum()[0], backward.sum()[0], 0.0);
        float f32 = 0;
        for (float t : terms) f32 += t;
        assertTrue(Math.abs(f32 - forward.sum()[0]) > 0, "float32 accumulation would have rounded");
    }

    /** Over the wire: as float32 when exact (half the bytes), as float64 otherwise; values identical either way. */
    @Test
    void serializationIsLossless() throws Exception {
        double[] exact = new double[1000], inexact = new double[1000];
        for (int i = 0; i < exact.length; i++) {
            exact[i] = (float) Math.sin(i);
            inexact[i] = Math.sin(i);
        }
        byte[] a = bytes(new GradientSum(1000).add(exact, 1, 1, 1)), b = bytes(new GradientSum(1000).add(inexact, 1, 1, 1));
        assertTrue(a.length < 4500 && b.length > 8000, a.length + " / " + b.length);
        assertArrayEquals(exact, back(a).sum(), 0);
        assertArrayEquals(inexact, back(b).sum(), 0);
        GradientSum e = back(bytes(new GradientSum(1000)));
        assertTrue(e.isEmpty());
        assertEquals(1000, e.size());
    }

    private static byte[] bytes(GradientSum g) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(b)) {
            o.writeObject(g);
        }
        return b.toByteArray();
    }

    private static GradientSum back(byte[] b) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
            return (GradientSum) in.readObject();
        }
    }
}
