package io.github.deconvspark.jobs.gradcheck;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;

/**
 * The gradient-check summary page: the verdict, failing cases first (with their ids to re-run one
 * with {@code --case}), then per op a histogram of |analytic - numeric| / tolerance (log scale;
 * right of the red line fails), cases and time. Static HTML with inline SVG.
 */
final class Summaries {
    private Summaries() {}

    static final int MAX_FAILURES = 500;
    static final int LO = -40, HI = 12;            // bins: quarter decades of the tolerance ratio, 1e-10 .. 1e3

    static String html(GradCheck.Summary s, long seed, List<Row> byOp, List<Row> hist, List<Row> failures) {
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gradcheck</title>\n")
                .append("<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;font-size:.85em}")
                .append("td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}.fail{color:#b00}.ok{color:#070}")
                .append("</style></head><body>\n");
        h.append("<h1>Gradient check: ").append(s.failed() == 0 ? "<span class=\"ok\">all " + s.cases() + " cases pass</span>"
                : "<span class=\"fail\">" + s.failed() + " of " + s.cases() + " cases fail</span>").append("</h1>\n");
        h.append(String.format(Locale.ROOT, "<p>Seed %d, %d ops, %.1f s (%.0f cases/s). Analytic gradients (first or second order) "
                + "against float64 central differences; a case passes when every compared entry has |analytic - numeric| &le; "
                + "atol + rtol |numeric|. Re-run one case with <code>bin/deconv-spark gradcheck --case ID</code>.</p>\n",
                seed, byOp.size(), s.seconds(), s.casesPerSecond()));
        if (!failures.isEmpty()) {
            h.append("<h2 class=\"fail\">Failing cases</h2>\n<table><tr><th>case</th><th>op</th><th>parameters</th><th>order</th>")
                    .append("<th>status</th><th>|diff| / tolerance</th><th>detail</th></tr>\n");
            for (Row r : failures) {
                h.append("<tr><td><code>").append(esc(r.get(0))).append("</code></td><td>").append(esc(r.get(1))).append("</td><td>")
                        .append(esc(r.get(2))).append("</td><td>").append(esc(r.get(3))).append("</td><td class=\"fail\">").append(esc(r.get(4)))
                        .append("</td><td>").append(r.isNullAt(5) ? "" : String.format(Locale.ROOT, "%.3g", r.getDouble(5)))
                        .append("</td><td>").append(esc(r.get(6))).append("</td></tr>\n");
            }
            h.append("</table>\n");
            if (s.failed() > failures.size()) h.append("<p>... all of them are in cases.parquet.</p>\n");
        }
        Map<String, int[]> bins = new TreeMap<>();
        for (Row r : hist) {
            int b = Math.max(LO, Math.min(HI - 1, r.getInt(1)));
            bins.computeIfAbsent(r.getString(0), k -> new int[HI - LO])[b - LO] += (int) r.getLong(2);
        }
        h.append("<h2>Error distribution per op</h2>\n<p>Histogram of |analytic - numeric| / tolerance of each case's worst entry "
                + "(log scale, 1e-10 to 1e3; the red line is the tolerance).</p>\n<table><tr><th>op</th><th>cases</th><th>failed</th>"
                + "<th>time</th><th>distribution</th></tr>\n");
        for (Row r : byOp) {
            String op = r.getString(0);
            long n = r.getLong(1), f = r.getLong(2);
            h.append("<tr><td>").append(esc(op)).append("</td><td>").append(n).append("</td><td").append(f > 0 ? " class=\"fail\"" : "")
                    .append(">").append(f).append("</td><td>").append(String.format(Locale.ROOT, "%.0f ms", r.getDouble(3))).append("</td><td>")
                    .append(svg(bins.getOrDefault(op, new int[HI - LO]))).append("</td></tr>\n");
        }
        h.append("</table>\n<p>Every verdict: <code>cases.parquet</code>; settings: <a href=\"manifest.json\">manifest.json</a>.</p>\n")
                .append("</body></html>\n");
        return h.toString();
    }

    static String svg(int[] counts) {
        int w = 4, height = 28, max = 1;
        for (int c : counts) max = Math.max(max, c);
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\">", counts.length * w,
                height + 2));
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) continue;
            int bh = Math.max(1, (int) Math.round((double) counts[i] / max * height));
            boolean fail = i + LO >= 0;
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%d</title></rect>",
                    i * w, height - bh, w - 1, bh, fail ? "#c33" : "#4a7", counts[i]));
        }
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\" stroke=\"red\"/></svg>", -LO * w, -LO * w, height + 2));
        return s.toString();
    }

    static String esc(Object o) {
        return io.github.deconvspark.jobs.frame.Html.esc(o);
    }
}
