package io.github.deconvspark.models.keras;

import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where a Keras file keeps its weights: TF.js shards by weight name, a legacy HDF5 file by layer group and order, a
 * Keras 3 weights file by class-named container and index. The graph builder asks for each weight of each layer with the
 * shape the layer needs; a missing weight, one of another shape, or (after the build, {@link #finish}) a weight no layer
 * took is an error naming the file, the layer and the weight.
 */
interface WeightSource {
    /** The weight {@code name} ({@link LayerWeights}) of {@code layer}: float32 or float64 values of exactly {@code shape}. */
    INDArray get(KerasLayer layer, String name, long[] shape);

    /** Once every layer is built: refuses weights the file holds that no layer of {@code layers} took. */
    void finish(List<KerasLayer> layers);

    static IllegalArgumentException shapeError(KerasLayer l, String name, String where, long[] have, long[] want) {
        return l.error("weight " + name + " " + where + " is " + Arrays.toString(have) + " but the layer needs "
                + Arrays.toString(want) + " (from its config and its input)");
    }
}
