package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.JobRun;
import io.github.deconvspark.jobs.frame.Jobs;
import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.images.ImagePrep;
import io.github.deconvspark.jobs.images.Normalize;
import io.github.deconvspark.jobs.inputs.Entry;
import io.github.deconvspark.jobs.inputs.Listing;
import io.github.deconvspark.jobs.inputs.Reading;
import io.github.deconvspark.jobs.inputs.Reject;
import io.github.deconvspark.jobs.inputs.Uris;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import io.github.deconvspark.models.viz.Explainer;
import io.github.deconvspark.models.viz.Explainer.Method;
import io.github.deconvspark.models.viz.Sanity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
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
 *   <li>Project: executors re-read the selected images and project their selections (batches of {@code batch}),
 *       writing PNGs; rows with the raw values go to projections.parquet.</li>
 *   <li>Gallery, manifest, commit.</li>
 * </ol>
 */
public final class Visualize {
    private Visualize() {}

    public static final List<JobConfig.Key> KEYS = List.of(
            new JobConfig.Key("input", null, "images: a file, a folder (read recursively) or a glob, on any Hadoop file system URI"),
            new JobConfig.Key("model", null, "the model, local path or URI: ONNX (.onnx), TF.js model.json (graph or layers model, "
                    + "its weight shards beside it), Keras .keras or .h5; --list-layers prints its layers"),
            new JobConfig.Key("output", null, "output folder (replaced atomically when the run completes)"),
            new JobConfig.Key("method", "deconvnet", "the methods, comma-separated, each run on every selection: " + String.join(", ", Method.NAMES)
                    + ". Only deconvnet/guided: the top activations of feature maps; any other method: the top-scoring images of --head's "
                    + "classes (deconvnet/guided then project the class score)"),
            new JobConfig.Key("layers", "", "layers to project (deconvnet, guided), or the one conv layer of gradcam, gradcam++, scorecam, "
                    + "guided-gradcam; comma-separated node names or suffixes"),
            new JobConfig.Key("channels", "0-7", "feature maps per layer: all, a-b, or a,b,c"),
            new JobConfig.Key("normalize", "none", "what the model expects of its pixels: " + Normalize.FORMS
                    + " (PyTorch's torchvision models: imagenet)"),
            JobConfig.Key.integer("input-size", 0, 0, 8192, "the image side for a model whose input height/width are dynamic (0: the model's own)"),
            new JobConfig.Key("head", "", "class methods: the pre-softmax class-score layer"),
            new JobConfig.Key("classes", "all", "class methods: classes of the head: all, a-b, or a,b,c"),
            JobConfig.Key.integer("steps", 32, 1, 4096, "ig: integrated gradients' m steps (and smoothgrad over ig)"),
            JobConfig.Key.choice("riemann", "middle", List.of("left", "right", "middle", "trapezoid"), "ig: the Riemann rule of the steps"),
            JobConfig.Key.choice("baseline", "black", List.of("black", "blur", "uniform"), "ig: the baseline (black as --normalize sees it, "
                    + "the image blurred, seeded uniform noise)"),
            JobConfig.Key.decimal("blur-sigma", "5", 0.01, 999, "ig: the blur baseline's Gaussian sigma in pixels"),
            JobConfig.Key.integer("samples", 16, 1, 4096, "smoothgrad: noisy samples per image"),
            JobConfig.Key.decimal("sigma", "0.15", 0, 10, "smoothgrad: the noise's standard deviation as a fraction of the image's range"),
            JobConfig.Key.choice("smooth-base", "gradient", List.of("gradient", "gradxinput", "ig"), "smoothgrad: the method averaged"),
            JobConfig.Key.integer("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE, "smoothgrad and the uniform baseline: the noise seed "
                    + "(mixed with each image's path)"),
            JobConfig.Key.integer("faithfulness-steps", 0, 0, 4096, "deletion and insertion curves (Petsiuk et al. 2018) of every class map "
                    + "with N steps, their AUC per map in projections.parquet and per method in the gallery (0: off)"),
            JobConfig.Key.integer("sanity-images", 0, 0, 10_000, "the model-parameter randomization check (Adebayo et al. 2018) on "
                    + "the first N selected images for gradient, saliency, gradxinput, ig and guided of classes (0: off); sanity.parquet, "
                    + "a plot in the gallery"),
            JobConfig.Key.integer("window", 16, 1, 8192, "occlusion: the square's side in pixels"),
            JobConfig.Key.integer("stride", 8, 1, 8192, "occlusion: the square's step in pixels"),
            JobConfig.Key.decimal("occlusion-value", "0", -1e6, 1e6, "occlusion: the value the square is filled with (model input units)"),
            JobConfig.Key.integer("top-k", 9, 1, 10_000, "the k strongest activations per feature map (per class) over the data set"),
            JobConfig.Key.integer("batch", 8, 1, 1024, "images per forward pass in the scan, projections per forward-backward pass"),
            JobConfig.Key.integer("partitions", 0, 0, 1_000_000, "scan partitions (0: 4 per core of the default parallelism)"),
            JobConfig.Key.integer("max-image-pixels", 40_000_000, 1, Long.MAX_VALUE, "larger images are rejected before decoding"),
            JobConfig.Key.integer("min-image-side", 8, 1, 1 << 20, "images with a smaller side are rejected"),
            JobConfig.Key.integer("max-file-bytes", ImagePrep.Limits.DEFAULT_MAX_FILE_BYTES, 1, Reading.MAX_BYTES,
                    "larger files are rejected before reading (the size from the file system)"),
            JobConfig.Key.decimal("decode-seconds", "60", 0.001, 86_400, "an image whose decoding takes longer is stopped and rejected"),
            JobConfig.Key.bool("reuse", true, "reuse the previous output's activations of unchanged images"),
            new JobConfig.Key("master", "", "Spark master URL (default: the one spark-submit gives, else local[*])"),
            new JobConfig.Key("title", "deconv-spark", "gallery title"));

    /** What a run did. */
    public record Summary(String output, long files, long images, long rejects, long reused, long scanned, long projections,
                          double seconds) {
        public double imagesPerSecond() { return seconds > 0 ? (images + rejects) / seconds : 0; }

        public String gallery() { return output + "/index.html"; }
    }

    /** Typed, validated settings. */
    record Settings(String input, String model, String output, List<Method> methods, List<String> layers, String channels, String head,
                    String classes, int topK, int batch, ImagePrep.Limits limits, boolean reuse, String title, int inputSize,
                    Normalize normalize, Explainer.Options options, int sanityImages, int faithfulnessSteps) {
        static Settings of(JobConfig c, Configuration conf) {
            String input = Uris.fromUser(c.get("input")), output = Storage.qualify(c.get("output"), conf);
            Storage.requireApart(input, output, "visualize");
            return new Settings(input, Uris.fromUser(c.get("model")), output, MethodOptions.methods(c), c.list("layers"),
                    c.get("channels"), c.get("head"), c.get("classes"), c.getInt("top-k"), c.getInt("batch"),
                    new ImagePrep.Limits(c.getLong("max-image-pixels"), c.getInt("min-image-side"),
                            c.getLong("max-file-bytes"), c.getDouble("decode-seconds")),
                    c.getBool("reuse"), c.get("title"), c.getInt("input-size"), Visualize.normalize(c), MethodOptions.options(c),
                    c.getInt("sanity-images"), c.getInt("faithfulness-steps"));
        }
    }

    /**
     * Configuration-time checks, before a Spark session: the settings, and for a model on the local file system the
     * plan itself (layers, head, classes, every method's options against the model).
     */
    static Integer checkEarly(JobConfig c) {
        Settings st = Settings.of(c, new Configuration());
        if (Uris.isLocal(st.model())) plan(st, new Configuration());
        return null;
    }

    private static Normalize normalize(JobConfig c) {
        try {
            return Normalize.parse(c.get("normalize"));
        } catch (IllegalArgumentException e) {
            throw new JobConfig.ConfigException("visualize: --" + e.getMessage());
        }
    }

    /** bin/deconv-spark visualize ...: returns the exit code. */
    public static int main(String[] args) {
        return Jobs.main("visualize", KEYS, args, Jobs.Options.NONE.layers("model", "input-size").local(Visualize::checkEarly), (spark, cfg) -> {
            Summary s = run(spark, cfg);
            System.out.printf("visualize: %d images, %d projections, %d rejects (%d reused, %d scanned) in %.1f s, %.1f images/s%n",
                    s.images(), s.projections(), s.rejects(), s.reused(), s.scanned(), s.seconds(), s.imagesPerSecond());
            System.out.println("gallery: " + s.gallery());
            return 0;
        });
    }

    /** Runs the job on a given session (tests, benchmarks). */
    public static Summary run(SparkSession spark, JobConfig cfg) {
        started = System.nanoTime();
        try (JobRun run = JobRun.start(spark, "visualize", cfg)) {
            return run(run, Settings.of(cfg, run.conf));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Summary run(JobRun run, Settings st) throws IOException {
        Visualizer.Plan plan = plan(st, run.conf);
        String staging = run.stage(st.output());
        String scanKey = scanKey(plan, st);
        progress("planned " + plan.units().size() + " units (" + plan.method() + "), model " + plan.modelSha256().substring(0, 12)
                + ", staging " + staging);
        Listed listed = list(run, st);
        Scanned scan = scan(run, st, plan, listed, scanKey, staging);
        Dataset<Row> act = scan.activations();
        long images = act.filter("ok").count();
        long rejects = listed.files() - images;
        act.filter("NOT ok").select("path", "length", "modificationTime", "rule", "reason").orderBy("path").coalesce(1)
                .write().parquet(staging + "/rejects.parquet");
        Map<String, Long> byRule = new TreeMap<>();
        for (Row r : run.spark.read().parquet(staging + "/rejects.parquet").groupBy("rule").count().collectAsList()) {
            byRule.put(r.getString(0), r.getLong(1));
        }
        progress("scanned: " + images + " images, " + rejects + " rejects" + (byRule.isEmpty() ? "" : " " + byRule));
        if (images == 0) throw noImages(run, st, listed.files(), byRule, staging);

        Map<String, List<Visualizer.Selection>> byImage = Visualizer.selections(topK(act, st.topK(), plan.units().size()));
        progress("top-" + st.topK() + ": " + byImage.values().stream().mapToInt(List::size).sum() + " projections of " + byImage.size()
                + " images");
        project(run, st, plan, byImage, staging);
        List<Sanity.Result> sanity = SanityStage.run(run, plan, st.model(), st.limits(), st.sanityImages(), st.options().seed(), byImage,
                staging);
        return publish(run, st, plan, listed, scan, images, rejects, byRule, staging, SanityStage.html(sanity,
                Math.min(st.sanityImages(), byImage.size())));
    }

    /** The plan (units, input size, model digest), resolved against the model on the driver. */
    private static Visualizer.Plan plan(Settings st, Configuration conf) {
        int[] hw = st.inputSize() > 0 ? new int[] {st.inputSize(), st.inputSize()} : null;
        try (Model m = Models.load(Storage.localModel(st.model(), conf), 1, org.nd4j.linalg.api.buffer.DataType.FLOAT, hw)) {
            Visualizer.Plan plan = Visualizer.plan(m, st.methods(), st.layers(), st.channels(), st.head(), st.classes(), st.batch(),
                    st.inputSize(), st.normalize(), st.options(), st.faithfulnessSteps());
            if (st.sanityImages() > 0 && (plan.perFeatureMap() || SanityStage.covered(plan).isEmpty())) {
                throw new JobConfig.ConfigException("visualize: --sanity-images " + st.sanityImages() + " checks gradient, saliency, "
                        + "gradxinput, ig or guided of classes (--head); --method " + plan.method() + " has none of them");
            }
            return plan;
        } catch (IllegalArgumentException e) {
            throw new JobConfig.ConfigException(e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            throw new JobConfig.ConfigException("visualize: --model " + Uris.display(st.model()) + ": " + e.getMessage());
        }
    }

    /** The listing: entries to read (as listing rows) and the rows of those not to be read (rejects). */
    record Listed(List<Row> toRead, List<Row> unread) {
        long files() { return toRead.size() + unread.size(); }
    }

    /** 1. List: every entry, each checked for what it is; those not to be read become reject rows here. */
    private static Listed list(JobRun run, Settings st) {
        List<Entry> entries;
        try {
            entries = Listing.list(st.input(), st.limits().maxFileBytes(), run.conf);
        } catch (IOException e) {
            throw new JobConfig.ConfigException("visualize: --input " + Uris.display(st.input()) + ": " + Reject.causes(e));
        }
        List<Row> toRead = new ArrayList<>(), unread = new ArrayList<>();
        for (Entry f : entries) {
            if (f.ok()) toRead.add(RowFactory.create(f.path(), f.length(), new Timestamp(f.modificationTime())));
            else unread.add(RowFactory.create(f.path(), f.length(), new Timestamp(f.modificationTime()), false, f.reject().rule(),
                    f.reject().reason(), null, 0, 0, null, null));
        }
        if (entries.isEmpty()) throw new JobConfig.ConfigException("visualize: no files under --input " + Uris.display(st.input()));
        return new Listed(toRead, unread);
    }

    /**
     * 2. Scan: the files not reusable from the previous output (same path, size, time and scan key), sorted by path, in
     * fixed batches on the executors; with the reused rows and the listing's rejects, written as activations.parquet.
     */
    /** The scan's table, how many files it scanned (the others were reused) and in how many partitions. */
    record Scanned(Dataset<Row> activations, long scanned, int partitions) {}

    private static Scanned scan(JobRun run, Settings st, Visualizer.Plan plan, Listed listed, String scanKey, String staging)
            throws IOException {
        SparkSession spark = run.spark;
        Dataset<Row> reused = null;
        Set<String> priorKeys = Set.of();
        String prior = st.output() + "/activations.parquet";
        if (st.reuse() && Storage.exists(prior, run.conf) && Storage.exists(st.output() + "/_scan_key", run.conf)
                && Storage.readString(st.output() + "/_scan_key", run.conf).equals(scanKey)) {
            // The prior rows of files still there, unchanged, are copied into the new table (before the commit replaces
            // the output they live in); only names and times come to the driver.
            Dataset<Row> old = spark.read().schema(Tables.ACTIVATIONS).parquet(prior);
            priorKeys = new HashSet<>();
            for (Row r : old.select("path", "length", "modificationTime").collectAsList()) priorKeys.add(Tables.key(r));
            int listParts = (int) Math.max(1, Math.min(listed.toRead().size() / 10_000 + 1, 1000));
            Dataset<Row> listing = spark.createDataFrame(run.jsc.parallelize(listed.toRead(), listParts), Tables.LISTING);
            reused = old.join(listing, scala.jdk.javaapi.CollectionConverters.asScala(List.of("path", "length", "modificationTime"))
                    .toSeq(), "left_semi");
        }
        // Files to scan, indexed in path order: batch b holds indices [b * batch, (b + 1) * batch).
        List<Tuple2<Long, Row>> todo = new ArrayList<>();
        for (Row r : listed.toRead()) if (!priorKeys.contains(Tables.key(r))) todo.add(new Tuple2<>((long) todo.size(), r));
        long n = todo.size();
        progress(listed.files() + " entries: " + listed.unread().size() + " not readable (listed as rejects), " + (listed.toRead().size() - n)
                + " reused from the previous output, " + n + " to scan");
        progress("executors: " + io.github.deconvspark.jobs.frame.Executors.checkNatives(run.jsc));
        Broadcast<SerializableConfiguration> hconf = run.hadoopConf();
        Broadcast<Visualizer.Plan> bplan = run.broadcast(plan);
        String model = st.model();
        ImagePrep.Limits limits = st.limits();
        int batch = st.batch();
        long batches = (n + batch - 1) / batch;
        int scanParts = (int) Math.max(1, Math.min(run.partitions(4), batches));
        Dataset<Row> scanned = spark.createDataFrame(run.jsc.emptyRDD(), Tables.ACTIVATIONS);
        if (n > 0) {
            JavaRDD<Row> rows = run.jsc.parallelizePairs(todo, scanParts)
                    .repartitionAndSortWithinPartitions(new Scan.BatchPartitioner(scanParts, n, batch))
                    .mapPartitions(it -> new Scan.Rows(it, bplan.value(), model, limits, batch, hconf.value().value()));
            scanned = spark.createDataFrame(rows, Tables.ACTIVATIONS);
        }
        Dataset<Row> all = reused == null ? scanned : scanned.unionByName(reused);
        if (!listed.unread().isEmpty()) all = all.unionByName(spark.createDataFrame(listed.unread(), Tables.ACTIVATIONS));
        all.write().parquet(staging + "/activations.parquet");
        return new Scanned(spark.read().schema(Tables.ACTIVATIONS).parquet(staging + "/activations.parquet"), n, scanParts);
    }

    /** A run with no image: nothing is written (the staging folder goes with the run), the previous output stays. */
    private static NoImagesException noImages(JobRun run, Settings st, long files, Map<String, Long> byRule, String staging)
            throws IOException {
        StringBuilder why = new StringBuilder();
        for (Row r : run.spark.read().parquet(staging + "/rejects.parquet").orderBy("path").limit(10).collectAsList()) {
            why.append("\n  ").append(Uris.display(r.getString(0))).append(": ").append(r.getString(3)).append(": ").append(r.getString(4));
        }
        return new NoImagesException("visualize: none of the " + files + " entries under --input " + Uris.display(st.input())
                + " could be read as an image (rejects by rule: " + byRule + "); nothing was written"
                + (Storage.exists(st.output(), run.conf) ? " and the previous output " + st.output() + " is kept" : "")
                + ". The first rejects:" + why);
    }

    /** 3. Top-k per unit over all readable images: a mergeable aggregate, combined with treeReduce. */
    private static TopK topK(Dataset<Row> act, int k, int units) {
        return act.filter("ok").select("path", "values", "positions").javaRDD().mapPartitions(it -> {
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
    }

    /** 4. Project: executors re-read the selected images and project each selection, writing PNGs and projections.parquet. */
    private static void project(JobRun run, Settings st, Visualizer.Plan plan, Map<String, List<Visualizer.Selection>> byImage,
                                String staging) {
        if (byImage.isEmpty()) {
            run.spark.createDataFrame(run.jsc.emptyRDD(), Tables.PROJECTIONS).write().parquet(staging + "/projections.parquet");
            return;
        }
        Broadcast<SerializableConfiguration> hconf = run.hadoopConf();
        Broadcast<Visualizer.Plan> bplan = run.broadcast(plan);
        Broadcast<Map<String, List<Visualizer.Selection>>> bsel = run.broadcast(new HashMap<>(byImage));
        String model = st.model();
        ImagePrep.Limits limits = st.limits();
        int projParts = Math.max(1, Math.min(byImage.size(), run.jsc.defaultParallelism() * 4));
        JavaRDD<String> chosen = run.jsc.parallelize(new ArrayList<>(byImage.keySet()), projParts);
        JavaRDD<Row> projected = chosen.mapPartitions(paths ->
                Projects.partition(paths, bplan.value(), model, limits, bsel.value(), staging, hconf.value().value()));
        run.spark.createDataFrame(projected, Tables.PROJECTIONS).write().parquet(staging + "/projections.parquet");
    }

    /** 5. Publish: the gallery, the manifest (the run's provenance header, then the job's own), the scan key, the commit. */
    private static Summary publish(JobRun run, Settings st, Visualizer.Plan plan, Listed listed, Scanned scan, long images, long rejects,
                                   Map<String, Long> byRule, String staging, String sanityHtml) throws IOException {
        SparkSession spark = run.spark;
        List<Row> meta = spark.read().parquet(staging + "/projections.parquet").drop("values").orderBy("unit", "rank").collectAsList();
        List<Row> rejectRows = spark.read().parquet(staging + "/rejects.parquet").orderBy("path").limit(Gallery.MAX_REJECTS).collectAsList();
        long scanned = scan.scanned(), files = listed.files(), nReused = listed.toRead().size() - scanned;
        Summary summary = new Summary(st.output(), files, images, rejects, nReused, scanned, meta.size(), run.seconds());
        Storage.writeString(staging + "/index.html", Gallery.html(st.title(), plan, meta, rejectRows, byRule, summary, st.model(), sanityHtml), run.conf);
        Map<String, Object> manifest = run.manifest();
        @SuppressWarnings("unchecked") Map<String, Object> sparkInfo = (Map<String, Object>) manifest.get("spark");
        sparkInfo.put("scan_partitions", scan.partitions());
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
        counts.put("scanned", scanned);
        counts.put("projections", (long) meta.size());
        manifest.put("counts", counts);
        manifest.put("images_per_second", Math.round(summary.imagesPerSecond() * 10) / 10.0);
        manifest.put("outputs", List.of("index.html", "images/", "projections.parquet", "activations.parquet", "rejects.parquet",
                "sanity.parquet", "manifest.json"));
        Storage.writeString(staging + "/_scan_key", scanKey(plan, st), run.conf);
        run.commit(manifest);
        return summary;
    }

    /** A run in which no entry could be read as an image: nothing is written, the previous output stays (exit code 4). */
    public static final class NoImagesException extends IllegalStateException {
        public NoImagesException(String message) { super(message); }
    }

    /** Everything that makes stored activations reusable: the model, the units, the preprocessing. */
    static String scanKey(Visualizer.Plan plan, Settings st) {
        StringBuilder sb = new StringBuilder("v2;").append(plan.modelSha256()).append(';').append(plan.method()).append(';')
                .append(plan.size()).append(';').append(plan.batch()).append(';').append(st.limits()).append(';').append(plan.normalize());
        for (Visualizer.Unit u : plan.units()) sb.append(';').append(u.node()).append('#').append(u.channel()).append('@').append(u.scoreNode());
        return sb.toString();
    }

    private static volatile long started = System.nanoTime();

    static void progress(String s) {
        System.err.printf(java.util.Locale.ROOT, "visualize [%6.1f s]: %s%n", (System.nanoTime() - started) / 1e9, s);
    }
}
