package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.JobConfig;
import io.github.deconvspark.jobs.Sparks;
import io.github.deconvspark.jobs.Storage;
import io.github.deconvspark.jobs.inputs.Entry;
import io.github.deconvspark.jobs.inputs.Listing;
import io.github.deconvspark.jobs.inputs.Reading;
import io.github.deconvspark.jobs.inputs.Uris;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * The visualize job: images from any Hadoop file system URI through a TF.js CNN, the data set's top-k
 * activations of chosen feature maps (or class scores) projected back to pixels, written as PNGs,
 * Parquet tables, an HTML gallery and a manifest, committed atomically.
 *
 * <ol>
 *   <li>List the input (paths, sizes, times; no bytes on the driver). Images unchanged since the
 *       previous output (same path, size, time, model and settings) reuse its activations.</li>
 *   <li>Scan: the other images, sorted by path, in fixed batches of {@code batch} consecutive images
 *       (so results do not depend on the partitioning); executors read, decode, resize and run them,
 *       keeping each unit's strongest value; bad files become reject rows. Written as activations.parquet.</li>
 *   <li>Top-k per unit over all images: a mergeable aggregate, combined with treeReduce.</li>
 *   <li>Project: executors re-read the selected images and project each selection (batch 1),
 *       writing PNGs; rows with the raw values go to projections.parquet.</li>
 *   <li>Gallery, manifest, commit.</li>
 * </ol>
 */
public final class Visualize {
    private Visualize() {}

    public static final List<JobConfig.Key> KEYS = List.of(
            new JobConfig.Key("input", null, "images: a file, a folder (read recursively) or a glob, on any Hadoop file system URI"),
            new JobConfig.Key("model", null, "TF.js graph model.json (its weight shards beside it), local path or URI"),
            new JobConfig.Key("output", null, "output folder (replaced atomically when the run completes)"),
            new JobConfig.Key("method", "deconvnet", "deconvnet | guided | saliency | gradcam"),
            new JobConfig.Key("layers", "", "layers to project (deconvnet, guided) or to map (gradcam), comma-separated node names or suffixes"),
            new JobConfig.Key("channels", "0-7", "feature maps per layer: all, a-b, or a,b,c"),
            new JobConfig.Key("head", "", "saliency / gradcam: the pre-softmax class-score layer"),
            new JobConfig.Key("classes", "all", "saliency / gradcam: classes of the head: all, a-b, or a,b,c"),
            new JobConfig.Key("top-k", "9", "the k strongest activations per feature map (per class) over the data set"),
            new JobConfig.Key("batch", "8", "images per forward pass in the scan"),
            new JobConfig.Key("partitions", "0", "scan partitions (0: 4 per core of the default parallelism)"),
            new JobConfig.Key("max-image-pixels", "40000000", "larger images are rejected before decoding"),
            new JobConfig.Key("min-image-side", "8", "images with a smaller side are rejected"),
            new JobConfig.Key("max-file-bytes", Long.toString(ImagePrep.Limits.DEFAULT_MAX_FILE_BYTES),
                    "larger files are rejected before reading (the size from the file system)"),
            new JobConfig.Key("decode-seconds", "60", "an image whose decoding takes longer is stopped and rejected"),
            new JobConfig.Key("reuse", "true", "reuse the previous output's activations of unchanged images"),
            new JobConfig.Key("master", "", "Spark master URL (default: the one spark-submit gives, else local[*])"),
            new JobConfig.Key("title", "deconv-spark", "gallery title"));

    static final StructType LISTING = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("length", DataTypes.LongType, false)
            .add("modificationTime", DataTypes.TimestampType, false);

    static final StructType ACTIVATIONS = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("length", DataTypes.LongType, false)
            .add("modificationTime", DataTypes.TimestampType, false)
            .add("ok", DataTypes.BooleanType, false)
            .add("rule", DataTypes.StringType, true)
            .add("reason", DataTypes.StringType, true)
            .add("note", DataTypes.StringType, true)
            .add("width", DataTypes.IntegerType, false)
            .add("height", DataTypes.IntegerType, false)
            .add("values", DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add("positions", DataTypes.createArrayType(DataTypes.IntegerType, false), true);

    static final StructType PROJECTIONS = new StructType()
            .add("unit", DataTypes.IntegerType, false)
            .add("layer", DataTypes.StringType, false)
            .add("node", DataTypes.StringType, false)
            .add("channel", DataTypes.IntegerType, false)
            .add("rank", DataTypes.IntegerType, false)
            .add("image", DataTypes.StringType, false)
            .add("activation", DataTypes.FloatType, false)
            .add("y", DataTypes.IntegerType, false)
            .add("x", DataTypes.IntegerType, false)
            .add("box", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("method", DataTypes.StringType, false)
            .add("projection_file", DataTypes.StringType, false)
            .add("patch_file", DataTypes.StringType, false)
            .add("shape", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("values", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    /** What a run did. */
    public record Summary(String output, long files, long images, long rejects, long reused, long scanned, long projections,
                          double seconds) {
        public double imagesPerSecond() { return seconds > 0 ? (images + rejects) / seconds : 0; }

        public String gallery() { return output + "/index.html"; }
    }

    /** Typed, validated settings. */
    record Settings(String input, String model, String output, String method, List<String> layers, String channels, String head,
                    String classes, int topK, int batch, int partitions, ImagePrep.Limits limits, boolean reuse, String title) {
        static Settings of(JobConfig c, Configuration conf) {
            String method = c.choice("method", List.of("deconvnet", "guided", "saliency", "gradcam"));
            String input = Uris.fromUser(c.get("input")), output = Storage.qualify(c.get("output"), conf);
            Storage.requireApart(input, output, "visualize");
            return new Settings(input, Uris.fromUser(c.get("model")), output, method, c.list("layers"), c.get("channels"), c.get("head"),
                    c.get("classes"), c.getInt("top-k", 1, 10_000), c.getInt("batch", 1, 1024), c.getInt("partitions", 0, 1_000_000),
                    new ImagePrep.Limits(c.getLong("max-image-pixels", 1, Long.MAX_VALUE), c.getInt("min-image-side", 1, 1 << 20),
                            c.getLong("max-file-bytes", 1, Reading.MAX_BYTES), c.getDouble("decode-seconds", 0.001, 86_400)),
                    c.getBool("reuse"), c.get("title"));
        }
    }

    /** bin/deconv-spark visualize ...: returns the exit code. */
    public static int main(String[] args) {
        if (JobConfig.wantsHelp(args)) {
            System.out.print(JobConfig.help("visualize", KEYS));
            return 0;
        }
        JobConfig cfg = JobConfig.parse("visualize", KEYS, args);
        SparkSession spark = Sparks.session("deconv-spark visualize", cfg.get("master"), cfg.spark());
        try {
            Summary s = run(spark, cfg);
            System.out.printf("visualize: %d images, %d projections, %d rejects (%d reused, %d scanned) in %.1f s, %.1f images/s%n",
                    s.images(), s.projections(), s.rejects(), s.reused(), s.scanned(), s.seconds(), s.imagesPerSecond());
            System.out.println("gallery: " + s.gallery());
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** Runs the job on a given session (tests, benchmarks). */
    public static Summary run(SparkSession spark, JobConfig cfg) {
        long t0 = System.nanoTime();
        started = t0;
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Settings st = Settings.of(cfg, conf);
        try {
            return run(spark, cfg, st, conf, t0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Summary run(SparkSession spark, JobConfig cfg, Settings st, Configuration conf, long t0) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Visualizer.Plan plan;
        try (TfjsModel m = TfjsModel.load(Storage.localModel(st.model(), conf))) {
            plan = Visualizer.plan(m, st.method(), st.layers(), st.channels(), st.head(), st.classes(), st.batch());
        } catch (IOException | UncheckedIOException e) {
            throw new JobConfig.ConfigException("visualize: --model " + Uris.display(st.model()) + ": " + e.getMessage());
        }
        Storage.requireOwnOutput(st.output(), "visualize", conf);
        String runId = Storage.newRunId();
        Storage.cleanStale(st.output(), runId, conf);
        String staging = Storage.staging(st.output(), runId);
        String scanKey = scanKey(plan, st);
        progress("planned " + plan.units().size() + " units (" + plan.method() + "), model " + plan.modelSha256().substring(0, 12)
                + ", staging " + staging);

        // 1. list: every entry, each checked for what it is; those not to be read become reject rows here
        List<Row> listed = new ArrayList<>();
        List<Row> unread = new ArrayList<>();
        List<Entry> entries;
        try {
            entries = Listing.list(st.input(), st.limits().maxFileBytes(), conf);
        } catch (IOException e) {
            throw new JobConfig.ConfigException("visualize: --input " + Uris.display(st.input()) + ": "
                    + io.github.deconvspark.jobs.inputs.Reject.causes(e));
        }
        for (Entry f : entries) {
            if (f.ok()) listed.add(RowFactory.create(f.path(), f.length(), new Timestamp(f.modificationTime())));
            else unread.add(RowFactory.create(f.path(), f.length(), new Timestamp(f.modificationTime()), false, f.reject().rule(),
                    f.reject().reason(), null, 0, 0, null, null));
        }
        long files = entries.size();
        if (files == 0) throw new JobConfig.ConfigException("visualize: no files under --input " + Uris.display(st.input()));
        Dataset<Row> reused = null;
        java.util.Set<String> priorKeys = java.util.Set.of();
        String prior = st.output() + "/activations.parquet";
        if (st.reuse() && Storage.exists(prior, conf) && Storage.exists(st.output() + "/_scan_key", conf)
                && Storage.readString(st.output() + "/_scan_key", conf).equals(scanKey)) {
            // The prior rows of files still there, unchanged, are copied into the new table (before the
            // commit replaces the output they live in); only names and times come to the driver.
            Dataset<Row> old = spark.read().schema(ACTIVATIONS).parquet(prior);
            priorKeys = new java.util.HashSet<>();
            for (Row r : old.select("path", "length", "modificationTime").collectAsList()) priorKeys.add(key(r));
            int listParts = (int) Math.max(1, Math.min(files / 10_000 + 1, 1000));
            Dataset<Row> listing = spark.createDataFrame(jsc.parallelize(listed, listParts), LISTING);
            reused = old.join(listing, scala.jdk.javaapi.CollectionConverters.asScala(List.of("path", "length", "modificationTime"))
                    .toSeq(), "left_semi");
        }
        // Files to scan, indexed in path order: batch b holds indices [b * batch, (b + 1) * batch).
        List<Tuple2<Long, Row>> todo = new ArrayList<>();
        for (Row r : listed) if (!priorKeys.contains(key(r))) todo.add(new Tuple2<>((long) todo.size(), r));
        long n = todo.size();
        long nReused = listed.size() - n;
        progress(files + " entries: " + unread.size() + " not readable (listed as rejects), " + nReused
                + " reused from the previous output, " + n + " to scan");

        // 2. scan (after a check that the executors can load ND4J's natives: fail early, and say why)
        progress("executors: " + io.github.deconvspark.jobs.Executors.checkNatives(jsc));
        Broadcast<SerializableConfiguration> hconf = jsc.broadcast(new SerializableConfiguration(conf));
        Broadcast<Visualizer.Plan> bplan = jsc.broadcast(plan);
        String model = st.model();
        ImagePrep.Limits limits = st.limits();
        int batch = st.batch();
        int parts = st.partitions() > 0 ? st.partitions() : Math.max(1, jsc.defaultParallelism() * 4);
        long batches = (n + batch - 1) / batch;
        int scanParts = (int) Math.max(1, Math.min(parts, batches));
        Dataset<Row> scanned = spark.createDataFrame(jsc.emptyRDD(), ACTIVATIONS);
        if (n > 0) {
            JavaRDD<Row> rows = jsc.parallelizePairs(todo, scanParts)
                    .repartitionAndSortWithinPartitions(new BatchPartitioner(scanParts, n, batch))
                    .mapPartitions(it -> new ScanIterator(it, bplan.value(), model, limits, batch, hconf.value().value()));
            scanned = spark.createDataFrame(rows, ACTIVATIONS);
        }
        todo = null;
        Dataset<Row> all = reused == null ? scanned : scanned.unionByName(reused);
        if (!unread.isEmpty()) all = all.unionByName(spark.createDataFrame(unread, ACTIVATIONS));
        all.write().parquet(staging + "/activations.parquet");
        Dataset<Row> act = spark.read().schema(ACTIVATIONS).parquet(staging + "/activations.parquet");
        long images = act.filter("ok").count();
        long rejects = files - images;
        act.filter("NOT ok").select("path", "length", "modificationTime", "rule", "reason").orderBy("path").coalesce(1)
                .write().parquet(staging + "/rejects.parquet");
        Map<String, Long> byRule = new TreeMap<>();
        for (Row r : spark.read().parquet(staging + "/rejects.parquet").groupBy("rule").count().collectAsList()) {
            byRule.put(r.getString(0), r.getLong(1));
        }
        progress("scanned: " + images + " images, " + rejects + " rejects" + (byRule.isEmpty() ? "" : " " + byRule));
        if (images == 0) {
            // nothing to show: the previous output (if any) stays; say why, with the first rejects
            StringBuilder why = new StringBuilder();
            for (Row r : spark.read().parquet(staging + "/rejects.parquet").orderBy("path").limit(10).collectAsList()) {
                why.append("\n  ").append(Uris.display(r.getString(0))).append(": ").append(r.getString(3)).append(": ").append(r.getString(4));
            }
            Storage.delete(staging, conf);
            throw new NoImagesException("visualize: none of the " + files + " entries under --input " + Uris.display(st.input())
                    + " could be read as an image (rejects by rule: " + byRule + "); nothing was written"
                    + (Storage.exists(st.output(), conf) ? " and the previous output " + st.output() + " is kept" : "")
                    + ". The first rejects:" + why);
        }

        // 3. top-k
        int k = st.topK(), units = plan.units().size();
        TopK top = images == 0 ? new TopK(units, k) : act.filter("ok").select("path", "values", "positions").javaRDD()
                .mapPartitions(it -> {
                    TopK t = new TopK(units, k);
                    while (it.hasNext()) {
                        Row r = it.next();
                        List<Float> v = r.getList(1);
                        List<Integer> p = r.getList(2);
                        float[] vs = new float[v.size()];
                        int[] ps = new int[p.size()];
                        for (int i = 0; i < vs.length; i++) {
                            vs[i] = v.get(i);
                            ps[i] = p.get(i);
                        }
                        t.add(r.getString(0), vs, ps);
                    }
                    return List.of(t).iterator();
                }).treeReduce(TopK::merge, 2);
        Map<String, List<Visualizer.Selection>> byImage = Visualizer.selections(top);
        int selections = byImage.values().stream().mapToInt(List::size).sum();
        progress("top-" + k + ": " + selections + " projections of " + byImage.size() + " images");

        // 4. project
        if (!byImage.isEmpty()) {
            Broadcast<Map<String, List<Visualizer.Selection>>> bsel = jsc.broadcast(new HashMap<>(byImage));
            int projParts = Math.max(1, Math.min(byImage.size(), jsc.defaultParallelism() * 4));
            JavaRDD<String> chosen = jsc.parallelize(new ArrayList<>(byImage.keySet()), projParts);
            JavaRDD<Row> projected = chosen.flatMap(path ->
                    projectImage(path, bplan.value(), model, limits, bsel.value().get(path), staging, hconf.value().value()).iterator());
            spark.createDataFrame(projected, PROJECTIONS).write().parquet(staging + "/projections.parquet");
        } else {
            spark.createDataFrame(jsc.emptyRDD(), PROJECTIONS).write().parquet(staging + "/projections.parquet");
        }

        // 5. gallery, manifest, commit
        List<Row> meta = spark.read().parquet(staging + "/projections.parquet").drop("values").orderBy("unit", "rank").collectAsList();
        long projections = meta.size();
        List<Row> rejectRows = spark.read().parquet(staging + "/rejects.parquet").orderBy("path").limit(Gallery.MAX_REJECTS).collectAsList();
        double seconds = (System.nanoTime() - t0) / 1e9;
        Summary summary = new Summary(st.output(), files, images, rejects, nReused, n, projections, seconds);
        Storage.writeString(staging + "/index.html", Gallery.html(st.title(), plan, meta, rejectRows, byRule, summary, st.model()), conf);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("job", "visualize");
        manifest.put("run_id", runId);
        manifest.put("finished", Instant.now().toString());
        manifest.put("config", cfg.resolved());
        manifest.put("config_sources", cfg.sources());
        manifest.put("spark_config", cfg.spark());
        manifest.put("spark", Map.of("master", spark.sparkContext().master(), "version", spark.version(),
                "default_parallelism", jsc.defaultParallelism(), "scan_partitions", scanParts));
        Map<String, Object> mm = new LinkedHashMap<>();
        mm.put("uri", st.model());
        mm.put("sha256", plan.modelSha256());
        mm.put("input_size", plan.size());
        manifest.put("model", mm);
        List<Object> unitList = new ArrayList<>();
        for (Visualizer.Unit u : plan.units()) {
            unitList.add(new LinkedHashMap<>(Map.of("unit", u.index(), "layer", u.label(), "node", u.node(), "channel", u.channel())));
        }
        manifest.put("units", unitList);
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("files", files);
        counts.put("images", images);
        counts.put("rejects", rejects);
        counts.put("rejects_by_rule", byRule);
        counts.put("reused", nReused);
        counts.put("scanned", n);
        counts.put("projections", projections);
        manifest.put("counts", counts);
        manifest.put("seconds", Math.round(seconds * 10) / 10.0);
        manifest.put("images_per_second", Math.round(summary.imagesPerSecond() * 10) / 10.0);
        manifest.put("outputs", List.of("index.html", "images/", "projections.parquet", "activations.parquet", "rejects.parquet",
                "manifest.json"));
        Storage.writeString(staging + "/manifest.json", io.github.deconvspark.models.json.JsonOut.write(manifest) + "\n", conf);
        Storage.writeString(staging + "/_scan_key", scanKey, conf);
        Storage.writeString(staging + "/_SUCCESS", "", conf);
        Storage.commit(staging, st.output(), runId, conf);
        return summary;
    }

    /** A run in which no entry could be read as an image: nothing is written, the previous output stays (exit code 4). */
    public static final class NoImagesException extends IllegalStateException {
        public NoImagesException(String message) { super(message); }
    }

    /** Spark array columns from primitive arrays. */
    static Float[] boxed(float[] v) {
        Float[] b = new Float[v.length];
        for (int i = 0; i < v.length; i++) b[i] = v[i];
        return b;
    }

    static Integer[] boxed(int[] v) {
        Integer[] b = new Integer[v.length];
        for (int i = 0; i < v.length; i++) b[i] = v[i];
        return b;
    }

    private static String key(Row r) {
        return r.getString(0) + "\u0000" + r.getLong(1) + "\u0000" + ((Timestamp) r.get(2)).getTime();
    }

    /** Everything that makes stored activations reusable: the model, the units, the preprocessing. */
    static String scanKey(Visualizer.Plan plan, Settings st) {
        StringBuilder sb = new StringBuilder("v2;").append(plan.modelSha256()).append(';').append(plan.method()).append(';')
                .append(plan.size()).append(';').append(plan.batch()).append(';').append(st.limits());
        for (Visualizer.Unit u : plan.units()) sb.append(';').append(u.node()).append('#').append(u.channel()).append('@').append(u.scoreNode());
        return sb.toString();
    }

    private static volatile long started = System.nanoTime();

    static void progress(String s) {
        System.err.printf(java.util.Locale.ROOT, "visualize [%6.1f s]: %s%n", (System.nanoTime() - started) / 1e9, s);
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

    /** One Visualizer per (thread, model, batch): executors reuse the loaded model across tasks. */
    private static final ThreadLocal<Map<String, Visualizer>> VISUALIZERS = ThreadLocal.withInitial(HashMap::new);

    static Visualizer visualizer(Visualizer.Plan plan, String model, int batch, Configuration conf) {
        return VISUALIZERS.get().computeIfAbsent(plan.modelSha256() + "/" + model + "/" + batch + "/" + plan.hashCode(), key -> {
            io.github.deconvspark.kernels.Natives.check();
            Path local = Storage.localModel(model, conf);
            return new Visualizer(plan, local, batch);
        });
    }

    /** Scan rows, one batch at a time (memory bounded by one batch of images). */
    static final class ScanIterator implements Iterator<Row> {
        private final Iterator<Tuple2<Long, Row>> in;
        private final Visualizer.Plan plan;
        private final String model;
        private final ImagePrep.Limits limits;
        private final int batch;
        private final Configuration conf;
        private final List<Row> ready = new ArrayList<>();
        private Tuple2<Long, Row> pending;
        private int next;

        ScanIterator(Iterator<Tuple2<Long, Row>> in, Visualizer.Plan plan, String model, ImagePrep.Limits limits, int batch,
                     Configuration conf) {
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
            ready.addAll(scanBatch(files, plan, model, limits, batch, conf));
            return !ready.isEmpty();
        }

        @Override public Row next() {
            if (!hasNext()) throw new NoSuchElementException();
            return ready.get(next++);
        }
    }

    /** Reads, prepares and scans one batch of listing rows (path, length, modificationTime). */
    static List<Row> scanBatch(List<Row> files, Visualizer.Plan plan, String model, ImagePrep.Limits limits, int batch,
                               Configuration conf) {
        List<ImagePrep.Result> prepared = new ArrayList<>();
        List<float[]> ok = new ArrayList<>();
        for (Row f : files) {
            ImagePrep.Result r = ImagePrep.read(f.getString(0), plan.size(), limits, conf);
            prepared.add(r);
            if (r.ok()) ok.add(r.pixels());
        }
        Visualizer.Scan scan = ok.isEmpty() ? null : visualizer(plan, model, batch, conf).scan(ok);
        List<Row> out = new ArrayList<>();
        int j = 0;
        for (int i = 0; i < files.size(); i++) {
            Row f = files.get(i);
            ImagePrep.Result r = prepared.get(i);
            Object values = null, positions = null;
            if (r.ok()) {
                values = boxed(scan.values()[j]);
                positions = boxed(scan.positions()[j++]);
            }
            out.add(RowFactory.create(f.getString(0), f.getLong(1), (Timestamp) f.get(2), r.ok(), r.ok() ? null : r.reject().rule(),
                    r.ok() ? null : r.reject().reason(),
                    r.note() == null || r.note().isEmpty() ? null : r.note(), r.width(), r.height(), values, positions));
        }
        return out;
    }

    /** Projection rows of one selected image; writes its PNGs into the staging folder. */
    static List<Row> projectImage(String path, Visualizer.Plan plan, String model, ImagePrep.Limits limits,
                                  List<Visualizer.Selection> sels, String staging, Configuration conf) {
        ImagePrep.Result img = ImagePrep.read(path, plan.size(), limits, conf);
        if (!img.ok()) {                     // changed or vanished since the scan: its projections are missing
            progress("WARNING: " + path + " cannot be read again for its projections: " + img.reason());
            return List.of();
        }
        List<Row> out = new ArrayList<>();
        for (Visualizer.Projected p : visualizer(plan, model, 1, conf).project(img, sels)) {
            Visualizer.Unit u = plan.units().get(p.sel().unit());
            String base = "images/" + u.dir() + "/r" + p.sel().rank();
            String projFile = base + "-" + plan.method() + ".png", patchFile = base + "-patch.png";
            try {
                Storage.write(staging + "/" + projFile, p.projectionPng(), conf);
                Storage.write(staging + "/" + patchFile, p.patchPng(), conf);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + staging + "/" + projFile + ": " + e.getMessage(), e);
            }
            out.add(RowFactory.create(u.index(), u.label(), u.node(), u.channel(), p.sel().rank(), path, p.sel().value(), p.y(), p.x(),
                    boxed(p.box()), plan.method(), projFile, patchFile, boxed(p.shape()), boxed(p.values())));
        }
        return out;
    }
}
