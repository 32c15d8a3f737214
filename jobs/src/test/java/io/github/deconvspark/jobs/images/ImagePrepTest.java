package io.github.deconvspark.jobs.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.visualize.Render;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Decoding, conversion, centre crop, resizing and the reasons for rejects, on images built here. */
class ImagePrepTest {
    static byte[] png(BufferedImage img) {
        return Render.png(img);
    }

    static BufferedImage filled(int w, int h, int type, int argb) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, argb);
        return img;
    }

    @Test void grayscaleIsReplicatedToRgb() {
        BufferedImage g = new BufferedImage(10, 10, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSample(3, 4, 0, 200);
        ImagePrep.Result r = ImagePrep.prepare(png(g), 10, ImagePrep.Limits.DEFAULT);
        assertTrue(r.ok(), r.reason());
        assertTrue(r.note().contains("grayscale"), r.note());
        int o = 3 * (4 * 10 + 3);
        assertEquals(200 / 255f, r.pixels()[o], 1e-6);
        assertEquals(r.pixels()[o], r.pixels()[o + 1]);
        assertEquals(r.pixels()[o], r.pixels()[o + 2]);
        assertEquals(0f, r.pixels()[0]);
    }

    @Test void alphaIsCompositedOverWhite() {
        BufferedImage a = filled(8, 8, BufferedImage.TYPE_INT_ARGB, 0x00000000);      // fully transparent black
        a.setRGB(0, 0, 0xff102030);                                                   // one opaque pixel
        ImagePrep.Result r = ImagePrep.prepare(png(a), 8, ImagePrep.Limits.DEFAULT);
        assertTrue(r.ok(), r.reason());
        assertTrue(r.note().contains("alpha"), r.note());
        assertEquals(1f, r.pixels()[3 * 9], 0f);                                      // transparent -> white
        assertEquals(0x10 / 255f, r.pixels()[0], 1e-6);
        assertEquals(0x30 / 255f, r.pixels()[2], 1e-6);
    }

    @Test void centreSquareIsCroppedThenAreaAveraged() {
        // 30x10: left and right 10 columns red, middle 10 columns: a 2x2 checker of 0 and 200 in green
        BufferedImage img = filled(30, 10, BufferedImage.TYPE_INT_RGB, 0xff0000);
        for (int y = 0; y < 10; y++) for (int x = 10; x < 20; x++) img.setRGB(x, y, ((x + y) % 2 == 0) ? 0x00c800 : 0);
        ImagePrep.Result r = ImagePrep.prepare(png(img), 5, ImagePrep.Limits.DEFAULT);
        assertTrue(r.ok(), r.reason());
        assertEquals(30, r.width());
        for (int i = 0; i < 25; i++) {
            assertEquals(0f, r.pixels()[3 * i], "no red: the centre square only");
            assertEquals(Math.round(100f) / 255f, r.pixels()[3 * i + 1], 1e-6, "2x2 boxes average to 100");
        }
    }

    @Test void areaResizeAveragesFractionalBoxes() {
        int side = 3;
        int[] src = new int[side * side];
        for (int i = 0; i < src.length; i++) src[i] = (i * 20) << 16;        // red 0, 20, ..., 160
        float[] out = ImagePrep.resize(src, side, 2);                          // boxes of 1.5 x 1.5 pixels
        // top-left output: rows 0..1.5, cols 0..1.5: weights 1,0.5 / 0.5,0.25 over values 0,20 / 60,80
        double want = (0 * 1 + 20 * 0.5 + 60 * 0.5 + 80 * 0.25) / 2.25 / 255;
        assertEquals(want, out[0], 1e-6);
    }

    @Test void enlargingIsBilinearAndKeepsConstants() {
        int[] src = new int[4];
        Arrays.fill(src, 0x336699);
        float[] out = ImagePrep.resize(src, 2, 7);
        for (int i = 0; i < 49; i++) {
            assertEquals(0x33 / 255f, out[3 * i], 1e-6);
            assertEquals(0x99 / 255f, out[3 * i + 2], 1e-6);
        }
        int[] ramp = {0, 255 << 16, 0, 255 << 16};                           // red 0 | 255 on each row
        float[] r = ImagePrep.resize(ramp, 2, 4);
        // output column centres 0.5..3.5 -> source x = (ox + 0.5) / 2 - 0.5: -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
        assertEquals(0f, r[0], 1e-6);
        assertEquals(0.25f, r[3], 1e-6);
        assertEquals(0.75f, r[6], 1e-6);
        assertEquals(1f, r[9], 1e-6);
    }

    @Test void badInputIsRejectedWithAReason() throws Exception {
        ImagePrep.Result empty = ImagePrep.prepare(new byte[0], 8, ImagePrep.Limits.DEFAULT);
        assertFalse(empty.ok());
        assertEquals("empty: an empty file (0 bytes)", empty.reason());

        ImagePrep.Result text = ImagePrep.prepare("hello, not an image".getBytes(), 8, ImagePrep.Limits.DEFAULT);
        assertTrue(text.reason().startsWith("not-an-image: no decoder recognises its content (19 bytes, starting 68 65 6c 6c"), text.reason());

        byte[] good = png(filled(40, 40, BufferedImage.TYPE_INT_RGB, 0x123456));
        ImagePrep.Result truncated = ImagePrep.prepare(Arrays.copyOf(good, good.length / 2), 8, ImagePrep.Limits.DEFAULT);
        assertFalse(truncated.ok());
        assertTrue(truncated.reason().startsWith("truncated: png: the file ends before its image data does"), truncated.reason());

        // A truncated JPEG decodes "successfully" with grey fill and only a warning: it must be rejected.
        BufferedImage noise = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        java.util.Random rnd = new java.util.Random(1);
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) noise.setRGB(x, y, rnd.nextInt(1 << 24));
        java.io.ByteArrayOutputStream jpg = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(noise, "jpeg", jpg);
        assertTrue(ImagePrep.prepare(jpg.toByteArray(), 8, ImagePrep.Limits.DEFAULT).ok());
        ImagePrep.Result cut = ImagePrep.prepare(Arrays.copyOf(jpg.toByteArray(), jpg.size() / 2), 8, ImagePrep.Limits.DEFAULT);
        assertFalse(cut.ok());
        assertTrue(cut.reason().startsWith("truncated: jpeg: "), cut.reason());

        ImagePrep.Result big = ImagePrep.prepare(good, 8, new ImagePrep.Limits(1000, 8));
        assertEquals("too-many-pixels: 40x40 = 1600 pixels > max-image-pixels 1000 (from the png header, before decoding)", big.reason());

        ImagePrep.Result small = ImagePrep.prepare(png(filled(5, 50, BufferedImage.TYPE_INT_RGB, 0)), 8, ImagePrep.Limits.DEFAULT);
        assertEquals("too-small: 5x50, a side < min-image-side 8", small.reason());
        assertNull(small.pixels());
    }

    @Test void thePatchPixelsAreTheModelPixels() {
        BufferedImage img = new BufferedImage(37, 23, BufferedImage.TYPE_INT_RGB);
        java.util.Random rnd = new java.util.Random(3);
        for (int y = 0; y < 23; y++) for (int x = 0; x < 37; x++) img.setRGB(x, y, rnd.nextInt(1 << 24));
        ImagePrep.Result r = ImagePrep.prepare(png(img), 11, ImagePrep.Limits.DEFAULT);
        for (int y = 0; y < 11; y++) {
            for (int x = 0; x < 11; x++) {
                int p = r.rgb().getRGB(x, y), o = 3 * (y * 11 + x);
                assertEquals(((p >> 16) & 0xff) / 255f, r.pixels()[o]);
                assertEquals((p & 0xff) / 255f, r.pixels()[o + 2]);
            }
        }
    }
}
