package io.github.deconvspark.jobs.corpus;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** A PNG written chunk by chunk (PNG 1.2), so the corpus can build any bit depth, colour type or damage. */
final class Png {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Png() {
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    }

    Png chunk(String type, byte[] data) {
        return chunk(type, data, data.length);
    }

    /** A chunk whose length field says {@code declaredLength} (a lie when it differs from the data's). */
    Png chunk(String type, byte[] data, long declaredLength) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) declaredLength).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        return this;
    }

    Png ihdr(long w, long h, int depth, int colorType) {
        return chunk("IHDR", ByteBuffer.allocate(13).putInt((int) w).putInt((int) h).put((byte) depth).put((byte) colorType)
                .put((byte) 0).put((byte) 0).put((byte) 0).array());
    }

    /** IDAT holding the zlib stream of {@code raw} (filter bytes included). */
    Png idat(byte[] raw) {
        return chunk("IDAT", deflate(raw));
    }

    Png iend() {
        return chunk("IEND", new byte[0]);
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** Rows of {@code bytesPerRow} bytes, each after filter byte {@code filter}, from a generator of sample bytes. */
    static byte[] rows(int h, int bytesPerRow, int filter, java.util.function.IntUnaryOperator byteAt) {
        byte[] raw = new byte[h * (bytesPerRow + 1)];
        for (int y = 0, k = 0; y < h; y++) {
            raw[k++] = (byte) filter;
            for (int x = 0; x < bytesPerRow; x++) raw[k++] = (byte) byteAt.applyAsInt(y * bytesPerRow + x);
        }
        return raw;
    }

    static byte[] deflate(byte[] raw) {
        Deflater d = new Deflater(9);
        d.setInput(raw);
        d.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        while (!d.finished()) z.write(buf, 0, d.deflate(buf));
        d.end();
        return z.toByteArray();
    }

    /** The zlib stream of {@code n} zero bytes, made without holding them (a decompression bomb). */
    static byte[] deflateZeros(long n) {
        Deflater d = new Deflater(9);
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] zeros = new byte[1 << 20], buf = new byte[1 << 16];
        long left = n;
        while (left > 0) {
            int k = (int) Math.min(zeros.length, left);
            d.setInput(zeros, 0, k);
            left -= k;
            if (left == 0) d.finish();
            while (!d.needsInput() || (left == 0 && !d.finished())) {
                int got = d.deflate(buf);
                z.write(buf, 0, got);
                if (got == 0 && d.needsInput() && left > 0) break;
                if (d.finished()) break;
            }
        }
        d.end();
        return z.toByteArray();
    }
}
