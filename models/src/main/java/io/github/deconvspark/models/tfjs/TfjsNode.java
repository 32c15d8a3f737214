package io.github.deconvspark.models.tfjs;

import io.github.deconvspark.models.json.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * One {@code modelTopology.node[]} entry of a TF.js graph model (a TF NodeDef in protobuf's JSON
 * form): name, op, inputs ("name", "name:1" for a second output, "^name" for a control input) and
 * attributes, whose strings are base64 and whose int64 values are strings.
 */
public record TfjsNode(String name, String op, List<String> inputs, Map<String, Object> attr) {

    static TfjsNode parse(Map<String, Object> n, String source) {
        String name = Json.str(n.get("name"), source + ": modelTopology.node name");
        String where = source + ": node '" + name + "'";
        String op = Json.str(n.get("op"), where + ": op");
        List<String> inputs = new ArrayList<>();
        if (n.get("input") != null) {
            for (Object o : Json.list(n.get("input"), where + ": input")) inputs.add(Json.str(o, where + ": input"));
        }
        Map<String, Object> attr = n.get("attr") == null ? Map.of() : Json.obj(n.get("attr"), where + ": attr");
        return new TfjsNode(name, op, List.copyOf(inputs), attr);
    }

    /** Data inputs (control inputs "^x" left out). */
    public List<String> dataInputs() {
        List<String> out = new ArrayList<>();
        for (String s : inputs) if (!s.startsWith("^")) out.add(s);
        return out;
    }

    public boolean has(String key) { return attr.containsKey(key); }

    private Map<String, Object> value(String key) {
        return Json.obj(attr.get(key), what(key));
    }

    private String what(String key) {
        return op + " node '" + name + "': attr " + key;
    }

    static String b64(Object o, String what) {
        String s = Json.str(o, what);
        try {
            return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": '" + s + "' is not base64", e);
        }
    }

    public String string(String key, String dflt) {
        if (!has(key)) return dflt;
        return b64(value(key).get("s"), what(key));
    }

    public boolean bool(String key, boolean dflt) {
        if (!has(key)) return dflt;
        Object b = value(key).get("b");
        return b == null ? dflt : (Boolean) b;
    }

    public double number(String key, double dflt) {
        if (!has(key)) return dflt;
        Object f = value(key).get("f");
        if (f != null) return Json.num(f, what(key));
        Object i = value(key).get("i");
        return i == null ? dflt : Json.num(i, what(key));
    }

    public long integer(String key, long dflt) {
        if (!has(key)) return dflt;
        Object i = value(key).get("i");
        return i == null ? dflt : Json.integer(i, what(key));
    }

    /** list.i as ints; {@code dflt} when absent or empty. */
    public int[] ints(String key, int[] dflt) {
        if (!has(key)) return dflt;
        Object l = value(key).get("list");
        if (l == null) return dflt;
        Object i = Json.obj(l, what(key)).get("i");
        if (i == null) return dflt;
        List<Object> v = Json.list(i, what(key));
        if (v.isEmpty()) return dflt;
        int[] out = new int[v.size()];
        for (int k = 0; k < out.length; k++) {
            long x = Json.integer(v.get(k), what(key));
            if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what(key) + ": entry " + k + " = " + x + " is out of range (32-bit)");
            }
            out[k] = (int) x;
        }
        return out;
    }

    /** list.s, decoded. */
    public List<String> strings(String key) {
        List<String> out = new ArrayList<>();
        if (!has(key)) return out;
        Object l = value(key).get("list");
        if (l == null) return out;
        Object s = Json.obj(l, what(key)).get("s");
        if (s == null) return out;
        for (Object o : Json.list(s, what(key))) out.add(b64(o, what(key)));
        return out;
    }

    /** The "type" attr ("DT_FLOAT", ...), or dflt. */
    public String type(String key, String dflt) {
        if (!has(key)) return dflt;
        Object t = value(key).get("type");
        return t == null ? dflt : Json.str(t, what(key));
    }

    /** The shape of a tensor attr ({@code value: {tensor: {tensorShape}}} of a Const), or null when it has none. */
    public long[] tensorShape(String key) {
        if (!has(key)) return null;
        Object t = value(key).get("tensor");
        if (t == null) return null;
        Object s = Json.obj(t, what(key)).get("tensorShape");
        return s == null ? null : dims(Json.obj(s, what(key)), what(key));
    }

    /** The "shape" attr's dims (-1 unknown), or null when absent or of unknown rank. */
    public long[] shape(String key) {
        if (!has(key)) return null;
        Object s = value(key).get("shape");
        if (s == null) return null;
        return dims(Json.obj(s, what(key)), what(key));
    }

    static long[] dims(Map<String, Object> tensorShape, String what) {
        if (Boolean.TRUE.equals(tensorShape.get("unknownRank"))) return null;
        Object d = tensorShape.get("dim");
        if (d == null) return new long[0];
        List<Object> dl = Json.list(d, what);
        long[] out = new long[dl.size()];
        for (int k = 0; k < out.length; k++) {
            Object size = Json.obj(dl.get(k), what).get("size");
            out[k] = size == null ? 0 : Json.integer(size, what);
        }
        return out;
    }

    @Override public String toString() {
        return op + " node '" + name + "'";
    }
}
