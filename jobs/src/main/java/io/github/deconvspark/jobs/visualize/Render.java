package io.github.deconvspark.jobs.visualize;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Float maps to pictures, and pictures to PNG bytes. Deterministic. */
public final class Render {
    private Render() {}

    /**
     * A signed HWC (3 channels) projection for display: v / (2 max|v|) + 0.5 per value, so zero is
     * mid-grey and the strongest value of either sign reaches black or white (all-zero: grey).
     */
    public static BufferedImage signed(float[] hwc, int h, int w) {
        double m = 0;
        for (float v : hwc) m = Math.max(m, Math.abs(v));
        double scale = m == 0 ? 0 : 1 / (2 * m);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = 3 * (y * w + x), rgb = 0;
                for (int c = 0; c < 3; c++) rgb = (rgb << 8) | to8(hwc[o + c] * scale + 0.5);
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    /** A non-negative HW map as a heat map (v / max through a black-red-yellow-white ramp). */
    public static BufferedImage heat(float[] hw, int h, int w) {
        double m = 0;
        for (float v : hw) m = Math.max(m, v);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) img.setRGB(x, y, ramp(m == 0 ? 0 : hw[y * w + x] / m));
        }
        return img;
    }

    /** The image with a heat map of hw (h x w, bilinearly enlarged to the image) blended on top, 50/50. */
    public static BufferedImage overlay(BufferedImage image, float[] hw, int h, int w) {
        int H = image.getHeight(), W = image.getWidth();
        double m = 0;
        for (float v : hw) m = Math.max(m, v);
        BufferedImage out = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < H; y++) {
            double fy = Math.max(0, Math.min(h - 1, (y + 0.5) * h / H - 0.5));
            int y0 = (int) fy, y1 = Math.min(y0 + 1, h - 1);
            double dy = fy - y0;
            for (int x = 0; x < W; x++) {
                double fx = Math.max(0, Math.min(w - 1, (x + 0.5) * w / W - 0.5));
                int x0 = (int) fx, x1 = Math.min(x0 + 1, w - 1);
                double dx = fx - x0;
                double v = (1 - dy) * ((1 - dx) * hw[y0 * w + x0] + dx * hw[y0 * w + x1])
                        + dy * ((1 - dx) * hw[y1 * w + x0] + dx * hw[y1 * w + x1]);
                int heat = ramp(m == 0 ? 0 : v / m), px = image.getRGB(x, y), rgb = 0;
                for (int shift = 16; shift >= 0; shift -= 8) {
                    rgb = (rgb << 8) | ((((heat >> shift) & 0xff) + ((px >> shift) & 0xff)) / 2);
                }
                out.setRGB(x, y, rgb);
            }
        }
        return out;
    }

    private static int ramp(double t) {
        t = Math.max(0, Math.min(1, t));
        return (to8(3 * t) << 16) | (to8(3 * t - 1) << 8) | to8(3 * t - 2);
    }

    private static int to8(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v * 255)));
    }

    /** The box {y0, x0, y1, x1} (ends exclusive) of an image. */
    public static BufferedImage crop(BufferedImage img, int[] box) {
        BufferedImage out = new BufferedImage(box[3] - box[1], box[2] - box[0], BufferedImage.TYPE_INT_RGB);
        out.setRGB(0, 0, out.getWidth(), out.getHeight(),
                img.getRGB(box[1], box[0], out.getWidth(), out.getHeight(), null, 0, out.getWidth()), 0, out.getWidth());
        return out;
    }

    public static byte[] png(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
