package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.images.ImagePrep;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.Partitioner;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.Tuple2;

/**
 * The scan, one batch at a time: each file read and prepared within the limits ({@link ImagePrep#read}: a bad one
 * is a reject with its rule), the readable ones run through the model together, each unit's strongest value and
 * position kept. The same code for the Spark job (rows of activations.parquet) and the in-process loop
 * ({@link VisualizeLoop}), so they cannot drift.
 */
final class Scan {
    private Scan() {}

    /** One scanned file: its preparation (accepted or rejected), and, when accepted, its units' values and positions. */
    record Scanned(String uri, ImagePrep.Result image, float[] values, int[] positions) {}

    /** Reads, prepares and scans one batch of files (URIs), in their order. */
    static List<Scanned> batch(List<String> uris, Visualizer.Plan plan, Visualizer scanner, ImagePrep.Limits limits, Configuration conf) {
        List<ImagePrep.Result> prepared = new ArrayList<>();
        List<float[]> ok = new ArrayList<>();
        for (String u : uris) {
            ImagePrep.Result r = ImagePrep.read(u, plan.size(), limits, conf);
            prepared.add(r);
            if (r.ok()) ok.add(r.pixels());
        }
        Visualizer.Scan scan = ok.isEmpty() ? null : scanner.scan(ok);
        List<Scanned> out = new ArrayList<>();
        for (int i = 0, j = 0; i < uris.size(); i++) {
            ImagePrep.Result r = prepared.get(i);
            out.add(r.ok() ? new Scanned(uris.get(i), r, scan.values()[j], scan.positions()[j++]) : new Scanned(uris.get(i), r, null, null));
        }
        return out;
    }

    /** One Visualizer per (thread, model, batch): executors reuse the loaded model across tasks. */
    private static final ThreadLocal<Map<String, Visualizer>> VISUALIZERS = ThreadLocal.withInitial(HashMap::new);

    static Visualizer visualizer(Visualizer.Plan plan, String model, int batch, Configuration conf) {
        return VISUALIZERS.get().computeIfAbsent(plan.modelSha256() + "/" + model + "/" + batch + "/" + plan.hashCode(), key -> {
            io.github.deconvspark.kernels.Natives.check();
            Path local = Storage.localModel(model, conf);
            return new Visualizer(plan, local, batch);
        });
    }

    /** Reads, prepares and scans one batch of listing rows (path, length, modificationTime): rows of activations.parquet. */
    static List<Row> rows(List<Row> files, Visualizer.Plan plan, String model, ImagePrep.Limits limits, int batch, Configuration conf) {
        List<String> uris = new ArrayList<>();
        for (Row f : files) uris.add(f.getString(0));
        List<Scanned> scanned = batch(uris, plan, visualizer(plan, model, batch, conf), limits, conf);
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Row f = files.get(i);
            Scanned s = scanned.get(i);
            ImagePrep.Result r = s.image();
            out.add(RowFactory.create(f.getString(0), f.getLong(1), (Timestamp) f.get(2), r.ok(), r.ok() ? null : r.reject().rule(),
                    r.ok() ? null : r.reject().reason(), r.note() == null || r.note().isEmpty() ? null : r.note(), r.width(), r.height(),
                    r.ok() ? Tables.boxed(s.values()) : null, r.ok() ? Tables.boxed(s.positions()) : null));
        }
        return out;
    }

    /** Batch b (= index / batch) goes to partition b * parts / batches: contiguous runs of whole batches. */
    static final class BatchPartitioner extends Partitioner {
        private final int parts;
        private final long batches;
        private final int batch;

        BatchPartitioner(int parts, long n, int batch) {
            this.parts = parts;
            this.batch = batch;
            this.batches = Math.max(1, (n + batch - 1) / batch);
        }

        @Override public int numPartitions() { return parts; }

        @Override public int getPartition(Object key) {
            long b = (Long) key / batch;
            return (int) Math.min(parts - 1, b * parts / batches);
        }

        @Override public boolean equals(Object o) {
            return o instanceof BatchPartitioner p && p.parts == parts && p.batches == batches && p.batch == batch;
        }

        @Override public int hashCode() { return parts * 31 + batch; }
    }

    /** Scan rows, one batch at a time (memory bounded by one batch of images). */
    static final class Rows implements Iterator<Row> {
        private final Iterator<Tuple2<Long, Row>> in;
        private final Visualizer.Plan plan;
        private final String model;
        private final ImagePrep.Limits limits;
        private final int batch;
        private final Configuration conf;
        private final List<Row> ready = new ArrayList<>();
        private Tuple2<Long, Row> pending;
        private int next;

        Rows(Iterator<Tuple2<Long, Row>> in, Visualizer.Plan plan, String model, ImagePrep.Limits limits, int batch, Configuration conf) {
            this.in = in;
            this.plan = plan;
            this.model = model;
            this.limits = limits;
            this.batch = batch;
            this.conf = conf;
        }

        @Override public boolean hasNext() {
            if (next < ready.size()) return true;
            ready.clear();
            next = 0;
            if (pending == null && in.hasNext()) pending = in.next();
            if (pending == null) return false;
            long b = pending._1() / batch;
            List<Row> files = new ArrayList<>();
            while (pending != null && pending._1() / batch == b) {
                files.add(pending._2());
                pending = in.hasNext() ? in.next() : null;
            }
            ready.addAll(rows(files, plan, model, limits, batch, conf));
            return !ready.isEmpty();
        }

        @Override public Row next() {
            if (!hasNext()) throw new NoSuchElementException();
            return ready.get(next++);
        }
    }
}
