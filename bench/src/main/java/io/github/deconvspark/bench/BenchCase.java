package io.github.deconvspark.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of {@code conf/bench/kernels.txt}: whitespace-separated {@code key=value} fields.
 * n,h,w,c: the forward op's input (for conv2d_transpose: value's); k: square kernel; oc: output
 * channels (conv2d_transpose: output's); s: stride; pad: SAME/VALID; oh,ow: conv2d_transpose output.
 */
record BenchCase(String name, String op, Map<String, String> fields) {

    static List<BenchCase> read(Path file) throws IOException {
        List<BenchCase> cases = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file)) {
            lineNo++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) continue;
            Map<String, String> f = new HashMap<>();
            for (String token : t.split("\\s+")) {
                int eq = token.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException(file + ":" + lineNo + ": '" + token + "' is not key=value");
                f.put(token.substring(0, eq), token.substring(eq + 1));
            }
            if (!f.containsKey("name") || !f.containsKey("op")) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": every case needs name= and op=");
            }
            cases.add(new BenchCase(f.get("name"), f.get("op"), f));
        }
        return cases;
    }

    int i(String key) {
        String v = fields.get(key);
        if (v == null) throw new IllegalArgumentException("bench case " + name + ": missing field " + key + "=");
        return Integer.parseInt(v);
    }

    int i(String key, int fallback) {
        return fields.containsKey(key) ? i(key) : fallback;
    }

    String s(String key) {
        String v = fields.get(key);
        if (v == null) throw new IllegalArgumentException("bench case " + name + ": missing field " + key + "=");
        return v;
    }
}
