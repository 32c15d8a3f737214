package io.github.deconvspark.models.json;

import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/** A small JSON writer for manifests: maps, collections, strings, numbers, booleans, null. Indented. */
public final class JsonOut {
    private JsonOut() {}

    public static String write(Object o) {
        StringBuilder sb = new StringBuilder();
        write(sb, o, "");
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object o, String indent) {
        if (o == null) {
            sb.append("null");
        } else if (o instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append("{\n");
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                sb.append(indent).append("  ");
                string(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                write(sb, e.getValue(), indent + "  ");
                sb.append(it.hasNext() ? ",\n" : "\n");
            }
            sb.append(indent).append('}');
        } else if (o instanceof Collection<?> c) {
            boolean flat = c.stream().noneMatch(x -> x instanceof Map || x instanceof Collection);
            sb.append('[');
            Iterator<?> it = c.iterator();
            while (it.hasNext()) {
                if (!flat) sb.append('\n').append(indent).append("  ");
                write(sb, it.next(), indent + "  ");
                if (it.hasNext()) sb.append(flat ? ", " : ",");
            }
            if (!flat && !c.isEmpty()) sb.append('\n').append(indent);
            sb.append(']');
        } else if (o instanceof Number || o instanceof Boolean) {
            sb.append(o);
        } else {
            string(sb, o.toString());
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                    else sb.append(ch);
                }
            }
        }
        sb.append('"');
    }
}
