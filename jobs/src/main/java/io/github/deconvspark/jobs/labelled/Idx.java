package io.github.deconvspark.jobs.labelled;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * The IDX format of MNIST and Fashion-MNIST (raw or gzipped): a big-endian header (magic 0x0000 08 D,
 * D dimension sizes) and unsigned bytes. Images: D = 3 (count, rows, cols); labels: D = 1. Records are
 * read by range, so each task reads only its part (a gzipped file is decompressed up to it).
 */
public final class Idx {
    private Idx() {}

    /** A file's header: dimension sizes, where the data starts, and whether it is gzipped. */
    public record Header(int[] dims, int dataOffset, boolean gzip) {
        public int count() { return dims[0]; }

        public int recordSize() {
            int n = 1;
            for (int i = 1; i < dims.length; i++) n *= dims[i];   // bounded by MAX_RECORD_BYTES in header()
            return n;
        }
    }

    /** The largest record (one image) read: 64 MiB (an 8192 x 8192 image). */
    public static final int MAX_RECORD_BYTES = 1 << 26;

    /** Whether a file starts with gzip's magic. */
    public static boolean isGzip(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    /**
     * A raw (not gzipped) file must be exactly as long as its header says: the header plus count records. A gzipped
     * file's length is known only when it is read; reading stops at the header's count (and a short one is truncated).
     */
    public static void checkLength(Header h, long fileLength, boolean gzip, String what) {
        if (gzip) return;
        long want = h.dataOffset() + (long) h.count() * h.recordSize();
        compare(h, want, fileLength, what);
    }

    /**
     * A gzipped file's length, counted by decompressing it (on the driver, before any task reads it: MNIST's largest
     * file takes a fraction of a second), at most one byte past what the header declares, so a gzip bomb stops there.
     */
    public static void checkGzipLength(Header h, InputStream decompressed, String what) throws IOException {
        long want = h.dataOffset() + (long) h.count() * h.recordSize();
        long have = h.dataOffset();
        byte[] buf = new byte[1 << 16];
        while (have <= want) {
            int r;
            try {
                r = decompressed.read(buf, 0, (int) Math.min(buf.length, want + 1 - have));
            } catch (java.io.EOFException e) {
                throw new IllegalArgumentException(what + ": truncated: the gzip stream ends early, after " + have + " of its "
                        + want + " bytes");
            } catch (java.util.zip.ZipException e) {
                throw new IllegalArgumentException(what + ": a damaged gzip stream (" + e.getMessage() + ") after " + have + " bytes");
            }
            if (r < 0) break;
            have += r;
        }
        compare(h, want, have, what + " (decompressed)");
    }

    private static void compare(Header h, long want, long fileLength, String what) {
        if (fileLength < want) {
            throw new IllegalArgumentException(what + ": truncated: its header declares " + h.count() + " records of " + h.recordSize()
                    + " bytes (" + want + " bytes in all) but the file holds " + fileLength);
        }
        if (fileLength > want) {
            throw new IllegalArgumentException(what + ": " + (fileLength - want) + " bytes after the " + h.count()
                    + " records its header declares (" + want + " bytes): not an IDX file of that header, or a damaged one");
        }
    }

    /** Opens a stream, un-gzipping when the file starts with gzip's magic. */
    public static InputStream open(InputStream raw) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(2);
        int b0 = in.read(), b1 = in.read();
        in.reset();
        return b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16) : in;
    }

    /** Reads the header of an (already {@link #open}ed) stream; {@code what} names the file in errors. */
    public static Header header(InputStream in, int rank, String what, boolean gzip) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int magic;
        try {
            magic = d.readInt();
        } catch (EOFException e) {
            throw new IllegalArgumentException(what + ": empty or shorter than an IDX header");
        }
        if ((magic >>> 16) != 0 || ((magic >>> 8) & 0xff) != 0x08) {
            throw new IllegalArgumentException(what + ": not an IDX file of unsigned bytes (magic 0x" + Integer.toHexString(magic)
                    + "; expected 0x0000080" + rank + ")");
        }
        int r = magic & 0xff;
        if (r != rank) throw new IllegalArgumentException(what + ": IDX file of rank " + r + "; expected " + rank
                + (rank == 3 ? " (images: count, rows, cols)" : " (labels: count)"));
        int[] dims = new int[r];
        for (int i = 0; i < r; i++) {
            try {
                dims[i] = d.readInt();
            } catch (EOFException e) {
                throw new IllegalArgumentException(what + ": the IDX header ends early (truncated): " + i + " of " + r + " dimension sizes");
            }
            if (dims[i] < 1) throw new IllegalArgumentException(what + ": dimension " + i + " is " + dims[i] + "; it must be >= 1");
        }
        long rec = 1;
        for (int i = 1; i < r; i++) {
            rec *= dims[i];
            if (rec > MAX_RECORD_BYTES) {
                throw new IllegalArgumentException(what + ": its header declares records of " + java.util.Arrays.toString(
                        java.util.Arrays.copyOfRange(dims, 1, r)) + " bytes, more than the " + MAX_RECORD_BYTES + " one record may hold");
            }
        }
        return new Header(dims, 4 + 4 * r, gzip);
    }

    /** Skips exactly n bytes (a gzip stream may skip fewer at a time). */
    public static void skip(InputStream in, long n, String what) throws IOException {
        while (n > 0) {
            long s = in.skip(n);
            if (s <= 0) {
                if (in.read() < 0) throw new IllegalArgumentException(what + ": the file ends early (truncated)");
                s = 1;
            }
            n -= s;
        }
    }

    /** Reads exactly {@code buf.length} bytes or fails naming the file as truncated. */
    public static void readFully(InputStream in, byte[] buf, String what) throws IOException {
        int off = 0;
        while (off < buf.length) {
            int r = in.read(buf, off, buf.length - off);
            if (r < 0) throw new IllegalArgumentException(what + ": the file ends early (truncated): " + off + " of " + buf.length + " bytes of a range");
            off += r;
        }
    }
}
