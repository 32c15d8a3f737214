package io.github.deconvspark.models.keras;

import io.github.deconvspark.models.io.ModelFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * The entries of a Keras 3 {@code .keras} zip, read from memory (nothing is extracted to disk) as untrusted input: at
 * most {@value #MAX_ENTRIES} entries; names must be relative, without '..' segments, backslashes, NULs or drive
 * letters, and unique; an entry's declared size must fit the budget before it is read, and its bytes are counted as they
 * inflate: more than it declares, or more than {@link ModelFiles#MAX_WEIGHT_BYTES} for all entries together (a zip
 * bomb), stops the read with an error naming the entry. Entries other than the wanted ones are read through, counted,
 * and dropped.
 */
final class KerasZip {
    private KerasZip() {}

    static final int MAX_ENTRIES = 10_000;
    /** config.json and metadata.json are JSON: bounded as a model.json is. */
    static final long MAX_JSON_ENTRY = ModelFiles.MAX_JSON_BYTES;

    /** The wanted entries' bytes (absent ones are not in the map). */
    static Map<String, byte[]> read(byte[] zip, String src, Set<String> wanted) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        Set<String> names = new HashSet<>();
        long total = 0;
        int count = 0;
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                String name = e.getName();
                String where = src + ": zip entry '" + name.replaceAll("\\p{Cntrl}", "?") + "'";
                if (++count > MAX_ENTRIES) throw new IllegalArgumentException(src + ": more than " + MAX_ENTRIES + " zip entries");
                checkName(name, where);
                if (!names.add(name)) throw new IllegalArgumentException(where + " appears twice (which one Keras reads is not defined)");
                boolean keep = wanted.contains(name);
                long cap = Math.min(ModelFiles.MAX_WEIGHT_BYTES - total, keep && name.endsWith(".json") ? MAX_JSON_ENTRY : Long.MAX_VALUE);
                long declared = e.getSize();
                if (declared > cap) {
                    throw new IllegalArgumentException(where + " declares " + declared + " bytes, more than the " + cap + " allowed"
                            + " (" + ModelFiles.MAX_WEIGHT_BYTES + " for all entries together)");
                }
                Entry r = readEntry(in, declared, cap, keep, where);
                total += r.size();
                if (keep && !e.isDirectory()) out.put(name, r.bytes());
            }
        } catch (ZipException ex) {
            throw new IllegalArgumentException(src + ": not a valid zip file (" + ex.getMessage() + ")", ex);
        }
        if (count == 0) throw new IllegalArgumentException(src + ": a zip file without entries");
        return out;
    }

    /** An entry's inflated size, and its bytes when kept. */
    private record Entry(long size, byte[] bytes) {}

    private static Entry readEntry(ZipInputStream in, long declared, long cap, boolean keep, String where) throws IOException {
        ByteArrayOutputStream b = keep ? new ByteArrayOutputStream(declared > 0 ? (int) Math.min(declared, 1 << 26) : 8192) : null;
        byte[] buf = new byte[1 << 16];
        long n = 0;
        int r;
        while ((r = in.read(buf)) > 0) {
            n += r;
            if (declared >= 0 && n > declared) {
                throw new IllegalArgumentException(where + " inflates to more than the " + declared + " bytes it declares; refused (a zip bomb?)");
            }
            if (n > cap) throw new IllegalArgumentException(where + " inflates to more than " + cap + " bytes; refused (a zip bomb?)");
            if (keep) b.write(buf, 0, r);
        }
        if (declared >= 0 && n != declared) throw new IllegalArgumentException(where + " holds " + n + " bytes but declares " + declared);
        return new Entry(n, keep ? b.toByteArray() : null);
    }

    /** A name a loader may resolve inside its own archive only: relative, no '..', no backslash, no NUL, no drive. */
    static void checkName(String name, String where) {
        String rule = null;
        if (name.isEmpty()) rule = "it is empty";
        else if (name.indexOf('\0') >= 0) rule = "it holds a NUL character";
        else if (name.indexOf('\\') >= 0) rule = "it holds a backslash";
        else if (name.startsWith("/")) rule = "it is an absolute path";
        else if (name.matches("[A-Za-z]:.*")) rule = "it starts with a drive letter";
        else {
            for (String seg : name.split("/", -1)) {
                if (seg.equals("..")) { rule = "it climbs out of the archive ('..')"; break; }
            }
        }
        if (rule != null) throw new IllegalArgumentException(where + " is refused: " + rule);
    }
}
