package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.images.ImagePrep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The projection stage on an executor: a partition's selected images re-read, their selections projected a
 * batch at a time (the scan's batch size, the scan's loaded model), the PNGs written as each batch is done.
 */
final class Projects {
    private Projects() {}

    /** Projection rows of a partition's selected images (paths); writes their PNGs into the staging folder. */
    static Iterator<Row> partition(Iterator<String> paths, Visualizer.Plan plan, String model, ImagePrep.Limits limits,
                                   Map<String, List<Visualizer.Selection>> selections, String staging, Configuration conf) {
        Visualizer v = Scan.visualizer(plan, model, plan.batch(), conf);
        return new Iterator<>() {
            private Iterator<Row> done = Collections.emptyIterator();

            @Override public boolean hasNext() {
                while (!done.hasNext() && paths.hasNext()) done = next(v).iterator();
                return done.hasNext();
            }

            @Override public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                return done.next();
            }

            /** Reads images until a batch of targets is full (or the partition ends), projects and writes them. */
            private List<Row> next(Visualizer vis) {
                List<Visualizer.Target> targets = new ArrayList<>();
                while (targets.size() < plan.batch() && paths.hasNext()) {
                    String path = paths.next();
                    ImagePrep.Result img = ImagePrep.read(path, plan.size(), limits, conf);
                    if (!img.ok()) {             // changed or vanished since the scan: its projections are missing
                        Visualize.progress("WARNING: " + path + " cannot be read again for its projections: " + img.reason());
                        continue;
                    }
                    for (Visualizer.Selection s : selections.get(path)) targets.add(new Visualizer.Target(img, s));
                }
                List<Row> out = new ArrayList<>();
                for (Visualizer.Projected p : vis.project(targets)) out.add(write(p, plan, staging, conf));
                return out;
            }
        };
    }

    private static Row write(Visualizer.Projected p, Visualizer.Plan plan, String staging, Configuration conf) {
        Visualizer.Unit u = plan.units().get(p.sel().unit());
        String base = "images/" + u.dir() + "/r" + p.sel().rank();
        String projFile = base + "-" + p.method().toString().replace("+", "p") + ".png", patchFile = base + "-patch.png";
        try {
            Storage.write(staging + "/" + projFile, p.projectionPng(), conf);
            if (p.patchPng() != null) Storage.write(staging + "/" + patchFile, p.patchPng(), conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + staging + "/" + projFile + ": " + e.getMessage(), e);
        }
        return RowFactory.create(u.index(), u.label(), u.node(), u.channel(), p.sel().rank(), p.sel().path(), p.sel().value(), p.y(), p.x(),
                Tables.boxed(p.box()), p.method().toString(), projFile, patchFile, Tables.boxed(p.shape()), Tables.boxed(p.values()),
                p.curves() == null ? null : p.curves().deletionAuc(), p.curves() == null ? null : p.curves().insertionAuc(),
                p.curves() == null ? null : Tables.boxed(p.curves().deletion()), p.curves() == null ? null : Tables.boxed(p.curves().insertion()));
    }
}
