package io.github.deconvspark.jobs.inputs;

import java.io.Serializable;
import java.util.List;

/**
 * Why an input was not processed: the rule it broke (a stable code, counted in manifests and galleries)
 * and the cause, for people. The input itself is named where the reject is recorded (a row's path).
 */
public record Reject(String rule, String reason) implements Serializable {
    // listing and opening
    public static final String HIDDEN = "hidden";
    public static final String DANGLING_LINK = "dangling-link";
    public static final String LINK_LOOP = "link-loop";
    public static final String FOLDER_LOOP = "folder-loop";
    public static final String NOT_REGULAR = "not-a-regular-file";
    public static final String PATH_TOO_LONG = "path-too-long";
    public static final String TOO_DEEP = "too-deep";
    public static final String UNREADABLE = "unreadable";
    public static final String TOO_LARGE_FILE = "too-large-file";
    // decoding
    public static final String EMPTY = "empty";
    public static final String NOT_AN_IMAGE = "not-an-image";
    public static final String CORRUPT = "corrupt";
    public static final String TRUNCATED = "truncated";
    public static final String TOO_MANY_PIXELS = "too-many-pixels";
    public static final String TOO_SMALL = "too-small";
    public static final String DECODE_TIMEOUT = "decode-timeout";
    // labelled data
    public static final String LABEL_OUT_OF_RANGE = "label-out-of-range";

    /** Every rule, in the order galleries list them. */
    public static final List<String> RULES = List.of(HIDDEN, DANGLING_LINK, LINK_LOOP, FOLDER_LOOP, NOT_REGULAR, PATH_TOO_LONG, TOO_DEEP,
            UNREADABLE, TOO_LARGE_FILE, EMPTY, NOT_AN_IMAGE, CORRUPT, TRUNCATED, TOO_MANY_PIXELS, TOO_SMALL, DECODE_TIMEOUT,
            LABEL_OUT_OF_RANGE);

    public Reject {
        if (!RULES.contains(rule)) throw new IllegalArgumentException("unknown reject rule '" + rule + "'");
    }

    /** "rule: reason". */
    @Override public String toString() {
        return rule + ": " + reason;
    }

    /** A failure to read an input, carrying its {@link Reject}. */
    public static final class Exception extends java.io.IOException {
        private final Reject reject;

        public Exception(Reject reject) {
            super(reject.toString());
            this.reject = reject;
        }

        public Reject reject() { return reject; }
    }

    /** A throwable's messages down its cause chain: "Wrapper: outer message (cause: Inner: inner message)". */
    public static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder();
        java.util.Set<Throwable> seen = new java.util.HashSet<>();
        String last = null;
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            String m = t.getMessage();
            String part = t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.strip());
            if (last != null && m != null && last.contains(m.strip())) continue; // a wrapper that repeats its cause's message
            if (sb.length() > 0) sb.append(" (cause: ");
            sb.append(part);
            last = m == null ? "" : m;
        }
        int open = sb.toString().split("\\(cause: ", -1).length - 1;
        sb.append(")".repeat(open));
        return Messages.clip(sb.toString(), 600);
    }
}
