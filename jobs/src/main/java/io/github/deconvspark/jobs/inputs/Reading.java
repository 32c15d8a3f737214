package io.github.deconvspark.jobs.inputs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Reads one listed input whole, bounded: the file is checked again for what it is (it may have changed since
 * the listing: a FIFO would block, a device never end) and for its size before it is opened, and no more than
 * {@code maxBytes} are ever held, whatever the file does while it is read. Failures are {@link Reject.Exception}s.
 */
public final class Reading {
    private Reading() {}

    public static byte[] read(String uri, long maxBytes, Configuration conf) throws Reject.Exception {
        return Uris.isLocal(uri) ? readLocal(Uris.local(uri), maxBytes) : readHadoop(uri, maxBytes, conf);
    }

    private static byte[] readLocal(Path p, long maxBytes) throws Reject.Exception {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw reject(Reject.UNREADABLE, "it no longer exists (removed since the listing)");
        } catch (IOException e) {
            throw reject(Reject.UNREADABLE, Reject.causes(e));
        }
        if (!a.isRegularFile()) throw reject(Reject.NOT_REGULAR, (a.isDirectory() ? "a folder" : Listing.kind(p)) + " (changed since the listing)");
        if (a.size() > maxBytes) throw reject(Reject.TOO_LARGE_FILE, a.size() + " bytes > max-file-bytes " + maxBytes);
        try (SeekableByteChannel ch = Files.newByteChannel(p, StandardOpenOption.READ)) {
            return bounded(java.nio.channels.Channels.newInputStream(ch), a.size(), maxBytes);
        } catch (Reject.Exception e) {
            throw e;
        } catch (IOException e) {
            throw reject(Reject.UNREADABLE, Reject.causes(e));
        }
    }

    private static byte[] readHadoop(String uri, long maxBytes, Configuration conf) throws Reject.Exception {
        org.apache.hadoop.fs.Path p = Uris.hadoop(uri);
        try {
            FileSystem fs = p.getFileSystem(conf);
            FileStatus s = fs.getFileStatus(p);
            if (!s.isFile()) throw reject(Reject.NOT_REGULAR, (s.isDirectory() ? "a folder" : "not a file") + " (changed since the listing)");
            if (s.getLen() > maxBytes) throw reject(Reject.TOO_LARGE_FILE, s.getLen() + " bytes > max-file-bytes " + maxBytes);
            try (InputStream in = fs.open(p)) {
                return bounded(in, s.getLen(), maxBytes);
            }
        } catch (Reject.Exception e) {
            throw e;
        } catch (java.io.FileNotFoundException e) {
            throw reject(Reject.UNREADABLE, "it no longer exists (removed since the listing)");
        } catch (IOException e) {
            throw reject(Reject.UNREADABLE, Reject.causes(e));
        }
    }

    /** The largest array a read may hold (Java arrays stop a little below 2^31). */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 16;

    /** At most maxBytes of a stream, expecting about {@code expected}; a longer stream is a reject, not a larger array. */
    static byte[] bounded(InputStream in, long expected, long maxBytes) throws IOException {
        long max = Math.min(maxBytes, MAX_BYTES);
        byte[] buf = new byte[(int) Math.min(Math.max(0, expected), max)];
        int n = 0;
        while (true) {
            if (n == buf.length) {
                int b = in.read();
                if (b < 0) return buf;                                      // exactly as long as listed
                if (n + 1L > max) throw reject(Reject.TOO_LARGE_FILE, "it grew past max-file-bytes " + maxBytes + " while it was read");
                buf = Arrays.copyOf(buf, (int) Math.min(max, Math.max(1024L, 2L * buf.length)));
                buf[n++] = (byte) b;
                continue;
            }
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) return Arrays.copyOf(buf, n);                        // shorter than listed: what it holds now
            n += r;
        }
    }

    private static Reject.Exception reject(String rule, String reason) {
        return new Reject.Exception(new Reject(rule, reason));
    }
}
