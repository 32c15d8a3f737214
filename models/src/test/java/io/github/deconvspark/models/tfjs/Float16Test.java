package io.github.deconvspark.models.tfjs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Float16Test {

    @Test void knownBitPatterns() {
        assertEquals(0.0f, Float16.toFloat(0x0000));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(Float16.toFloat(0x8000)));
        assertEquals(1.0f, Float16.toFloat(0x3C00));
        assertEquals(-2.0f, Float16.toFloat(0xC000));
        assertEquals(0.5f, Float16.toFloat(0x3800));
        assertEquals(65504.0f, Float16.toFloat(0x7BFF));                    // largest half
        assertEquals(0.333251953125f, Float16.toFloat(0x3555));             // nearest half to 1/3
        assertEquals(1.0009765625f, Float16.toFloat(0x3C01));               // 1 + 2^-10
        assertEquals((float) Math.pow(2, -14), Float16.toFloat(0x0400));    // smallest normal
    }

    @Test void subnormals() {
        assertEquals((float) Math.pow(2, -24), Float16.toFloat(0x0001));    // smallest subnormal
        assertEquals((float) -Math.pow(2, -24), Float16.toFloat(0x8001));
        assertEquals((float) (1023 * Math.pow(2, -24)), Float16.toFloat(0x03FF)); // largest subnormal
        assertEquals((float) (512 * Math.pow(2, -24)), Float16.toFloat(0x0200));
        assertEquals((float) (3 * Math.pow(2, -24)), Float16.toFloat(0x0003));
    }

    @Test void infinityAndNaN() {
        assertEquals(Float.POSITIVE_INFINITY, Float16.toFloat(0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, Float16.toFloat(0xFC00));
        assertTrue(Float.isNaN(Float16.toFloat(0x7E00)));
        assertTrue(Float.isNaN(Float16.toFloat(0x7C01)));
        assertTrue(Float.isNaN(Float16.toFloat(0xFE00)));
        assertEquals(0x7FC00000, Float.floatToRawIntBits(Float16.toFloat(0x7E00)));  // payload kept, as TF.js
    }

    /** Every one of the 65536 patterns: the exact value, and bit-identical to TF.js's table decoder (io_utils.getFloat16Decoder). */
    @Test void allPatternsExactAndAsTfjs() {
        int[] mantissa = new int[2048], exponent = new int[64], offset = new int[64];
        for (int i = 1; i < 1024; i++) {
            int m = i << 13, e = 0;
            while ((m & 0x00800000) == 0) { e -= 0x00800000; m <<= 1; }
            m &= ~0x00800000;
            e += 0x38800000;
            mantissa[i] = m | e;
        }
        for (int i = 1024; i < 2048; i++) mantissa[i] = 0x38000000 + ((i - 1024) << 13);
        exponent[31] = 0x47800000;
        exponent[32] = 0x80000000;
        exponent[63] = 0xc7800000;
        for (int i = 1; i < 31; i++) exponent[i] = i << 23;
        for (int i = 33; i < 63; i++) exponent[i] = 0x80000000 + ((i - 32) << 23);
        for (int i = 0; i < 64; i++) offset[i] = 1024;
        offset[0] = offset[32] = 0;
        for (int h = 0; h < 65536; h++) {
            float f = Float16.toFloat(h);
            int tfjs = mantissa[offset[h >> 10] + (h & 0x3ff)] + exponent[h >> 10];
            assertEquals(tfjs, Float.floatToRawIntBits(f), "pattern 0x" + Integer.toHexString(h));
            int e = (h >> 10) & 0x1f, m = h & 0x3ff;
            if (e == 31) continue;
            double v = (e == 0 ? m * Math.pow(2, -24) : (1 + m / 1024.0) * Math.pow(2, e - 15)) * ((h & 0x8000) != 0 ? -1 : 1);
            assertEquals(v, f, 0.0, "pattern 0x" + Integer.toHexString(h));
        }
    }

    @Test void decodesLittleEndian() {
        float[] f = Float16.decode(new byte[] {9, 0x00, 0x3C, 0x00, (byte) 0xC0}, 1, 2);
        assertEquals(1.0f, f[0]);
        assertEquals(-2.0f, f[1]);
    }
}
