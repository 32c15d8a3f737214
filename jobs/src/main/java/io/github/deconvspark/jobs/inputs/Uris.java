package io.github.deconvspark.jobs.inputs;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The one way paths are named between the listing, the readers and the tables: RFC 3986 URI strings.
 * Local files are {@code file:/abs/path} with every byte that is not a plain URI character percent-encoded
 * (spaces, colons stay readable: {@code file:/a/2024-01-01%2010:00:00.png}; a name that is not valid UTF-8
 * keeps its bytes: {@code %FF}); other file systems are their Hadoop URIs ({@code hdfs://nn:8020/x.png}).
 * Hadoop's {@code new Path(String)} would misread both (it takes "a:b" for a scheme and quotes '%'), so
 * nothing here builds a Hadoop path from a string.
 */
public final class Uris {
    private Uris() {}

    /** The URI string of a local path (absolute, normalised; its raw bytes kept). */
    public static String of(Path p) {
        String raw = p.toAbsolutePath().normalize().toUri().getRawPath();
        if (raw.length() > 1 && raw.endsWith("/")) raw = raw.substring(0, raw.length() - 1); // toUri() marks folders with '/'
        return "file:" + raw;
    }

    /** Whether a URI string names a local file. */
    public static boolean isLocal(String uri) {
        return uri.startsWith("file:");
    }

    /** The local path of a {@code file:} URI string (as {@link #of} writes them). */
    public static Path local(String uri) {
        try {
            return Path.of(URI.create("file://" + new URI(uri).getRawPath()));
        } catch (URISyntaxException | IllegalArgumentException e) {
            String rest = uri.substring("file:".length());                 // Hadoop's raw form: file:/a b.png
            if (rest.startsWith("//")) rest = rest.substring(Math.max(2, rest.indexOf('/', 2)));
            return Path.of(rest);
        }
    }

    /** A Hadoop path for a URI string, built from the parsed URI (never from the string). */
    public static org.apache.hadoop.fs.Path hadoop(String uri) {
        return new org.apache.hadoop.fs.Path(URI.create(uri));
    }

    /** The URI string of a Hadoop path. */
    public static String of(org.apache.hadoop.fs.Path p) {
        return p.toUri().toString();
    }

    /** A URI string for people: decoded (a byte that is not UTF-8 shows as U+FFFD). */
    public static String display(String uri) {
        try {
            URI u = URI.create(uri);
            return u.getScheme() == null || u.getScheme().equals("file") ? u.getPath() : u.getScheme() + "://"
                    + (u.getAuthority() == null ? "" : u.getAuthority()) + u.getPath();
        } catch (IllegalArgumentException e) {
            return uri;
        }
    }

    /**
     * A user's path or URI (an option's value) as a URI string: a plain path is a local file (relative to the working
     * folder), so is {@code file:/x} written with raw characters, as Hadoop writes them; {@code scheme://...} is that
     * file system's. A local name that looks like a scheme ("photo:1.png") is local when it exists.
     */
    public static String fromUser(String value) {
        if (value.startsWith("file:")) {
            try {
                URI u = new URI(value);
                if (u.getPath() != null && u.getPath().startsWith("/")) return of(Path.of(URI.create("file://" + u.getRawPath())));
            } catch (URISyntaxException | IllegalArgumentException e) {
                // Hadoop's own form with raw characters (file:/a b.png): the rest is the path
            }
            String rest = value.substring("file:".length());
            if (rest.startsWith("//")) rest = rest.substring(rest.indexOf('/', 2) < 0 ? rest.length() : rest.indexOf('/', 2));
            return of(Path.of(rest.isEmpty() ? "/" : rest));
        }
        int colon = value.indexOf(':'), slash = value.indexOf('/');
        boolean scheme = colon > 0 && (slash < 0 || colon < slash) && value.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*");
        if (scheme && !Files.exists(Path.of(value), LinkOption.NOFOLLOW_LINKS)) {
            try {
                return new URI(value).toString();
            } catch (URISyntaxException e) {
                // raw characters after the scheme (hdfs://nn/a b.png): encode them as Hadoop would
                return new org.apache.hadoop.fs.Path(value).toUri().toString();
            }
        }
        return of(Path.of(value));
    }
}
