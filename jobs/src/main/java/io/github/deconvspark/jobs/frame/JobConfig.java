package io.github.deconvspark.jobs.frame;

import io.github.deconvspark.jobs.inputs.Messages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * A job's configuration, resolved and validated before anything runs. Sources, later ones winning:
 * the job's built-in key list, its defaults file {@code <job>.conf} on the classpath (the repository's
 * {@code conf/}), {@code --config FILE} (properties format), then the command line
 * ({@code --key value}, {@code --key=value} or {@code key=value}). Keys starting with {@code spark.}
 * go to Spark's configuration. Any other unknown key is an error that names it and the legal keys.
 */
public final class JobConfig {

    /** A legal key: its default ({@code null} = required), a line of help, and what it holds ({@link KeyType}). */
    public record Key(String name, String dflt, String help, KeyType type) {
        /** Free text. */
        public Key(String name, String dflt, String help) {
            this(name, dflt, help, KeyType.TEXT);
        }

        public static Key integer(String name, long dflt, long min, long max, String help) {
            return new Key(name, Long.toString(dflt), help, new KeyType.Int(min, max));
        }

        public static Key decimal(String name, String dflt, double min, double max, String help) {
            return new Key(name, dflt, help, new KeyType.Decimal(min, max));
        }

        public static Key bool(String name, boolean dflt, String help) {
            return new Key(name, Boolean.toString(dflt), help, KeyType.BOOL);
        }

        public static Key choice(String name, String dflt, List<String> legal, String help) {
            return new Key(name, dflt, help, new KeyType.Choice(List.copyOf(legal)));
        }
    }

    /** A configuration error, for the user (printed without a stack trace, exit code 2). */
    public static final class ConfigException extends IllegalArgumentException {
        public ConfigException(String message) { super(message); }
    }

    private final String job;
    private final Map<String, Key> keys;
    private final Map<String, String> values;
    private final Map<String, String> spark;
    private final Map<String, String> sources;

    private JobConfig(String job, Map<String, Key> keys, Map<String, String> values, Map<String, String> spark, Map<String, String> sources) {
        this.job = job;
        this.keys = keys;
        this.values = values;
        this.spark = spark;
        this.sources = sources;
    }

    public static JobConfig parse(String job, List<Key> keys, String[] args) {
        return parse(job, keys, args, true);
    }

    /** Parses without requiring the required keys (for work that needs only some, e.g. --list-layers). */
    public static JobConfig parseWithout(String job, List<Key> keys, String[] args) {
        return parse(job, keys, args, false);
    }

    private static JobConfig parse(String job, List<Key> keys, String[] args, boolean requireAll) {
        Map<String, Key> legal = new LinkedHashMap<>();
        for (Key k : keys) legal.put(k.name(), k);
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        Map<String, String> spark = new TreeMap<>();
        for (Key k : keys) {
            if (k.dflt() != null) {
                values.put(k.name(), k.dflt());
                sources.put(k.name(), "built-in");
            }
        }
        String resource = job + ".conf";
        try (InputStream in = JobConfig.class.getClassLoader().getResourceAsStream(resource)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
                put(job, legal, values, spark, sources, p, "defaults " + resource);
            }
        } catch (IOException e) {
            throw new ConfigException(job + ": cannot read the defaults " + resource + ": " + e.getMessage());
        }
        List<String[]> cli = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String key, value;
            if (a.startsWith("--")) {
                String body = a.substring(2);
                int eq = body.indexOf('=');
                if (eq >= 0) {
                    key = body.substring(0, eq);
                    value = body.substring(eq + 1);
                } else {
                    if (i + 1 >= args.length) throw new ConfigException(job + ": option --" + Messages.clip(body, 80) + " needs a value");
                    key = body;
                    value = args[++i];
                }
            } else if (a.contains("=")) {
                key = a.substring(0, a.indexOf('='));
                value = a.substring(a.indexOf('=') + 1);
            } else {
                throw new ConfigException(job + ": unexpected argument " + Messages.quote(a) + " (use --key value or key=value; "
                        + "bin/deconv-spark " + job + " --help lists the keys)");
            }
            if (key.equals("config")) {
                put(job, legal, values, spark, sources, configFile(job, value), "--config " + value);
            } else {
                cli.add(new String[] {key, value});
            }
        }
        for (String[] kv : cli) put(job, legal, values, spark, sources, kv[0], kv[1], "command line");
        for (Key k : keys) {
            String v = values.get(k.name());
            if (v == null || v.isBlank()) {
                if (k.dflt() == null && requireAll) {
                    throw new ConfigException(job + ": --" + k.name() + " is required (" + k.help() + ")");
                }
            } else {
                k.type().check(job, k.name(), v);     // every typed value checked before anything runs
            }
        }
        return new JobConfig(job, legal, values, spark, sources);
    }

    /** The largest --config file read. */
    static final long MAX_CONFIG_BYTES = 1 << 20;

    /** A --config file: a regular file (not a FIFO or a device), at most 1 MiB, UTF-8, in properties format. */
    static Properties configFile(String job, String value) {
        Path f = Path.of(value);
        String what = job + ": --config " + Messages.quote(value);
        if (!Files.exists(f)) throw new ConfigException(what + ": no such file");
        if (!Files.isRegularFile(f)) throw new ConfigException(what + ": not a regular file" + (Files.isDirectory(f) ? " (a folder)" : ""));
        Properties p = new Properties();
        try {
            long size = Files.size(f);
            if (size > MAX_CONFIG_BYTES) throw new ConfigException(what + ": " + size + " bytes, more than the " + MAX_CONFIG_BYTES + " allowed");
            byte[] b;
            try (InputStream in = Files.newInputStream(f)) {
                b = in.readNBytes((int) MAX_CONFIG_BYTES + 1);
            }
            if (b.length > MAX_CONFIG_BYTES) throw new ConfigException(what + ": more than " + MAX_CONFIG_BYTES + " bytes");
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b)).toString();
            p.load(new java.io.StringReader(text));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ConfigException(what + ": not UTF-8 text");
        } catch (IOException | IllegalArgumentException e) {
            if (e instanceof ConfigException c) throw c;
            throw new ConfigException(what + ": " + Messages.clip(String.valueOf(e.getMessage()), 200));
        }
        return p;
    }

    private static void put(String job, Map<String, Key> legal, Map<String, String> values, Map<String, String> spark,
                            Map<String, String> sources, Properties p, String source) {
        for (String key : new TreeMap<>(toMap(p)).keySet()) put(job, legal, values, spark, sources, key, p.getProperty(key), source);
    }

    private static Map<String, String> toMap(Properties p) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String k : p.stringPropertyNames()) m.put(k, p.getProperty(k));
        return m;
    }

    private static void put(String job, Map<String, Key> legal, Map<String, String> values, Map<String, String> spark,
                            Map<String, String> sources, String key, String value, String source) {
        key = key.trim();
        value = value.trim();
        if (key.startsWith("spark.")) {
            spark.put(key, value);
            return;
        }
        if (!legal.containsKey(key)) {
            String near = nearest(key, legal.keySet());
            throw new ConfigException(job + ": unknown option " + Messages.quote(key) + " (from " + Messages.clip(source, 100) + ")"
                    + (near == null ? "" : "; did you mean '" + near + "'?") + " Legal options: " + String.join(", ", legal.keySet())
                    + ", and spark.* for Spark.");
        }
        values.put(key, value);
        sources.put(key, source);
    }

    private static String nearest(String key, Set<String> legal) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String l : legal) {
            int d = distance(key.toLowerCase(Locale.ROOT), l);
            if (d < bestD) {
                bestD = d;
                best = l;
            }
        }
        return bestD <= Math.max(2, key.length() / 3) ? best : null;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Whether the arguments ask for the help text (--help or -h anywhere). */
    public static boolean wantsHelp(String[] args) {
        for (String a : args) if (a.equals("--help") || a.equals("-h")) return true;
        return false;
    }

    /** Fails, naming the key, when any of {@code keys} is blank. */
    public void require(String... keys) {
        for (String k : keys) if (get(k).isBlank()) throw new ConfigException(job + ": --" + k + " is required");
    }

    /** Help text: every key with its default and help. */
    public static String help(String job, List<Key> keys) {
        StringBuilder sb = new StringBuilder("usage: bin/deconv-spark " + job + " [--key value | key=value ...] [--config FILE]\n");
        for (Key k : keys) {
            String rule = k.type().rule();
            sb.append(String.format("  --%-20s %s%s%s%n", k.name(), k.help(), rule.isEmpty() ? "" : " [" + rule + "]", k.dflt() == null
                    ? " (required)" : k.dflt().isEmpty() ? "" : " (default: " + k.dflt() + ")"));
        }
        sb.append("  spark.*=VALUE           passed to Spark's configuration (e.g. spark.executor.memory=4g)\n");
        return sb.toString();
    }

    public String job() { return job; }

    /** Whether a key has a non-blank value. */
    public boolean isSet(String key) {
        String v = values.get(key);
        return v != null && !v.isBlank();
    }

    public String get(String key) {
        if (!values.containsKey(key)) throw new IllegalStateException(job + ": no key " + key);
        return values.get(key);
    }

    /** A typed key's value; the key must be {@link Key#integer}. */
    public long getLong(String key) {
        return ((KeyType.Int) typed(key, KeyType.Int.class)).parse(job, key, get(key));
    }

    public int getInt(String key) {
        return Math.toIntExact(getLong(key));
    }

    public double getDouble(String key) {
        return ((KeyType.Decimal) typed(key, KeyType.Decimal.class)).parse(job, key, get(key));
    }

    public boolean getBool(String key) {
        return ((KeyType.Bool) typed(key, KeyType.Bool.class)).parse(job, key, get(key));
    }

    /** A {@link Key#choice} key's value, checked against its list. */
    public String choice(String key) {
        typed(key, KeyType.Choice.class).check(job, key, get(key));
        return get(key);
    }

    private KeyType typed(String key, Class<? extends KeyType> type) {
        Key k = keys.get(key);
        if (k == null) throw new IllegalStateException(job + ": no key " + key);
        if (!type.isInstance(k.type())) throw new IllegalStateException(job + ": key " + key + " is " + k.type() + ", not " + type.getSimpleName());
        return k.type();
    }

    /** Comma-separated, trimmed, empty items dropped. */
    public List<String> list(String key) {
        List<String> out = new ArrayList<>();
        for (String s : get(key).split(",")) if (!s.isBlank()) out.add(s.trim());
        return out;
    }

    /** The resolved configuration (job keys), in key order. */
    public Map<String, String> resolved() { return new LinkedHashMap<>(values); }

    /** Where each key's value came from. */
    public Map<String, String> sources() { return new LinkedHashMap<>(sources); }

    /** The spark.* keys given. */
    public Map<String, String> spark() { return new TreeMap<>(spark); }
}
