package io.github.deconvspark.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** kernels-demo prints what the tutorial (../shared/seed) prints, in its format. */
class KernelsDemoTest {
    private static String demo() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        KernelsDemo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static void contains(String out, String expected) {
        assertTrue(out.contains(expected), () -> "missing:\n" + expected + "\n--- in output:\n" + out);
    }

    @Test
    void printsTheTutorialsDeconvolutionValues() {
        String out = demo();
        contains(out, "(1, 2, 2, 1)\n(1, 2, 2, 1)\n");
        String conv = "[[[[-2.]\n   [-2.]]\n\n  [[-2.]\n   [-2.]]]]";
        contains(out, "conv:\n " + conv);
        contains(out, "cons:\n " + conv);
        String back = "[[[[-2.]\n   [ 0.]\n   [-2.]\n   [ 0.]]\n\n"
                + "  [[ 2.]\n   [ 4.]\n   [ 2.]\n   [ 4.]]\n\n"
                + "  [[-2.]\n   [ 0.]\n   [-2.]\n   [ 0.]]\n\n"
                + "  [[ 2.]\n   [ 4.]\n   [ 2.]\n   [ 4.]]]]";
        contains(out, "contv:\n " + back);
        contains(out, "conts:\n " + back);
    }

    @Test
    void printsMaxPoolArgmaxAndUnpool() {
        String out = demo();
        String pooled = "[[[[1. 5.]\n   [1. 5.]]\n\n  [[3. 7.]\n   [3. 7.]]]]";
        contains(out, "max_pool:\n " + pooled);
        // TF's index (y*W + x)*C + c of the first maximum of each window.
        contains(out, "max_pool_with_argmax:\n " + pooled + " [[[[ 8  9]\n   [12 13]]\n\n  [[24 25]\n   [28 29]]]]");
        contains(out, "un_max_pool [[[[0. 0.]\n   [0. 0.]\n   [0. 0.]\n   [0. 0.]]\n\n  [[1. 5.]\n   [0. 0.]\n   [1. 5.]\n   [0. 0.]]");
    }

    @Test
    void printsTheTutorialsGradients() {
        String out = demo();
        contains(out, "[[ 9. 10.]]\n");
        contains(out, "[array([1., 2.], dtype=float32), array([1., 2.], dtype=float32), array([4., 6.], dtype=float32), "
                + "array([3., 4.], dtype=float32)]\n");
        contains(out, "[None, 6.0]\n");
        contains(out, "[1.0, 1.0]\n");
    }
}
