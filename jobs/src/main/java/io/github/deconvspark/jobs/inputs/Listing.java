package io.github.deconvspark.jobs.inputs;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Every entry under a file, a folder (recursively) or a glob, each checked for what it is before anything
 * reads it, sorted by URI. What is not to be read is listed too, with its {@link Reject}: hidden names
 * (starting with '.' or '_', skipped as Spark skips them; a hidden folder is one entry), symbolic links
 * that dangle or loop, folders reached again through a link (loops are not followed), FIFOs, devices and
 * sockets, paths longer than the system's PATH_MAX, folders deeper than {@link #MAX_DEPTH}, unreadable
 * entries, and files over {@code maxFileBytes} (the size from the file system, so a sparse or device file
 * is never read to find out). Local paths are walked with java.nio (names keep their bytes, whatever the
 * locale); other file systems with Hadoop's listing. Only names, sizes and times, never contents.
 */
public final class Listing {
    private Listing() {}

    /** Folders nested deeper than this are one reject entry each. */
    public static final int MAX_DEPTH = 256;
    private static final String GLOB_CHARS = "*?[{\\";

    /**
     * @param input a URI string ({@link Uris#fromUser}); a literal path that exists wins over a glob reading of it
     * @throws FileNotFoundException when nothing matches
     */
    public static List<Entry> list(String input, long maxFileBytes, Configuration conf) throws IOException {
        List<Entry> out = new ArrayList<>();
        if (Uris.isLocal(input)) listLocal(Uris.local(input), maxFileBytes, out, input);
        else listHadoop(Uris.hadoop(input), maxFileBytes, conf, out, input);
        out.sort(Comparator.comparing(Entry::path));
        return out;
    }

    // ---- local ----

    private static void listLocal(Path root, long maxFileBytes, List<Entry> out, String input) throws IOException {
        if (Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            new LocalWalk(maxFileBytes, out).walk(root, 0, true);
            return;
        }
        String s = root.toString();
        if (s.chars().noneMatch(c -> GLOB_CHARS.indexOf(c) >= 0)) throw new FileNotFoundException("no such file or folder: " + Uris.display(input));
        // a glob: walk from its longest literal prefix, as deep as the pattern has components
        Path base = root.getRoot();
        int depth = 0;
        for (Path part : root) {
            if (depth == 0 && part.toString().chars().noneMatch(c -> GLOB_CHARS.indexOf(c) >= 0) && base != null) base = base.resolve(part);
            else depth++;
        }
        PathMatcher m = root.getFileSystem().getPathMatcher("glob:" + s);
        List<Path> matches = new ArrayList<>();
        collect(base, depth, m, matches);
        if (matches.isEmpty()) throw new FileNotFoundException("no file or folder matches " + Uris.display(input));
        LocalWalk w = new LocalWalk(maxFileBytes, out);
        for (Path p : matches) w.walk(p, 0, true);
    }

    private static void collect(Path dir, int depth, PathMatcher m, List<Path> matches) throws IOException {
        if (depth == 0) {
            if (m.matches(dir)) matches.add(dir);
            return;
        }
        if (!Files.isDirectory(dir)) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path c : ds) collect(c, depth - 1, m, matches);
        }
    }

    /** One walk: the folders on the current path (loops) and every folder seen (a folder reached twice is listed once). */
    private static final class LocalWalk {
        final long maxFileBytes;
        final List<Entry> out;
        final Deque<Object> ancestors = new ArrayDeque<>();
        final Map<Object, String> seen = new HashMap<>();

        LocalWalk(long maxFileBytes, List<Entry> out) {
            this.maxFileBytes = maxFileBytes;
            this.out = out;
        }

        void walk(Path p, int depth, boolean root) {
            String uri = Uris.of(p);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                out.add(failed(uri, e, "its attributes cannot be read"));
                return;
            }
            Path name = p.getFileName();
            if (!root && name != null && hidden(name.toString())) {
                out.add(Entry.rejected(uri, a.isDirectory() ? 0 : a.size(), a.lastModifiedTime().toMillis(), Reject.HIDDEN,
                        (a.isDirectory() ? "a hidden folder (its name starts with '" : "a hidden name (it starts with '")
                                + name.toString().charAt(0) + "'), skipped as Spark skips such names"
                                + (a.isDirectory() ? "; nothing under it is read" : "")));
                return;
            }
            BasicFileAttributes t = a;
            String via = "";
            if (a.isSymbolicLink()) {
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    target = "?";
                }
                via = " (through the symbolic link to " + Messages.quote(target) + ")";
                try {
                    t = Files.readAttributes(p, BasicFileAttributes.class);
                } catch (NoSuchFileException e) {
                    out.add(Entry.rejected(uri, 0, a.lastModifiedTime().toMillis(), Reject.DANGLING_LINK,
                            "a symbolic link to " + Messages.quote(target) + ", which does not exist"));
                    return;
                } catch (FileSystemException e) {
                    boolean loop = e.getReason() != null && e.getReason().contains("symbolic links");
                    out.add(loop ? Entry.rejected(uri, 0, a.lastModifiedTime().toMillis(), Reject.LINK_LOOP,
                            "a symbolic link to " + Messages.quote(target) + " that leads back to itself (" + e.getReason() + ")")
                            : failed(uri, e, "its link target cannot be read"));
                    return;
                } catch (IOException e) {
                    out.add(failed(uri, e, "its link target cannot be read"));
                    return;
                }
            }
            long time = t.lastModifiedTime().toMillis();
            if (t.isDirectory()) {
                Object key = t.fileKey() != null ? t.fileKey() : p.toAbsolutePath().normalize();
                if (ancestors.contains(key)) {
                    out.add(Entry.rejected(uri, 0, time, Reject.FOLDER_LOOP, "a link to a folder that holds it" + via
                            + ": a loop, not followed"));
                    return;
                }
                if (seen.containsKey(key)) {
                    out.add(Entry.rejected(uri, 0, time, Reject.FOLDER_LOOP, "the same folder as " + Uris.display(seen.get(key)) + via
                            + ", listed there once"));
                    return;
                }
                if (depth >= MAX_DEPTH) {
                    out.add(Entry.rejected(uri, 0, time, Reject.TOO_DEEP, "a folder " + depth + " levels below the input, where the listing stops ("
                            + MAX_DEPTH + " levels); nothing under it is read"));
                    return;
                }
                seen.put(key, uri);
                List<Path> children = new ArrayList<>();
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                    for (Path c : ds) children.add(c);
                } catch (IOException e) {
                    out.add(failed(uri, e, "the folder cannot be listed; nothing under it is read"));
                    return;
                } catch (java.nio.file.DirectoryIteratorException e) {
                    out.add(failed(uri, e.getCause(), "the folder cannot be listed; nothing under it is read"));
                    return;
                }
                children.sort(null);            // by name bytes: which of two links to one folder is listed is fixed
                ancestors.push(key);
                for (Path c : children) walk(c, depth + 1, false);
                ancestors.pop();
            } else if (t.isRegularFile()) {
                if (t.size() > maxFileBytes) {
                    out.add(Entry.rejected(uri, t.size(), time, Reject.TOO_LARGE_FILE, t.size() + " bytes > max-file-bytes "
                            + maxFileBytes + via));
                } else {
                    out.add(Entry.ok(uri, t.size(), time));
                }
            } else {
                out.add(Entry.rejected(uri, 0, time, Reject.NOT_REGULAR, kind(p) + via + "; only regular files are read"));
            }
        }
    }

    /** A FIFO, a device or a socket, from the Unix mode bits (following links). */
    static String kind(Path p) {
        return io.github.deconvspark.models.io.FileKind.of(p);
    }

    private static Entry failed(String uri, IOException e, String what) {
        if (e instanceof FileSystemException f && f.getReason() != null && f.getReason().contains("File name too long")) {
            return Entry.rejected(uri, 0, 0, Reject.PATH_TOO_LONG, "the path is " + Uris.local(uri).toString().getBytes().length
                    + " bytes, longer than the system allows (PATH_MAX); " + what);
        }
        return Entry.rejected(uri, 0, 0, Reject.UNREADABLE, what + ": " + Reject.causes(e));
    }

    static boolean hidden(String name) {
        return name.startsWith(".") || name.startsWith("_");
    }

    // ---- other file systems (HDFS, S3A, ...): no devices or FIFOs there; links are not followed ----

    private static void listHadoop(org.apache.hadoop.fs.Path root, long maxFileBytes, Configuration conf, List<Entry> out, String input)
            throws IOException {
        FileSystem fs = root.getFileSystem(conf);
        FileStatus[] roots;
        if (fs.exists(root)) roots = new FileStatus[] {fs.getFileStatus(root)};
        else roots = fs.globStatus(root);
        if (roots == null || roots.length == 0) throw new FileNotFoundException("no such file or folder: " + Uris.display(input));
        for (FileStatus s : roots) hadoopWalk(fs, s, 0, true, maxFileBytes, out);
    }

    private static void hadoopWalk(FileSystem fs, FileStatus s, int depth, boolean root, long maxFileBytes, List<Entry> out) {
        String uri = Uris.of(s.getPath());
        if (!root && hidden(s.getPath().getName())) {
            out.add(Entry.rejected(uri, s.isDirectory() ? 0 : s.getLen(), s.getModificationTime(), Reject.HIDDEN,
                    (s.isDirectory() ? "a hidden folder" : "a hidden name") + " (starts with '" + s.getPath().getName().charAt(0)
                            + "'), skipped as Spark skips such names"));
            return;
        }
        if (s.isSymlink()) {
            out.add(Entry.rejected(uri, 0, s.getModificationTime(), Reject.NOT_REGULAR, "a symbolic link (not followed on "
                    + s.getPath().toUri().getScheme() + ")"));
        } else if (s.isDirectory()) {
            if (depth >= MAX_DEPTH) {
                out.add(Entry.rejected(uri, 0, s.getModificationTime(), Reject.TOO_DEEP, "more than " + MAX_DEPTH + " levels deep"));
                return;
            }
            FileStatus[] children;
            try {
                children = fs.listStatus(s.getPath());
            } catch (IOException e) {
                out.add(Entry.rejected(uri, 0, s.getModificationTime(), Reject.UNREADABLE, "the folder cannot be listed: " + Reject.causes(e)));
                return;
            }
            for (FileStatus c : children) hadoopWalk(fs, c, depth + 1, false, maxFileBytes, out);
        } else if (s.isFile()) {
            if (s.getLen() > maxFileBytes) {
                out.add(Entry.rejected(uri, s.getLen(), s.getModificationTime(), Reject.TOO_LARGE_FILE, s.getLen() + " bytes > max-file-bytes "
                        + maxFileBytes));
            } else {
                out.add(Entry.ok(uri, s.getLen(), s.getModificationTime()));
            }
        } else {
            out.add(Entry.rejected(uri, 0, s.getModificationTime(), Reject.NOT_REGULAR, "neither a file nor a folder"));
        }
    }
}
