package io.github.deconvspark.jobs.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.jobs.images.ImagePrep;
import io.github.deconvspark.jobs.inputs.Entry;
import io.github.deconvspark.jobs.inputs.Listing;
import io.github.deconvspark.jobs.inputs.Reject;
import io.github.deconvspark.jobs.inputs.Uris;
import io.github.deconvspark.jobs.labelled.LabelledData;
import io.github.deconvspark.jobs.visualize.VisualizeJobTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every reader of image files over the adversarial corpus ({@link FileCorpus}): the listing (every entry listed,
 * none vanishing, each checked for what it is), the visualize scan's read-and-decode, and the labelled-data reader
 * of the gradients and train jobs (the corpus as a class folder). Per case: no JVM error, no hang, bounded allocation,
 * the expected accept, conversion or reject, and a reject that names the rule and the cause.
 */
class FileCorpusTest {
    static final ImagePrep.Limits LIMITS = new ImagePrep.Limits(4_000_000, 8, 64_000_000, 20);
    /** One case may allocate this much: a 4 M pixel image decoded and converted takes about 80 MB. */
    static final long MAX_ALLOCATION = 256L << 20;
    static FileCorpus.Built corpus;

    @BeforeAll static void build() throws Exception {
        corpus = FileCorpus.build(VisualizeJobTest.TARGET.resolve("corpus/files"));
    }

    @AfterAll static void close() throws Exception {
        if (corpus != null) corpus.close();
    }

    @Test void theListingNamesEveryEntryAndTheReaderEveryOutcome() throws Exception {
        Configuration conf = new Configuration();
        Outcomes o = new Outcomes();
        List<Entry> entries = o.run("listing", 60, 256L << 20, () -> Listing.list(Uris.of(corpus.root()), LIMITS.maxFileBytes(), conf));
        assertTrue(entries != null, o.report());
        Map<String, Entry> listed = new TreeMap<>();
        for (Entry e : entries) listed.put(e.path(), e);
        // nothing vanishes, nothing unexpected appears
        TreeSet<String> missing = new TreeSet<>(corpus.expected().keySet()), extra = new TreeSet<>(listed.keySet());
        missing.removeAll(listed.keySet());
        extra.removeAll(corpus.expected().keySet());
        for (String m : missing) o.problem(m + ": expected in the listing, not listed");
        for (String x : extra) o.problem(x + ": listed, not expected (" + listed.get(x).reject() + ")");
        for (Map.Entry<String, Expect> c : corpus.expected().entrySet()) {
            Entry e = listed.get(c.getKey());
            if (e == null) continue;
            String name = Uris.display(c.getKey()).substring(Uris.display(Uris.of(corpus.root())).length());
            if (!e.ok()) {
                o.check(name, c.getValue(), e.reject().rule(), e.reject().reason());
                continue;
            }
            ImagePrep.Result r = o.run(name, 30, MAX_ALLOCATION, () -> ImagePrep.read(e.path(), 32, LIMITS, conf));
            if (r == null) continue;
            if (r.ok()) o.check(name, c.getValue(), r.note().isEmpty() ? "accept" : "convert", r.note());
            else o.check(name, c.getValue(), r.reject().rule(), r.reject().reason());
        }
        assertTrue(o.problems().isEmpty(), o.report());
        assertTrue(corpus.expected().size() > 70, "cases: " + corpus.expected().size());
    }

    /** The gradients and train jobs read class folders through the same listing and decoder: same outcomes. */
    @Test void theLabelledDataReaderRejectsTheSameEntries() throws Exception {
        Configuration conf = new Configuration();
        Path data = Files.createDirectories(corpus.root().getParent().resolve("labelled"));
        Path zero = data.resolve("0"), one = data.resolve("1");
        FileCorpus.sh("rm -rf \"$1\" \"$2\" && ln -s \"$3\" \"$1\" && mkdir \"$2\" && cp \"$4\" \"$2\"/a.png", zero.toString(),
                one.toString(), corpus.root().toString(), corpus.root().resolve("images/good-rgb.png").toString());
        Outcomes o = new Outcomes();
        LabelledData.Source src = o.run("resolve", 60, 256L << 20, () -> LabelledData.resolve(Uris.of(data), "train", 3, 0,
                new int[] {32, 32, 3}, 2, conf));
        assertTrue(src != null, o.report());
        List<String> rejects = new ArrayList<>(src.rejects());
        int read = 0;
        for (LabelledData.Shard s : src.shards()) {
            Iterator<LabelledData.Block> it = o.run("open shard", 30, 64L << 20, () -> LabelledData.read(s, 8, new int[] {32, 32, 3}, 2, conf));
            while (it != null) {
                Boolean more = o.run("block", 120, 16 * MAX_ALLOCATION, it::hasNext);
                if (more == null || !more) break;
                LabelledData.Block b = o.run("block", 120, 16 * MAX_ALLOCATION, it::next);
                if (b == null) break;
                rejects.addAll(b.rejects());
                read += b.size();
            }
        }
        Map<String, String> got = new TreeMap<>();
        for (String r : rejects) {
            String[] f = LabelledData.rejectFields(r);
            got.put(f[0].replace(Uris.of(zero), Uris.of(corpus.root())), f[1] + "\t" + f[2]);
        }
        for (Map.Entry<String, Expect> c : corpus.expected().entrySet()) {
            String r = got.remove(c.getKey());
            if (c.getValue().readable()) {
                if (r != null) o.problem(c.getKey() + ": readable, but the labelled reader rejected it: " + r);
            } else if (r == null) {
                o.problem(c.getKey() + ": expected " + c.getValue() + ", the labelled reader did not report it");
            } else {
                String[] rr = r.split("\t", 2);
                o.check(c.getKey(), c.getValue(), rr[0], rr[1]);
            }
        }
        for (String x : got.keySet()) o.problem(x + ": reported by the labelled reader, not expected: " + got.get(x));
        assertTrue(o.problems().isEmpty(), o.report());
        long readable = corpus.expected().values().stream().filter(Expect::readable).count();
        assertEquals(readable + 1, read, "examples read: the corpus's readable images and class 1's one");
    }

    /** A decoder that runs past decode-seconds is aborted: the image is a decode-timeout reject, not a stuck task. */
    @Test void aSlowDecodeIsStopped() {
        java.util.Random rnd = new java.util.Random(5);
        byte[] png = ImageCorpus.png(ImageCorpus.noise(2000, 2000, rnd));           // about 0.1 s to decode
        ImagePrep.Result slow = ImagePrep.prepare(png, 32, new ImagePrep.Limits(4_000_000, 8, 64_000_000, 0.001));
        assertEquals(Reject.DECODE_TIMEOUT, slow.reject() == null ? "accepted" : slow.reject().rule(), String.valueOf(slow.reason()));
        assertTrue(ImagePrep.prepare(png, 32, LIMITS).ok(), "with time enough it decodes");
    }

    /** Every reject a reader can give is a known rule (the gallery and manifest count them by rule). */
    @Test void everyExpectedRuleIsARule() {
        for (Expect e : corpus.expected().values()) {
            if (!e.readable()) assertTrue(Reject.RULES.contains(e.outcome()), e.toString());
        }
    }
}
