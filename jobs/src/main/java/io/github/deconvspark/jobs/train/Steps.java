package io.github.deconvspark.jobs.train;

import io.github.deconvspark.jobs.gradients.GradientSum;
import io.github.deconvspark.jobs.labelled.LabelledData;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;

/** How a training step's gradient and an evaluation are computed: on Spark, or in this process (the baseline). */
public interface Steps {
    /** The summed loss gradient over the examples with the given sorted global indices. */
    GradientSum step(double[] params, long[] idx);

    /** Summed loss and hits over the held-out set (no gradients). */
    GradientSum evaluate(double[] params);

    /**
     * On Spark: the training blocks cached on the executors; each step broadcasts the parameters, every
     * partition gathers its share of the batch and runs it once, and the partial sums are combined with
     * treeAggregate; the broadcast is destroyed after the step.
     */
    final class OnSpark implements Steps {
        private final JavaSparkContext jsc;
        private final JavaRDD<LabelledData.Block> train, test;
        private final String text;
        private final DataType dtype;
        private final int size, depth, perExample;
        /** Driver-side time of the steps so far: broadcasting the parameters, the Spark job, destroying the broadcast. */
        public long broadcastNanos, jobNanos, destroyNanos;

        public OnSpark(JavaSparkContext jsc, JavaRDD<LabelledData.Block> train, JavaRDD<LabelledData.Block> test, String text, DataType dtype,
                       int size, int perExample, int depth) {
            this.jsc = jsc;
            this.train = train;
            this.test = test;
            this.text = text;
            this.dtype = dtype;
            this.size = size;
            this.perExample = perExample;
            this.depth = depth;
        }

        @Override public GradientSum step(double[] params, long[] idx) {
            long t0 = System.nanoTime();
            Broadcast<Object> w = jsc.broadcast(Nets.wire(params, dtype));
            long t1 = System.nanoTime();
            try {
                String text = this.text;
                DataType dtype = this.dtype;
                int size = this.size, per = this.perExample;
                return train.mapPartitions(blocks -> {
                    LabelledData.Block mine = Batches.gather(blocks, idx, per);
                    return List.of(Nets.add(new GradientSum(size), text, dtype, w.value(), mine, true)).iterator();
                }).treeAggregate(new GradientSum(size), GradientSum::merge, GradientSum::merge, depth);
            } finally {
                long t2 = System.nanoTime();
                w.destroy();
                broadcastNanos += t1 - t0;
                jobNanos += t2 - t1;
                destroyNanos += System.nanoTime() - t2;
            }
        }

        @Override public GradientSum evaluate(double[] params) {
            Broadcast<Object> w = jsc.broadcast(Nets.wire(params, dtype));
            try {
                String text = this.text;
                DataType dtype = this.dtype;
                return test.treeAggregate(new GradientSum(size), (acc, b) -> Nets.add(acc, text, dtype, w.value(), b, false),
                        GradientSum::merge, depth);
            } finally {
                w.destroy();
            }
        }
    }

    /** The same steps in this process, over blocks held in memory: one graph run per step. */
    final class InProcess implements Steps {
        private final List<LabelledData.Block> train, test;
        private final String text;
        private final DataType dtype;
        private final int size, perExample;

        public InProcess(List<LabelledData.Block> train, List<LabelledData.Block> test, String text, DataType dtype, int size, int perExample) {
            this.train = train;
            this.test = test;
            this.text = text;
            this.dtype = dtype;
            this.size = size;
            this.perExample = perExample;
        }

        @Override public GradientSum step(double[] params, long[] idx) {
            LabelledData.Block batch = Batches.gather(train.iterator(), idx, perExample);
            return Nets.add(new GradientSum(size), text, dtype, Nets.wire(params, dtype), batch, true);
        }

        @Override public GradientSum evaluate(double[] params) {
            GradientSum acc = new GradientSum(size);
            Object w = Nets.wire(params, dtype);
            for (LabelledData.Block b : test) Nets.add(acc, text, dtype, w, b, false);
            return acc;
        }
    }
}
