package io.github.deconvspark.jobs.corpus;

import io.github.deconvspark.jobs.inputs.Uris;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The adversarial input folder: {@link ImageCorpus}'s images, odd names (colons, spaces, non-UTF-8 bytes, glob and
 * percent characters, newlines, 255-byte names, hidden names) and file-system oddities (a FIFO, a socket, links to
 * devices, dangling and looping links, folder loops, a sparse 3 GB file, folders deeper than the listing goes, a path
 * longer than PATH_MAX, an unreadable file), each with the outcome the listing and the readers must give it, by the
 * entry's URI as the listing writes it. Built by {@link #build}, which needs Linux (mkfifo, /dev, bash).
 */
public final class FileCorpus {
    private FileCorpus() {}

    /** What the corpus holds: expected outcomes by URI, and the sockets to close when done. */
    public record Built(Path root, Map<String, Expect> expected, List<AutoCloseable> open) implements AutoCloseable {
        @Override public void close() throws Exception {
            for (AutoCloseable c : open) c.close();
        }
    }

    public static Built build(Path root) throws Exception {
        return build(root, 0);
    }

    /** @param below how many folders the corpus root lies below the job's input (depths count from the input) */
    public static Built build(Path root, int below) throws Exception {
        sh("rm -rf \"$1\" && mkdir -p \"$1\"", root.toString());     // deep trees: rm handles what Java's delete cannot
        Map<String, Expect> ex = new TreeMap<>();
        Map<String, ImageCorpus.Image> images = ImageCorpus.images();
        Path img = Files.createDirectories(root.resolve("images"));
        for (Map.Entry<String, ImageCorpus.Image> e : images.entrySet()) {
            Files.write(img.resolve(e.getKey()), e.getValue().bytes());
            ex.put(Uris.of(img.resolve(e.getKey())), e.getValue().expect());
        }
        byte[] good = images.get("good-rgb.png").bytes();

        // names
        Path names = Files.createDirectories(root.resolve("names"));
        for (String n : List.of("2024-01-01 10:00:00.png", "café.png", "日本語.png", "[1].png", "a*b?.png", "{x,y}.png", "100%.png",
                "a%20b.png", "new\nline.png", "back\\slash.png", "photo:1.png", "x".repeat(251) + ".png", " leading space.png")) {
            Files.write(names.resolve(n), good);
            ex.put(Uris.of(names.resolve(n)), Expect.accept());
        }
        // a name that is not UTF-8 (bytes ff fe): made by bash, since Java names files by strings
        Files.write(names.resolve("good.png.tmp"), good);
        sh("cd \"$1\" && mv good.png.tmp $'\\xff\\xfe.png'", names.toString());
        ex.put(Uris.of(names) + "/%FF%FE.png", Expect.accept());
        for (String n : List.of("..png", ".hidden.png", "_SUCCESS", ".DS_Store")) {
            Files.write(names.resolve(n), good);
            ex.put(Uris.of(names.resolve(n)), Expect.reject("hidden", "hidden name"));
        }
        Path git = Files.createDirectories(names.resolve(".git/objects"));
        Files.write(git.resolve("pack.png"), good);
        ex.put(Uris.of(names.resolve(".git")), Expect.reject("hidden", "hidden folder"));

        // file-system oddities
        Path fs = Files.createDirectories(root.resolve("fs"));
        sh("mkfifo \"$1\"", fs.resolve("fifo.png").toString());
        ex.put(Uris.of(fs.resolve("fifo.png")), Expect.reject("not-a-regular-file", "FIFO"));
        ServerSocketChannel sock = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        sock.bind(UnixDomainSocketAddress.of(fs.resolve("socket.png")));
        ex.put(Uris.of(fs.resolve("socket.png")), Expect.reject("not-a-regular-file", "socket"));
        for (String dev : List.of("zero", "urandom", "null")) {
            Files.createSymbolicLink(fs.resolve("dev-" + dev + ".png"), Path.of("/dev/" + dev));
            ex.put(Uris.of(fs.resolve("dev-" + dev + ".png")), Expect.reject("not-a-regular-file", "character device"));
        }
        Path outside = Files.createDirectories(root.resolve("elsewhere"));
        Files.write(outside.resolve("photo.png"), good);
        ex.put(Uris.of(outside.resolve("photo.png")), Expect.accept());
        Files.createSymbolicLink(fs.resolve("link-to-photo.png"), outside.resolve("photo.png"));
        ex.put(Uris.of(fs.resolve("link-to-photo.png")), Expect.accept());
        Files.createSymbolicLink(fs.resolve("dangling.png"), fs.resolve("no-such-file.png"));
        ex.put(Uris.of(fs.resolve("dangling.png")), Expect.reject("dangling-link", "does not exist"));
        Files.createSymbolicLink(fs.resolve("self.png"), fs.resolve("self.png"));
        ex.put(Uris.of(fs.resolve("self.png")), Expect.reject("link-loop", "leads back"));
        Files.createSymbolicLink(fs.resolve("ping.png"), fs.resolve("pong.png"));
        Files.createSymbolicLink(fs.resolve("pong.png"), fs.resolve("ping.png"));
        ex.put(Uris.of(fs.resolve("ping.png")), Expect.reject("link-loop", "leads back"));
        ex.put(Uris.of(fs.resolve("pong.png")), Expect.reject("link-loop", "leads back"));
        Path loop = Files.createDirectories(fs.resolve("loop"));
        Files.write(loop.resolve("inside.png"), good);
        ex.put(Uris.of(loop.resolve("inside.png")), Expect.accept());
        Files.createSymbolicLink(loop.resolve("up"), Path.of(".."));
        ex.put(Uris.of(loop.resolve("up")), Expect.reject("folder-loop", "a loop"));
        Files.createSymbolicLink(fs.resolve("same-as-loop"), loop);
        ex.put(Uris.of(fs.resolve("same-as-loop")), Expect.reject("folder-loop", "the same folder as"));
        try (RandomAccessFile f = new RandomAccessFile(fs.resolve("sparse-3gb.png").toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        ex.put(Uris.of(fs.resolve("sparse-3gb.png")), Expect.reject("too-large-file", "3221225472 bytes > max-file-bytes"));
        Path unreadable = fs.resolve("unreadable.png");
        Files.write(unreadable, good);
        Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("---------"));
        // root reads any file: then it is an image like any other
        ex.put(Uris.of(unreadable), root() ? Expect.accept() : Expect.reject("unreadable", "denied"));
        Path empty = Files.createDirectories(fs.resolve("empty-folder"));
        if (!Files.isDirectory(empty)) throw new IllegalStateException();

        // deeper than the listing goes (one entry for the folder it stops at), and a path longer than PATH_MAX
        Path deep = fs.resolve("deep");
        StringBuilder rel = new StringBuilder();
        for (int i = 0; i < io.github.deconvspark.jobs.inputs.Listing.MAX_DEPTH + 5; i++) rel.append(i == 0 ? "" : "/").append("d");
        Files.createDirectories(deep.resolve(rel.toString()));
        Files.write(deep.resolve(rel.toString()).resolve("bottom.png"), good);
        // the input is the corpus root: fs/deep is at depth 2, so the walk stops at the folder at depth MAX_DEPTH
        Path stop = deep;
        for (int i = 2 + below; i < io.github.deconvspark.jobs.inputs.Listing.MAX_DEPTH; i++) stop = stop.resolve("d");
        ex.put(Uris.of(stop), Expect.reject("too-deep", "levels below the input"));
        String longName = "L".repeat(250);
        sh("cd \"$1\" && for i in $(seq 18); do mkdir " + longName + " && cd " + longName + " || exit 1; done && cp \"$2\" far.png",
                fs.toString(), img.resolve("good-rgb.png").toString());
        // the first path over 4096 bytes: fs/LLL.../LLL... with the component that crosses the limit
        Path p = fs;
        while (p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 4095) p = p.resolve(longName);
        ex.put(Uris.of(p), Expect.reject("path-too-long", "PATH_MAX"));
        return new Built(root, ex, List.of(sock));
    }

    static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    static void sh(String script, String... args) throws IOException, InterruptedException {
        String[] cmd = new String[4 + args.length];
        System.arraycopy(new String[] {"bash", "-c", script, "corpus"}, 0, cmd, 0, 4);   // "corpus" is $0
        System.arraycopy(args, 0, cmd, 4, args.length);
        Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes());
        if (!pr.waitFor(120, TimeUnit.SECONDS) || pr.exitValue() != 0) throw new IOException("corpus: " + script + " failed: " + out);
    }
}
