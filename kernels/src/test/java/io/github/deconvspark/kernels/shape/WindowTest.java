package io.github.deconvspark.kernels.shape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.github.deconvspark.kernels.shape.Padding;
import org.junit.jupiter.api.Test;

/** Table tests of TF's window arithmetic (SEMANTICS.md, kernel_shape_util.cc). */
class WindowTest {
    @Test
    void sameAndValidSizesAndPads() {
        // in, k, s, d, padding -> out, before, after
        Object[][] table = {
            {4, 2, 2, 1, Padding.VALID, 2, 0, 0},
            {4, 2, 2, 1, Padding.SAME, 2, 0, 0},
            {5, 3, 2, 1, Padding.SAME, 3, 1, 1},
            {6, 3, 2, 1, Padding.SAME, 3, 0, 1},   // odd total pad: the extra cell goes after
            {6, 2, 3, 1, Padding.SAME, 2, 0, 0},   // k < s: (out-1)*s + k - in = -1 clamps at 0
            {7, 2, 3, 1, Padding.SAME, 3, 0, 1},
            {3, 5, 1, 1, Padding.SAME, 3, 2, 2},   // kernel larger than the input
            {9, 3, 1, 2, Padding.SAME, 9, 2, 2},   // dilation: effective kernel 5
            {9, 3, 2, 2, Padding.VALID, 3, 0, 0},
            {5, 3, 2, 1, Padding.explicit(1, 2, 0, 0), 3, 1, 2},
        };
        for (Object[] row : table) {
            Window w = Window.forward("op", "height", (int) row[0], (int) row[1], (int) row[2], (int) row[3], (Padding) row[4]);
            assertEquals(row[5], w.out(), () -> "out " + java.util.Arrays.toString(row));
            assertEquals(row[6], w.padBefore(), () -> "before " + java.util.Arrays.toString(row));
            assertEquals(row[7], w.padAfter(), () -> "after " + java.util.Arrays.toString(row));
        }
    }

    @Test
    void ceilModeSizes() {
        // in, k, s, d, padding -> floor out, ceil out (ONNX ceil_mode: the last window starts inside the input or its left pad)
        Object[][] table = {
            {5, 2, 2, 1, Padding.VALID, 2, 3},
            {4, 1, 4, 1, Padding.VALID, 1, 1},                       // ceil would give 2, but that window starts at 4 = in
            {6, 3, 2, 1, Padding.explicit(1, 1, 0, 0), 3, 4},
            {4, 2, 2, 1, Padding.explicit(0, 1, 0, 0), 2, 2},        // the third window would start at 4 = in + pad before
            {7, 2, 3, 2, Padding.VALID, 2, 3},                       // dilation: effective kernel 3
            {6, 2, 4, 1, Padding.SAME, 2, 2},                        // SAME rounds up already
        };
        for (Object[] row : table) {
            for (boolean ceil : new boolean[] {false, true}) {
                Window w = Window.forward("op", "height", (int) row[0], (int) row[1], (int) row[2], (int) row[3], (Padding) row[4], ceil);
                assertEquals(row[ceil ? 6 : 5], w.out(), () -> "out, ceil " + ceil + " " + java.util.Arrays.toString(row));
            }
        }
        Window w = Window.forward("op", "height", 6, 3, 2, 1, Padding.explicit(1, 1, 0, 0), true);
        assertEquals(1, w.overhang(), "the ceil window 3 covers 5..7, one past the padded input");
        assertEquals(0, Window.forward("op", "height", 6, 3, 2, 1, Padding.explicit(1, 1, 0, 0), false).overhang());
    }

    @Test
    void emptyWindowsBetweenDilatedTaps() {
        // in 2, k 2, dilation 3, pads 1/1: the only window reads cells -1 and 2, neither inside the input.
        assertEquals(0, Window.forward("op", "height", 2, 2, 1, 3, Padding.explicit(1, 1, 0, 0)).firstEmptyWindow());
        assertEquals(-1, Window.forward("op", "height", 3, 2, 1, 3, Padding.explicit(1, 1, 0, 0)).firstEmptyWindow());
        assertArrayEquals(new int[] {1, 2}, Window.forward("op", "height", 3, 2, 1, 3, Padding.explicit(1, 1, 0, 0)).taps(0, 0, 3));
    }

    @Test
    void transposeRangesHaveStrideManySizes() {
        assertArrayEquals(new int[] {3, 4}, Window.transposeRange(2, 2, 2, 1, Padding.SAME, "height"));
        assertArrayEquals(new int[] {4, 5}, Window.transposeRange(2, 2, 2, 1, Padding.VALID, "height"));
        assertArrayEquals(new int[] {7, 9}, Window.transposeRange(3, 3, 3, 1, Padding.SAME, "height"));
        assertArrayEquals(new int[] {5, 5}, Window.transposeRange(3, 3, 1, 1, Padding.VALID, "height"));
        // (in-1)*s + ke - pads with ke = 5 (k=3, d=2)
        assertArrayEquals(new int[] {6, 7}, Window.transposeRange(2, 3, 2, 2, Padding.explicit(1, 0, 0, 0), "height"));
        // Every legal size maps back, its neighbours do not.
        for (int in = 1; in < 7; in++) for (int k = 1; k < 5; k++) for (int s = 1; s < 4; s++) {
            for (Padding p : new Padding[] {Padding.SAME, Padding.VALID}) {
                int[] r = Window.transposeRange(in, k, s, 1, p, "width");
                assertEquals(s, r[1] - r[0] + 1, "count for in=" + in + " k=" + k + " s=" + s + " " + p);
            }
        }
        assertNull(Window.transposeRange(0, 2, 2, 1, Padding.SAME, "height"));
    }
}
