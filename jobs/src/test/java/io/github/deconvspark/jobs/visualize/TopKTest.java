package io.github.deconvspark.jobs.visualize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The top-k aggregate against a full sort, and its independence of partitioning and merge order. */
class TopKTest {
    record Item(String path, float[] values, int[] positions) {}

    static List<Item> items(int n, int units, long seed) {
        Random rnd = new Random(seed);
        List<Item> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] v = new float[units];
            int[] p = new int[units];
            for (int u = 0; u < units; u++) {
                v[u] = rnd.nextInt(20) / 4f;              // many ties
                p[u] = rnd.nextInt(100);
            }
            out.add(new Item(String.format("file:/img/%04d.png", rnd.nextInt(100000)) + i, v, p));
        }
        return out;
    }

    static List<TopK.Entry> sorted(List<Item> items, int u, int k) {
        return items.stream().map(it -> new TopK.Entry(it.path(), it.values()[u], it.positions()[u]))
                .sorted(Comparator.comparing((TopK.Entry e) -> -e.value()).thenComparing(TopK.Entry::path)).limit(k).toList();
    }

    @Test void equalsAFullSort() {
        List<Item> items = items(500, 4, 1);
        for (int k : new int[] {1, 3, 9, 600}) {
            TopK t = new TopK(4, k);
            for (Item it : items) t.add(it.path(), it.values(), it.positions());
            for (int u = 0; u < 4; u++) assertEquals(sorted(items, u, k), t.of(u), "k " + k + " unit " + u);
        }
    }

    @Test void partitioningAndMergeOrderDoNotMatter() {
        List<Item> items = items(300, 3, 2);
        TopK whole = new TopK(3, 9);
        for (Item it : items) whole.add(it.path(), it.values(), it.positions());
        Random rnd = new Random(5);
        for (int parts : new int[] {1, 2, 7, 300}) {
            List<TopK> partial = new ArrayList<>();
            for (int p = 0; p < parts; p++) partial.add(new TopK(3, 9));
            for (Item it : items) partial.get(rnd.nextInt(parts)).add(it.path(), it.values(), it.positions());
            java.util.Collections.shuffle(partial, rnd);
            TopK merged = new TopK(3, 9);
            while (partial.size() > 1) partial.add(partial.remove(0).merge(partial.remove(0)));   // tree-like
            merged.merge(partial.get(0));
            for (int u = 0; u < 3; u++) assertEquals(whole.of(u), merged.of(u), parts + " parts, unit " + u);
        }
    }

    @Test void emptySidesNaNAndTies() {
        TopK a = new TopK(1, 2), empty = new TopK(1, 2);
        assertTrue(a.merge(empty).of(0).isEmpty());
        a.add("b", new float[] {1}, new int[] {0});
        a.add("a", new float[] {1}, new int[] {5});
        a.add("c", new float[] {Float.NaN}, new int[] {1});
        a.add("d", new float[] {0.5f}, new int[] {2});
        assertEquals(List.of(new TopK.Entry("a", 1, 5), new TopK.Entry("b", 1, 0)), a.of(0), "ties: path ascending; NaN never");
        assertEquals(a.of(0), new TopK(1, 2).merge(a).of(0));
        assertEquals(a.of(0), a.merge(empty).of(0));
    }
}
