package io.github.deconvspark.jobs.visualize;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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

    /** The files the job would list under dir ({@link io.github.deconvspark.jobs.Storage#listFiles}), in its order. */
    public static List<Path> files(Path dir) {
        try {
            List<Path> out = new ArrayList<>();
            for (io.github.deconvspark.jobs.Storage.FileRef f : io.github.deconvspark.jobs.Storage.listFiles(uri(dir),
                    new org.apache.hadoop.conf.Configuration())) {
                out.add(Path.of(new org.apache.hadoop.fs.Path(f.path()).toUri().getPath()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The path as Spark names it: file:/abs/path. */
    public static String uri(Path p) {
        return "file:" + p.toAbsolutePath().normalize();
    }

    public static Result run(Visualizer.Plan plan, Path modelJson, List<Path> files, int topK, ImagePrep.Limits limits) {
        Map<String, float[]> values = new TreeMap<>();
        Map<String, String> rejects = new TreeMap<>();
        TopK top = new TopK(plan.units().size(), topK);
        long t0 = System.nanoTime();
        try (Visualizer scanner = new Visualizer(plan, modelJson, plan.batch())) {
            for (int from = 0; from < files.size(); from += plan.batch()) {
                List<Path> batch = files.subList(from, Math.min(files.size(), from + plan.batch()));
                List<String> okNames = new ArrayList<>();
                List<float[]> ok = new ArrayList<>();
                for (Path f : batch) {
                    ImagePrep.Result r = ImagePrep.prepare(read(f), plan.size(), limits);
                    if (r.ok()) {
                        okNames.add(uri(f));
                        ok.add(r.pixels());
                    } else {
                        rejects.put(uri(f), r.reason());
                    }
                }
                if (ok.isEmpty()) continue;
                Visualizer.Scan s = scanner.scan(ok);
                for (int i = 0; i < ok.size(); i++) {
                    values.put(okNames.get(i), s.values()[i]);
                    top.add(okNames.get(i), s.values()[i], s.positions()[i]);
                }
            }
        }
        long t1 = System.nanoTime();
        Map<String, List<Visualizer.Selection>> byImage = Visualizer.selections(top);
        List<Visualizer.Projected> projections = new ArrayList<>();
        try (Visualizer projector = new Visualizer(plan, modelJson, 1)) {
            for (Map.Entry<String, List<Visualizer.Selection>> e : byImage.entrySet()) {
                ImagePrep.Result img = ImagePrep.prepare(read(Path.of(e.getKey().substring("file:".length()))), plan.size(), limits);
                projections.addAll(projector.project(img, e.getValue()));
            }
        }
        long t2 = System.nanoTime();
        return new Result(values, rejects, projections, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    private static byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
