package io.github.deconvspark.models.keras;

import io.github.deconvspark.models.json.Json;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One Keras layer's {@code config}, read strictly: every field a builder reads is recorded, fields that cannot change
 * inference are declared {@link #inert}, and {@link #done} refuses any other one, naming the model file, the layer, its
 * class and the field: a silently ignored setting is a wrong graph. Values are checked by type and range where read.
 */
final class Cfg {
    /** Fields of every layer that do not change what it computes (dtype is checked where it is read). */
    static final Set<String> COMMON = Set.of("name", "trainable");

    private final Map<String, Object> m;
    final String where;
    private final Set<String> seen = new LinkedHashSet<>();

    /** @param where "FILE: layer 'NAME' (CLASS)", the prefix of every message */
    Cfg(Map<String, Object> m, String where) {
        this.m = m;
        this.where = where;
        seen.addAll(COMMON);
    }

    IllegalArgumentException error(String field, String rule) {
        return new IllegalArgumentException(where + ": " + field + " " + rule);
    }

    IllegalArgumentException error(String rule) {
        return new IllegalArgumentException(where + ": " + rule);
    }

    boolean has(String k) {
        return m.containsKey(k) && m.get(k) != null;
    }

    Object raw(String k) {
        seen.add(k);
        return m.get(k);
    }

    /** Accepted fields that cannot change the inference graph (initializers, regularizers, constraints, momentum...). */
    void inert(String... keys) {
        seen.addAll(List.of(keys));
    }

    /** Refuses every field that was neither read nor declared inert. */
    void done() {
        Set<String> extra = new TreeSet<>(m.keySet());
        extra.removeAll(seen);
        if (!extra.isEmpty()) {
            String k = extra.iterator().next();
            throw error("config field '" + k + "' (= " + show(m.get(k)) + ")", "is not supported by this loader (it reads "
                    + String.join(", ", new TreeSet<>(seen)) + ")" + (extra.size() > 1 ? "; also unsupported: " + extra : ""));
        }
    }

    String str(String k, String dflt) {
        Object v = raw(k);
        if (v == null) {
            if (dflt == null) throw error(k, "is missing");
            return dflt;
        }
        if (!(v instanceof String s)) throw error(k, "must be a string, got " + show(v));
        return s;
    }

    /** A string among {@code legal} (compared in lower case, as Keras 3 standardizes them). */
    String oneOf(String k, String dflt, String... legal) {
        String s = str(k, dflt).toLowerCase(java.util.Locale.ROOT);
        for (String l : legal) if (l.equals(s)) return s;
        throw error(k, "'" + s + "' is not supported (supported: " + String.join(", ", legal) + ")");
    }

    boolean bool(String k, boolean dflt) {
        Object v = raw(k);
        if (v == null) return dflt;
        if (!(v instanceof Boolean b)) throw error(k, "must be true or false, got " + show(v));
        return b;
    }

    double real(String k, double dflt) {
        Object v = raw(k);
        if (v == null) return dflt;
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) throw error(k, "must be a finite number, got " + show(v));
        return n.doubleValue();
    }

    /** A number or null (absent). */
    Double realOrNull(String k) {
        return raw(k) == null ? null : real(k, 0);
    }

    long integer(String k, long dflt) {
        Object v = raw(k);
        if (v == null) return dflt;
        return integer(k, v);
    }

    long integer(String k, Object v) {
        if (v instanceof Long l) return l;
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p31) return d.longValue();
        throw error(k, "must be an integer, got " + show(v));
    }

    /** An int or a list of {@code n} ints (Keras' kernel_size, strides, dilation_rate), each in [min, 2^31). */
    int[] ints(String k, int n, int[] dflt, long min) {
        Object v = raw(k);
        if (v == null) {
            if (dflt == null) throw error(k, "is missing");
            return dflt.clone();
        }
        int[] out = new int[n];
        if (v instanceof List<?> l) {
            if (l.size() != n) throw error(k, "must hold " + n + " integers, got " + show(v));
            for (int i = 0; i < n; i++) out[i] = bounded(k, integer(k, l.get(i)), min, v);
        } else {
            java.util.Arrays.fill(out, bounded(k, integer(k, v), min, v));
        }
        return out;
    }

    private int bounded(String k, long x, long min, Object v) {
        if (x < min || x > Integer.MAX_VALUE) throw error(k, show(v) + " is out of range (each must be >= " + min + ")");
        return (int) x;
    }

    /** A list of integers (any length); null when absent. */
    long[] longs(String k) {
        Object v = raw(k);
        if (v == null) return null;
        List<Object> l = list(k, v);
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = integer(k, l.get(i));
        return out;
    }

    List<Object> list(String k, Object v) {
        if (!(v instanceof List<?>)) throw error(k, "must be a list, got " + show(v));
        return Json.list(v, where + ": " + k);
    }

    /** channels_last (or null: Keras' default image_data_format); channels_first is refused. */
    void channelsLast() {
        Object v = raw("data_format");
        if (v == null || "channels_last".equals(v)) return;
        if ("channels_first".equals(v)) {
            throw error("data_format", "'channels_first' is not supported: this loader builds NHWC graphs (channels_last) only;"
                    + " re-save the model with data_format='channels_last'");
        }
        throw error("data_format", show(v) + " is not a Keras data format (channels_last)");
    }

    /** float32 (a string, or a Keras 3 DTypePolicy), or absent. */
    void float32(String k) {
        Object v = raw(k);
        String name = v instanceof Map<?, ?> p && p.get("config") instanceof Map<?, ?> c ? String.valueOf(c.get("name")) : v == null ? null
                : String.valueOf(v);
        if (name != null && !name.equals("float32")) {
            throw error(k, show(v) + " is not supported (float32 only; mixed or other precisions would compute differently)");
        }
    }

    /** The field must be absent, null, or {@code expected} (a feature this loader does not implement). */
    void only(String k, Object expected, String why) {
        Object v = raw(k);
        if (v == null || v.equals(expected) || (v instanceof Number a && expected instanceof Number b && a.doubleValue() == b.doubleValue())) {
            return;
        }
        throw error(k, "= " + show(v) + " is not supported (" + why + ")");
    }

    static String show(Object v) {
        if (v == null) return "null";
        String t = v instanceof String s ? "'" + s + "'" : String.valueOf(v);
        return t.length() > 80 ? t.substring(0, 80) + "..." : t;
    }

    List<String> keys() { return new ArrayList<>(m.keySet()); }
}
