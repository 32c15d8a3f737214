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
            for (int i = 1; i < dims.length; i++) n *= dims[i];
            return n;
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
