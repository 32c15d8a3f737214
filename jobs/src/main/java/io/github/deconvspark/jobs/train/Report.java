package io.github.deconvspark.jobs.train;

import io.github.deconvspark.jobs.frame.Html;
import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.models.net.NetSpec;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The training report: loss and accuracy per epoch as SVG line charts, the table, the network and the settings. */
final class Report {
    private Report() {}

    static String html(NetSpec spec, JobConfig cfg, List<Trainer.Epoch> history, Train.Data data) {
        Trainer.Epoch last = history.get(history.size() - 1);
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>train</title>\n")
                .append("<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;font-size:.85em}")
                .append("td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}pre{background:#f6f6f6;padding:.5em}")
                .append(".charts{display:flex;gap:2em;flex-wrap:wrap}</style></head><body>\n");
        h.append(String.format(Locale.ROOT, "<h1>Training: %.2f %% held-out accuracy after %d epochs</h1>\n", 100 * last.testAccuracy(), last.epoch()));
        h.append("<p>").append(Html.esc(data.train().describe())).append("<br>held out: ").append(Html.esc(data.test().describe()))
                .append(data.rejects().isEmpty() ? "" : "<br>" + data.rejects().size() + " bad records skipped").append("</p>\n");
        h.append("<div class=\"charts\">")
                .append(chart("loss (softmax cross-entropy)", history, List.of(Trainer.Epoch::trainLoss, Trainer.Epoch::testLoss), false))
                .append(chart("accuracy (%)", history, List.of(e -> 100 * e.trainAccuracy(), e -> 100 * e.testAccuracy()), true))
                .append("</div>\n<p><span style=\"color:#1f77b4\">&#9632; training (mean over the epoch's batches)</span> &nbsp; ")
                .append("<span style=\"color:#d62728\">&#9632; held out (after the epoch)</span></p>\n");
        h.append("<table><tr><th>epoch</th><th>learning rate</th><th>train loss</th><th>train accuracy</th><th>held-out loss</th>")
                .append("<th>held-out accuracy</th><th>seconds</th><th>images/s</th></tr>\n");
        for (Trainer.Epoch e : history) {
            h.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%.3g</td><td>%.4f</td><td>%.2f %%</td><td>%.4f</td><td>%.2f %%</td><td>%.1f</td><td>%.0f</td></tr>%n",
                    e.epoch(), e.learningRate(), e.trainLoss(), 100 * e.trainAccuracy(), e.testLoss(), 100 * e.testAccuracy(), e.seconds(),
                    e.imagesPerSecond()));
        }
        h.append("</table>\n<h2>Network</h2>\n<p>").append(Html.esc(spec.summary())).append("</p>\n<pre>").append(Html.esc(spec.text()))
                .append("</pre>\n<p>Model: <code>model/model.json</code> (TF.js graph model; <code>bin/deconv-spark visualize --model OUTPUT/model/model.json")
                .append(" --head ").append(Html.esc(spec.layers().get(spec.layers().size() - 1).name())).append("/BiasAdd ...</code>); ")
                .append("checkpoints: <code>checkpoints/epoch-NNNN/</code>; history: <a href=\"history.csv\">history.csv</a>; settings: ")
                .append("<a href=\"manifest.json\">manifest.json</a>.</p>\n</body></html>\n");
        return h.toString();
    }

    /** A 360x220 line chart of the series over the epochs. */
    static String chart(String title, List<Trainer.Epoch> history, List<ToDoubleFunction<Trainer.Epoch>> series, boolean percent) {
        String[] colors = {"#1f77b4", "#d62728"};
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (ToDoubleFunction<Trainer.Epoch> f : series) {
            for (Trainer.Epoch e : history) {
                double v = f.applyAsDouble(e);
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (!(hi > lo)) {
            hi = (Double.isFinite(hi) ? hi : 0) + 1;
            lo = hi - 2;
        }
        double pad = (hi - lo) * 0.08;
        lo -= pad;
        hi += pad;
        int w = 360, hgt = 220, l = 50, r = 10, t = 24, b = 30;
        int n = history.size();
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-size=\"11\"><text x=\"%d\" y=\"14\" font-weight=\"bold\">%s</text>", w, hgt, l, Html.esc(title)));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>", l, t, w - l - r, hgt - t - b));
        for (int k = 0; k <= 4; k++) {
            double v = lo + (hi - lo) * k / 4;
            double y = t + (hgt - t - b) * (1 - (double) k / 4);
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", l - 4, y + 4,
                    percent ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.3g", v)));
        }
        for (int i = 0; i < n; i++) {
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>", x(i, n, l, w - r), hgt - b + 14,
                    history.get(i).epoch()));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">epoch</text>", (l + w - r) / 2, hgt - 3));
        for (int k = 0; k < series.size(); k++) {
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < n; i++) {
                double v = series.get(k).applyAsDouble(history.get(i));
                if (!Double.isFinite(v)) continue;
                double x = x(i, n, l, w - r), y = t + (hgt - t - b) * (hi - v) / (hi - lo);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>", x, y, colors[k]));
            }
            s.append("<polyline fill=\"none\" stroke=\"").append(colors[k]).append("\" stroke-width=\"1.5\" points=\"").append(pts).append("\"/>");
        }
        return s.append("</svg>").toString();
    }

    private static double x(int i, int n, int left, int right) {
        return n == 1 ? (left + right) / 2.0 : left + 12 + (right - left - 24) * (double) i / (n - 1);
    }
}
