package io.github.deconvspark.models.keras;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A legacy Keras HDF5 file's {@code model_weights} group, paired with the model's layers as Keras' own loader
 * (load_weights_from_hdf5_group) pairs them: the file's layers that hold weights (attribute layer_names, each group's
 * weight_names non-empty) must be the model's top-level layers that own weights, in the same order, and a layer's
 * datasets are taken in weight_names order, by position, not by name (a nested model's group lists every weight of its
 * layers: the trainable ones of all its layers first, then the others, as Keras 2's Network.weights orders them).
 */
final class LegacyH5Weights implements WeightSource {
    private record Key(KerasLayer layer, String name) {}

    private final H5 h5;
    private final Map<Key, String> paths = new HashMap<>();

    LegacyH5Weights(H5 h5, List<KerasLayer> topLevel) {
        this.h5 = h5;
        Group mw = h5.group("model_weights", "legacy Keras weights");
        List<String> listed = h5.strings(mw, "layer_names");
        if (listed == null) throw new IllegalArgumentException(h5.src + ": group model_weights has no layer_names attribute");
        List<String> fileLayers = new ArrayList<>();
        Map<String, List<String>> weightNames = new HashMap<>();
        for (String name : listed) {
            Node g = h5.node("model_weights/" + name);
            if (g == null || !g.isGroup()) throw new IllegalArgumentException(h5.src + ": layer_names lists '" + name + "' but model_weights has no such group");
            List<String> w = h5.strings(g, "weight_names");
            if (w == null) throw new IllegalArgumentException(h5.src + ": model_weights/" + name + " has no weight_names attribute");
            if (!w.isEmpty()) {
                fileLayers.add(name);
                weightNames.put(name, w);
            }
        }
        List<KerasLayer> owners = new ArrayList<>();
        for (KerasLayer l : topLevel) if (!weights(l).isEmpty()) owners.add(l);
        List<String> modelLayers = owners.stream().map(l -> l.localName).toList();
        if (!modelLayers.equals(fileLayers)) {
            throw new IllegalArgumentException(h5.src + ": the file holds weights for " + fileLayers.size() + " layers " + abbreviate(fileLayers)
                    + " but the model's layers with weights are " + modelLayers.size() + " " + abbreviate(modelLayers)
                    + " (Keras pairs them in order; first difference: " + firstDifference(fileLayers, modelLayers) + ")");
        }
        for (KerasLayer l : owners) {
            List<Key> want = weights(l);
            List<String> have = weightNames.get(l.localName);
            if (want.size() != have.size()) {
                throw l.error("the file's group model_weights/" + l.localName + " holds " + have.size() + " weights " + have
                        + " but the layer has " + want.size() + " " + want.stream().map(k -> k.layer().name + "/" + k.name()).toList());
            }
            for (int i = 0; i < want.size(); i++) paths.put(want.get(i), "model_weights/" + l.localName + "/" + have.get(i));
        }
    }

    /** Keras 2's Layer.weights: trainable_weights + non_trainable_weights, a nested model's gathered over its layers. */
    private static List<Key> weights(KerasLayer l) {
        List<Key> w = trainable(l);
        w.addAll(nonTrainable(l));
        return w;
    }

    private static List<Key> trainable(KerasLayer l) {
        List<Key> out = new ArrayList<>();
        if (!l.trainable()) return out;
        if (l.kind == KerasLayer.Kind.MODEL) {
            for (KerasLayer c : l.children) out.addAll(trainable(c));
        } else {
            for (LayerWeights.Spec s : LayerWeights.of(l)) if (s.trainable()) out.add(new Key(l, s.name()));
        }
        return out;
    }

    private static List<Key> nonTrainable(KerasLayer l) {
        List<Key> out = new ArrayList<>();
        if (l.kind == KerasLayer.Kind.MODEL) {
            if (!l.trainable()) for (KerasLayer c : l.children) out.addAll(trainable(c));
            for (KerasLayer c : l.children) out.addAll(nonTrainable(c));
        } else {
            for (LayerWeights.Spec s : LayerWeights.of(l)) if (!s.trainable() || !l.trainable()) out.add(new Key(l, s.name()));
        }
        return out;
    }

    @Override public INDArray get(KerasLayer l, String name, long[] shape) {
        String p = paths.get(new Key(l, name));
        if (p == null) throw l.error("weight " + name + " is not in " + h5.src);
        return h5.floats(p, shape, l, name);
    }

    @Override public void finish(List<KerasLayer> layers) {
        // every weight group was paired with a layer, and every weight with a position, when this was made
    }

    private static String abbreviate(List<String> l) {
        return l.size() <= 6 ? l.toString() : l.subList(0, 6) + "... (" + l.size() + ")";
    }

    private static String firstDifference(List<String> a, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            if (!a.get(i).equals(b.get(i))) return "at #" + i + " the file has '" + a.get(i) + "', the model '" + b.get(i) + "'";
        }
        return a.size() > b.size() ? "the file has more: '" + a.get(b.size()) + "'" : "the model has more: '" + b.get(a.size()) + "'";
    }
}
