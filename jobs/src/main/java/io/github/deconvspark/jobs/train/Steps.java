package io.github.deconvspark.jobs.train;

import io.github.deconvspark.jobs.labelled.LabelledData;
import io.github.deconvspark.jobs.nets.Batches;
import io.github.deconvspark.jobs.nets.GradientSum;
import io.github.deconvspark.jobs.nets.Nets;
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

    /** What a step computes with: the description, the dtype, the parameter count and the values per example. */
    record Work(String text, DataType dtype, int size, int perExample) implements java.io.Serializable {
        /** Adds one block's loss, hits and (optionally) gradient to {@code acc}; params as {@link Nets#unwire} gives them. */
        GradientSum add(GradientSum acc, Object params, LabelledData.Block b, boolean gradients) {
            return Nets.add(acc, text, dtype, params, b, gradients);
        }

        /** One partition's part of a step: the examples of {@code idx} among its blocks, one forward-backward run. */
        GradientSum step(java.util.Iterator<LabelledData.Block> blocks, long[] idx, Object params) {
            long t0 = System.nanoTime();
            LabelledData.Block mine = Batches.gather(blocks, idx, perExample);
            return add(new GradientSum(size), params, mine, true).span(t0, System.nanoTime());
        }
    }

    /**
     * On Spark: the training blocks cached on the executors; each step broadcasts the parameters, every
     * partition gathers its share of the batch and runs it once, and the partial sums are merged on the
     * driver as the tasks return them (depth 1) or combined with treeAggregate (depth >= 2, for many
     * executors); the broadcast is destroyed after the step.
     */
    final class OnSpark implements Steps {
        private final JavaSparkContext jsc;
        private final JavaRDD<LabelledData.Block> train, test;
        private final Work work;
        private final int depth;
        /**
         * Driver-side time of the steps so far: broadcasting the parameters, the Spark job, destroying the
         * broadcast; and (local mode, one clock) from submitting to the first task's start, from the last
         * task's end to the job's result on the driver.
         */
        public long broadcastNanos, jobNanos, destroyNanos, launchNanos, returnNanos;

        public OnSpark(JavaSparkContext jsc, JavaRDD<LabelledData.Block> train, JavaRDD<LabelledData.Block> test, Work work, int depth) {
            this.jsc = jsc;
            this.train = train;
            this.test = test;
            this.work = work;
            this.depth = depth;
        }

        @Override public GradientSum step(double[] params, long[] idx) {
            long t0 = System.nanoTime();
            Broadcast<byte[]> w = jsc.broadcast(Nets.wire(params, work.dtype()));
            long t1 = System.nanoTime();
            try {
                Work work = this.work;
                if (depth > 1) {
                    return train.mapPartitions(blocks -> List.of(work.step(blocks, idx, Nets.unwire(w.value(), work.dtype()))).iterator())
                            .treeAggregate(new GradientSum(work.size()), GradientSum::merge, GradientSum::merge, depth);
                }
                // depth 1: one job straight over the cached blocks, the partial sums merged here; a Java function,
                // so Spark's closure cleaner does not parse Scala closures' bytecode on every step (~10 ms here)
                GradientSum total = new GradientSum(work.size());
                StepTask task = new StepTask(work, idx, w);
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
            Broadcast<byte[]> w = jsc.broadcast(Nets.wire(params, work.dtype()));
            try {
                Work work = this.work;
                return test.treeAggregate(new GradientSum(work.size()), (acc, b) -> work.add(acc, Nets.unwire(w.value(), work.dtype()), b, false),
                        GradientSum::merge, depth);
            } finally {
                w.destroy();
            }
        }
    }

    /** A step's task as a Java class (see {@link OnSpark#step}). */
    final class StepTask extends scala.runtime.AbstractFunction2<org.apache.spark.TaskContext, scala.collection.Iterator<LabelledData.Block>,
            GradientSum> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final Work work;
        private final long[] idx;
        private final Broadcast<byte[]> params;

        StepTask(Work work, long[] idx, Broadcast<byte[]> params) {
            this.work = work;
            this.idx = idx;
            this.params = params;
        }

        @Override public GradientSum apply(org.apache.spark.TaskContext context, scala.collection.Iterator<LabelledData.Block> blocks) {
            return work.step(scala.jdk.javaapi.CollectionConverters.asJava(blocks), idx, Nets.unwire(params.value(), work.dtype()));
        }
    }

    /** The same steps in this process, over blocks held in memory: one graph run per step. */
    final class InProcess implements Steps {
        private final List<LabelledData.Block> train, test;
        private final Work work;

        public InProcess(List<LabelledData.Block> train, List<LabelledData.Block> test, Work work) {
            this.train = train;
            this.test = test;
            this.work = work;
        }

        @Override public GradientSum step(double[] params, long[] idx) {
            return work.step(train.iterator(), idx, Nets.forGraph(params, work.dtype()));
        }

        @Override public GradientSum evaluate(double[] params) {
            GradientSum acc = new GradientSum(work.size());
            Object w = Nets.forGraph(params, work.dtype());
            for (LabelledData.Block b : test) work.add(acc, w, b, false);
            return acc;
        }
    }
}
