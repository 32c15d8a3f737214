package io.github.deconvspark.models.tfjs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightsTest {
    private static Weights.Spec spec(String dtype, String q, double scale, double min, long... shape) {
        return new Weights.Spec("w", shape, dtype, q, scale, min);
    }

    @Test void uint8DequantizesAsScaleTimesQPlusMin() {
        Weights.Spec s = spec("float32", "uint8", 0.5, -1.0, 4);
        Weights.Decoded d = Weights.decode(s, new byte[] {0, 1, 2, (byte) 255}, 0);
        assertArrayEquals(new float[] {-1f, -0.5f, 0f, 126.5f}, d.floats());
        assertEquals(4, s.byteLength());
    }

    @Test void uint8RoundsOnceToFloatLikeAFloat32Array() {
        // TF.js computes v * scale + min in double and stores it in a Float32Array (one rounding)
        double scale = 0.1, min = -0.3;
        Weights.Decoded d = Weights.decode(spec("float32", "uint8", scale, min, 3), new byte[] {3, 7, (byte) 200}, 0);
        assertArrayEquals(new float[] {(float) (3 * scale + min), (float) (7 * scale + min), (float) (200 * scale + min)}, d.floats());
    }

    @Test void uint16IsLittleEndian() {
        Weights.Spec s = spec("float32", "uint16", 0.25, 1.0, 2);
        Weights.Decoded d = Weights.decode(s, new byte[] {0x01, 0x02, (byte) 0xff, (byte) 0xff}, 0);
        assertArrayEquals(new float[] {513 * 0.25f + 1, 65535 * 0.25f + 1}, d.floats());
        assertEquals(4, s.byteLength());
    }

    @Test void int32QuantizedUsesJavaScriptMathRound() {
        Weights.Decoded d = Weights.decode(spec("int32", "uint8", 0.5, -1.0, 4), new byte[] {0, 1, 3, 5}, 0);
        // -1, -0.5 -> -0 (JS rounds half up), 0.5 -> 1, 1.5 -> 2
        assertArrayEquals(new int[] {-1, 0, 1, 2}, d.ints());
    }

    @Test void float16Quantized() {
        Weights.Spec s = spec("float32", "float16", Double.NaN, Double.NaN, 2, 1);
        Weights.Decoded d = Weights.decode(s, new byte[] {0x00, 0x3C, 0x01, 0x00}, 0);
        assertArrayEquals(new float[] {1f, (float) Math.pow(2, -24)}, d.floats());
        assertEquals(4, s.byteLength());
    }

    @Test void plainFloat32AndInt32() {
        byte[] b = {0, 0, (byte) 0x80, 0x3F, (byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertArrayEquals(new float[] {1f}, Weights.decode(spec("float32", null, Double.NaN, Double.NaN, 1), b, 0).floats());
        assertArrayEquals(new int[] {-2}, Weights.decode(spec("int32", null, Double.NaN, Double.NaN, 1), b, 4).ints());
    }

    @Test void manifestEntryParsing() {
        Map<String, Object> q = new LinkedHashMap<>(Map.of("dtype", "uint8", "scale", 0.5, "min", -1.0));
        Map<String, Object> w = new LinkedHashMap<>(Map.of("name", "k", "shape", List.of(2L, 3L), "dtype", "float32", "quantization", q));
        Weights.Spec s = Weights.parseSpec(w, "m.json");
        assertEquals("uint8", s.quantDtype());
        assertEquals(6, s.byteLength());
    }

    @Test void badQuantizationIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Weights.decode(spec("float32", "uint8", Double.NaN, Double.NaN, 1), new byte[1], 0));
        assertTrue(e.getMessage().contains("weight w") && e.getMessage().contains("scale and min"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Weights.decode(spec("int32", "float16", Double.NaN, Double.NaN, 1), new byte[2], 0));
        assertTrue(e.getMessage().contains("float16") && e.getMessage().contains("int32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Weights.decode(spec("float32", "int4", 1, 0, 1), new byte[2], 0));
        assertTrue(e.getMessage().contains("int4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Weights.decode(spec("float32", null, Double.NaN, Double.NaN, 4), new byte[8], 0));
        assertTrue(e.getMessage().contains("16 bytes"), e.getMessage());
    }
}
