package io.github.deconvspark.jobs.images;

import io.github.deconvspark.jobs.inputs.Reject;
import java.util.zip.CRC32;

/**
 * The chunk structure of a PNG, checked before decoding as libpng (TensorFlow's decode_png) checks it and Java's
 * decoder does not: every chunk's length within the file, the CRC of the critical chunks (IHDR, PLTE, IDAT, IEND),
 * and an IEND. Java's reader stops at the end of the image data and decodes a file whose last chunk claims 2 GB, or
 * whose data was damaged in transit, without a word.
 */
final class PngChunks {
    private PngChunks() {}

    /** Null when the structure holds, else why not. */
    static Reject check(byte[] b) {
        int i = 8;
        while (true) {
            if (i + 8 > b.length) {
                return new Reject(Reject.TRUNCATED, "png: the file ends before its IEND chunk (after " + b.length + " bytes)");
            }
            long len = ((b[i] & 0xffL) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            String type = new String(b, i + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (len > 0x7fffffffL) return new Reject(Reject.CORRUPT, "png: chunk " + printable(type) + " at byte " + i + " declares " + len + " bytes");
            if (i + 12 + len > b.length) {
                return new Reject(Reject.TRUNCATED, "png: the file ends before its image data does: chunk " + printable(type) + " at byte "
                        + i + " declares " + len + " bytes, " + Math.max(0, b.length - i - 12) + " remain");
            }
            if (type.equals("IHDR") || type.equals("PLTE") || type.equals("IDAT") || type.equals("IEND")) {
                CRC32 crc = new CRC32();
                crc.update(b, i + 4, (int) len + 4);
                int at = i + 8 + (int) len;
                long stored = ((b[at] & 0xffL) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
                if (crc.getValue() != stored) {
                    return new Reject(Reject.CORRUPT, "png: the CRC of chunk " + type + " at byte " + i + " does not match its data (damaged)");
                }
            }
            if (type.equals("IEND")) return null;
            i += 12 + (int) len;
        }
    }

    private static String printable(String type) {
        return type.chars().allMatch(c -> c >= 'A' && c <= 'z') ? type : "(unprintable type)";
    }
}
