package io.github.deconvspark.jobs.images;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Four-channel JPEGs (Adobe inverted CMYK, Adobe YCCK, plain CMYK) decode to TensorFlow's decode_jpeg RGB, written by
 * the oracle module (ImageReferenceGenerator: the JPEGs and TF's output). The decoders differ in their IDCT (Java's
 * libjpeg 6b, TF's libjpeg-turbo), so values agree to a few levels, not exactly; Java's own conversion of these files
 * is off by about 60 levels on every channel.
 */
class JpegCmykTest {
    static final Path REF = Path.of(System.getProperty("deconv.tfref.images", "../oracle/target/tf-reference/images"));

    @Test void fourChannelJpegsDecodeAsTensorFlowDecodesThem() throws Exception {
        assertTrue(Files.isDirectory(REF), REF + " is missing: generate it with `mvn -q -pl oracle -am test`");
        for (String name : new String[] {"cmyk-adobe", "ycck-adobe", "cmyk-plain"}) {
            byte[] jpg = Files.readAllBytes(REF.resolve(name + ".jpg")), tf = Files.readAllBytes(REF.resolve(name + ".rgb"));
            String[] hw = Files.readString(REF.resolve(name + ".txt")).trim().split(" ");
            int h = Integer.parseInt(hw[0]), w = Integer.parseInt(hw[1]);
            ImagePrep.Result r = ImagePrep.prepare(jpg, w, ImagePrep.Limits.DEFAULT);   // square: no resizing
            assertTrue(r.ok() && h == w, name + ": " + r.reason());
            assertTrue(r.note().contains(name.startsWith("ycck") ? "YCCK to RGB" : "CMYK to RGB"), name + ": " + r.note());
            double sum = 0;
            int max = 0;
            for (int i = 0; i < h * w * 3; i++) {
                int ours = Math.round(r.pixels()[i] * 255), theirs = tf[i] & 0xff;
                sum += Math.abs(ours - theirs);
                max = Math.max(max, Math.abs(ours - theirs));
            }
            double mean = sum / (h * w * 3);
            System.err.printf("%s: mean |ours - TF| %.2f levels, max %d%n", name, mean, max);
            assertTrue(mean < 1.5 && max <= 12, name + ": mean |ours - TF| " + mean + " levels, max " + max);
        }
    }
}
