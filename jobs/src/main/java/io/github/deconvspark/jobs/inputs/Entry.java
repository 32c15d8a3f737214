package io.github.deconvspark.jobs.inputs;

import java.io.Serializable;

/**
 * A listed input: its URI (RFC 3986, so any byte of a file name survives: {@code file:/photos/a%20b.png},
 * {@code hdfs://nn:8020/x.png}), its size and time from the file system, and, when it is not to be read,
 * why ({@code reject}, else null).
 */
public record Entry(String path, long length, long modificationTime, Reject reject) implements Serializable {
    public boolean ok() { return reject == null; }

    static Entry ok(String path, long length, long modificationTime) {
        return new Entry(path, length, modificationTime, null);
    }

    static Entry rejected(String path, long length, long modificationTime, String rule, String reason) {
        return new Entry(path, length, modificationTime, new Reject(rule, reason));
    }
}
