package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.images.ImagePrep;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.viz.Explainer;
import io.github.deconvspark.models.viz.Explainer.Method;
import io.github.deconvspark.models.viz.Faithfulness;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The visualize job's maps of class targets (every method but deconvnet and guided of feature maps): each method of
 * the plan on a batch of selections through {@link Explainer}, rendered for the gallery. The seeded methods
 * (SmoothGrad, a uniform-noise baseline) take their seed from the plan's seed and the image's path, so a map does not
 * depend on the partitioning or on the other images of its batch. With --faithfulness-steps, each map's deletion and
 * insertion curves ({@link Faithfulness}, of its display map) go with it.
 */
final class ClassMaps {
    private ClassMaps() {}

    static List<Visualizer.Projected> project(Visualizer.Plan plan, Model model, INDArray batch, List<Visualizer.Target> ts, INDArray black) {
        int n = ts.size(), s = plan.size();
        Visualizer.Unit first = plan.units().get(ts.get(0).sel().unit());
        Explainer e = new Explainer(model, first.scoreNode());
        List<INDArray> xs = new ArrayList<>(n);
        int[] classes = new int[n];
        for (int i = 0; i < n; i++) {
            xs.add(batch.slice(i).dup('c'));
            classes[i] = plan.units().get(ts.get(i).sel().unit()).channel();
        }
        Explainer.Options o = plan.options();
        if (o.baselineImage() == null && o.baseline() == Explainer.Baseline.BLACK) o = o.withBaselineImage(black);
        List<Visualizer.Projected> out = new ArrayList<>(n * plan.methods().size());
        for (int mi = 0; mi < plan.methods().size(); mi++) {
            Method method = plan.methods().get(mi);
            List<Explainer.Explanation> maps = new ArrayList<>(n);
            if (seeded(method, o)) {
                for (int i = 0; i < n; i++) {
                    Explainer.Options oi = o.withSeed(seedOf(o.seed(), ts.get(i).sel().path()));
                    maps.add(e.explain(List.of(xs.get(i)), method, oi, new int[] {classes[i]}).get(0));
                }
            } else {
                maps.addAll(e.explain(xs, method, o, classes));
            }
            List<Faithfulness.Curves> curves = null;
            if (plan.faithfulnessSteps() > 0) {
                List<INDArray> displays = new ArrayList<>(n);
                for (Explainer.Explanation ex : maps) displays.add(ex.display());
                curves = Faithfulness.curves(model.graph(), model.input(), e.head(), xs, displays, classes,
                        Faithfulness.Options.of(plan.faithfulnessSteps()));
            }
            for (int i = 0; i < n; i++) {
                Explainer.Explanation ex = maps.get(i);
                ImagePrep.Result img = ts.get(i).img();
                INDArray a = ex.attribution();
                int[] shape = new int[a.rank()];
                for (int d = 0; d < shape.length; d++) shape[d] = (int) a.size(d);
                float[] values = a.castTo(DataType.FLOAT).dup('c').data().asFloat();
                out.add(new Visualizer.Projected(ts.get(i).sel(), method, -1, -1, new int[] {0, 0, s, s}, shape, values,
                        Render.png(render(method, ex, img, values, shape)), mi == 0 ? Render.png(img.rgb()) : null,
                        curves == null ? null : curves.get(i)));
            }
        }
        return out;
    }

    /** Deconvnet and guided of a class: signed RGB; the CAMs: over the image; the rest: the display map as heat. */
    private static java.awt.image.BufferedImage render(Method m, Explainer.Explanation ex, ImagePrep.Result img, float[] values, int[] shape) {
        return switch (m) {
            case DECONVNET, GUIDED, GUIDED_GRADCAM -> Render.signed(ImagePrep.toRgb(values, shape[2]), shape[0], shape[1]);
            case GRADCAM, GRADCAM_PLUS_PLUS, SCORECAM -> Render.overlay(img.rgb(), values, shape[0], shape[1]);
            default -> {
                INDArray d = ex.display();
                yield Render.heat(d.castTo(DataType.FLOAT).dup('c').data().asFloat(), (int) d.size(0), (int) d.size(1));
            }
        };
    }

    private static boolean seeded(Method m, Explainer.Options o) {
        return m == Method.SMOOTHGRAD || (m == Method.INTEGRATED_GRADIENTS && o.baseline() == Explainer.Baseline.UNIFORM && o.baselineImage() == null);
    }

    /** The seed of an image: the run's seed mixed with its path (String.hashCode is specified, so any JVM agrees). */
    static long seedOf(long seed, String path) {
        long z = seed ^ (0x9E3779B97F4A7C15L * (path.hashCode() + 0x632BE59BD9B4E019L));
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 27);
    }
}
