package io.github.deconvspark.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The start-up check: natives load, and the description names the build's classifier. */
class NativesTest {
    @Test
    void checkNamesTheNativeBuild() {
        String classifier = Natives.classifier();
        assertTrue(classifier.startsWith("linux-x86_64"), "classifier from the build: " + classifier);
        String d = Natives.check();
        assertTrue(d.contains(classifier) && d.contains("BLAS"), d);
    }
}
