package io.github.deconvspark.models.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader (RFC 8259) for model.json: objects become insertion-ordered
 * {@code Map<String, Object>}, arrays {@code List<Object>}, numbers {@code Double} (or {@code Long}
 * when integral and written without fraction or exponent), plus String, Boolean and null.
 */
public final class Json {
    private final String s;
    private final String source;
    private int i;
    private int depth;

    /** Arrays and objects nested deeper than this are an error (model.json files nest about 10 deep). */
    static final int MAX_DEPTH = 256;

    private Json(String s, String source) {
        this.s = s;
        this.source = source;
    }

    /** A JSON object's members; errors name {@code source}. */
    public static Map<String, Object> object(String text, String source) {
        return obj(parse(text, source), source);
    }

    public static Object parse(String text, String source) {
        Json p = new Json(text, source);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != p.s.length()) throw p.error("unexpected text after the JSON value");
        return v;
    }

    private IllegalArgumentException error(String what) {
        int line = 1, col = 1;
        for (int k = 0; k < Math.min(i, s.length()); k++) {
            if (s.charAt(k) == '\n') { line++; col = 1; } else col++;
        }
        return new IllegalArgumentException(source + ": invalid JSON at line " + line + ", column " + col + ": " + what);
    }

    private void ws() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++;
            else break;
        }
    }

    private Object value() {
        if (i >= s.length()) throw error("unexpected end of input");
        char c = s.charAt(i);
        switch (c) {
            case '{': return object();
            case '[': return array();
            case '"': return string();
            case 't': return literal("true", Boolean.TRUE);
            case 'f': return literal("false", Boolean.FALSE);
            case 'n': return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return number();
                throw error("unexpected character '" + c + "'");
        }
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, i)) throw error("expected " + word);
        i += word.length();
        return v;
    }

    private void enter() {
        if (++depth > MAX_DEPTH) throw error("arrays and objects nested deeper than " + MAX_DEPTH + " levels");
    }

    private Map<String, Object> object() {
        enter();
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        ws();
        if (peek() == '}') { i++; depth--; return m; }
        while (true) {
            ws();
            if (peek() != '"') throw error("expected a string key");
            String k = string();
            ws();
            if (peek() != ':') throw error("expected ':'");
            i++;
            ws();
            m.put(k, value());
            ws();
            char c = peek();
            i++;
            if (c == '}') { depth--; return m; }
            if (c != ',') { i--; throw error("expected ',' or '}'"); }
        }
    }

    private List<Object> array() {
        enter();
        List<Object> a = new ArrayList<>();
        i++;
        ws();
        if (peek() == ']') { i++; depth--; return a; }
        while (true) {
            ws();
            a.add(value());
            ws();
            char c = peek();
            i++;
            if (c == ']') { depth--; return a; }
            if (c != ',') { i--; throw error("expected ',' or ']'"); }
        }
    }

    private char peek() {
        if (i >= s.length()) throw error("unexpected end of input");
        return s.charAt(i);
    }

    private String string() {
        StringBuilder b = new StringBuilder();
        i++;
        while (true) {
            char c = peek();
            i++;
            if (c == '"') return b.toString();
            if (c < 0x20) { i--; throw error("control character in a string"); }
            if (c != '\\') { b.append(c); continue; }
            char e = peek();
            i++;
            switch (e) {
                case '"': b.append('"'); break;
                case '\\': b.append('\\'); break;
                case '/': b.append('/'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'n': b.append('\n'); break;
                case 'r': b.append('\r'); break;
                case 't': b.append('\t'); break;
                case 'u':
                    if (i + 4 > s.length()) throw error("truncated \\u escape");
                    try {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error("bad \\u escape");
                    }
                    i += 4;
                    break;
                default: i--; throw error("bad escape '\\" + e + "'");
            }
        }
    }

    private Object number() {
        int start = i;
        if (peek() == '-') i++;
        boolean integral = true;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') i++;
            else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') { integral = false; i++; }
            else break;
        }
        String t = s.substring(start, i);
        try {
            if (integral && t.length() < 19) return Long.parseLong(t);
            double d = Double.parseDouble(t);
            if (Double.isInfinite(d)) {
                i = start;
                throw error("number '" + (t.length() > 40 ? t.substring(0, 40) + "..." : t) + "' is out of range");
            }
            return d;
        } catch (NumberFormatException ex) {
            i = start;
            throw error("bad number '" + t + "'");
        }
    }

    // ---- typed access ----

    @SuppressWarnings("unchecked")
    public static Map<String, Object> obj(Object o, String what) {
        if (o instanceof Map) return (Map<String, Object>) o;
        throw new IllegalArgumentException(what + ": expected a JSON object, got " + describe(o));
    }

    @SuppressWarnings("unchecked")
    public static List<Object> list(Object o, String what) {
        if (o instanceof List) return (List<Object>) o;
        throw new IllegalArgumentException(what + ": expected a JSON array, got " + describe(o));
    }

    public static String str(Object o, String what) {
        if (o instanceof String x) return x;
        throw new IllegalArgumentException(what + ": expected a string, got " + describe(o));
    }

    /** A number, or a string holding one (protobuf's JSON writes int64 as strings). */
    public static double num(Object o, String what) {
        if (o instanceof Number n) return n.doubleValue();
        if (o instanceof String x) {
            try {
                double d = Double.parseDouble(x);
                if (Double.isFinite(d)) return d;
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new IllegalArgumentException(what + ": expected a number, got " + describe(o));
    }

    public static long integer(Object o, String what) {
        if (o instanceof Long n) return n;
        if (o instanceof String x) {
            try {
                return Long.parseLong(x.trim());
            } catch (NumberFormatException e) {
                if (x.trim().matches("-?\\d+")) throw new IllegalArgumentException(what + ": the integer " + describe(o) + " is out of range");
            }
        }
        double d = num(o, what);
        if (d != Math.rint(d)) throw new IllegalArgumentException(what + ": expected an integer, got " + d);
        if (Math.abs(d) > 0x1p53) throw new IllegalArgumentException(what + ": the integer " + d + " is out of range");
        return (long) d;
    }

    private static String describe(Object o) {
        if (o == null) return "null (missing)";
        String t = String.valueOf(o);
        return (t.length() > 60 ? t.substring(0, 60) + "..." : t) + " (" + o.getClass().getSimpleName() + ")";
    }
}
