package io.github.deconvspark.models.viz;

import java.util.List;
import java.util.Locale;

/**
 * The cascading randomization curves of Adebayo et al. 2018 ("Sanity Checks for Saliency Maps", figure 2's rank
 * correlation panel) as a standalone inline SVG for an HTML gallery: x = the number of layers randomized from the top
 * (tick labels: the trained model, then each step's layer), y = the mean over the images of Spearman's rank correlation
 * of the absolute maps with the trained model's, one polyline per method (points where the mean is NaN, i.e. a map
 * turned constant, are left out of the line). The y axis spans [min(0, lowest mean rounded down to 0.1), 1].
 */
public final class SanityChart {
    private SanityChart() {}

    static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"};
    static final int WIDTH = 720, HEIGHT = 400, LEFT = 56, RIGHT = 190, TOP = 34, BOTTOM = 130;

    /** The SVG document (one {@code <svg>} element with its xmlns) of the results' curves; all results of one cascade. */
    public static String svg(List<Sanity.Result> results) {
        if (results == null || results.isEmpty()) throw new IllegalArgumentException("sanity svg: no results to plot");
        List<Sanity.Step> first = results.get(0).steps();
        for (Sanity.Result r : results) {
            if (r.steps().size() != first.size()) {
                throw new IllegalArgumentException("sanity svg: " + r.method() + " has " + r.steps().size() + " steps, "
                        + results.get(0).method() + " " + first.size() + " (plot the results of one cascade together)");
            }
        }
        double lo = 0;
        for (Sanity.Result r : results) {
            for (Sanity.Step s : r.steps()) if (Double.isFinite(s.meanSpearmanAbs())) lo = Math.min(lo, Math.floor(s.meanSpearmanAbs() * 10) / 10);
        }
        int n = first.size(), plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
        double yLo = lo;
        java.util.function.IntToDoubleFunction px = i -> LEFT + (n == 1 ? plotW / 2.0 : plotW * (double) i / (n - 1));
        java.util.function.DoubleUnaryOperator py = v -> TOP + plotH * (1 - (v - yLo) / (1 - yLo));
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        b.append("<title>Cascading randomization (Adebayo et al. 2018): mean Spearman rank correlation of |map| with the trained model's</title>\n");
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\">Cascading randomization: rank correlation of |map| with"
                + " the trained model's</text>%n", LEFT));
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n",
                LEFT, TOP, plotW, plotH));
        for (double v = yLo; v <= 1 + 1e-9; v += 0.2) {
            double y = py.applyAsDouble(v);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>%n", LEFT, y, LEFT + plotW, y, LEFT - 4, y + 4, v));
        }
        List<String> labels = labels(first);
        for (int i = 0; i < n; i++) {
            double x = px.applyAsDouble(i);
            b.append(String.format(Locale.ROOT, "<text transform=\"translate(%.1f,%d) rotate(-55)\" text-anchor=\"end\">%s</text>%n",
                    x + 3, TOP + plotH + 12, escape(labels.get(i))));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">layers randomized from the top &#8594;</text>%n",
                LEFT + plotW, HEIGHT - 6));
        b.append(String.format(Locale.ROOT, "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">mean Spearman |map|</text>%n",
                TOP + plotH / 2));
        for (int k = 0; k < results.size(); k++) {
            Sanity.Result r = results.get(k);
            String colour = COLOURS[k % COLOURS.length];
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < n; i++) {
                double v = r.steps().get(i).meanSpearmanAbs();
                if (!Double.isFinite(v)) continue;
                if (pts.length() > 0) pts.append(' ');
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f", px.applyAsDouble(i), py.applyAsDouble(v)));
            }
            b.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"><title>%s</title></polyline>%n",
                    colour, pts, escape(r.method().name())));
            int ly = TOP + 10 + 18 * k, lx = LEFT + plotW + 14;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", lx, ly, lx + 22, ly, colour, lx + 28, ly + 4, escape(label(r.method()))));
        }
        return b.append("</svg>\n").toString();
    }

    /** The steps' layer names without the prefix they all share (e.g. "StatefulPartitionedCall/model_1/"), up to a '/'. */
    static List<String> labels(List<Sanity.Step> steps) {
        List<String> names = steps.stream().skip(1).map(Sanity.Step::layer).toList();
        String prefix = names.isEmpty() ? "" : names.get(0);
        for (String s : names) while (!s.startsWith(prefix)) prefix = prefix.substring(0, prefix.length() - 1);
        int cut = prefix.lastIndexOf('/') + 1;
        List<String> out = new java.util.ArrayList<>(List.of("trained"));
        for (String s : names) out.add(names.size() > 1 ? s.substring(cut) : s);
        return out;
    }

    private static String label(Sanity.Method m) {
        return m.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
