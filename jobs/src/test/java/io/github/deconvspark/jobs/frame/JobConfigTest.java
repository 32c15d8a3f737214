package io.github.deconvspark.jobs.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration: sources and their order, spark.* keys, and the messages for every mistake. */
class JobConfigTest {
    static final List<JobConfig.Key> KEYS = List.of(new JobConfig.Key("input", null, "images"),
            JobConfig.Key.integer("top-k", 9, 1, 100, "k"), JobConfig.Key.choice("method", "deconvnet", List.of("deconvnet", "guided"), "method"),
            new JobConfig.Key("layers", "", "layers"));

    @Test void laterSourcesWin(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("my.conf");
        Files.writeString(f, "# mine\ntop-k = 4\nmethod = guided\nspark.executor.memory = 2g\n");
        JobConfig c = JobConfig.parse("test", KEYS, new String[] {"--input", "x", "--config", f.toString(), "--top-k=5", "layers=a, b"});
        assertEquals(5, c.getInt("top-k"));
        assertEquals("guided", c.get("method"));
        assertEquals(List.of("a", "b"), c.list("layers"));
        assertEquals(Map.of("spark.executor.memory", "2g"), c.spark());
        assertEquals("command line", c.sources().get("top-k"));
        assertEquals("--config " + f, c.sources().get("method"));
    }

    @Test void theJobDefaultsComeFromConf() {
        // conf/visualize.conf is on the test classpath (jobs/pom.xml's resources)
        JobConfig c = JobConfig.parse("visualize", io.github.deconvspark.jobs.visualize.Visualize.KEYS,
                new String[] {"--input", "i", "--model", "m", "--output", "o"});
        assertEquals("defaults visualize.conf", c.sources().get("layers"));
        assertTrue(c.get("layers").contains("conv2d_1/Relu"), c.get("layers"));
    }

    @Test void mistakesAreNamed() {
        var e = assertThrows(JobConfig.ConfigException.class, () -> JobConfig.parse("test", KEYS, new String[] {"--input", "x", "--top_k", "3"}));
        assertTrue(e.getMessage().startsWith("test: unknown option 'top_k' (from command line); did you mean 'top-k'?"), e.getMessage());
        assertTrue(e.getMessage().contains("Legal options: input, top-k, method, layers"), e.getMessage());
        e = assertThrows(JobConfig.ConfigException.class, () -> JobConfig.parse("test", KEYS, new String[0]));
        assertEquals("test: --input is required (images)", e.getMessage());
        e = assertThrows(JobConfig.ConfigException.class, () -> JobConfig.parse("test", KEYS, new String[] {"--input"}));
        assertEquals("test: option --input needs a value", e.getMessage());
        e = assertThrows(JobConfig.ConfigException.class, () -> JobConfig.parse("test", KEYS, new String[] {"--input", "x", "stray"}));
        assertTrue(e.getMessage().startsWith("test: unexpected argument 'stray'"), e.getMessage());
        // typed keys are checked when the configuration is parsed, before anything runs
        e = assertThrows(JobConfig.ConfigException.class, () -> JobConfig.parse("test", KEYS, new String[] {"--input", "x", "--top-k", "zero"}));
        assertEquals("test: --top-k must be an integer in [1, 100], got 'zero'", e.getMessage());
        List<JobConfig.Key> guidedOnly = List.of(new JobConfig.Key("input", null, "images"),
                JobConfig.Key.choice("method", "deconvnet", List.of("guided"), "method"));
        e = assertThrows(JobConfig.ConfigException.class, () -> JobConfig.parse("test", guidedOnly, new String[] {"--input", "x"}));
        assertEquals("test: --method must be one of [guided], got 'deconvnet'", e.getMessage());
        e = assertThrows(JobConfig.ConfigException.class,
                () -> JobConfig.parse("test", KEYS, new String[] {"--input", "x", "--config", "/no/such.conf"}));
        assertEquals("test: --config '/no/such.conf': no such file", e.getMessage());
    }
}
