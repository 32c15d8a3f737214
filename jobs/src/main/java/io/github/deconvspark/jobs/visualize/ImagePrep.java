package io.github.deconvspark.jobs.visualize;

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
     * @param reason  why the image was rejected; null when accepted
     */
    public record Result(float[] pixels, BufferedImage rgb, int width, int height, String note, String reason) {
        public boolean ok() { return reason == null; }

        static Result reject(int w, int h, String reason) { return new Result(null, null, w, h, "", reason); }
    }

    /** Decoding limits. */
    public record Limits(long maxPixels, int minSide) implements java.io.Serializable {
        public static final Limits DEFAULT = new Limits(40_000_000L, 8);
    }

    public static Result prepare(byte[] bytes, int size, Limits limits) {
        if (bytes == null || bytes.length == 0) return Result.reject(0, 0, "empty file (0 bytes)");
        ImageIO.setUseCache(false);
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return Result.reject(0, 0, "not a readable image: no decoder recognises its content (readable: "
                        + readableFormats() + ")");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName().toLowerCase(Locale.ROOT);
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0), h = reader.getHeight(0);
                if ((long) w * h > limits.maxPixels()) {
                    return Result.reject(w, h, "too large: " + w + "x" + h + " = " + ((long) w * h) + " pixels > max-image-pixels "
                            + limits.maxPixels());
                }
                if (Math.min(w, h) < limits.minSide()) {
                    return Result.reject(w, h, "too small: " + w + "x" + h + ", a side < min-image-side " + limits.minSide());
                }
                BufferedImage img;
                java.util.List<String> warnings = new java.util.ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                try {
                    img = reader.read(0);
                } catch (IOException | RuntimeException e) {
                    return Result.reject(w, h, "corrupt " + format + ": " + message(e));
                }
                // Decoders fill what a truncated file lacks and only warn ("Premature end of JPEG file").
                if (!warnings.isEmpty()) return Result.reject(w, h, "corrupt " + format + ": " + warnings.get(0));
                return convert(img, size, describe(img));
            } catch (IOException | RuntimeException e) {
                return Result.reject(0, 0, "corrupt " + format + ": " + message(e));
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            return Result.reject(0, 0, "cannot read: " + message(e));
        }
    }

    static String readableFormats() {
        return "png, jpeg, gif, bmp, wbmp, tiff";
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private static String describe(BufferedImage img) {
        var cm = img.getColorModel();
        StringBuilder sb = new StringBuilder();
        if (cm.getNumColorComponents() == 1) sb.append("grayscale to RGB");
        if (cm instanceof java.awt.image.IndexColorModel) sb.append(sb.length() > 0 ? "; " : "").append("palette to RGB");
        if (cm.hasAlpha()) sb.append(sb.length() > 0 ? "; " : "").append("alpha composited over white");
        if (cm.getComponentSize(0) > 8) sb.append(sb.length() > 0 ? "; " : "").append(cm.getComponentSize(0) + "-bit to 8-bit");
        return sb.toString();
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
