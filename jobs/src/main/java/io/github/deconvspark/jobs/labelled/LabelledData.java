package io.github.deconvspark.jobs.labelled;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.images.ImagePrep;
import io.github.deconvspark.jobs.inputs.Entry;
import io.github.deconvspark.jobs.inputs.Listing;
import io.github.deconvspark.jobs.inputs.Reject;
import io.github.deconvspark.jobs.inputs.Uris;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A labelled image set at any Hadoop URI, split into shards that executors read themselves:
 * <ul>
 *   <li>IDX (MNIST, Fashion-MNIST): a folder holding {@code train-images-idx3-ubyte} and
 *       {@code train-labels-idx1-ubyte} (and {@code t10k-*} for the test split), raw or {@code .gz};
 *       a shard is a range of records.</li>
 *   <li>image folders: {@code URI/<class>/*} or {@code URI/train/<class>/*} and {@code URI/test/<class>/*};
 *       a folder named by a number below the network's classes is that label, otherwise labels are the
 *       folders' positions in sorted order; images are prepared as the
 *       visualize job does (centre square, resized), grayscale for 1-channel networks.</li>
 * </ul>
 * Examples carry a global index (record or file number), the same however the set is partitioned.
 * Bad records (unreadable images, labels out of range) are skipped and reported in {@link Block#rejects}.
 */
public final class LabelledData {
    private LabelledData() {}

    public static final List<String> SPLITS = List.of("train", "test");

    /** Examples of one shard, NHWC pixels in [0,1], labels, global indices (ascending), and what was skipped. */
    public record Block(long[] index, float[] x, int[] y, List<String> rejects) implements Serializable {
        public int size() { return y.length; }
    }

    /** A part of the data one task reads: a record range of IDX files, or a list of image files. */
    public record Shard(String images, String labels, long start, int count, List<String> files, int[] fileLabels, long[] fileIndex)
            implements Serializable {}

    /**
     * A resolved data set split: what it is, its shards, and the entries of its class folders that are not read
     * ({@code rejects}, as {@link #reject} writes them).
     */
    public record Source(String uri, String split, String kind, long examples, List<String> classes, List<Shard> shards, int[] imageShape,
                         List<String> rejects) implements Serializable {
        public String describe() {
            return kind + " " + uri + " (" + split + "): " + examples + " examples, " + classes.size() + " classes, " + shards.size() + " shards";
        }
    }

    /**
     * Resolves {@code uri}'s {@code split} for a network of input [H,W,C] and {@code classes} classes,
     * in {@code parts} shards, keeping the first {@code limit} examples (0: all).
     */
    public static Source resolve(String uri, String split, int parts, long limit, int[] input, int classes, Configuration conf) throws IOException {
        return resolve(uri, split, parts, limit, input, classes, conf, false);
    }

    /** With {@code probe}, IDX images of any size are accepted (their size is in {@link Source#imageShape}). */
    static Source resolve(String uri, String split, int parts, long limit, int[] input, int classes, Configuration conf, boolean probe)
            throws IOException {
        Path root = Storage.path(uri);
        FileSystem fs = Storage.fs(root, conf);
        if (!fs.exists(root)) throw new JobConfig.ConfigException("data: " + uri + " does not exist");
        if (!fs.getFileStatus(root).isDirectory()) {
            throw new JobConfig.ConfigException("data: " + uri + " is a file; give the folder holding the IDX files or the class folders");
        }
        String prefix = split.equals("train") ? "train" : "t10k";
        Path images = find(fs, root, prefix + "-images-idx3-ubyte"), labels = find(fs, root, prefix + "-labels-idx1-ubyte");
        if (images == null && split.equals("test")) {
            images = find(fs, root, "test-images-idx3-ubyte");
            labels = find(fs, root, "test-labels-idx1-ubyte");
        }
        if (images != null || labels != null) return idx(uri, split, images, labels, parts, limit, input, classes, conf, probe);
        return folders(uri, split, root, fs, parts, limit, input, classes, conf);
    }

    /** Whether {@code uri} holds that split: its IDX files (t10k-* or test-* for test), or a {@code split/} folder. */
    public static boolean hasSplit(String uri, String split, Configuration conf) throws IOException {
        Path root = Storage.path(uri);
        FileSystem fs = Storage.fs(root, conf);
        List<String> prefixes = split.equals("train") ? List.of("train") : List.of("t10k", "test");
        for (String p : prefixes) if (find(fs, root, p + "-images-idx3-ubyte") != null) return true;
        return fs.exists(new Path(root, split));
    }

    private static Path find(FileSystem fs, Path root, String name) throws IOException {
        for (String n : List.of(name, name + ".gz")) {
            Path p = new Path(root, n);
            if (fs.exists(p)) return p;
        }
        return null;
    }

    private static Source idx(String uri, String split, Path images, Path labels, int parts, long limit, int[] input, int classes,
                              Configuration conf, boolean probe) throws IOException {
        if (images == null || labels == null) {
            throw new JobConfig.ConfigException("data: " + uri + " holds " + (images != null ? images.getName() : labels.getName())
                    + " but not its " + (images != null ? "labels" : "images") + " file (" + split + " split)");
        }
        Idx.Header hi = header(images, 3, conf), hl = header(labels, 1, conf);
        if (hi.count() != hl.count()) {
            throw new JobConfig.ConfigException("data: " + images + " holds " + hi.count() + " images but " + labels.getName()
                    + " " + hl.count() + " labels");
        }
        if (!probe && (hi.dims()[1] != input[0] || hi.dims()[2] != input[1] || input[2] != 1)) {
            throw new JobConfig.ConfigException("data: " + images + " holds " + hi.dims()[1] + "x" + hi.dims()[2]
                    + " grayscale images; the network's input is " + input[0] + "x" + input[1] + "x" + input[2]
                    + " (use 'input " + hi.dims()[1] + " " + hi.dims()[2] + " 1')");
        }
        long n = limit > 0 ? Math.min(limit, hi.count()) : hi.count();
        int p = (int) Math.max(1, Math.min(parts, n));
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < p; i++) {
            long a = i * n / p, b = (i + 1) * n / p;
            shards.add(new Shard(images.toString(), labels.toString(), a, (int) (b - a), null, null, null));
        }
        List<String> names = new ArrayList<>();
        for (int c = 0; c < classes; c++) names.add(Integer.toString(c));
        return new Source(uri, split, "idx", n, names, shards, new int[] {hi.dims()[1], hi.dims()[2], 1}, List.of());
    }

    private static Idx.Header header(Path p, int rank, Configuration conf) throws IOException {
        FileSystem fs = Storage.fs(p, conf);
        org.apache.hadoop.fs.FileStatus st = fs.getFileStatus(p);
        if (!st.isFile()) throw new JobConfig.ConfigException("data: " + p + " is not a file");
        try (InputStream raw = fs.open(p); InputStream in = Idx.open(raw)) {
            Idx.Header h = Idx.header(in, rank, "data: " + p, p.getName().endsWith(".gz"));
            boolean gz = Idx.isGzip(fs, p);
            Idx.checkLength(h, st.getLen(), gz, "data: " + p);
            if (gz) Idx.checkGzipLength(h, in, "data: " + p);
            return h;
        } catch (IllegalArgumentException e) {
            throw new JobConfig.ConfigException(e.getMessage());
        }
    }

    private static Source folders(String uri, String split, Path root, FileSystem fs, int parts, long limit, int[] input, int classes,
                                  Configuration conf) throws IOException {
        if (input[0] != input[1] || (input[2] != 1 && input[2] != 3)) {
            throw new JobConfig.ConfigException("data: image folders need a square network input with 1 or 3 channels; the network's is "
                    + input[0] + "x" + input[1] + "x" + input[2]);
        }
        Path base = root;
        if (fs.exists(new Path(root, "train")) || fs.exists(new Path(root, "test"))) {
            base = new Path(root, split);
            if (!fs.exists(base)) throw new JobConfig.ConfigException("data: " + uri + " has no " + split + "/ folder (" + split + " split)");
        } else if (split.equals("test")) {
            throw new JobConfig.ConfigException("data: " + uri + " has no test split: neither t10k-*-ubyte IDX files nor a test/ folder "
                    + "(give the held-out set with its own URI, or arrange the folders as train/<class>/ and test/<class>/)");
        }
        // the classes: the folders of both splits, so a class missing from one split keeps its label
        TreeSet<String> classNames = new TreeSet<>();
        for (Path dir : base.equals(root) ? List.of(root) : List.of(new Path(root, "train"), new Path(root, "test"))) {
            if (!fs.exists(dir)) continue;
            for (FileStatus s : fs.listStatus(dir)) {
                String name = s.getPath().getName();
                if (s.isDirectory() && !name.startsWith(".") && !name.startsWith("_")) classNames.add(name);
            }
        }
        if (classNames.isEmpty()) {
            throw new JobConfig.ConfigException("data: " + base + " holds neither IDX files (train-images-idx3-ubyte, ...) nor class folders");
        }
        if (classNames.size() > classes) {
            throw new JobConfig.ConfigException("data: " + base + " has " + classNames.size() + " class folders " + classNames
                    + "; the network has " + classes + " classes (its last dense layer)");
        }
        List<String> names = new ArrayList<>(classNames);
        // folders named 0..classes-1 are those labels (a class may be missing); other names: their sorted position
        boolean numeric = names.stream().allMatch(n -> n.matches("\\d{1,9}") && Integer.parseInt(n) < classes);
        if (numeric) names.sort(java.util.Comparator.comparingInt(Integer::parseInt));
        // the files of the classes interleaved (first of each class, second of each, ...): a --limit keeps every
        // class, and each shard holds a mix of classes
        List<List<String>> perClass = new ArrayList<>();
        List<String> unread = new ArrayList<>();
        for (String name : names) {
            Path dir = new Path(base, name);
            List<String> fs2 = new ArrayList<>();
            if (fs.exists(dir)) {
                for (Entry f : Listing.list(Uris.of(dir), ImagePrep.Limits.DEFAULT.maxFileBytes(), conf)) {
                    if (f.ok()) fs2.add(f.path());
                    else unread.add(reject(f.path(), f.reject()));
                }
            }
            perClass.add(fs2);
        }
        List<String> files = new ArrayList<>();
        List<Integer> fileLabels = new ArrayList<>();
        for (int k = 0; ; k++) {
            boolean any = false;
            for (int c = 0; c < names.size(); c++) {
                if (k >= perClass.get(c).size() || (limit > 0 && files.size() >= limit)) continue;
                any = true;
                files.add(perClass.get(c).get(k));
                fileLabels.add(numeric ? Integer.parseInt(names.get(c)) : c);
            }
            if (!any) break;
        }
        if (numeric) {
            names = new ArrayList<>();
            for (int c = 0; c < classes; c++) names.add(Integer.toString(c));
        }
        if (files.isEmpty()) throw new JobConfig.ConfigException("data: the class folders under " + base + " hold no files");
        int n = files.size(), p = Math.max(1, Math.min(parts, n));
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < p; i++) {
            int a = (int) ((long) i * n / p), b = (int) ((long) (i + 1) * n / p);
            long[] index = new long[b - a];
            int[] lab = new int[b - a];
            for (int j = a; j < b; j++) {
                index[j - a] = j;
                lab[j - a] = fileLabels.get(j);
            }
            shards.add(new Shard(null, null, a, b - a, new ArrayList<>(files.subList(a, b)), lab, index));
        }
        return new Source(uri, split, "folders", n, names, shards, input.clone(), List.copyOf(unread));
    }

    /** A reject as the jobs record it: "record\trule\treason" (split by {@link #rejectFields}). */
    public static String reject(String record, Reject r) {
        return record + "\t" + r.rule() + "\t" + r.reason();
    }

    /** record, rule, reason of a {@link #reject} string. */
    public static String[] rejectFields(String s) {
        String[] f = s.split("\t", 3);
        return new String[] {f[0], f.length > 1 ? f[1] : "", f.length > 2 ? f[2] : ""};
    }

    /** Reads a shard in blocks of at most {@code blockSize} examples (lazily, one block in memory at a time). */
    public static Iterator<Block> read(Shard s, int blockSize, int[] input, int classes, Configuration conf) throws IOException {
        return s.files() != null ? readFiles(s, blockSize, input, conf) : readIdx(s, blockSize, input, classes, conf);
    }

    private static Iterator<Block> readIdx(Shard s, int blockSize, int[] input, int classes, Configuration conf) throws IOException {
        Path ip = Storage.path(s.images()), lp = Storage.path(s.labels());
        InputStream images = Idx.open(Storage.fs(ip, conf).open(ip)), labels = null;
        int rec;
        try {
            labels = Idx.open(Storage.fs(lp, conf).open(lp));
            rec = Idx.header(images, 3, s.images(), false).recordSize();
            Idx.header(labels, 1, s.labels(), false);
            Idx.skip(images, s.start() * rec, s.images());
            Idx.skip(labels, s.start(), s.labels());
        } catch (IOException | RuntimeException e) {
            images.close();
            if (labels != null) labels.close();
            throw e;
        }
        InputStream labelsIn = labels;
        // a task that stops early (failure, or a reader that takes fewer blocks) closes the streams at its end
        org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
        if (task != null) task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) t -> closeQuietly(images, labelsIn));
        return new Blocks() {
            long done = 0;

            @Override public boolean hasNext() {
                boolean more = done < s.count();
                if (!more) close();
                return more;
            }

            @Override public Block next() {
                if (!hasNext()) throw new NoSuchElementException();
                // a block's pixels stay under 64 MiB of bytes (256 MiB as floats), whatever the records' size
                int m = (int) Math.min(Math.min(blockSize, s.count() - done), Math.max(1, Idx.MAX_RECORD_BYTES / Math.max(1, rec)));
                byte[] px = new byte[m * rec], lb = new byte[m];
                try {
                    Idx.readFully(images, px, s.images());
                    Idx.readFully(labelsIn, lb, s.labels());
                } catch (IOException e) {
                    close();
                    throw new java.io.UncheckedIOException(s.images() + ": " + e.getMessage(), e);
                }
                long first = s.start() + done;
                done += m;
                int ok = 0;
                List<String> rejects = new ArrayList<>();
                for (int i = 0; i < m; i++) {
                    int y = lb[i] & 0xff;
                    if (y >= classes) rejects.add(reject(s.labels() + "#" + (first + i), new Reject(Reject.LABEL_OUT_OF_RANGE,
                            "label " + y + " is out of range 0.." + (classes - 1))));
                    else ok++;
                }
                long[] index = new long[ok];
                float[] x = new float[ok * rec];
                int[] ys = new int[ok];
                for (int i = 0, k = 0; i < m; i++) {
                    int y = lb[i] & 0xff;
                    if (y >= classes) continue;
                    index[k] = first + i;
                    ys[k] = y;
                    for (int j = 0; j < rec; j++) x[k * rec + j] = (px[i * rec + j] & 0xff) / 255f;
                    k++;
                }
                return new Block(index, x, ys, rejects);
            }

            @Override public void close() {
                closeQuietly(images, labelsIn);
            }
        };
    }

    /** Blocks read from open files: close when stopping before the end (the end closes them itself). */
    private interface Blocks extends Iterator<Block>, java.io.Closeable {
        @Override void close();
    }

    /** Stops reading early: closes the files of a {@link #read} iterator (a no-op for others). */
    public static void close(Iterator<Block> blocks) {
        if (blocks instanceof java.io.Closeable c) {
            try {
                c.close();
            } catch (IOException ignored) {
                // read-only streams
            }
        }
    }

    private static void closeQuietly(InputStream... streams) {
        for (InputStream in : streams) {
            try {
                in.close();
            } catch (IOException ignored) {
                // read-only streams: nothing to lose
            }
        }
    }

    private static Iterator<Block> readFiles(Shard s, int blockSize, int[] input, Configuration conf) {
        int size = input[0], c = input[2], per = size * size * c;
        return new Iterator<>() {
            int done = 0;

            @Override public boolean hasNext() {
                return done < s.count();
            }

            @Override public Block next() {
                if (!hasNext()) throw new NoSuchElementException();
                int m = Math.min(blockSize, s.count() - done);
                List<Long> index = new ArrayList<>();
                List<Integer> ys = new ArrayList<>();
                float[] x = new float[m * per];
                List<String> rejects = new ArrayList<>();
                for (int i = done; i < done + m; i++) {
                    String f = s.files().get(i);
                    ImagePrep.Result r = ImagePrep.read(f, size, ImagePrep.Limits.DEFAULT, conf);
                    if (!r.ok()) {
                        rejects.add(reject(f, r.reject()));
                        continue;
                    }
                    int k = index.size();
                    System.arraycopy(ImagePrep.toChannels(r.pixels(), c), 0, x, k * per, per);
                    index.add(s.fileIndex()[i]);
                    ys.add(s.fileLabels()[i]);
                }
                done += m;
                int n = index.size();
                return new Block(index.stream().mapToLong(Long::longValue).toArray(), Arrays.copyOf(x, n * per),
                        ys.stream().mapToInt(Integer::intValue).toArray(), rejects);
            }
        };
    }
}
