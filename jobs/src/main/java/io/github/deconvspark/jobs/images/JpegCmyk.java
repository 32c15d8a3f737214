package io.github.deconvspark.jobs.images;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/**
 * Four-channel (CMYK and YCCK) JPEGs to RGB as TensorFlow's decode_jpeg does (tensorflow/core/lib/jpeg/jpeg_mem.cc):
 * libjpeg decodes to CMYK (YCCK through its ycck_cmyk_convert), then, when the file has an Adobe APP14 marker (whose
 * CMYK is stored inverted, as Photoshop writes it), R = K C / 255, else R = (255 - K)(255 - C) / 255, likewise G from M
 * and B from Y, in integer arithmetic. Java's own conversion of such files is about 60/255 too light.
 * The samples come from ImageIO's readRaster, which does no colour conversion (YCCK stays YCCK: converted here with
 * libjpeg's integer tables).
 */
final class JpegCmyk {
    private JpegCmyk() {}

    /** The frame's component count and the Adobe marker (transform: 0 CMYK, otherwise YCCK, as libjpeg assumes). */
    record Info(int components, boolean adobe, int transform) {
        boolean ycck() { return adobe && transform != 0; }

        String describe() {
            return (ycck() ? "YCCK" : "CMYK") + " to RGB" + (adobe ? " (Adobe, inverted)" : "") + ", as TensorFlow's decode_jpeg";
        }
    }

    /** The markers before the first frame header; null when the bytes are not a JPEG this can follow. */
    static Info info(byte[] b) {
        if (b.length < 4 || (b[0] & 0xff) != 0xFF || (b[1] & 0xff) != 0xD8) return null;
        boolean adobe = false;
        int transform = -1;
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xff) != 0xFF) return null;
            int m = b[i + 1] & 0xff;
            if (m == 0xFF) { i++; continue; }                                   // fill byte
            if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) { i += 2; continue; }    // markers without a length
            int len = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            if (len < 2) return null;
            if (m == 0xEE && len >= 14 && i + 4 + 12 <= b.length && b[i + 4] == 'A' && b[i + 5] == 'd' && b[i + 6] == 'o'
                    && b[i + 7] == 'b' && b[i + 8] == 'e') {
                adobe = true;
                transform = b[i + 4 + 11] & 0xff;
            }
            boolean sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
            if (sof) return i + 9 < b.length ? new Info(b[i + 9] & 0xff, adobe, transform) : null;
            if (m == 0xDA || m == 0xD9) return null;
            i += 2 + len;
        }
        return null;
    }

    private static final int SCALEBITS = 16, ONE_HALF = 1 << (SCALEBITS - 1);
    private static final int[] CR_R = new int[256], CB_B = new int[256], CR_G = new int[256], CB_G = new int[256];

    static {                                                                    // libjpeg's build_ycc_rgb_table
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private static int fix(double v) {
        return (int) (v * (1L << SCALEBITS) + 0.5);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** The raw four-channel samples as an 8-bit RGB image. */
    static BufferedImage toRgb(Raster raw, Info info) {
        if (raw.getNumBands() != 4) throw new IllegalArgumentException("a " + info.components() + "-component JPEG decoded to "
                + raw.getNumBands() + " bands");
        int w = raw.getWidth(), h = raw.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] px = new int[4 * w], row = new int[w];
        for (int y = 0; y < h; y++) {
            raw.getPixels(raw.getMinX(), raw.getMinY() + y, w, 1, px);
            for (int x = 0; x < w; x++) {
                int c = px[4 * x], m = px[4 * x + 1], yy = px[4 * x + 2], k = px[4 * x + 3];
                if (info.ycck()) {                                              // libjpeg's ycck_cmyk_convert
                    int luma = c, cb = m, cr = yy;
                    c = 255 - clamp(luma + CR_R[cr]);
                    m = 255 - clamp(luma + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
                    yy = 255 - clamp(luma + CB_B[cb]);
                }
                int r, g, b;
                if (info.adobe()) {
                    r = k * c / 255;
                    g = k * m / 255;
                    b = k * yy / 255;
                } else {
                    r = (255 - k) * (255 - c) / 255;
                    g = (255 - k) * (255 - m) / 255;
                    b = (255 - k) * (255 - yy) / 255;
                }
                row[x] = (r << 16) | (g << 8) | b;
            }
            out.setRGB(0, y, w, 1, row, 0, w);
        }
        return out;
    }
}
