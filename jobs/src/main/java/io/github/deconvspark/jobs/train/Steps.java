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
     * partition gathers its share of the batch and runs it once, and the partial sums are merged on the
     * driver as the tasks return them (depth 1) or combined with treeAggregate (depth >= 2, for many
     * executors); the broadcast is destroyed after the step.
     */
    final class OnSpark implements Steps {
        private final JavaSparkContext jsc;
        private final JavaRDD<LabelledData.Block> train, test;
        private final String text;
        private final DataType dtype;
        private final int size, depth, perExample;
        /**
         * Driver-side time of the steps so far: broadcasting the parameters, the Spark job, destroying the
         * broadcast; and (local mode, one clock) from submitting to the first task's start, from the last
         * task's end to the job's result on the driver.
         */
        public long broadcastNanos, jobNanos, destroyNanos, launchNanos, returnNanos;

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
            Broadcast<byte[]> w = jsc.broadcast(Nets.wire(params, dtype));
            long t1 = System.nanoTime();
            try {
                StepTask task = new StepTask(w, idx, text, dtype, size, perExample);
                if (depth > 1) {
                    return train.mapPartitions(blocks -> List.of(task.compute(blocks)).iterator())
                            .treeAggregate(new GradientSum(size), GradientSum::merge, GradientSum::merge, depth);
                }
                // depth 1: one job straight over the cached blocks, the partial sums merged here; a Java function,
                // so Spark's closure cleaner does not parse Scala closures' bytecode on every step (~10 ms here)
                GradientSum total = new GradientSum(size);
                for (GradientSum g : (GradientSum[]) jsc.sc().runJob(train.rdd(), task, scala.reflect.ClassTag$.MODULE$.apply(GradientSum.class))) {
                    total.merge(g);
                }
                if (jsc.sc().isLocal() && total.firstStartNanos() != Long.MAX_VALUE) {
                    launchNanos += total.firstStartNanos() - t1;
                    returnNanos += System.nanoTime() - total.lastEndNanos();
                }
                return total;
            } finally {
                long t2 = System.nanoTime();
                w.destroy();
                broadcastNanos += t1 - t0;
                jobNanos += t2 - t1;
                destroyNanos += System.nanoTime() - t2;
            }
        }

        @Override public GradientSum evaluate(double[] params) {
            Broadcast<byte[]> w = jsc.broadcast(Nets.wire(params, dtype));
            try {
                String text = this.text;
                DataType dtype = this.dtype;
                return test.treeAggregate(new GradientSum(size), (acc, b) -> Nets.add(acc, text, dtype, Nets.unwire(w.value(), dtype), b, false),
                        GradientSum::merge, Math.max(2, depth));
            } finally {
                w.destroy();
            }
        }
    }

    /** One partition's part of a step: gather the batch's examples it holds, one forward-backward run. */
    final class StepTask extends scala.runtime.AbstractFunction2<org.apache.spark.TaskContext, scala.collection.Iterator<LabelledData.Block>,
            GradientSum> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final Broadcast<byte[]> params;
        private final long[] idx;
        private final String text;
        private final DataType dtype;
        private final int size, perExample;

        StepTask(Broadcast<byte[]> params, long[] idx, String text, DataType dtype, int size, int perExample) {
            this.params = params;
            this.idx = idx;
            this.text = text;
            this.dtype = dtype;
            this.size = size;
            this.perExample = perExample;
        }

        GradientSum compute(java.util.Iterator<LabelledData.Block> blocks) {
            long t0 = System.nanoTime();
            LabelledData.Block mine = Batches.gather(blocks, idx, perExample);
            GradientSum g = Nets.add(new GradientSum(size), text, dtype, Nets.unwire(params.value(), dtype), mine, true);
            return g.span(t0, System.nanoTime());
        }

        @Override public GradientSum apply(org.apache.spark.TaskContext context, scala.collection.Iterator<LabelledData.Block> blocks) {
            return compute(scala.jdk.javaapi.CollectionConverters.asJava(blocks));
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
            return Nets.add(new GradientSum(size), text, dtype, Nets.unwire(Nets.wire(params, dtype), dtype), batch, true);
        }

        @Override public GradientSum evaluate(double[] params) {
            GradientSum acc = new GradientSum(size);
            Object w = Nets.unwire(Nets.wire(params, dtype), dtype);
            for (LabelledData.Block b : test) Nets.add(acc, text, dtype, w, b, false);
            return acc;
        }
    }
}
