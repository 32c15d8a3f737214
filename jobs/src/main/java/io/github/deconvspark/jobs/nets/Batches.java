package io.github.deconvspark.jobs.nets;

import io.github.deconvspark.jobs.labelled.LabelledData;
import java.util.Arrays;
import java.util.Iterator;
import java.util.SplittableRandom;

/**
 * Which examples each training step uses, the same however the data is partitioned: epoch e
 * shuffles the global indices 0..n-1 with a seed of (seed, e); step s takes positions
 * [s*B, (s+1)*B) of that order (the last partial batch is dropped). A partition then gathers the
 * step's examples it holds ({@link #gather}), so the union over partitions is exactly the batch.
 */
public final class Batches {
    private Batches() {}

    /** The epoch's order of the global indices 0..n-1 (Fisher-Yates, seeded). */
    public static int[] order(long n, long seed, int epoch) {
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("Batches: " + n + " examples; at most " + Integer.MAX_VALUE);
        int[] p = new int[(int) n];
        for (int i = 0; i < p.length; i++) p[i] = i;
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = p.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    public static int steps(long n, int batch) {
        return (int) (n / batch);
    }

    /** Step s's global indices, sorted. */
    public static long[] step(int[] order, int s, int batch) {
        long[] idx = new long[batch];
        for (int i = 0; i < batch; i++) idx[i] = order[s * batch + i];
        Arrays.sort(idx);
        return idx;
    }

    /** The examples of sorted {@code idx} held by {@code blocks} (each block's indices ascending), as one block. */
    public static LabelledData.Block gather(Iterator<LabelledData.Block> blocks, long[] idx, int perExample) {
        float[] x = new float[idx.length * perExample];
        int[] y = new int[idx.length];
        long[] index = new long[idx.length];
        int n = 0;
        while (blocks.hasNext()) {
            LabelledData.Block b = blocks.next();
            long[] bi = b.index();
            if (bi.length == 0) continue;
            int i = lowerBound(idx, bi[0]), j = 0;
            while (i < idx.length && j < bi.length) {
                if (idx[i] < bi[j]) {
                    i++;
                } else if (idx[i] > bi[j]) {
                    j++;
                } else {
                    System.arraycopy(b.x(), j * perExample, x, n * perExample, perExample);
                    y[n] = b.y()[j];
                    index[n] = bi[j];
                    n++;
                    i++;
                    j++;
                }
            }
        }
        return new LabelledData.Block(Arrays.copyOf(index, n), Arrays.copyOf(x, n * perExample), Arrays.copyOf(y, n), java.util.List.of());
    }

    /** The first {@code k} examples of the blocks, in order, as one block. */
    public static LabelledData.Block concat(java.util.List<LabelledData.Block> blocks, int k, int perExample) {
        int n = Math.min(k, blocks.stream().mapToInt(LabelledData.Block::size).sum()), at = 0;
        long[] index = new long[n];
        float[] x = new float[n * perExample];
        int[] y = new int[n];
        for (LabelledData.Block b : blocks) {
            int m = Math.min(b.size(), n - at);
            System.arraycopy(b.index(), 0, index, at, m);
            System.arraycopy(b.x(), 0, x, at * perExample, m * perExample);
            System.arraycopy(b.y(), 0, y, at, m);
            at += m;
        }
        return new LabelledData.Block(index, x, y, java.util.List.of());
    }

    private static int lowerBound(long[] a, long v) {
        int lo = 0, hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < v) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
