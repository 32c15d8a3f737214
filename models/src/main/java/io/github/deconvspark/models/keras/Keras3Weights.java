package io.github.deconvspark.models.keras;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A Keras 3 {@code model.weights.h5} (keras/src/saving/saving_lib.py): each layer's variables are datasets "0", "1", ...
 * of {@code layers/<snake_case class>[_k]/vars} (nested models: {@code layers/functional/layers/...}), in
 * {@link LayerWeights} order; the folder names come from {@link Topology}. A vars group with another count of datasets
 * than the layer has weights is refused, as Keras refuses it ("expected N variables, but received M"). Groups that hold
 * no layer weights (optimizer/, a Dropout's seed_generator/) are not read.
 */
final class Keras3Weights implements WeightSource {
    private final H5 h5;
    private final Set<KerasLayer> counted = new HashSet<>();

    Keras3Weights(H5 h5) {
        this.h5 = h5;
    }

    @Override public INDArray get(KerasLayer l, String name, long[] shape) {
        if (l.weightsPath == null) throw l.error("has no folder in the Keras 3 weights file (an input layer)");
        count(l);
        return h5.floats(l.weightsPath + "/vars/" + LayerWeights.index(l, name), shape, l, name);
    }

    /** The layer's vars group holds exactly as many datasets as it has weights (none: the group may be absent). */
    private void count(KerasLayer l) {
        if (!counted.add(l)) return;
        int want = LayerWeights.of(l).size();
        Node vars = l.weightsPath == null ? null : h5.node(l.weightsPath + "/vars");
        if (vars == null) {
            if (want == 0) return;
            throw l.error(h5.src + " has no group '" + l.weightsPath + "/vars' for its " + want + " weights " + names(l)
                    + " (the file's layers are named by class: " + h5.children(h5.group(parent(l.weightsPath), "weights")) + ")");
        }
        if (!vars.isGroup()) throw l.error("'" + l.weightsPath + "/vars' in " + h5.src + " is not a group");
        List<String> have = h5.children((Group) vars);
        if (have.size() != want) {
            throw l.error("the weights file holds " + have.size() + " variables " + have + " at '" + l.weightsPath + "/vars' but the layer has "
                    + want + " " + names(l));
        }
    }

    private static String parent(String path) {
        int k = path.lastIndexOf('/');
        return k < 0 ? "" : path.substring(0, k);
    }

    private static List<String> names(KerasLayer l) {
        return LayerWeights.of(l).stream().map(LayerWeights.Spec::name).toList();
    }

    @Override public void finish(List<KerasLayer> layers) {
        for (KerasLayer l : layers) count(l);
    }
}
