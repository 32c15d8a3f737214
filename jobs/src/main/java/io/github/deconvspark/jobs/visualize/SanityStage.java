package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.frame.JobRun;
import io.github.deconvspark.jobs.images.ImagePrep;
import io.github.deconvspark.models.viz.Explainer.Method;
import io.github.deconvspark.models.viz.Sanity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * The model-parameter randomization test (Adebayo et al. 2018) as a stage of the visualize job (--sanity-images N):
 * the first N selected images (path order), each with the class of its first selection, go to the executors, one
 * task per image; each runs {@link Sanity#run} (the cascade from the head down, every layer's parameters re-drawn
 * from a seeded truncated normal) for the run's methods that the test covers. Rows go to sanity.parquet; the gallery
 * gets the paper's plot of the mean rank correlations and a table.
 */
final class SanityStage {
    private SanityStage() {}

    static final StructType SCHEMA = new StructType()
            .add("image", DataTypes.StringType, false)
            .add("class", DataTypes.IntegerType, false)
            .add("method", DataTypes.StringType, false)
            .add("step", DataTypes.IntegerType, false)
            .add("layer", DataTypes.StringType, false)
            .add("spearman_abs", DataTypes.DoubleType, false)
            .add("spearman_signed", DataTypes.DoubleType, false)
            .add("ssim", DataTypes.DoubleType, false);

    /** The run's methods the test covers, as the test names them. */
    static Map<Method, Sanity.Method> covered(Visualizer.Plan plan) {
        Map<Method, Sanity.Method> out = new LinkedHashMap<>();
        for (Method m : plan.methods()) {
            Sanity.Method s = switch (m) {
                case GRADIENT -> Sanity.Method.GRADIENT;
                case SALIENCY -> Sanity.Method.SALIENCY;
                case GRADIENT_X_INPUT -> Sanity.Method.GRADIENT_X_INPUT;
                case INTEGRATED_GRADIENTS -> Sanity.Method.INTEGRATED_GRADIENTS;
                case GUIDED -> Sanity.Method.GUIDED_BACKPROP;
                default -> null;
            };
            if (s != null) out.put(m, s);
        }
        return out;
    }

    /** Runs the stage (nothing when n is 0 or no method is covered); writes sanity.parquet; the per-method results over the images. */
    static List<Sanity.Result> run(JobRun run, Visualizer.Plan plan, String model, ImagePrep.Limits limits, int n, long seed,
                                   Map<String, List<Visualizer.Selection>> byImage, String staging) {
        Map<Method, Sanity.Method> covered = covered(plan);
        List<Tuple2<String, Integer>> chosen = new ArrayList<>();
        for (Map.Entry<String, List<Visualizer.Selection>> e : byImage.entrySet()) {
            if (chosen.size() == n || plan.perFeatureMap()) break;
            chosen.add(new Tuple2<>(e.getKey(), plan.units().get(e.getValue().get(0).unit()).channel()));
        }
        if (chosen.isEmpty() || covered.isEmpty()) {
            run.spark.createDataFrame(run.jsc.emptyRDD(), SCHEMA).write().parquet(staging + "/sanity.parquet");
            return List.of();
        }
        Visualize.progress("sanity check: " + chosen.size() + " images, " + covered.keySet() + ", cascading randomization from the head");
        Broadcast<SerializableConfiguration> hconf = run.hadoopConf();
        Broadcast<Visualizer.Plan> bplan = run.broadcast(plan);
        List<Sanity.Method> methods = List.copyOf(covered.values());
        List<Row> rows = run.jsc.parallelize(chosen, chosen.size()).flatMap(t -> {
            Visualizer.Plan p = bplan.value();
            Visualizer v = Scan.visualizer(p, model, p.batch(), hconf.value().value());
            ImagePrep.Result img = ImagePrep.read(t._1(), p.size(), limits, hconf.value().value());
            List<Row> out = new ArrayList<>();
            if (!img.ok()) return out.iterator();
            String scoreNode = p.units().get(0).scoreNode();
            for (Sanity.Result r : Sanity.run(v.model(), v.model().layer(scoreNode), List.of(v.input(img)), t._2(), methods,
                    p.options().steps(), seed)) {
                for (Sanity.Step s : r.steps()) {
                    out.add(RowFactory.create(t._1(), t._2(), name(r.method()), s.randomized(), s.layer(), s.spearmanAbs()[0],
                            s.spearmanSigned()[0], s.ssim()[0]));
                }
            }
            return out.iterator();
        }).collect();
        run.spark.createDataFrame(rows, SCHEMA).coalesce(1).write().parquet(staging + "/sanity.parquet");
        return results(rows);
    }

    /** The rows as one result per method, each step's arrays over the images (NaN kept: a constant map has no rank correlation). */
    static List<Sanity.Result> results(List<Row> rows) {
        Map<String, Map<Integer, List<Row>>> by = new LinkedHashMap<>();
        for (Row r : rows) by.computeIfAbsent(r.getString(2), k -> new java.util.TreeMap<>()).computeIfAbsent(r.getInt(3), k -> new ArrayList<>()).add(r);
        List<Sanity.Result> out = new ArrayList<>();
        for (Map.Entry<String, Map<Integer, List<Row>>> m : by.entrySet()) {
            List<Sanity.Step> steps = new ArrayList<>();
            for (Map.Entry<Integer, List<Row>> st : m.getValue().entrySet()) {
                List<Row> rs = st.getValue();
                double[] a = new double[rs.size()], s = new double[rs.size()], q = new double[rs.size()];
                for (int i = 0; i < rs.size(); i++) {
                    a[i] = rs.get(i).getDouble(5);
                    s[i] = rs.get(i).getDouble(6);
                    q[i] = rs.get(i).getDouble(7);
                }
                steps.add(new Sanity.Step(st.getKey(), rs.get(0).getString(4), a, s, q));
            }
            out.add(new Sanity.Result(Sanity.Method.valueOf(m.getKey().toUpperCase(Locale.ROOT).replace('-', '_')), steps));
        }
        return out;
    }

    /** The mean over the images whose maps have a rank correlation (a constant map, e.g. all zero, has none). */
    static double nanMean(double[] v) {
        double sum = 0;
        int n = 0;
        for (double d : v) if (!Double.isNaN(d)) {
            sum += d;
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private static String cell(Sanity.Step s) {
        long constant = java.util.Arrays.stream(s.spearmanAbs()).filter(Double::isNaN).count();
        String mean = Double.isNaN(nanMean(s.spearmanAbs())) ? "undefined" : String.format(Locale.ROOT, "%.3f", nanMean(s.spearmanAbs()));
        return constant == 0 ? mean : mean + " (" + constant + " of " + s.spearmanAbs().length + " maps constant)";
    }

    static String name(Sanity.Method m) { return m.name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    /**
     * The gallery section: the plot, and per method the mean rank correlation of |map| with the trained model's map
     * after the head alone and after every layer is randomized. A method whose maps stay close (>= 0.9) with the head
     * randomized is flagged: its maps do not show what the top of the model learned.
     */
    static String html(List<Sanity.Result> results, int images) {
        if (results.isEmpty()) return "";
        StringBuilder h = new StringBuilder("<h2 id=\"sanity\">Sanity check: model-parameter randomization</h2>\n<p>Adebayo et al. 2018: ")
                .append("the layers' parameters are re-drawn from the head down, one layer more per step, and each map is compared with ")
                .append("the trained model's (Spearman rank correlation of |map|, mean over ").append(images).append(" images). A map that ")
                .append("stays the same while the model is destroyed does not explain the model.</p>\n")
                .append(Sanity.svg(results)).append("\n<table id=\"sanity-table\"><tr><th>method</th><th>head randomized</th>")
                .append("<th>all randomized</th><th>verdict</th></tr>\n");
        for (Sanity.Result r : results) {
            List<Sanity.Step> s = r.steps();
            double head = s.size() > 1 ? nanMean(s.get(1).spearmanAbs()) : Double.NaN, all = nanMean(s.get(s.size() - 1).spearmanAbs());
            String verdict = head >= 0.9 ? "FLAGGED: barely changes with the head randomized" : "changes with the model";
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>%n", name(r.method()), cell(s.get(1)),
                    cell(s.get(s.size() - 1)), verdict));
        }
        return h.append("</table>\n").toString();
    }
}
