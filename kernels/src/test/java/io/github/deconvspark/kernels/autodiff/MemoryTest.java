package io.github.deconvspark.kernels.autodiff;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Forward and backward passes must free their native memory as they go: ND4J arrays live
 * outside the Java heap, whose collector neither sees their size nor runs in time.
 * Resident memory (Pointer.physicalBytes, what the OS sees) must stay flat over many passes.
 */
class MemoryTest {
    static final int WARMUP = 20;
    static final int PASSES = 150;
    static final int SETTLE = 40;

    static final long LIMIT = 96L << 20;
    static volatile byte[] sink;

    /** One pass allocates about 15 MB of arrays: keeping them would add over 2 GB here. */
    @Test
    void manyForwardBackwardPassesKeepNativeMemoryFlat() {
        long growth = growthOverPasses(true);
        System.out.println("MemoryTest: resident growth with memory managed: " + (growth >> 20) + " MB");
        assertTrue(growth < LIMIT, "resident memory grew by " + (growth >> 20) + " MB over " + PASSES + " passes");
    }

    /** The measurement itself: runs that leave their arrays to the collector (no workspace, no closing) must fail it. */
    @Test
    void theMeasurementSeesALeak() {
        long growth = growthOverPasses(false);
        System.out.println("MemoryTest: resident growth left to the collector: " + (growth >> 20) + " MB");
        assertTrue(growth >= LIMIT, "leaving intermediates to the collector grew resident memory by only " + (growth >> 20) + " MB");
    }

    static long collections() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(b -> Math.max(0, b.getCollectionCount())).sum();
    }

    /** Measures the peak growth of resident memory over PASSES passes after WARMUP passes. */
    static long growthOverPasses(boolean free) {
        try (Graph g = new Graph()) {
            g.manageMemory = free;
            Tensor x = g.placeholder("x", DataType.FLOAT, 8, 32, 32, 16);
            Tensor w1 = g.variable("w1", GradientCheck.uniform(DataType.FLOAT, 1, -0.1, 0.1, 3, 3, 16, 32));
            Tensor b1 = g.variable("b1", GradientCheck.uniform(DataType.FLOAT, 2, -0.1, 0.1, 32));
            Tensor w2 = g.variable("w2", GradientCheck.uniform(DataType.FLOAT, 3, -0.1, 0.1, 3, 3, 32, 32));
            int[] one = {1};
            int[] two = {2};
            Tensor h = Ops.relu(Ops.biasAdd(Ops.conv2d(x, w1, one, Padding.SAME), b1));
            h = Ops.maxPool(h, two, two, Padding.VALID, DataFormat.NHWC);
            h = Ops.relu(Ops.conv2d(h, w2, one, Padding.SAME));
            h = Ops.avgPool(h, two, two, Padding.VALID, DataFormat.NHWC);
            Tensor loss = Ops.reduceMean(Ops.square(h));
            List<Tensor> fetches = new ArrayList<>(Gradients.gradients(loss, List.of(w1, b1, w2, x)));
            fetches.add(loss);
            INDArray image = GradientCheck.uniform(DataType.FLOAT, 4, -1, 1, 8, 32, 32, 16);
            Map<Tensor, INDArray> feeds = Map.of(x, image);
            // Warm up until the young generation has been collected twice: from then on the Java
            // heap reuses pages it has already touched, and resident growth can only be native.
            // Heap garbage (4 MB a pass) hurries those collections along.
            long gcs = collections();
            for (int i = 0; i < WARMUP || (collections() < gcs + 2 && i < 3000); i++) {
                g.run(fetches, feeds).forEach(INDArray::close);
                if (i >= WARMUP) sink = new byte[4 << 20];
            }
            // Then settle: a first heap resize after those collections once showed as ~100 MB of
            // "growth" (a CI run); a leak keeps growing by ~15 MB a pass whatever the start.
            for (int i = 0; i < SETTLE; i++) g.run(fetches, feeds).forEach(INDArray::close);
            long base = Pointer.physicalBytes();
            long peak = base;
            for (int i = 0; i < PASSES; i++) {
                g.run(fetches, feeds).forEach(INDArray::close);
                peak = Math.max(peak, Pointer.physicalBytes());
            }
            image.close();
            return peak - base;
        }
    }
}
