package io.github.deconvspark.jobs.nets;

import io.github.deconvspark.models.net.Net;
import java.io.Serializable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The aggregator of the gradients and train jobs, in MLlib's pattern: a plain float64 buffer of
 * the summed gradient of every parameter (flat, {@link Net#offsets} layout) plus the summed loss,
 * the examples and the hits; {@link #add} takes one batch's result, {@link #merge} another
 * partial sum. An empty sum holds no buffer (cheap to ship as treeAggregate's zero and for empty
 * partitions); both methods return {@code this}, as Spark's seqOp/combOp want.
 *
 * <p>Sums are float64: a batch's float32 gradient is widened exactly and added, so the total does
 * not depend on the partitioning or merge order beyond float64 rounding (and not at all while the
 * partial sums are exact, which for float32 inputs holds unless they differ by > 2^29 in magnitude).
 */
public final class GradientSum implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int size;
    private transient double[] grad; // written by writeObject: as float32 when that is exact
    private double loss;
    private long count, correct;
    /** Time in graph runs: summed within a partition, the longest partition's after merges (a step's critical path). */
    private long computeNanos;
    /** Time spent adding gradients into the buffer and merging buffers (summed over tasks and the driver). */
    private long aggregateNanos;
    /** System.nanoTime() when the first task began its work and the last one ended it (comparable in one JVM: local mode). */
    private long firstStartNanos = Long.MAX_VALUE, lastEndNanos = Long.MIN_VALUE;

    public GradientSum(int size) {
        if (size < 0) throw new IllegalArgumentException("GradientSum: size " + size + " < 0");
        this.size = size;
    }

    public int size() { return size; }

    public long count() { return count; }

    public double loss() { return loss; }

    public long correct() { return correct; }

    public boolean isEmpty() { return count == 0 && grad == null; }

    public long maxPartitionComputeNanos() { return computeNanos; }

    public long aggregateNanos() { return aggregateNanos; }

    public long firstStartNanos() { return firstStartNanos; }

    public long lastEndNanos() { return lastEndNanos; }

    /** Records a task's start and end (for the step's time split). */
    public GradientSum span(long startNanos, long endNanos) {
        firstStartNanos = Math.min(firstStartNanos, startNanos);
        lastEndNanos = Math.max(lastEndNanos, endNanos);
        return this;
    }

    /** The summed gradient (zeros when empty); the array itself, not a copy. */
    public double[] sum() {
        if (grad == null) grad = new double[size];
        return grad;
    }

    /** The mean gradient over the examples (a new array); zeros when empty. */
    public double[] mean() {
        double[] m = new double[size];
        if (grad == null || count == 0) return m;
        for (int i = 0; i < size; i++) m[i] = grad[i] / count;
        return m;
    }

    /** Adds one batch: its summed loss, hits, examples and (if it has them) gradients; the arrays are closed after. */
    public GradientSum add(Net.Eval e, long nanos) {
        try {
            loss += e.lossSum();
            correct += e.correct();
            count += e.count();
            computeNanos += nanos;
            if (e.gradients() != null) {
                long t0 = System.nanoTime();
                double[] g = sum();
                int at = 0;
                for (INDArray a : e.gradients()) {
                    double[] v = a.data().asDouble();
                    for (int i = 0; i < v.length; i++) g[at + i] += v[i];
                    at += v.length;
                }
                if (at != size) throw new IllegalStateException("GradientSum.add: the batch holds " + at + " gradient values, the sum " + size);
                aggregateNanos += System.nanoTime() - t0;
            }
            return this;
        } finally {
            e.close();
        }
    }

    /** Adds raw values: a gradient sum of {@code n} examples, their summed loss and hits (for tests and other producers). */
    public GradientSum add(double[] gradientSum, double lossSum, long n, long hits) {
        if (gradientSum.length != size) throw new IllegalArgumentException("GradientSum.add: " + gradientSum.length + " values, expected " + size);
        double[] g = sum();
        for (int i = 0; i < size; i++) g[i] += gradientSum[i];
        loss += lossSum;
        count += n;
        correct += hits;
        return this;
    }

    /** Merges another partial sum into this one (either may be empty). */
    public GradientSum merge(GradientSum o) {
        if (o.size != size) throw new IllegalArgumentException("GradientSum.merge: sizes " + size + " and " + o.size);
        long t0 = System.nanoTime();
        if (o.grad != null) {
            if (grad == null) {
                grad = o.grad.clone();
            } else {
                double[] g = grad, h = o.grad;
                for (int i = 0; i < size; i++) g[i] += h[i];
            }
        }
        loss += o.loss;
        count += o.count;
        correct += o.correct;
        computeNanos = Math.max(computeNanos, o.computeNanos);
        aggregateNanos += o.aggregateNanos + (System.nanoTime() - t0);
        span(o.firstStartNanos, o.lastEndNanos);
        return this;
    }

    /**
     * The buffer goes over the wire as float32 when every value is exactly a float32 (always so for one
     * float32 batch, the usual task result): half the bytes, no loss. Otherwise as float64.
     */
    private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
        out.defaultWriteObject();
        if (grad == null) {
            out.writeByte(0);
            return;
        }
        boolean exact = true;
        for (double v : grad) {
            if ((double) (float) v != v) {
                exact = false;
                break;
            }
        }
        // one byte[] (written in bulk), not a float[]/double[] (which ObjectOutputStream writes value by value)
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(size * (exact ? 4 : 8)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (exact) {
            for (double v : grad) b.putFloat((float) v);
        } else {
            b.asDoubleBuffer().put(grad);
        }
        out.writeByte(exact ? 1 : 2);
        out.writeObject(b.array());
    }

    private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
        in.defaultReadObject();
        int kind = in.readByte();
        if (kind == 0) return;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap((byte[]) in.readObject()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        grad = new double[size];
        if (kind == 1) {
            float[] f = new float[size];
            b.asFloatBuffer().get(f);
            for (int i = 0; i < size; i++) grad[i] = f[i];
        } else {
            b.asDoubleBuffer().get(grad);
        }
    }

    @Override public String toString() {
        return "GradientSum{" + count + " examples, loss " + loss + ", " + correct + " correct, " + size + " values" + (grad == null ? ", empty" : "") + "}";
    }
}
