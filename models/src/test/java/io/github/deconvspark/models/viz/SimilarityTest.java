package io.github.deconvspark.models.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Similarity} against its references, run here through python3: Spearman against scipy.stats.spearmanr,
 * SSIM against skimage.metrics.structural_similarity (defaults, data_range given), the normalization against numpy
 * (percentile + clip), on random, structured and tied maps, a 7 x 7 one, -0.0 next to 0.0 and constant maps (Spearman
 * NaN as scipy's; SSIM of equal constants exactly 1). Also SSIM against a naive two-pass formula written here,
 * independently of skimage's running-mean form. Skipped (Assumptions) where no python3 has the module; the scipy
 * and the skimage of one machine may live in different interpreters (pyenv's python3, Debian's /usr/bin/python3).
 */
class SimilarityTest {
    record Case(String name, int h, int w, double[] a, double[] b, double range) {}

    static final List<Case> CASES = new ArrayList<>();

    @BeforeAll static void cases() {
        Random r = new Random(20181024);
        int h = 20, w = 23;
        double[] a = new double[h * w], b = new double[h * w];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextGaussian();
            b[i] = a[i] + 0.5 * r.nextGaussian();
        }
        CASES.add(new Case("random correlated", h, w, a, b, 8));
        double[] ta = new double[256], tb = new double[256];
        for (int i = 0; i < 256; i++) {
            ta[i] = r.nextInt(5);
            tb[i] = (ta[i] + r.nextInt(3)) % 5;
        }
        CASES.add(new Case("integer ties", 16, 16, ta, tb, 4));
        double[] ra = new double[900], rb = new double[900];
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 30; x++) {
                ra[y * 30 + x] = (x + y) / 58.0;
                rb[y * 30 + x] = ra[y * 30 + x] * ra[y * 30 + x];
            }
        }
        CASES.add(new Case("ramp vs its square (monotone, tied diagonals)", 30, 30, ra, rb, 1));
        double[] ca = new double[144], cb = new double[144];
        for (int i = 0; i < 144; i++) {
            ca[i] = ((i / 12 + i % 12) % 2);
            cb[i] = 1 - ca[i] + (i % 7 == 0 ? 0.5 : 0);
        }
        CASES.add(new Case("checkerboard vs its inverse, some cells off", 12, 12, ca, cb, 1.5));
        double[] k = new double[100], kr = new double[100];
        java.util.Arrays.fill(k, 0.5);
        for (int i = 0; i < 100; i++) kr[i] = r.nextDouble();
        CASES.add(new Case("constant vs random", 10, 10, k, kr, 1));
        CASES.add(new Case("equal constants", 10, 10, k, k.clone(), 1));
        double[] z = new double[81], zb = new double[81];
        for (int i = 0; i < 81; i++) {
            z[i] = i % 3 == 0 ? -0.0 : i % 3 == 1 ? 0.0 : r.nextInt(4) - 2;
            zb[i] = r.nextDouble();
        }
        CASES.add(new Case("-0.0 tied with 0.0", 9, 9, z, zb, 4));
        double[] s7 = new double[49], t7 = new double[49];
        for (int i = 0; i < 49; i++) {
            s7[i] = r.nextDouble();
            t7[i] = Math.sqrt(s7[i]) + 0.1 * r.nextDouble();
        }
        CASES.add(new Case("7 x 7: one window", 7, 7, s7, t7, 1.2));
        CASES.add(new Case("identical", h, w, a, a.clone(), 8));
    }

    /** The first of python3 (PATH) and /usr/bin/python3 that imports the module, or null. */
    static String python(String module) {
        for (String p : List.of("python3", "/usr/bin/python3")) {
            try {
                Process pr = new ProcessBuilder(p, "-c", "import " + module).redirectErrorStream(true).start();
                pr.getInputStream().readAllBytes();
                if (pr.waitFor(60, TimeUnit.SECONDS) && pr.exitValue() == 0) return p;
            } catch (IOException | InterruptedException e) {
                // not this one
            }
        }
        return null;
    }

    /** Runs the script over the cases' files; one output line per case. */
    static List<String> reference(String python, String script) throws Exception {
        Path dir = Files.createTempDirectory("similarity");
        for (int i = 0; i < CASES.size(); i++) {
            write(dir.resolve(i + ".a"), CASES.get(i).a());
            write(dir.resolve(i + ".b"), CASES.get(i).b());
        }
        StringBuilder meta = new StringBuilder();
        for (Case c : CASES) meta.append(c.h()).append(' ').append(c.w()).append(' ').append(Double.toString(c.range())).append('\n');
        Files.writeString(dir.resolve("cases.txt"), meta);
        Files.writeString(dir.resolve("ref.py"), script);
        Process p = new ProcessBuilder(python, dir.resolve("ref.py").toString(), dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, python + " failed:\n" + out);
        List<String> lines = out.lines().filter(l -> l.startsWith("case ")).toList();
        assertEquals(CASES.size(), lines.size(), out);
        return lines;
    }

    static void write(Path p, double[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(v);
        Files.write(p, b.array());
    }

    static final String LOAD = String.join("\n",
            "import sys, warnings, numpy as np",
            "warnings.simplefilter('ignore')",
            "d = sys.argv[1]",
            "for i, line in enumerate(open(d + '/cases.txt')):",
            "    h, w, r = line.split(); h, w, r = int(h), int(w), float(r)",
            "    a = np.fromfile(d + '/%d.a' % i, dtype='<f8').reshape(h, w)",
            "    b = np.fromfile(d + '/%d.b' % i, dtype='<f8').reshape(h, w)",
            "");

    static double parse(String s) {
        return s.equals("nan") ? Double.NaN : Double.parseDouble(s);
    }

    @Test void spearmanMatchesScipyTiesAndConstantsIncluded() throws Exception {
        String py = python("scipy.stats");
        Assumptions.assumeTrue(py != null, "SKIPPED: no python3 with scipy");
        List<String> ref = reference(py, LOAD + String.join("\n",
                "    from scipy.stats import spearmanr",
                "    print('case', i, repr(float(spearmanr(a.ravel(), b.ravel())[0])))", ""));
        for (int i = 0; i < CASES.size(); i++) {
            Case c = CASES.get(i);
            double want = parse(ref.get(i).split(" ")[2]), got = Similarity.spearman(c.a(), c.b());
            System.out.printf("spearman %-48s scipy %-22s ours %s%n", c.name(), want, got);
            if (Double.isNaN(want)) assertTrue(Double.isNaN(got), c.name() + ": scipy NaN, ours " + got);
            else assertEquals(want, got, 1e-12, c.name());
        }
        assertEquals(1.0, Similarity.spearman(CASES.get(0).a(), CASES.get(0).a()), 0.0, "equal maps: exactly 1");
        assertTrue(Double.isNaN(Similarity.spearman(new double[] {1}, new double[] {2})), "one cell: NaN");
        assertTrue(Double.isNaN(Similarity.spearman(new double[] {1, Double.NaN}, new double[] {2, 3})), "a NaN: NaN");
        assertThrows(IllegalArgumentException.class, () -> Similarity.spearman(new double[2], new double[3]));
    }

    @Test void ssimMatchesSkimageDefaults() throws Exception {
        String py = python("skimage.metrics");
        Assumptions.assumeTrue(py != null, "SKIPPED: no python3 with skimage (apt-get install python3-skimage)");
        List<String> ref = reference(py, LOAD + String.join("\n",
                "    from skimage.metrics import structural_similarity",
                "    s = structural_similarity(a, b, data_range=r)",
                "    g = np.clip((a - a.min()) / (np.percentile(a, 99) - a.min()), 0, 1)",
                "    g.astype('<f8').tofile(d + '/%d.g' % i)",
                "    print('case', i, repr(float(s)), d + '/%d.g' % i)", ""));
        for (int i = 0; i < CASES.size(); i++) {
            Case c = CASES.get(i);
            String[] f = ref.get(i).split(" ");
            double want = parse(f[2]), got = Similarity.ssim(c.a(), c.b(), c.h(), c.w(), c.range());
            System.out.printf("ssim     %-48s skimage %-22s ours %s%n", c.name(), want, got);
            assertEquals(want, got, 1e-10, c.name());
            double[] g = readF64(Path.of(f[3]));
            double[] ours = Similarity.grayscale(c.a());
            boolean constant = java.util.Arrays.stream(c.a()).distinct().count() == 1;
            for (int j = 0; j < ours.length; j++) {
                if (constant) assertEquals(0, ours[j], 0.0, c.name() + ": a constant map normalizes to zeros (numpy: 0/0 NaN)");
                else assertEquals(g[j], ours[j], 1e-15, c.name() + ": grayscale at " + j);
            }
        }
        assertEquals(1.0, Similarity.ssim(CASES.get(0).a(), CASES.get(0).a(), 20, 23, 8), 0.0, "equal maps: exactly 1");
    }

    static double[] readF64(Path p) throws IOException {
        java.nio.DoubleBuffer d = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
        double[] v = new double[d.remaining()];
        d.get(v);
        return v;
    }

    /** SSIM straight from its formula: per 7 x 7 window two-pass means and sample (co)variances, averaged over the windows. */
    static double naiveSsim(double[] a, double[] b, int h, int w, double range) {
        double c1 = Math.pow(0.01 * range, 2), c2 = Math.pow(0.03 * range, 2), sum = 0;
        int n = 0;
        for (int y0 = 0; y0 + 7 <= h; y0++) {
            for (int x0 = 0; x0 + 7 <= w; x0++) {
                double ma = 0, mb = 0;
                for (int y = y0; y < y0 + 7; y++) for (int x = x0; x < x0 + 7; x++) {
                    ma += a[y * w + x] / 49;
                    mb += b[y * w + x] / 49;
                }
                double va = 0, vb = 0, cov = 0;
                for (int y = y0; y < y0 + 7; y++) for (int x = x0; x < x0 + 7; x++) {
                    double da = a[y * w + x] - ma, db = b[y * w + x] - mb;
                    va += da * da / 48;
                    vb += db * db / 48;
                    cov += da * db / 48;
                }
                sum += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
                n++;
            }
        }
        return sum / n;
    }

    @Test void ssimMatchesItsFormulaAndRefusesWhatSkimageRefuses() {
        for (Case c : CASES) {
            assertEquals(naiveSsim(c.a(), c.b(), c.h(), c.w(), c.range()), Similarity.ssim(c.a(), c.b(), c.h(), c.w(), c.range()), 1e-10, c.name());
        }
        double a = 0.5, b = 0.25, c1 = 1e-4;
        double[] ka = new double[64], kb = new double[64];
        java.util.Arrays.fill(ka, a);
        java.util.Arrays.fill(kb, b);
        assertEquals((2 * a * b + c1) / (a * a + b * b + c1), Similarity.ssim(ka, kb, 8, 8, 1), 1e-15, "two constants");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Similarity.ssim(new double[36], new double[36], 6, 6, 1));
        assertTrue(e.getMessage().contains("6 x 6") && e.getMessage().contains("window"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Similarity.ssim(new double[49], new double[49], 7, 7, 0));
        assertThrows(IllegalArgumentException.class, () -> Similarity.ssim(new double[49], new double[48], 7, 7, 1));
    }

    @Test void ranksAverageTiesAndPercentileInterpolates() {
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {2.5, 1, 2.5, 4}, Similarity.ranks(new double[] {3, 1, 3, 7}));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {1.5, 1.5, 3}, Similarity.ranks(new double[] {-0.0, 0.0, 1}));
        assertEquals(2.5, Similarity.percentile(new double[] {4, 1, 2, 3}, 50), 0);
        assertEquals(4, Similarity.percentile(new double[] {4, 1, 2, 3}, 100), 0);
    }
}
