package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.inputs.Uris;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * The HTML gallery ({@code index.html}): per layer, per feature map (or class), the top-k
 * projections beside the input patches that produced them, as in Zeiler and Fergus' figures;
 * then the rejected files with their reasons. One static page, relative links, no scripts from
 * elsewhere. A small inline script reports how many pictures loaded (also as data attributes on
 * the body, which the browser test reads).
 */
final class Gallery {
    private Gallery() {}

    static final int MAX_REJECTS = 200;

    static String html(String title, Visualizer.Plan plan, List<Row> projections, List<Row> rejects, Map<String, Long> byRule,
                       Visualize.Summary s, String model, String sections) {
        Map<String, Map<Integer, List<Row>>> byLayer = new LinkedHashMap<>();
        for (Row r : projections) {
            byLayer.computeIfAbsent(r.getAs("layer"), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.<Integer>getAs("channel"), k -> new ArrayList<>()).add(r);
        }
        boolean perMap = plan.perFeatureMap();
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>").append(esc(title)).append(" - ")
                .append(esc(plan.method())).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}\n")
                .append("h2{margin-top:1.6em;border-bottom:1px solid #ccc}\n")
                .append(".unit{display:inline-block;vertical-align:top;margin:0 1.2em 1.2em 0;padding:.5em;background:#fff;border:1px solid #ddd}\n")
                .append(".unit h3{margin:.1em 0 .4em;font-size:1em}\n")
                .append(".grid{display:grid;grid-template-columns:repeat(3,72px);gap:3px;margin-right:.8em}\n")
                .append(".pair{display:flex}\n.grid img{width:72px;height:72px;object-fit:contain;background:#888;image-rendering:pixelated}\n")
                .append("figcaption{font-size:.75em;color:#555}\n table{border-collapse:collapse;font-size:.85em}\n")
                .append("td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}\n#status{color:#555}\n")
                .append(".methods img{width:96px;height:96px;object-fit:contain;background:#888;image-rendering:pixelated}\n")
                .append("</style></head>\n<body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n<p>").append(plan.methods().size() > 1 ? "Methods" : "Method").append(" <b>").append(esc(plan.method())).append("</b>; model <code>")
                .append(esc(model)).append("</code> (SHA-256 ").append(plan.modelSha256(), 0, 12).append("&hellip;); ")
                .append(s.images()).append(" images, ").append(s.projections()).append(" projections, ").append(s.rejects())
                .append(" rejected files; ").append(String.format(Locale.ROOT, "%.1f s", s.seconds())).append(".</p>\n");
        h.append("<p>").append(perMap
                ? "For each feature map, the top activations over the data set: on the left their projections to pixel space "
                  + "(grey is zero), on the right the input patches (receptive fields) that produced them, strongest first."
                : "For each class, the images with the highest class score: on the left the " + esc(plan.method())
                  + " map, on the right the input image, highest score first.")
                .append(" <span id=\"status\"></span></p>\n");
        for (Map.Entry<String, Map<Integer, List<Row>>> layer : byLayer.entrySet()) {
            h.append("<h2>").append(esc(layer.getKey())).append("</h2>\n");
            for (Map.Entry<Integer, List<Row>> unit : layer.getValue().entrySet()) {
                h.append("<div class=\"unit\"><h3>").append(perMap ? "feature map " : "class ").append(unit.getKey()).append("</h3>\n");
                if (plan.methods().size() > 1) {
                    sideBySide(h, plan, unit.getValue(), perMap);
                    continue;
                }
                StringBuilder proj = new StringBuilder(), patch = new StringBuilder();
                for (Row r : unit.getValue()) {
                    String tip = String.format(Locale.ROOT, "rank %d: %s = %.4g at (%d, %d) in %s", r.<Integer>getAs("rank"),
                            perMap ? "activation" : "score", r.<Float>getAs("activation"), r.<Integer>getAs("y"), r.<Integer>getAs("x"),
                            Uris.display(r.getAs("image")));
                    proj.append("<img src=\"").append(esc(r.getAs("projection_file"))).append("\" alt=\"").append(esc(tip))
                            .append("\" title=\"").append(esc(tip)).append("\">");
                    patch.append("<img src=\"").append(esc(r.getAs("patch_file"))).append("\" alt=\"").append(esc(tip))
                            .append("\" title=\"").append(esc(tip)).append("\">");
                }
                h.append("<div class=\"pair\"><div class=\"grid\">").append(proj).append("</div><div class=\"grid\">").append(patch)
                        .append("</div></div>\n");
                Row best = unit.getValue().get(0);
                h.append(String.format(Locale.ROOT, "<figcaption>top %s %.4g (%s)</figcaption></div>\n", perMap ? "activation" : "score",
                        best.<Float>getAs("activation"), esc(name(Uris.display(best.getAs("image"))))));
            }
        }
        h.append(faithfulness(plan, projections));
        h.append(sections == null ? "" : sections);
        h.append("<h2>Rejected files (").append(s.rejects()).append(")</h2>\n");
        if (rejects.isEmpty()) {
            h.append("<p>None.</p>\n");
        } else {
            h.append("<table id=\"rejects-by-rule\"><tr><th>rule</th><th>files</th></tr>\n");
            for (Map.Entry<String, Long> e : byRule.entrySet()) {
                h.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(e.getValue()).append("</td></tr>\n");
            }
            h.append("</table>\n<p></p>\n<table id=\"rejects\"><tr><th>file</th><th>rule</th><th>reason</th></tr>\n");
            for (Row r : rejects) {
                h.append("<tr><td>").append(esc(Uris.display(r.getAs("path")))).append("</td><td>").append(esc(r.getAs("rule")))
                        .append("</td><td>").append(esc(r.getAs("reason"))).append("</td></tr>\n");
            }
            h.append("</table>\n");
            if (s.rejects() > rejects.size()) h.append("<p>... the full list is in rejects.parquet.</p>\n");
        }
        h.append("<p>Tables: <code>projections.parquet</code> (raw values), <code>activations.parquet</code>, ")
                .append("<code>rejects.parquet</code>; settings in <a href=\"manifest.json\">manifest.json</a>.</p>\n");
        h.append("<script>\nwindow.addEventListener('load', function () {\n")
                .append("  var imgs = document.images, ok = 0, broken = 0;\n")
                .append("  for (var i = 0; i < imgs.length; i++) { if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++; else broken++; }\n")
                .append("  document.body.dataset.imagesLoaded = ok; document.body.dataset.imagesBroken = broken;\n")
                .append("  document.getElementById('status').textContent = ok + ' pictures' + (broken ? ', ' + broken + ' missing' : '') + '.';\n")
                .append("});\n</script>\n</body></html>\n");
        return h.toString();
    }

    /** Several methods: a row per rank, the input (patch) then each method's map, in --method order. */
    private static void sideBySide(StringBuilder h, Visualizer.Plan plan, List<Row> rows, boolean perMap) {
        Map<Integer, Map<String, Row>> byRank = new java.util.TreeMap<>();
        for (Row r : rows) byRank.computeIfAbsent(r.<Integer>getAs("rank"), k -> new LinkedHashMap<>()).put(r.getAs("method"), r);
        h.append("<table class=\"methods\"><tr><th>").append(perMap ? "patch" : "image").append("</th>");
        for (var m : plan.methods()) h.append("<th>").append(esc(m)).append("</th>");
        h.append("</tr>\n");
        Row best = null;
        for (Map.Entry<Integer, Map<String, Row>> rank : byRank.entrySet()) {
            Row any = rank.getValue().values().iterator().next();
            if (best == null) best = any;
            String tip = String.format(Locale.ROOT, "rank %d: %s = %.4g in %s", rank.getKey(), perMap ? "activation" : "score",
                    any.<Float>getAs("activation"), Uris.display(any.getAs("image")));
            h.append("<tr><td><img src=\"").append(esc(any.getAs("patch_file"))).append("\" alt=\"").append(esc(tip)).append("\" title=\"")
                    .append(esc(tip)).append("\"></td>");
            for (var m : plan.methods()) {
                Row r = rank.getValue().get(m.toString());
                h.append("<td>");
                if (r != null) {
                    h.append("<img src=\"").append(esc(r.getAs("projection_file"))).append("\" alt=\"").append(esc(m + ", " + tip))
                            .append("\" title=\"").append(esc(m + ", " + tip)).append("\">");
                }
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
        h.append(String.format(Locale.ROOT, "<figcaption>top %s %.4g (%s)</figcaption></div>\n", perMap ? "activation" : "score",
                best.<Float>getAs("activation"), esc(name(Uris.display(best.getAs("image"))))));
    }

    /** Per method, the deletion and insertion AUCs over its maps (mean and standard deviation), when they were computed. */
    static String faithfulness(Visualizer.Plan plan, List<Row> projections) {
        if (plan.faithfulnessSteps() <= 0) return "";
        Map<String, io.github.deconvspark.models.viz.Faithfulness.Aggregate> by = new LinkedHashMap<>();
        for (var m : plan.methods()) by.put(m.toString(), new io.github.deconvspark.models.viz.Faithfulness.Aggregate(plan.faithfulnessSteps()));
        for (Row r : projections) {
            if (r.getAs("deletion_auc") == null) continue;
            by.get(r.<String>getAs("method")).add(new io.github.deconvspark.models.viz.Faithfulness.Curves(doubles(r, "deletion"),
                    doubles(r, "insertion"), r.getAs("deletion_auc"), r.getAs("insertion_auc")));
        }
        StringBuilder h = new StringBuilder("<h2 id=\"faithfulness\">Faithfulness: deletion and insertion</h2>\n<p>Petsiuk et al. 2018: ")
                .append("the class probability as the map's most important pixels are deleted (set to black; lower area is better) or ")
                .append("inserted into a blurred copy (higher is better), in ").append(plan.faithfulnessSteps()).append(" steps; ")
                .append("per map in projections.parquet.</p>\n<table id=\"faithfulness-table\"><tr><th>method</th><th>maps</th>")
                .append("<th>deletion AUC</th><th>insertion AUC</th></tr>\n");
        for (var e : by.entrySet()) {
            var a = e.getValue();
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%.4f &plusmn; %.4f</td><td>%.4f &plusmn; %.4f</td></tr>%n",
                    esc(e.getKey()), a.count(), a.meanDeletionAuc(), a.stdDeletionAuc(), a.meanInsertionAuc(), a.stdInsertionAuc()));
        }
        return h.append("</table>\n").toString();
    }

    private static double[] doubles(Row r, String col) {
        List<Double> v = r.getList(r.fieldIndex(col));
        double[] d = new double[v.size()];
        for (int i = 0; i < d.length; i++) d[i] = v.get(i);
        return d;
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    static String esc(Object o) {
        return io.github.deconvspark.jobs.frame.Html.esc(o);
    }
}
