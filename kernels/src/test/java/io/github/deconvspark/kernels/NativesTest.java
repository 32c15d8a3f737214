package io.github.deconvspark.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The start-up check: natives load, and the description names the loaded ND4J version and the build's classifier. */
class NativesTest {
    @Test
    void checkNamesTheNativeBuild() throws Exception {
        String classifier = Natives.classifier();
        assertTrue(classifier.startsWith("linux-x86_64"), "classifier from the build: " + classifier);
        Properties build = new Properties();
        try (InputStream in = NativesTest.class.getResourceAsStream("/deconv-spark-kernels.properties")) {
            build.load(in);
        }
        String wanted = build.getProperty("nd4j.version"); // the pom's ${nd4j.version}, filtered at build time
        assertTrue(wanted.matches("\\d+\\.\\d+\\.\\d+.*"), "nd4j.version from the build: " + wanted);
        assertEquals(wanted, Natives.nd4jVersion(), "the loaded ND4J jar's version");
        String d = Natives.check();
        // and the oneDNN preset the convolutions run on, at the pom's version (dnnl.version 2.5.2-<javacpp>)
        String dnnl = build.getProperty("dnnl.version").replaceAll("-.*", "");
        assertTrue(d.startsWith("ND4J " + wanted + " native " + classifier + ", ") && d.endsWith(" BLAS, oneDNN " + dnnl), d);
    }
}
