package io.github.deconvspark.jobs.images;

import io.github.deconvspark.jobs.inputs.Messages;
import io.github.deconvspark.jobs.inputs.Reading;
import io.github.deconvspark.jobs.inputs.Reject;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Image bytes to the model's input: decode (what Java's ImageIO reads: PNG, JPEG, GIF, BMP, WBMP,
 * TIFF), convert to 8-bit sRGB (grayscale replicated, palette expanded, alpha composited over
 * white), crop the centre square, resize to {@code size x size} (area averaging when shrinking,
 * bilinear with half-pixel centres when enlarging), scale to [0, 1]. Pure Java, deterministic.
 * Bad input does not throw: {@link Result#reason()} says what is wrong.
 */
public final class ImagePrep {
    private ImagePrep() {}

    /**
     * @param pixels  size*size*3 floats, HWC row-major, RGB in [0, 1]; null when rejected
     * @param rgb     the resized image as 8-bit RGB (for patches and the gallery); null when rejected
     * @param width   the original width (0 when unknown)
     * @param height  the original height (0 when unknown)
     * @param note    what was converted ("" when nothing), e.g. "grayscale to RGB"
     * @param reject  why the image was rejected (the rule and the cause); null when accepted
     */
    public record Result(float[] pixels, BufferedImage rgb, int width, int height, String note, Reject reject) {
        public boolean ok() { return reject == null; }

        /** "rule: cause", or null when accepted. */
        public String reason() { return reject == null ? null : reject.toString(); }

        public static Result reject(int w, int h, String rule, String cause) { return new Result(null, null, w, h, "", new Reject(rule, cause)); }

        public static Result reject(Reject r) { return new Result(null, null, 0, 0, "", r); }
    }

    /**
     * What one image may cost: its pixels (from the header, before decoding), its smallest side, its file's bytes
     * (from the file system, before reading) and the seconds its decoder may take (then it is aborted).
     */
    public record Limits(long maxPixels, int minSide, long maxFileBytes, double decodeSeconds) implements java.io.Serializable {
        public static final long DEFAULT_MAX_FILE_BYTES = 256L << 20;
        public static final double DEFAULT_DECODE_SECONDS = 60;
        public static final Limits DEFAULT = new Limits(40_000_000L, 8);

        public Limits(long maxPixels, int minSide) {
            this(maxPixels, minSide, DEFAULT_MAX_FILE_BYTES, DEFAULT_DECODE_SECONDS);
        }
    }

    /** Reads a listed file within the limits and prepares it; never throws for a bad file. */
    public static Result read(String uri, int size, Limits limits, org.apache.hadoop.conf.Configuration conf) {
        byte[] bytes;
        try {
            bytes = Reading.read(uri, limits.maxFileBytes(), conf);
        } catch (Reject.Exception e) {
            return Result.reject(e.reject());
        }
        return prepare(bytes, size, limits);
    }

    /**
     * The image's bytes as the decoders read them, with a deadline: a read after it fails. Every decoder, Java's or
     * native, pulls its input through this stream while it decodes (a PNG row by row, a JPEG scan by scan), so a slow
     * decode stops at its next read. (ImageReader.abort() would be the API for it, but the PNG reader ignores it.)
     */
    private static final class Deadline extends java.io.FilterInputStream {
        final long deadline;
        boolean passed;

        Deadline(byte[] bytes, double seconds) {
            super(new ByteArrayInputStream(bytes));
            this.deadline = System.nanoTime() + (long) (seconds * 1e9);
        }

        private void check() throws IOException {
            if (System.nanoTime() - deadline > 0) {
                passed = true;
                throw new IOException("decode-seconds passed");
            }
        }

        @Override public int read() throws IOException {
            check();
            return super.read();
        }

        @Override public int read(byte[] b, int off, int len) throws IOException {
            check();
            return super.read(b, off, Math.min(len, 8192));    // small reads: the deadline is checked often
        }
    }

    public static Result prepare(byte[] bytes, int size, Limits limits) {
        if (bytes == null || bytes.length == 0) return Result.reject(0, 0, Reject.EMPTY, "an empty file (0 bytes)");
        ImageIO.setUseCache(false);
        Deadline source = new Deadline(bytes, limits.decodeSeconds());
        try (ImageInputStream in = ImageIO.createImageInputStream(source)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return Result.reject(0, 0, Reject.NOT_AN_IMAGE, "no decoder recognises its content (" + bytes.length + " bytes"
                        + (bytes.length >= 4 ? String.format(", starting %02x %02x %02x %02x", bytes[0], bytes[1], bytes[2], bytes[3]) : "")
                        + "; readable: " + readableFormats() + ")");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName().toLowerCase(Locale.ROOT);
            int w = 0, h = 0;
            try {
                reader.setInput(in, true, true);
                w = reader.getWidth(0);
                h = reader.getHeight(0);
                if (w <= 0 || h <= 0) return Result.reject(w, h, Reject.CORRUPT, format + " header declares " + w + "x" + h + " pixels");
                if ((long) w * h > limits.maxPixels()) {
                    return Result.reject(w, h, Reject.TOO_MANY_PIXELS, w + "x" + h + " = " + ((long) w * h) + " pixels > max-image-pixels "
                            + limits.maxPixels() + " (from the " + format + " header, before decoding)");
                }
                if (Math.min(w, h) < limits.minSide()) {
                    return Result.reject(w, h, Reject.TOO_SMALL, w + "x" + h + ", a side < min-image-side " + limits.minSide());
                }
                if (format.equals("png")) {
                    Reject structure = PngChunks.check(bytes);
                    if (structure != null) return new Result(null, null, w, h, "", structure);
                }
                java.util.List<String> warnings = new java.util.ArrayList<>();
                reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
                BufferedImage img;
                String note = null;
                try {
                    JpegCmyk.Info cmyk = format.equals("jpeg") ? JpegCmyk.info(bytes) : null;
                    if (cmyk != null && cmyk.components() == 4) {
                        img = JpegCmyk.toRgb(reader.readRaster(0, null), cmyk);
                        note = cmyk.describe();
                    } else {
                        img = reader.read(0);
                    }
                } catch (IOException | RuntimeException e) {
                    if (source.passed) return timeout(w, h, format, limits);
                    return Result.reject(w, h, rule(e), format + ": " + causes(e));
                }
                if (source.passed) return timeout(w, h, format, limits);
                // Decoders fill what a truncated file lacks and only warn ("Premature end of JPEG file").
                if (!warnings.isEmpty()) {
                    String wn = warnings.get(0);
                    return Result.reject(w, h, wn.toLowerCase(Locale.ROOT).matches(".*(premature end|truncated).*") ? Reject.TRUNCATED : Reject.CORRUPT,
                            format + ": " + Messages.clip(wn, 300) + (warnings.size() > 1 ? " (and " + (warnings.size() - 1) + " more warnings)" : ""));
                }
                return convert(img, size, note != null ? note : describe(img));
            } catch (IOException | RuntimeException e) {
                if (source.passed) return timeout(w, h, format, limits);
                return Result.reject(w, h, rule(e), format + ": " + causes(e));
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            return Result.reject(0, 0, Reject.UNREADABLE, causes(e));
        }
    }

    private static Result timeout(int w, int h, String format, Limits limits) {
        return Result.reject(w, h, Reject.DECODE_TIMEOUT, format + " decoding of " + w + "x" + h + " pixels took longer than decode-seconds "
                + limits.decodeSeconds() + " and was stopped");
    }

    /** A decoder's failure: the end of the data reached early is truncation; anything else is corruption. */
    private static String rule(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.io.EOFException) return Reject.TRUNCATED;
            if (t instanceof OutOfMemoryError) return Reject.TOO_MANY_PIXELS;
        }
        return Reject.CORRUPT;
    }

    /** The messages of a decoder's exception and its causes (ImageIO wraps the telling one). */
    private static String causes(Throwable e) {
        String c = Reject.causes(e);
        if (rule(e).equals(Reject.TRUNCATED)) c = "the file ends before its image data does (" + c + ")";
        return c;
    }

    static String readableFormats() {
        return "png, jpeg, gif, bmp, wbmp, tiff";
    }

    private static String describe(BufferedImage img) {
        var cm = img.getColorModel();
        StringBuilder sb = new StringBuilder();
        int bits = cm.getComponentSize(0);
        if (cm instanceof java.awt.image.IndexColorModel icm && grayPalette(icm)) {
            // 1, 2 and 4-bit grayscale PNGs decode to a palette of grays: they are grayscale, not palette images
            sb.append(icm.getPixelSize() < 8 ? icm.getPixelSize() + "-bit grayscale to RGB" : "grayscale to RGB");
        } else {
            if (cm.getNumColorComponents() == 1) sb.append("grayscale to RGB");
            if (cm instanceof java.awt.image.IndexColorModel) sb.append(sb.length() > 0 ? "; " : "").append("palette to RGB");
        }
        if (cm.hasAlpha()) sb.append(sb.length() > 0 ? "; " : "").append("alpha composited over white");
        if (bits > 8) sb.append(sb.length() > 0 ? "; " : "").append(bits + "-bit to 8-bit");
        return sb.toString();
    }

    /** Whether every entry of a palette is a gray (r = g = b). */
    private static boolean grayPalette(java.awt.image.IndexColorModel icm) {
        for (int i = 0; i < icm.getMapSize(); i++) {
            int r = icm.getRed(i);
            if (r != icm.getGreen(i) || r != icm.getBlue(i)) return false;
        }
        return true;
    }

    /** To 8-bit sRGB over white, centre square, resized to size x size. */
    static Result convert(BufferedImage img, int size, String note) {
        int w = img.getWidth(), h = img.getHeight();
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.awt.image.Raster raster = img.getRaster();
        if (raster.getNumBands() == 1 && img.getColorModel().getNumComponents() == 1 && !(img.getColorModel() instanceof java.awt.image.IndexColorModel)) {
            // grayscale: the samples replicated as they are (drawImage would convert Java's linear gray to sRGB, lightening it)
            int shift = Math.max(0, img.getColorModel().getComponentSize(0) - 8);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = raster.getSample(x, y, 0) >> shift;
                    rgb.setRGB(x, y, (v << 16) | (v << 8) | v);
                }
            }
        } else {
            Graphics2D g = rgb.createGraphics();
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.drawImage(img, 0, 0, null);
            g.dispose();
        }
        int side = Math.min(w, h), x0 = (w - side) / 2, y0 = (h - side) / 2;
        int[] src = rgb.getRGB(x0, y0, side, side, null, 0, side);
        float[] out = resize(src, side, size);
        BufferedImage small = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        int[] px = new int[size * size];
        for (int i = 0; i < px.length; i++) {
            px[i] = (to8(out[3 * i]) << 16) | (to8(out[3 * i + 1]) << 8) | to8(out[3 * i + 2]);
        }
        small.setRGB(0, 0, size, size, px, 0, size);
        // The model sees exactly the 8-bit pixels that the patches show.
        for (int i = 0; i < px.length; i++) {
            out[3 * i] = ((px[i] >> 16) & 0xff) / 255f;
            out[3 * i + 1] = ((px[i] >> 8) & 0xff) / 255f;
            out[3 * i + 2] = (px[i] & 0xff) / 255f;
        }
        return new Result(out, small, w, h, note, null);
    }

    private static int to8(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255f)));
    }

    /** Square ARGB ints (side x side) to size x size RGB floats in [0, 1]. */
    static float[] resize(int[] src, int side, int size) {
        float[] out = new float[size * size * 3];
        if (side >= size) {                       // area average: each output cell is a side/size box
            double scale = (double) side / size;
            for (int oy = 0; oy < size; oy++) {
                double y0 = oy * scale, y1 = y0 + scale;
                for (int ox = 0; ox < size; ox++) {
                    double x0 = ox * scale, x1 = x0 + scale;
                    double r = 0, gr = 0, b = 0, area = 0;
                    for (int sy = (int) Math.floor(y0); sy < Math.min(side, (int) Math.ceil(y1)); sy++) {
                        double wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
                        for (int sx = (int) Math.floor(x0); sx < Math.min(side, (int) Math.ceil(x1)); sx++) {
                            double wgt = wy * (Math.min(x1, sx + 1) - Math.max(x0, sx));
                            int p = src[sy * side + sx];
                            r += wgt * ((p >> 16) & 0xff);
                            gr += wgt * ((p >> 8) & 0xff);
                            b += wgt * (p & 0xff);
                            area += wgt;
                        }
                    }
                    int o = 3 * (oy * size + ox);
                    out[o] = (float) (r / area / 255);
                    out[o + 1] = (float) (gr / area / 255);
                    out[o + 2] = (float) (b / area / 255);
                }
            }
        } else {                                  // bilinear, half-pixel centres, edges clamped
            double scale = (double) side / size;
            for (int oy = 0; oy < size; oy++) {
                double fy = Math.max(0, (oy + 0.5) * scale - 0.5);
                int y0 = Math.min((int) fy, side - 1), y1 = Math.min(y0 + 1, side - 1);
                double dy = fy - y0;
                for (int ox = 0; ox < size; ox++) {
                    double fx = Math.max(0, (ox + 0.5) * scale - 0.5);
                    int x0 = Math.min((int) fx, side - 1), x1 = Math.min(x0 + 1, side - 1);
                    double dx = fx - x0;
                    int o = 3 * (oy * size + ox);
                    for (int c = 0; c < 3; c++) {
                        int shift = 16 - 8 * c;
                        double v00 = (src[y0 * side + x0] >> shift) & 0xff, v01 = (src[y0 * side + x1] >> shift) & 0xff;
                        double v10 = (src[y1 * side + x0] >> shift) & 0xff, v11 = (src[y1 * side + x1] >> shift) & 0xff;
                        double v = (1 - dy) * ((1 - dx) * v00 + dx * v01) + dy * ((1 - dx) * v10 + dx * v11);
                        out[o + c] = (float) (v / 255);
                    }
                }
            }
        }
        return out;
    }

    /** RGB pixels (HWC) for a model of {@code channels} inputs: as they are (3), or ITU-R BT.601 luma (1; gray pixels exactly). */
    public static float[] toChannels(float[] rgb, int channels) {
        if (channels == 3) return rgb;
        if (channels != 1) throw new IllegalArgumentException("toChannels: channels must be 1 or 3, got " + channels);
        float[] g = new float[rgb.length / 3];
        for (int j = 0; j < g.length; j++) {
            float r = rgb[3 * j], gr = rgb[3 * j + 1], b = rgb[3 * j + 2];
            g[j] = r == gr && gr == b ? r : 0.299f * r + 0.587f * gr + 0.114f * b; // a gray pixel stays exactly itself
        }
        return g;
    }

    /** HWC values of {@code channels} channels as RGB (a single channel replicated), for rendering. */
    public static float[] toRgb(float[] values, int channels) {
        if (channels == 3) return values;
        float[] rgb = new float[values.length * 3];
        for (int j = 0; j < values.length; j++) rgb[3 * j] = rgb[3 * j + 1] = rgb[3 * j + 2] = values[j];
        return rgb;
    }
}
