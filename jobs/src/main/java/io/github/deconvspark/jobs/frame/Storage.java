package io.github.deconvspark.jobs.frame;

import io.github.deconvspark.jobs.inputs.Uris;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Files on any Hadoop file system (local paths by default), and the atomic commit of a job's output:
 * a job writes into a hidden staging folder beside the output ({@code .NAME.staging-RUNID}), then
 * {@link #commit} swaps it in with renames, so the output path only ever holds a complete result.
 * A killed run leaves only a hidden staging folder, removed by the next run ({@link #cleanStale}).
 */
public final class Storage {
    private Storage() {}

    /**
     * A Hadoop path for a URI string ({@link Uris}: percent-encoded, as the listing writes them) or, when the string is
     * not a URI (Hadoop's own form, raw characters: "file:/a b"), for the string as Hadoop reads it.
     */
    public static org.apache.hadoop.fs.Path path(String uri) {
        try {
            java.net.URI u = new java.net.URI(uri);
            if (u.getScheme() != null && u.getPath() != null && !u.getPath().isEmpty()) return new org.apache.hadoop.fs.Path(u);
        } catch (java.net.URISyntaxException e) {
            // Hadoop's raw form
        }
        return new org.apache.hadoop.fs.Path(uri);
    }

    public static FileSystem fs(org.apache.hadoop.fs.Path p, Configuration conf) {
        try {
            return p.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException("no file system for " + p + ": " + e.getMessage(), e);
        }
    }

    /** Absolute, qualified form of a user's path or URI (a plain path is a local file). */
    public static String qualify(String uri, Configuration conf) {
        org.apache.hadoop.fs.Path p = path(uri);
        if (p.toUri().getScheme() == null) {
            p = new org.apache.hadoop.fs.Path("file://" + Path.of(uri).toAbsolutePath().normalize());
        }
        return fs(p, conf).makeQualified(p).toString();
    }

    /** A file's bytes; at most {@code maxBytes} (the size from the file system, checked before reading). */
    public static byte[] read(String uri, long maxBytes, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path p = path(uri);
        FileSystem fs = fs(p, conf);
        FileStatus s = fs.getFileStatus(p);
        if (!s.isFile()) throw new IOException(uri + " is not a file");
        if (s.getLen() > maxBytes) throw new IOException(uri + " is " + s.getLen() + " bytes, more than the " + maxBytes + " allowed");
        try (InputStream in = fs.open(p)) {
            byte[] b = in.readNBytes((int) s.getLen());
            if (in.read() >= 0) throw new IOException(uri + " grew while it was read");
            return b;
        }
    }

    /** Files this project writes and reads back (manifests, keys, network descriptions): bounded at 256 MiB. */
    public static byte[] read(String uri, Configuration conf) throws IOException {
        return read(uri, 256L << 20, conf);
    }

    public static boolean exists(String uri, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path p = path(uri);
        return fs(p, conf).exists(p);
    }

    /**
     * Writes bytes (overwriting: task retries write the same file again). On checksummed local file
     * systems the raw one writes: no ".crc" file beside every picture.
     */
    public static void write(String uri, byte[] bytes, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path p = path(uri);
        FileSystem fs = fs(p, conf);
        if (fs instanceof org.apache.hadoop.fs.LocalFileSystem local) fs = local.getRawFileSystem();
        try (OutputStream out = fs.create(p, true)) {
            out.write(bytes);
        }
    }

    public static void writeString(String uri, String text, Configuration conf) throws IOException {
        write(uri, text.getBytes(StandardCharsets.UTF_8), conf);
    }

    public static String readString(String uri, Configuration conf) throws IOException {
        return new String(read(uri, conf), StandardCharsets.UTF_8);
    }

    /**
     * Fails, naming both, when the output folder is the input or lies inside it (the next run would scan its own
     * output), or the input lies inside the output (the commit would delete it).
     */
    public static void requireApart(String inputUri, String outputUri, String job) {
        String in = canonical(inputUri), out = canonical(outputUri);
        if (in == null || out == null) return;
        if (out.equals(in) || out.startsWith(in + "/")) {
            throw new JobConfig.ConfigException(job + ": --output " + Uris.display(outputUri) + " is inside --input "
                    + Uris.display(inputUri) + ": the next run would read its own output; choose an output outside the input");
        }
        if (in.startsWith(out + "/")) {
            throw new JobConfig.ConfigException(job + ": --input " + Uris.display(inputUri) + " is inside --output "
                    + Uris.display(outputUri) + ", which a run replaces; choose an output outside the input");
        }
    }

    /** scheme://authority/decoded/path without a trailing '/', symbolic links of local paths resolved where they exist. */
    private static String canonical(String uri) {
        try {
            java.net.URI u = java.net.URI.create(uri.startsWith("file:") || uri.contains("://") ? uri : Uris.fromUser(uri));
            String scheme = u.getScheme() == null ? "file" : u.getScheme();
            String path = u.getPath();
            if (path == null) return null;
            if (scheme.equals("file")) {
                Path p = Path.of(path).toAbsolutePath().normalize(), real = p;
                // the longest existing prefix, resolved (an output that does not exist yet may sit under a linked input)
                Path probe = p;
                while (probe != null && !Files.exists(probe)) probe = probe.getParent();
                if (probe != null) real = probe.toRealPath().resolve(probe.relativize(p));
                path = real.toString();
            }
            while (path.length() > 1 && path.endsWith("/")) path = path.substring(0, path.length() - 1);
            return scheme + "://" + (u.getAuthority() == null ? "" : u.getAuthority()) + path;
        } catch (IllegalArgumentException | IOException e) {
            return null;
        }
    }

    /** Deletes a file or folder (recursively) if it exists. */
    public static void delete(String uri, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path p = path(uri);
        FileSystem fs = fs(p, conf);
        if (fs.exists(p)) fs.delete(p, true);
    }

    /**
     * Writes a file beside its target under a hidden name, then renames it over the target in one
     * step (FileContext's rename with OVERWRITE: atomic on HDFS and local file systems): readers see
     * the old or the new file whole, never none.
     */
    public static void writeAtomic(String uri, byte[] bytes, String runId, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path p = path(uri);
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(p.getParent(), "." + p.getName() + ".tmp-" + runId);
        write(tmp.toString(), bytes, conf);
        org.apache.hadoop.fs.FileContext.getFileContext(p.toUri(), conf).rename(tmp, p, org.apache.hadoop.fs.Options.Rename.OVERWRITE);
    }

    /** The {@code job} named in an output's manifest.json, or null when it has none (or no manifest). */
    public static String manifestJob(String output, Configuration conf) throws IOException {
        String m = output + "/manifest.json";
        if (!exists(m, conf)) return null;
        try {
            return io.github.deconvspark.models.json.Json.object(readString(m, conf), m).get("job") instanceof String job ? job : null;
        } catch (IllegalArgumentException e) {
            return null; // not our JSON: not a job's output
        }
    }

    /** Fails, naming the rule, when {@code output} exists and its manifest names no run of {@code job}: a job replaces only its own outputs. */
    public static void requireOwnOutput(String output, String job, Configuration conf) throws IOException {
        if (exists(output, conf) && !job.equals(manifestJob(output, conf))) {
            throw new JobConfig.ConfigException(job + ": the output " + output + " exists and is not a " + job
                    + " output (its manifest.json names no " + job + " run); choose another --output or remove it");
        }
    }

    /** The staging folder for an output: hidden, beside it, unique to the run. */
    public static String staging(String output, String runId) {
        org.apache.hadoop.fs.Path out = path(output);
        return new org.apache.hadoop.fs.Path(out.getParent(), "." + out.getName() + ".staging-" + runId).toString();
    }

    /** Removes staging folders that killed runs left beside {@code output} (not the current run's). */
    public static int cleanStale(String output, String currentRunId, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path out = path(output);
        FileSystem fs = fs(out, conf);
        if (!fs.exists(out.getParent())) return 0;
        int n = 0;
        for (FileStatus s : fs.listStatus(out.getParent())) {
            String name = s.getPath().getName();
            boolean mine = name.startsWith("." + out.getName() + ".staging-") || name.startsWith("." + out.getName() + ".old-");
            if (mine && !name.endsWith(currentRunId)) {
                fs.delete(s.getPath(), true);
                n++;
            }
        }
        return n;
    }

    /**
     * Swaps the complete staging folder in as {@code output}: the previous output (if any) is renamed
     * aside, the staging folder renamed to the output, and the old one deleted. Each rename is atomic
     * on HDFS and local file systems; at no time does the output path hold a partial result.
     */
    public static void commit(String staging, String output, String runId, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path out = path(output), st = path(staging);
        FileSystem fs = fs(out, conf);
        org.apache.hadoop.fs.Path old = new org.apache.hadoop.fs.Path(out.getParent(), "." + out.getName() + ".old-" + runId);
        if (fs.exists(out) && !fs.rename(out, old)) throw new IOException("cannot move the previous output " + out + " aside to " + old);
        if (!fs.rename(st, out)) throw new IOException("cannot rename " + st + " to " + out);
        if (fs.exists(old)) fs.delete(old, true);
    }

    public static String newRunId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /** A local copy of a model file and the files it names (see {@link #localCopy}); a local path is used as it is. */
    public static Path localModel(String uri, Configuration conf) {
        return localCopy(uri, local -> {
            try {
                return io.github.deconvspark.models.load.Models.siblings(local, uri);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, conf);
    }

    private static final Map<String, Path> LOCAL_COPIES = new ConcurrentHashMap<>();

    /**
     * A local copy of a file and the sibling files it names (e.g. a model.json and its weight shards, an ONNX model and
     * its external data files, as safe relative paths: {@link io.github.deconvspark.models.io.ModelFiles#relativeShard}),
     * made once per JVM per URI, streamed to disk, each file bounded by the sizes a model may have; a local path
     * ({@code file:} or none) is used as it is.
     */
    public static Path localCopy(String uri, java.util.function.Function<Path, java.util.List<String>> siblings, Configuration conf) {
        if (Uris.isLocal(uri)) return Uris.local(uri);
        org.apache.hadoop.fs.Path p = uri.contains("://") ? Uris.hadoop(uri) : path(uri);
        if (p.toUri().getScheme() == null || p.toUri().getScheme().equals("file")) return Path.of(p.toUri().getPath());
        return LOCAL_COPIES.computeIfAbsent(uri, u -> {
            try {
                Path dir = Files.createTempDirectory("deconv-spark-model-");
                dir.toFile().deleteOnExit();
                Path local = dir.resolve(p.getName());
                long max = io.github.deconvspark.models.io.ModelFiles.MAX_WEIGHT_BYTES;
                copy(p.toString(), local, max, conf);
                for (String rel : siblings.apply(local)) {
                    Path target = dir.resolve(rel).normalize();
                    if (!target.startsWith(dir)) throw new IOException("the model names " + rel + ", outside its folder");
                    Files.createDirectories(target.getParent());
                    copy(new org.apache.hadoop.fs.Path(p.getParent(), new org.apache.hadoop.fs.Path(null, null, rel)).toString(), target, max, conf);
                }
                return local;
            } catch (IOException | UncheckedIOException e) {
                throw new UncheckedIOException("cannot copy " + u + " to local disk: " + e.getMessage(),
                        e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
            }
        });
    }

    /** Streams a file to a local path; at most {@code maxBytes} (the size from the file system, checked before and while copying). */
    public static void copy(String uri, Path target, long maxBytes, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path p = path(uri);
        FileSystem fs = fs(p, conf);
        FileStatus st = fs.getFileStatus(p);
        if (!st.isFile()) throw new IOException(uri + " is not a file");
        if (st.getLen() > maxBytes) throw new IOException(uri + " is " + st.getLen() + " bytes, more than the " + maxBytes + " allowed");
        try (InputStream in = fs.open(p); OutputStream out = Files.newOutputStream(target)) {
            byte[] buf = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > st.getLen()) throw new IOException(uri + " grew while it was copied");
                out.write(buf, 0, n);
            }
        }
    }
}
