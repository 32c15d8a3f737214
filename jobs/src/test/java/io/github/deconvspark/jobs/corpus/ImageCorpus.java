package io.github.deconvspark.jobs.corpus;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Image files, good, odd and hostile, built here from scratch (no binary of unknown origin): each with what the
 * readers must do with it under {@link #LIMITS}-like limits (4 M pixels, 64 MB files).
 */
public final class ImageCorpus {
    private ImageCorpus() {}

    /** An image case: the file's bytes and the outcome. */
    public record Image(byte[] bytes, Expect expect) {}

    public static Map<String, Image> images() {
        Map<String, Image> m = new LinkedHashMap<>();
        Random rnd = new Random(20261202);
        BufferedImage noise = noise(64, 48, rnd);
        byte[] png = png(noise), jpg = jpeg(noise, 0.9f);

        // PNG, built chunk by chunk
        m.put("good-rgb.png", new Image(png, Expect.accept()));
        m.put("truncated.png", new Image(Arrays.copyOf(png, png.length / 2), Expect.reject("truncated", "ends before")));
        m.put("signature-only.png", new Image(Arrays.copyOf(png, 8), Expect.reject("truncated", "ends before")));
        m.put("width-zero.png", new Image(new Png().ihdr(0, 16, 8, 2).idat(Png.rows(16, 0, 0, i -> 0)).iend().bytes(),
                Expect.reject("corrupt", "width")));
        m.put("bad-filter.png", new Image(new Png().ihdr(16, 16, 8, 0).idat(Png.rows(16, 16, 9, i -> i)).iend().bytes(),
                Expect.reject("corrupt", "filter")));
        m.put("bad-zlib.png", new Image(new Png().ihdr(16, 16, 8, 0).chunk("IDAT", "not a zlib stream at all".getBytes()).iend().bytes(),
                Expect.reject("corrupt", "header check")));
        m.put("no-palette.png", new Image(new Png().ihdr(16, 16, 8, 3).idat(Png.rows(16, 16, 0, i -> 1)).iend().bytes(),
                Expect.reject("corrupt", "PLTE")));
        m.put("idat-length-lies.png", new Image(new Png().ihdr(16, 16, 8, 0).chunk("IDAT", Png.deflate(Png.rows(16, 16, 0, i -> i)),
                0x7ffffff0L).bytes(), Expect.reject("truncated", "ends before")));
        m.put("huge-declared.png", new Image(new Png().ihdr(100_000, 100_000, 8, 2).iend().bytes(),
                Expect.reject("too-many-pixels", "100000x100000")));
        // 64 M pixels in 8 KB: over the 40 M of the jobs' default limit too
        m.put("pixel-bomb.png", new Image(new Png().ihdr(8000, 8000, 1, 0).chunk("IDAT", Png.deflateZeros(8000L * (1000 + 1))).iend().bytes(),
                Expect.reject("too-many-pixels", "8000x8000")));
        m.put("bad-crc.png", new Image(flipLastIdatByte(png), Expect.reject("corrupt", "CRC of chunk IDAT")));
        m.put("no-iend.png", new Image(Arrays.copyOf(png, png.length - 12), Expect.reject("truncated", "IEND")));
        m.put("ztxt-bomb.png", new Image(withChunkBefore(png, "zTXt", concat("Comment\0\0".getBytes(StandardCharsets.ISO_8859_1),
                Png.deflateZeros(768L << 20))), Expect.accept()));
        m.put("iccp-bomb.png", new Image(withChunkBefore(png, "iCCP", concat("icc\0\0".getBytes(StandardCharsets.ISO_8859_1),
                Png.deflateZeros(768L << 20))), Expect.accept()));
        m.put("gray16.png", new Image(new Png().ihdr(32, 32, 16, 0).idat(Png.rows(32, 64, 0, i -> i * 7)).iend().bytes(),
                Expect.convert("16-bit to 8-bit")));
        m.put("rgb16.png", new Image(new Png().ihdr(32, 32, 16, 2).idat(Png.rows(32, 192, 0, i -> i * 13)).iend().bytes(),
                Expect.convert("16-bit to 8-bit")));
        for (int bits : new int[] {1, 2, 4}) {
            m.put("gray" + bits + ".png", new Image(new Png().ihdr(32, 32, bits, 0).idat(Png.rows(32, 32 * bits / 8, 0, i -> i * 37)).iend()
                    .bytes(), Expect.convert(bits + "-bit grayscale to RGB")));
        }
        m.put("palette.png", new Image(png(toPalette(noise)), Expect.convert("palette to RGB")));
        m.put("rgba.png", new Image(png(withAlpha(noise)), Expect.convert("alpha composited over white")));
        m.put("gray-alpha.png", new Image(new Png().ihdr(32, 32, 8, 4).idat(Png.rows(32, 64, 0, i -> i * 5)).iend().bytes(),
                Expect.convert("alpha composited over white")));
        m.put("tiny.png", new Image(png(noise(4, 4, rnd)), Expect.reject("too-small", "4x4")));

        // JPEG
        m.put("good.jpg", new Image(jpg, Expect.accept()));
        m.put("truncated.jpg", new Image(Arrays.copyOf(jpg, jpg.length / 2), Expect.reject("truncated", "")));
        m.put("garbage-after-soi.jpg", new Image(concat(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 16},
                "JFIF garbage that is not a jpeg at all, really".getBytes()), Expect.reject("corrupt", "")));
        m.put("huge-declared.jpg", new Image(sofSize(jpg, 65000, 65000), Expect.reject("too-many-pixels", "65000x65000")));
        m.put("cmyk-adobe.jpg", new Image(cmykJpeg(false, true), Expect.convert("CMYK to RGB (Adobe, inverted)")));
        m.put("cmyk-plain.jpg", new Image(cmykJpeg(false, false), Expect.convert("CMYK to RGB, as TensorFlow")));
        m.put("ycck-adobe.jpg", new Image(cmykJpeg(true, true), Expect.convert("YCCK to RGB (Adobe, inverted)")));

        // GIF, BMP, TIFF
        byte[] gif = write(toPalette(noise), "gif");
        m.put("good.gif", new Image(gif, Expect.convert("palette to RGB")));
        m.put("bad-lzw.gif", new Image(corruptAfter(gif, 0x2C, 12), Expect.reject("corrupt", "")));
        m.put("huge-declared.gif", new Image(gifSize(gif, 65535, 65535), Expect.reject("too-many-pixels", "65535x65535")));
        byte[] bmp = write(noise, "bmp");
        m.put("good.bmp", new Image(bmp, Expect.accept()));
        m.put("truncated.bmp", new Image(Arrays.copyOf(bmp, bmp.length / 2), Expect.reject("truncated", "ends before")));
        // the BMP reader checks the declared size against the data before anything: a corrupt header
        m.put("huge-declared.bmp", new Image(bmpSize(bmp, 60000, 60000), Expect.reject("corrupt", "Invalid width/height")));
        byte[] tif = write(noise, "tiff");
        m.put("good.tif", new Image(tif, Expect.accept()));
        m.put("truncated.tif", new Image(Arrays.copyOf(tif, tif.length / 2), Expect.reject("truncated", "")));
        // ImageIO reads what the strip holds (the pixels are all there) and allocates no more for the lie
        m.put("strip-length-lies.tif", new Image(tiffStripBytes(tif, 0x7ffffff0), Expect.accept()));

        // not images
        m.put("notes.txt", new Image("not an image\n".getBytes(), Expect.reject("not-an-image", "no decoder")));
        byte[] random = new byte[4096];
        rnd.nextBytes(random);
        m.put("random.bin", new Image(random, Expect.reject("not-an-image", "no decoder")));
        m.put("empty.png", new Image(new byte[0], Expect.reject("empty", "0 bytes")));
        return m;
    }

    // ---- builders ----

    static BufferedImage noise(int w, int h, Random rnd) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) img.setRGB(x, y, (x * 255 / w) << 16 | (y * 255 / h) << 8 | rnd.nextInt(256));
        }
        return img;
    }

    static byte[] png(BufferedImage img) {
        return write(img, "png");
    }

    static byte[] write(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            if (!ImageIO.write(img, format, b)) throw new IllegalStateException("no ImageIO writer for " + format);
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] jpeg(BufferedImage img, float quality) {
        try {
            ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (ImageOutputStream o = ImageIO.createImageOutputStream(b)) {
                w.setOutput(o);
                ImageWriteParam p = w.getDefaultWriteParam();
                p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                p.setCompressionQuality(quality);
                w.write(null, new IIOImage(img, null, null), p);
            }
            w.dispose();
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BufferedImage toPalette(BufferedImage src) {
        BufferedImage p = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_BYTE_INDEXED);
        p.getGraphics().drawImage(src, 0, 0, null);
        return p;
    }

    static BufferedImage withAlpha(BufferedImage src) {
        BufferedImage a = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < src.getHeight(); y++) {
            for (int x = 0; x < src.getWidth(); x++) a.setRGB(x, y, (src.getRGB(x, y) & 0xffffff) | ((x * 4) & 0xff) << 24);
        }
        return a;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** The last data byte of the first IDAT chunk flipped (its CRC no longer matches). */
    static byte[] flipLastIdatByte(byte[] png) {
        byte[] b = png.clone();
        for (int i = 8; i + 8 < b.length; ) {
            int len = ByteBuffer.wrap(b, i, 4).getInt();
            if (b[i + 4] == 'I' && b[i + 5] == 'D' && b[i + 6] == 'A' && b[i + 7] == 'T') {
                b[i + 8 + len - 1] ^= 0x55;
                return b;
            }
            i += 12 + len;
        }
        throw new IllegalStateException("no IDAT");
    }

    /** A PNG with one more chunk right after IHDR. */
    static byte[] withChunkBefore(byte[] png, String type, byte[] data) {
        int afterIhdr = 8 + 4 + 4 + 13 + 4;
        byte[] chunk = new Png().chunk(type, data).bytes();
        chunk = Arrays.copyOfRange(chunk, 8, chunk.length);                     // without the signature
        return concat(concat(Arrays.copyOf(png, afterIhdr), chunk), Arrays.copyOfRange(png, afterIhdr, png.length));
    }

    /** A JPEG whose frame header (SOF0) declares another size. */
    static byte[] sofSize(byte[] jpg, int w, int h) {
        byte[] b = jpg.clone();
        for (int i = 2; i + 9 < b.length; ) {
            int m = b[i + 1] & 0xff, len = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            if (m == 0xC0 || m == 0xC2) {
                b[i + 5] = (byte) (h >> 8); b[i + 6] = (byte) h; b[i + 7] = (byte) (w >> 8); b[i + 8] = (byte) w;
                return b;
            }
            i += 2 + len;
        }
        throw new IllegalStateException("no SOF0 in the JPEG");
    }

    /** Bytes overwritten with 0xFF from {@code skip} bytes after the first occurrence of {@code marker}. */
    static byte[] corruptAfter(byte[] b, int marker, int skip) {
        byte[] c = b.clone();
        for (int i = 6; i < c.length; i++) {
            if ((c[i] & 0xff) == marker) {
                for (int k = i + skip; k < Math.min(c.length - 1, i + skip + 64); k++) c[k] = (byte) 0xFF;
                return c;
            }
        }
        throw new IllegalStateException("marker not found");
    }

    /** A GIF whose logical screen and first image descriptor declare another size. */
    static byte[] gifSize(byte[] gif, int w, int h) {
        byte[] b = gif.clone();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        bb.putShort(6, (short) w).putShort(8, (short) h);
        for (int i = 13; i + 9 < b.length; i++) {
            if (b[i] == 0x2C) {                                                     // image descriptor
                bb.putShort(i + 5, (short) w).putShort(i + 7, (short) h);
                return b;
            }
        }
        return b;
    }

    static byte[] bmpSize(byte[] bmp, int w, int h) {
        byte[] b = bmp.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(18, w).putInt(22, h);
        return b;
    }

    /** A baseline TIFF (as ImageIO writes it) whose StripByteCounts entries all claim {@code n} bytes. */
    static byte[] tiffStripBytes(byte[] tif, int n) {
        byte[] b = tif.clone();
        ByteOrder order = b[0] == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        ByteBuffer bb = ByteBuffer.wrap(b).order(order);
        int ifd = bb.getInt(4), entries = bb.getShort(ifd) & 0xffff;
        for (int e = 0; e < entries; e++) {
            int at = ifd + 2 + 12 * e;
            int tag = bb.getShort(at) & 0xffff, type = bb.getShort(at + 2) & 0xffff, count = bb.getInt(at + 4);
            if (tag != 279) continue;                                                // StripByteCounts
            int size = type == 3 ? 2 : 4;
            int where = count * size <= 4 ? at + 8 : bb.getInt(at + 8);
            for (int k = 0; k < count; k++) {
                if (type == 3) bb.putShort(where + 2 * k, (short) Math.min(n, 0xffff));
                else bb.putInt(where + 4 * k, n);
            }
            return b;
        }
        throw new IllegalStateException("no StripByteCounts in the TIFF");
    }

    /**
     * A four-channel JPEG as Photoshop writes them (an Adobe APP14 marker, inverted CMYK; transform 2: YCCK) or a plain
     * CMYK one (no marker), 48x48: cyan across, magenta down, a yellow and a black field. ImageIO writes the raw samples
     * of a four-band raster (no colour meaning, no marker); the Adobe marker is spliced in after SOI.
     */
    public static byte[] cmykJpeg(boolean ycck, boolean adobe) {
        try {
            int w = 48, h = 48;
            WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) r.setPixel(x, y, cmykSamples(x, y, adobe));
            ImageWriter wr = ImageIO.getImageWritersByFormatName("jpeg").next();
            ImageWriteParam p = wr.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.98f);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (ImageOutputStream o = ImageIO.createImageOutputStream(b)) {
                wr.setOutput(o);
                wr.write(null, new IIOImage(ycck ? toYcck(r) : r, null, null), p);
            }
            wr.dispose();
            byte[] jpg = b.toByteArray();
            if (!adobe) return jpg;
            byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) (ycck ? 2 : 0)};
            return concat(concat(Arrays.copyOf(jpg, 2), app14), Arrays.copyOfRange(jpg, 2, jpg.length));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The CMYK samples at (x, y) as stored: inverted (255 = no ink) for Adobe files, plain otherwise. */
    public static int[] cmykSamples(int x, int y, boolean adobe) {
        int c = x * 255 / 47, m = y * 255 / 47, ye = x < 24 ? 40 : 200, k = y < 24 ? 30 : 120;
        return adobe ? new int[] {255 - c, 255 - m, 255 - ye, 255 - k} : new int[] {c, m, ye, k};
    }

    /** Stored (inverted) CMYK to YCCK: C, M, Y are 255 - R, 255 - G, 255 - B of an RGB that goes through YCbCr. */
    private static WritableRaster toYcck(WritableRaster cmyk) {
        WritableRaster out = cmyk.createCompatibleWritableRaster();
        int[] px = new int[4];
        for (int y = 0; y < cmyk.getHeight(); y++) {
            for (int x = 0; x < cmyk.getWidth(); x++) {
                cmyk.getPixel(x, y, px);
                double r = 255 - px[0], g = 255 - px[1], b = 255 - px[2];
                double luma = 0.299 * r + 0.587 * g + 0.114 * b;
                double cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128, cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
                out.setPixel(x, y, new int[] {clamp(luma), clamp(cb), clamp(cr), px[3]});
            }
        }
        return out;
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }
}
