package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.images.ImagePrep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** The projection stage on an executor: one selected image re-read, each of its selections projected, the PNGs written. */
final class Projects {
    private Projects() {}

    /** Projection rows of one selected image; writes its PNGs into the staging folder. */
    static List<Row> image(String path, Visualizer.Plan plan, String model, ImagePrep.Limits limits, List<Visualizer.Selection> sels,
                           String staging, Configuration conf) {
        ImagePrep.Result img = ImagePrep.read(path, plan.size(), limits, conf);
        if (!img.ok()) {                     // changed or vanished since the scan: its projections are missing
            Visualize.progress("WARNING: " + path + " cannot be read again for its projections: " + img.reason());
            return List.of();
        }
        List<Row> out = new ArrayList<>();
        for (Visualizer.Projected p : Scan.visualizer(plan, model, 1, conf).project(img, sels)) {
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
                    Tables.boxed(p.box()), plan.method().toString(), projFile, patchFile, Tables.boxed(p.shape()), Tables.boxed(p.values())));
        }
        return out;
    }
}
