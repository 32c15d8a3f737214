package io.github.deconvspark.jobs.visualize;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The k strongest values of each unit (a feature map, or a class score) over a data set, as a
 * mergeable aggregate (add one image's values; merge two partial results), so that Spark can
 * compute it partition by partition and combine partial results in a tree. The order is total:
 * value descending, then image path ascending, so the result does not depend on partitioning or
 * merge order. NaN values are never selected.
 */
public final class TopK implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One selected activation. */
    public record Entry(String path, float value, int position) implements Serializable {}

    private final int k;
    private final Entry[][] best;     // per unit, sorted best first, at most k
    private final int[] count;

    public TopK(int units, int k) {
        if (k < 1) throw new IllegalArgumentException("top-k: k must be >= 1, got " + k);
        this.k = k;
        this.best = new Entry[units][k];
        this.count = new int[units];
    }

    public int units() { return best.length; }

    /** Adds one image's per-unit values and positions. */
    public TopK add(String path, float[] values, int[] positions) {
        if (values.length != best.length) {
            throw new IllegalArgumentException("top-k: " + path + " has " + values.length + " values, expected " + best.length);
        }
        for (int u = 0; u < values.length; u++) {
            if (!Float.isNaN(values[u])) offer(u, new Entry(path, values[u], positions == null ? -1 : positions[u]));
        }
        return this;
    }

    /** Merges {@code other} into this one (and returns this). */
    public TopK merge(TopK other) {
        if (other.best.length != best.length || other.k != k) throw new IllegalArgumentException("top-k: merging different shapes");
        for (int u = 0; u < best.length; u++) {
            for (int i = 0; i < other.count[u]; i++) offer(u, other.best[u][i]);
        }
        return this;
    }

    static boolean before(Entry a, Entry b) {
        int c = Float.compare(b.value(), a.value());
        return c < 0 || (c == 0 && a.path().compareTo(b.path()) < 0);
    }

    private void offer(int u, Entry e) {
        Entry[] row = best[u];
        int n = count[u];
        if (n == k && !before(e, row[n - 1])) return;
        int i = Math.min(n, k - 1);
        while (i > 0 && before(e, row[i - 1])) {
            row[i] = row[i - 1];
            i--;
        }
        row[i] = e;
        if (n < k) count[u] = n + 1;
    }

    /** The selected entries of a unit, best first. */
    public List<Entry> of(int unit) {
        List<Entry> out = new ArrayList<>(count[unit]);
        for (int i = 0; i < count[unit]; i++) out.add(best[unit][i]);
        return out;
    }
}
