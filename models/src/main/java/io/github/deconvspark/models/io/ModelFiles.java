package io.github.deconvspark.models.io;

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The files of a model, read as untrusted input: a model file's size is bounded before it is read, its text must be
 * UTF-8, and the files it names (TF.js weight shards) must stay inside its folder: a name is percent-decoded once,
 * must be relative, must not hold a ".." segment, a backslash or a NUL, and must resolve (symbolic links followed)
 * to a regular file inside the folder. Every refusal names the model, the entry and the rule.
 */
public final class ModelFiles {
    private ModelFiles() {}

    /** The largest model.json read (TF.js writes a few hundred KB for large models). */
    public static final long MAX_JSON_BYTES = 64L << 20;
    /** The largest sum of weight bytes a model may declare (Java arrays stop below 2 GiB). */
    public static final long MAX_WEIGHT_BYTES = Integer.MAX_VALUE - 16;

    /**
     * The model file to read for a user's path: the file itself, or {@code model.json} in a folder.
     *
     * @throws FileNotFoundException naming what is there instead
     */
    public static Path modelFile(Path given) throws IOException {
        Path file = given.toAbsolutePath().normalize();
        if (Files.isDirectory(file)) {
            Path inside = file.resolve("model.json");
            if (Files.isRegularFile(inside)) return inside;
            throw new FileNotFoundException("TF.js model " + file + " is a folder without a model.json; give the model.json itself");
        }
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) throw new FileNotFoundException("TF.js model file " + file + " does not exist");
        if (!Files.exists(file)) throw new FileNotFoundException("TF.js model file " + file + " is a symbolic link to a file that does not exist");
        if (!Files.isRegularFile(file)) throw new FileNotFoundException("TF.js model file " + file + " is not a regular file (" + kind(file) + ")");
        return file;
    }

    /** A regular file's bytes, at most {@code max} of them (the size from the file system, checked before reading). */
    public static byte[] readBounded(Path file, long max, String what) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        if (!a.isRegularFile()) throw new IOException(what + " " + file + " is not a regular file (" + kind(file) + ")");
        if (a.size() > max) throw new IOException(what + " " + file + " is " + a.size() + " bytes, more than the " + max + " allowed");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes((int) a.size());
            if (in.read() >= 0) throw new IOException(what + " " + file + " grew while it was read");
            return b;
        }
    }

    /** Strict UTF-8: a byte sequence that is not UTF-8 is an error naming where it is, not a replacement character. */
    public static String utf8(byte[] bytes, String source) {
        var d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult r = d.decode(in, out, true);
        if (!r.isError()) r = d.flush(out);
        if (r.isError()) {
            throw new IllegalArgumentException(source + ": not UTF-8 text (an invalid byte sequence at byte " + in.position() + ")");
        }
        return out.flip().toString();
    }

    /**
     * A weight path of a model.json, decoded, as a safe relative path ("group1-shard1of2.bin", "weights/a.bin").
     *
     * @param where names the model and the manifest entry, for the message
     */
    public static String relativeShard(String raw, String where) {
        String decoded = percentDecode(raw, where);
        String rule = null;
        if (decoded.isEmpty()) rule = "it is empty";
        else if (decoded.indexOf('\0') >= 0) rule = "it holds a NUL character";
        else if (decoded.indexOf('\\') >= 0) rule = "it holds a backslash";
        else if (decoded.startsWith("/")) rule = "it is an absolute path";
        else if (decoded.matches("[A-Za-z][A-Za-z0-9+.-]*:.*")) rule = "it is a URL (" + decoded.substring(0, decoded.indexOf(':') + 1) + ")";
        else {
            for (String seg : decoded.split("/", -1)) {
                if (seg.equals("..")) { rule = "it climbs out of the model's folder ('..')"; break; }
            }
        }
        if (rule != null) {
            throw new IllegalArgumentException(where + " = " + quote(raw) + (decoded.equals(raw) ? "" : " (decoded: " + quote(decoded) + ")")
                    + " is refused: " + rule + "; weight files must be named relative to the model's folder and stay inside it");
        }
        return Path.of(decoded).normalize().toString();
    }

    /** The shard file of a safe relative path: inside {@code folder} also after following symbolic links, and a regular file. */
    public static Path resolveShard(Path folder, String relative, String where) throws IOException {
        Path dir = folder.toAbsolutePath().normalize();
        Path p = dir.resolve(relative).normalize();
        if (!p.startsWith(dir)) throw new IllegalArgumentException(where + ": " + quote(relative) + " resolves outside the model's folder " + dir);
        Path real;
        try {
            real = p.toRealPath();
        } catch (NoSuchFileException e) {
            throw new FileNotFoundException("weight file " + p + " (" + where + ") does not exist"
                    + (Files.isSymbolicLink(p) ? " (a symbolic link to a missing file)" : ""));
        }
        Path realDir = dir.toRealPath();
        if (!real.startsWith(realDir)) {
            throw new IllegalArgumentException(where + ": " + quote(relative) + " is a symbolic link to " + real
                    + ", outside the model's folder " + realDir + "; refused");
        }
        if (Files.isDirectory(real)) throw new IOException("weight file " + p + " (" + where + ") is a folder, not a file");
        if (!Files.isRegularFile(real)) throw new IOException("weight file " + p + " (" + where + ") is not a regular file (" + kind(real) + ")");
        return p;
    }

    /** %XX escapes to bytes, then strict UTF-8 ('+' stays '+': these are URL paths, not form data). */
    static String percentDecode(String s, String where) {
        if (s.indexOf('%') < 0) return s;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '%') {
                if (i + 2 >= raw.length || Character.digit(raw[i + 1], 16) < 0 || Character.digit(raw[i + 2], 16) < 0) {
                    throw new IllegalArgumentException(where + " = " + quote(s) + ": a '%' not followed by two hex digits");
                }
                out.write(Character.digit(raw[i + 1], 16) * 16 + Character.digit(raw[i + 2], 16));
                i += 2;
            } else {
                out.write(raw[i]);
            }
        }
        return utf8(out.toByteArray(), where + " = " + quote(s) + " (decoded)");
    }

    static String kind(Path p) {
        return FileKind.of(p);
    }

    static String quote(String s) {
        String c = s.length() > 120 ? s.substring(0, 120) + "... (" + s.length() + " characters)" : s;
        return "'" + c.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
