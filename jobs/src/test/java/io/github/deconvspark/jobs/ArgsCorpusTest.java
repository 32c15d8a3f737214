package io.github.deconvspark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.visualize.Visualize;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile argument vectors and configuration files for the jobs' configuration (the visualize job's keys, the same
 * parser as every job): huge, malformed and out-of-range values, control characters, --config files that are devices,
 * FIFOs, folders, too large or not UTF-8. Each is refused with one message that names the option, the rule and the
 * value (clipped: a 100 KB value is not echoed back), without a JVM error or a hang.
 */
class ArgsCorpusTest {
    @TempDir Path dir;

    static final String BASE = "--input x --model m --output o";

    /** The error of parsing and validating these arguments as the visualize job does; "ok" when accepted. */
    static String outcome(List<String> args) {
        String[] out = new String[1];
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try {
                JobConfig c = JobConfig.parse("visualize", Visualize.KEYS, args.toArray(new String[0]));
                c.getInt("top-k");
                c.getInt("batch");
                c.getLong("max-file-bytes");
                c.getDouble("decode-seconds");
                c.getBool("reuse");
                io.github.deconvspark.jobs.visualize.MethodOptions.methods(c);
                io.github.deconvspark.jobs.visualize.MethodOptions.options(c);
                out[0] = "ok";
            } catch (JobConfig.ConfigException e) {
                out[0] = e.getMessage();
            } catch (Throwable t) {
                out[0] = "UNEXPECTED " + t;
            }
        });
        return out[0];
    }

    static List<String> args(String base, String... more) {
        List<String> a = new ArrayList<>(List.of(base.split(" ")));
        a.addAll(List.of(more));
        return a;
    }

    @Test void hostileArgumentsGetOneClearMessage() throws Exception {
        String big = "x".repeat(100_000);
        Path fifo = dir.resolve("fifo.conf"), large = dir.resolve("large.conf"), latin = dir.resolve("latin1.conf");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        try (RandomAccessFile f = new RandomAccessFile(large.toFile(), "rw")) {
            f.setLength(5L << 20);
        }
        Files.write(latin, "top-k = 3\ntitle = caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        Path unknown = Files.writeString(dir.resolve("unknown.conf"), "top-kk = 3\n");
        Map<List<String>, String> cases = new LinkedHashMap<>();
        cases.put(args(BASE, "--top-k", "99999999999999999999999"), "--top-k must be an integer in [1, 10000]");
        cases.put(args(BASE, "--top-k", "-3"), "--top-k must be an integer in [1, 10000], got '-3'");
        cases.put(args(BASE, "--top-k", big), "(100000 characters)");
        cases.put(args(BASE, "--method", big), "--method must be one of");
        cases.put(args(BASE, "--batch", ""), "--batch must be an integer");
        cases.put(args(BASE, "--batch", "0x10"), "--batch must be an integer");
        cases.put(args(BASE, "--decode-seconds", "NaN"), "--decode-seconds must be a number");
        cases.put(args(BASE, "--decode-seconds", "Infinity"), "--decode-seconds must be a number");
        cases.put(args(BASE, "--max-file-bytes", "3000000000"), "--max-file-bytes must be an integer in [1, 2147483631]");
        cases.put(args(BASE, "--reuse", "maybe"), "--reuse must be true or false");
        cases.put(args(BASE, "--be\u0007ll", "1"), "unknown option 'be\\x07ll'");
        cases.put(args(BASE, big + "=1"), "(100000 characters)");
        cases.put(args(BASE, "stray"), "unexpected argument 'stray'");
        cases.put(args(BASE, "--top-k"), "option --top-k needs a value");
        cases.put(args("--model m --output o"), "--input is required");
        cases.put(args(BASE, "--config", "/dev/zero"), "--config '/dev/zero': not a regular file");
        cases.put(args(BASE, "--config", fifo.toString()), "not a regular file");
        cases.put(args(BASE, "--config", dir.toString()), "not a regular file (a folder)");
        cases.put(args(BASE, "--config", large.toString()), "5242880 bytes, more than the 1048576 allowed");
        cases.put(args(BASE, "--config", latin.toString()), "not UTF-8 text");
        cases.put(args(BASE, "--config", unknown.toString()), "unknown option 'top-kk' (from --config " + unknown + "); did you mean 'top-k'?");
        cases.put(args(BASE, "--config", dir.resolve("none.conf").toString()), "no such file");
        cases.put(args(BASE, "--top-k", "5", "--batch", "2"), "ok");
        List<String> problems = new ArrayList<>();
        for (Map.Entry<List<String>, String> c : cases.entrySet()) {
            String got = outcome(c.getKey());
            String name = String.join(" ", c.getKey()).substring(0, Math.min(90, String.join(" ", c.getKey()).length()));
            if (!got.contains(c.getValue())) problems.add(name + ": expected '" + c.getValue() + "', got " + got);
            if (got.length() > 600) problems.add(name + ": a message of " + got.length() + " characters");
            if (!got.equals("ok") && !got.startsWith("visualize: ")) problems.add(name + ": the message does not name the job: " + got);
        }
        assertTrue(problems.isEmpty(), problems.size() + " of " + cases.size() + " cases went wrong:\n  " + String.join("\n  ", problems));
    }

    /** A failure to reach storage is one line with its causes, not a stack trace; a bug keeps its stack trace. */
    @Test void storageFailuresAreOneLine() {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.runJob(() -> {
                throw new java.io.UncheckedIOException("cannot list hdfs://127.0.0.1:1/x",
                        new java.io.IOException("Call From vm to 127.0.0.1:1 failed", new java.net.ConnectException("Connection refused")));
            });
        } finally {
            System.setErr(err);
        }
        String printed = buf.toString(StandardCharsets.UTF_8).strip();
        assertEquals(1, rc);
        assertEquals(1, printed.lines().count(), printed);
        assertTrue(printed.contains("hdfs://127.0.0.1:1/x") && printed.contains("Connection refused"), printed);
    }
}
