package io.github.deconvspark.kernels.shape;

import java.util.Objects;

/**
 * TensorFlow's padding argument: {@code "SAME"}, {@code "VALID"}, or an explicit list
 * {@code [[0,0],[top,bottom],[left,right],[0,0]]} (given here as four numbers).
 */
public final class Padding {
    public enum Kind { SAME, VALID, EXPLICIT }

    public static final Padding SAME = new Padding(Kind.SAME, 0, 0, 0, 0);
    public static final Padding VALID = new Padding(Kind.VALID, 0, 0, 0, 0);

    private final Kind kind;
    private final int top, bottom, left, right;

    private Padding(Kind kind, int top, int bottom, int left, int right) {
        this.kind = kind;
        this.top = top;
        this.bottom = bottom;
        this.left = left;
        this.right = right;
    }

    /** Explicit padding in cells; every amount must be >= 0. */
    public static Padding explicit(int top, int bottom, int left, int right) {
        if (top < 0 || bottom < 0 || left < 0 || right < 0) {
            throw new IllegalArgumentException("explicit padding: amounts must be >= 0, got [top=" + top
                    + ", bottom=" + bottom + ", left=" + left + ", right=" + right + "]");
        }
        return new Padding(Kind.EXPLICIT, top, bottom, left, right);
    }

    /** Parses "SAME", "VALID" (any case) or "EXPLICIT:top,bottom,left,right". */
    public static Padding parse(String text) {
        String t = text.trim().toUpperCase(java.util.Locale.ROOT);
        if (t.equals("SAME")) return SAME;
        if (t.equals("VALID")) return VALID;
        if (t.startsWith("EXPLICIT:")) {
            String[] p = t.substring("EXPLICIT:".length()).split(",");
            if (p.length == 4) {
                try {
                    return explicit(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()),
                            Integer.parseInt(p[2].trim()), Integer.parseInt(p[3].trim()));
                } catch (NumberFormatException e) {
                    // fall through to the message below
                }
            }
        }
        throw new IllegalArgumentException("padding: '" + text
                + "' is not legal; legal values are SAME, VALID or EXPLICIT:top,bottom,left,right");
    }

    public Kind kind() { return kind; }
    public int top() { return top; }
    public int bottom() { return bottom; }
    public int left() { return left; }
    public int right() { return right; }

    @Override public boolean equals(Object o) {
        return o instanceof Padding p && p.kind == kind && p.top == top && p.bottom == bottom
                && p.left == left && p.right == right;
    }

    @Override public int hashCode() { return Objects.hash(kind, top, bottom, left, right); }

    @Override public String toString() {
        return kind == Kind.EXPLICIT ? "EXPLICIT[" + top + "," + bottom + "," + left + "," + right + "]" : kind.name();
    }
}
