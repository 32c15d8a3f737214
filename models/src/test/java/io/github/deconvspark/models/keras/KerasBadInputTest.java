package io.github.deconvspark.models.keras;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.models.load.Models;
import io.github.deconvspark.models.onnx.OnnxFixtures;
import io.github.deconvspark.models.tfjs.TfjsGearTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Hostile or broken Keras files, made from nsfwjs's real mobilenet_v2 (model.json and shard; its .keras and .h5 from
 * keras-files.sh) with one thing changed each: every one is refused with an error that names the file and what is
 * wrong (the layer, class or field, the path or entry), never a crash or a graph that silently differs.
 */
class KerasBadInputTest {
    static Path modelJson;
    static String json;
    static Path keras;
    static Path h5;
    @TempDir Path dir;

    @BeforeAll static void fixtures() throws Exception {
        modelJson = Path.of(OnnxFixtures.npmModel("nsfwjs-mobilenet_v2"));
        json = Files.readString(modelJson);
        String out = TfjsGearTest.run(List.of("bash",
                TfjsGearTest.MODELS.resolve("scripts/keras-files.sh").toString()), Map.of());
        for (String line : out.split("\n")) {
            if (line.startsWith("mobilenet_v2.keras ")) keras = Path.of(line.substring(19).trim());
            if (line.startsWith("mobilenet_v2.h5 ")) h5 = Path.of(line.substring(16).trim());
        }
        assertTrue(keras != null && h5 != null, out);
    }

    /** The model.json with {@code from} replaced (once, it must occur) by {@code to}, beside a copy of its shard. */
    private Path mutated(String from, String to) throws IOException {
        assertTrue(json.contains(from), "the fixture holds " + from);
        Path d = Files.createDirectories(dir.resolve("m" + System.nanoTime()));
        Files.copy(modelJson.resolveSibling("group1-shard1of1.bin"), d.resolve("group1-shard1of1.bin"));
        return Files.writeString(d.resolve("model.json"), json.replaceFirst(java.util.regex.Pattern.quote(from),
                java.util.regex.Matcher.quoteReplacement(to)));
    }

    private static void refused(Path file, String... words) {
        Exception e = assertThrows(Exception.class, () -> Models.load(file, 1, DataType.FLOAT).close());
        String m = String.valueOf(e.getMessage());
        System.out.println("refused: " + m);
        assertTrue(e instanceof IllegalArgumentException || e instanceof IOException, "a clear error, not " + e);
        assertTrue(m.contains(file.toString()) || m.contains(file.getFileName().toString()), "names the file: " + m);
        for (String w : words) assertTrue(m.contains(w), "names '" + w + "': " + m);
    }

    @Test void unsupportedLayerClass() throws Exception {
        refused(mutated("\"class_name\":\"Conv2D\"", "\"class_name\":\"LocallyConnected2D\""), "Conv1", "LocallyConnected2D",
                "not supported");
    }

    @Test void unknownConfigField() throws Exception {
        refused(mutated("\"filters\":32,", "\"filters\":32,\"spectral_norm\":true,"), "Conv1", "spectral_norm");
    }

    @Test void unsupportedValue() throws Exception {
        refused(mutated("\"data_format\":\"channels_last\",\"dilation_rate\"", "\"data_format\":\"channels_first\",\"dilation_rate\""),
                "Conv1", "channels_first");
    }

    @Test void unknownInboundLayer() throws Exception {
        refused(mutated("[[[\"input_1\",0,0,{}]]]", "[[[\"nowhere\",0,0,{}]]]"), "Conv1_pad", "nowhere");
    }

    @Test void cycle() throws Exception {
        // Conv1_pad takes Conv1's output, Conv1 takes Conv1_pad's: no layer order exists
        refused(mutated("[[[\"input_1\",0,0,{}]]]", "[[[\"Conv1\",0,0,{}]]]"), "cycle");
    }

    @Test void inputNotAnImage() throws Exception {
        refused(mutated("[null,224,224,3]", "[null,150528]"), "input_1", "4-D");
    }

    @Test void misshapenWeight() throws Exception {
        refused(mutated("\"shape\":[3,3,3,32]", "\"shape\":[3,3,32,3]"), "Conv1/kernel");
    }

    @Test void shardOutsideTheFolder() throws Exception {
        Path outside = Files.write(dir.resolve("x.bin"), new byte[16]);
        refused(mutated("\"group1-shard1of1.bin\"", "\"../x.bin\""), "../x.bin");
        assertTrue(Files.exists(outside));
        refused(mutated("\"group1-shard1of1.bin\"", "\"" + outside.toAbsolutePath() + "\""), outside.toAbsolutePath().toString());
    }

    @Test void truncatedShard() throws Exception {
        Path m = mutated("\"modelTopology\"", "\"modelTopology\"");
        Path shard = m.resolveSibling("group1-shard1of1.bin");
        byte[] b = Files.readAllBytes(shard);
        Files.write(shard, Arrays.copyOf(b, b.length - 100));
        refused(m, "group1-shard1of1.bin");
    }

    /** The .keras zip with its entries rewritten: {@code change} maps an entry name to new bytes (null drops it). */
    private Path rezipped(Map<String, byte[]> change, Map<String, byte[]> extra) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(keras)); ZipOutputStream out = new ZipOutputStream(bo)) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                byte[] b = in.readAllBytes();
                if (change.containsKey(e.getName())) b = change.get(e.getName());
                if (b == null) continue;
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(b);
            }
            for (Map.Entry<String, byte[]> x : extra.entrySet()) {
                out.putNextEntry(new ZipEntry(x.getKey()));
                out.write(x.getValue());
            }
        }
        return Files.write(dir.resolve("bad" + System.nanoTime() + ".keras"), bo.toByteArray());
    }

    @Test void kerasZipWithoutConfig() throws Exception {
        Map<String, byte[]> drop = new LinkedHashMap<>();
        drop.put("config.json", null);
        refused(rezipped(drop, Map.of()), "config.json");
    }

    @Test void kerasZipEntryLeavingTheFile() throws Exception {
        refused(rezipped(Map.of(), Map.of("../../evil.json", "{}".getBytes(StandardCharsets.UTF_8))), "../../evil.json");
    }

    @Test void kerasZipBomb() throws Exception {
        // a config.json of 200 MiB of spaces: about 200 KB compressed; refused while it inflates, not after
        byte[] huge = new byte[200 << 20];
        Arrays.fill(huge, (byte) ' ');
        refused(rezipped(Map.of("config.json", huge), Map.of()), "config.json");
    }

    @Test void kerasConfigNotJson() throws Exception {
        refused(rezipped(Map.of("config.json", "{\"class_name\": \"Functional\", ".getBytes(StandardCharsets.UTF_8)), Map.of()),
                "config.json");
    }

    @Test void truncatedH5() throws Exception {
        byte[] b = Files.readAllBytes(h5);
        refused(Files.write(dir.resolve("truncated.h5"), Arrays.copyOf(b, b.length / 2)));
    }

    @Test void h5SignatureOnly() throws Exception {
        // a file that looks like HDF5 by its signature only
        byte[] sig = Arrays.copyOf(new byte[] {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'}, 64);
        refused(Files.write(dir.resolve("signature.h5"), sig));
    }
}
