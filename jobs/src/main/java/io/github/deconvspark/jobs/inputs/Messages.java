package io.github.deconvspark.jobs.inputs;

/** Untrusted text shown in messages: clipped, with control characters made visible. */
public final class Messages {
    private Messages() {}

    /** At most {@code max} characters of {@code s} (then "... (N characters)"), control characters escaped. */
    public static String clip(String s, int max) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder();
        int n = s.length(), i = 0;
        for (; i < n && sb.length() < max; i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        if (i < n) {
            sb.setLength(Math.min(sb.length(), max));
            sb.append("... (").append(n).append(" characters)");
        }
        return sb.toString();
    }

    /** A user's value quoted for a message: at most 80 characters. */
    public static String quote(String s) {
        return "'" + clip(s, 80) + "'";
    }
}
