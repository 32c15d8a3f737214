package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.images.ImagePrep;
import io.github.deconvspark.jobs.inputs.Entry;
import io.github.deconvspark.jobs.inputs.Listing;
import io.github.deconvspark.jobs.inputs.Uris;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The visualize job's computation as a plain in-process loop over local files, without Spark and
 * without writing: the baseline of the job's benchmark, and the single-process reference that the
 * Spark job's results must equal. Same steps, same code ({@link Visualizer}), same batching
 * (consecutive images in path order).
 */
public final class VisualizeLoop {
    private VisualizeLoop() {}

    /** Results: per-image scan values (rejected images: null), and the projections. */
    public record Result(Map<String, float[]> values, Map<String, String> rejects, List<Visualizer.Projected> projections,
                         double scanSeconds, double projectSeconds) {}

    /** The files the job would read under dir ({@link Listing}, the entries it would not read left out), in its order. */
    public static List<Path> files(Path dir) {
        try {
            List<Path> out = new ArrayList<>();
            for (Entry f : Listing.list(uri(dir), ImagePrep.Limits.DEFAULT_MAX_FILE_BYTES, new org.apache.hadoop.conf.Configuration())) {
                if (f.ok()) out.add(Uris.local(f.path()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The path as the job names it ({@link Uris#of}): file:/abs/path, percent-encoded. */
    public static String uri(Path p) {
        return Uris.of(p);
    }

    public static Result run(Visualizer.Plan plan, Path modelJson, List<Path> files, int topK, ImagePrep.Limits limits) {
        Map<String, float[]> values = new TreeMap<>();
        Map<String, String> rejects = new TreeMap<>();
        TopK top = new TopK(plan.units().size(), topK);
        long t0 = System.nanoTime();
        try (Visualizer scanner = new Visualizer(plan, modelJson, plan.batch())) {
            for (int from = 0; from < files.size(); from += plan.batch()) {
                List<String> batch = new ArrayList<>();
                for (Path f : files.subList(from, Math.min(files.size(), from + plan.batch()))) batch.add(uri(f));
                for (Scan.Scanned s : Scan.batch(batch, plan, scanner, limits, null)) {      // the job's own scan of a batch
                    if (!s.image().ok()) {
                        rejects.put(s.uri(), s.image().reason());
                        continue;
                    }
                    values.put(s.uri(), s.values());
                    top.add(s.uri(), s.values(), s.positions());
                }
            }
        }
        long t1 = System.nanoTime();
        Map<String, List<Visualizer.Selection>> byImage = Visualizer.selections(top);
        List<Visualizer.Projected> projections = new ArrayList<>();
        try (Visualizer projector = new Visualizer(plan, modelJson, plan.batch())) {
            List<Visualizer.Target> targets = new ArrayList<>();
            for (Map.Entry<String, List<Visualizer.Selection>> e : byImage.entrySet()) {
                ImagePrep.Result img = ImagePrep.read(e.getKey(), plan.size(), limits, null);
                for (Visualizer.Selection s : e.getValue()) targets.add(new Visualizer.Target(img, s));
            }
            projections.addAll(projector.project(targets));
        }
        long t2 = System.nanoTime();
        return new Result(values, rejects, projections, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }
}
