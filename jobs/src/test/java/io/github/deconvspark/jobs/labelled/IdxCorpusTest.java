package io.github.deconvspark.jobs.labelled;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.inputs.Uris;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IDX reader (gradients, train, export-images) over hostile IDX files generated here: wrong magic and rank,
 * truncated headers and data, zero and huge dimensions, files longer than their header says, gzip streams cut short
 * or inflating far past their header (a bomb), counts that disagree, labels out of range. Per case: no JVM error, no
 * hang, bounded allocation, and a refusal up front (on the driver, before any task) naming the file and the rule;
 * labels out of range are reject rows, the rest read.
 */
class IdxCorpusTest {
    @TempDir Path root;

    static byte[] idx(int rank, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.putInt(0x00000800 | rank);
        for (int d : dims) b.putInt(d);
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(o)) {
            g.write(raw);
        }
        return o.toByteArray();
    }

    static byte[] images(int n) {
        byte[] px = new byte[n * 28 * 28];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 31);
        return idx(3, new int[] {n, 28, 28}, px);
    }

    static byte[] labels(int n, int max) {
        byte[] l = new byte[n];
        for (int i = 0; i < n; i++) l[i] = (byte) (i % (max + 1));
        return idx(1, new int[] {n}, l);
    }

    /** A gzip stream of a header for one 28x28 image followed by 1 GB of zeros, made without holding them. */
    static byte[] bomb() throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(o)) {
            g.write(idx(3, new int[] {1, 28, 28}, new byte[0]));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 1024; i++) g.write(zeros);
        }
        return o.toByteArray();
    }

    @Test void hostileIdxFilesAreRefusedUpFrontNamingTheFileAndTheRule() throws Exception {
        byte[] img = images(10), lab = labels(10, 9);
        Map<String, byte[][]> cases = new LinkedHashMap<>();   // name -> {images, labels, expected text (null: reads)}
        cases.put("good", new byte[][] {img, lab, null});
        cases.put("good gzipped", new byte[][] {gzip(img), gzip(lab), null});
        cases.put("wrong magic", new byte[][] {concat(new byte[] {1, 2, 3, 4}, Arrays.copyOfRange(img, 4, img.length)), lab,
                "not an IDX file".getBytes()});
        cases.put("rank of labels", new byte[][] {idx(1, new int[] {10}, new byte[10]), lab, "IDX file of rank 1; expected 3".getBytes()});
        cases.put("header cut", new byte[][] {Arrays.copyOf(img, 9), lab, "the IDX header ends early".getBytes()});
        cases.put("empty", new byte[][] {new byte[0], lab, "empty or shorter than an IDX header".getBytes()});
        cases.put("zero rows", new byte[][] {idx(3, new int[] {10, 0, 28}, new byte[0]), lab, "dimension 1 is 0".getBytes()});
        cases.put("negative count", new byte[][] {idx(3, new int[] {-5, 28, 28}, new byte[0]), lab, "dimension 0 is -5".getBytes()});
        cases.put("huge records", new byte[][] {idx(3, new int[] {10, 65536, 65536}, new byte[16]), lab, "more than the 67108864".getBytes()});
        cases.put("data cut", new byte[][] {Arrays.copyOf(img, img.length - 100), lab, "truncated: its header declares 10 records".getBytes()});
        cases.put("data too long", new byte[][] {concat(img, new byte[50]), lab, "50 bytes after the 10 records".getBytes()});
        cases.put("gzip cut", new byte[][] {Arrays.copyOf(gzip(img), gzip(img).length / 2), lab, "truncated".getBytes()});
        cases.put("gzip bomb", new byte[][] {bomb(), labels(1, 9), "bytes after the 1 records".getBytes()});
        cases.put("counts differ", new byte[][] {img, labels(7, 9), "holds 10 images but".getBytes()});
        cases.put("another image size", new byte[][] {idx(3, new int[] {2, 32, 32}, new byte[2048]), labels(2, 9),
                "32x32 grayscale images; the network's input is 28x28x1".getBytes()});
        cases.put("labels out of range", new byte[][] {img, idx(1, new int[] {10}, new byte[] {0, 1, 2, 3, 4, 5, 6, 10, 11, (byte) 255}),
                "label-out-of-range".getBytes()});

        Configuration conf = new Configuration();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<String> problems = new ArrayList<>();
        int k = 0;
        for (Map.Entry<String, byte[][]> c : cases.entrySet()) {
            Path dir = Files.createDirectories(root.resolve("c" + k++));
            boolean gz = c.getKey().startsWith("good gz") || c.getKey().startsWith("gzip");
            Files.write(dir.resolve("train-images-idx3-ubyte" + (gz ? ".gz" : "")), c.getValue()[0]);
            Files.write(dir.resolve("train-labels-idx1-ubyte" + (c.getKey().equals("good gzipped") ? ".gz" : "")), c.getValue()[1]);
            String want = c.getValue()[2] == null ? null : new String(c.getValue()[2]);
            String[] got = new String[1];
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                long before = mx.getCurrentThreadAllocatedBytes();
                try {
                    LabelledData.Source s = LabelledData.resolve(Uris.of(dir), "train", 2, 0, new int[] {28, 28, 1}, 10, conf);
                    List<String> rejects = new ArrayList<>();
                    int read = 0;
                    for (LabelledData.Shard sh : s.shards()) {
                        Iterator<LabelledData.Block> it = LabelledData.read(sh, 4, new int[] {28, 28, 1}, 10, conf);
                        while (it.hasNext()) {
                            LabelledData.Block b = it.next();
                            read += b.size();
                            rejects.addAll(b.rejects());
                        }
                    }
                    got[0] = "read " + read + (rejects.isEmpty() ? "" : ", rejects " + rejects);
                } catch (io.github.deconvspark.jobs.frame.JobConfig.ConfigException e) {
                    got[0] = "refused: " + e.getMessage();
                } catch (Throwable t) {
                    got[0] = "UNEXPECTED " + t;
                }
                long used = mx.getCurrentThreadAllocatedBytes() - before;
                if (used > (128L << 20)) got[0] = "allocated " + (used >> 20) + " MiB: " + got[0];
            }, c::getKey);
            String g = got[0];
            if (want == null) {
                if (!g.equals("read 10")) problems.add(c.getKey() + ": should read 10 examples, got " + g);
            } else if (want.equals("label-out-of-range")) {
                if (!g.startsWith("read 7, rejects") || !g.contains("label-out-of-range")) problems.add(c.getKey() + ": " + g);
            } else if (!g.startsWith("refused: ") || !g.contains(want) || !g.contains(dir.toString())) {
                problems.add(c.getKey() + ": should be refused naming the file and '" + want + "', got " + g);
            }
        }
        assertTrue(problems.isEmpty(), problems.size() + " of " + cases.size() + " cases went wrong:\n  " + String.join("\n  ", problems));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
