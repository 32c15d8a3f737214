package io.github.deconvspark.models.keras;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One layer of a Keras network after {@link Topology} flattened it: its name as this loader exposes it (nested layers
 * qualified by their models' names, "inner/conv1"), its class and config, and where its inputs come from. A nested
 * model is a layer too ({@link Kind#MODEL}): its outputs are its inner output layers' tensors; an InputLayer inside a
 * nested model forwards the tensor the model was called on.
 */
final class KerasLayer {
    enum Kind { INPUT, PLAIN, MODEL }

    /** Keras' model classes: a layer of one of these classes is a nested network. */
    static final Set<String> MODEL_CLASSES = Set.of("Functional", "Model", "Sequential");

    /** A tensor of the network: output {@code index} of {@code layer} (plain layers have one). */
    record Port(KerasLayer layer, int index) {
        @Override public String toString() { return layer.name + (index == 0 ? "" : "[" + index + "]"); }
    }

    final String name;
    final String localName;
    final String className;
    final Kind kind;
    final Cfg cfg;
    /** The config map itself (nested models: their network config). */
    final Map<String, Object> config;
    /** The enclosing nested model, or null at the top level. */
    final KerasLayer parent;
    /** "layers/conv2d_1" in a Keras 3 weights file (null when the layer has no entry, e.g. a synthesized input). */
    String weightsPath;
    /** The inputs, in call order (an InputLayer of a nested model: the tensor the model was called on). */
    final List<Port> inputs = new ArrayList<>();
    /** Shapes the file declares for each input (Keras 3 keras tensors; null entries when undeclared), batch as -1. */
    final List<long[]> declaredInputShapes = new ArrayList<>();
    /** A nested model's outputs, resolved to its inner layers. */
    final List<Port> outputs = new ArrayList<>();
    /** A nested model's layers in its own order (its weights file containers list them so). */
    final List<KerasLayer> children = new ArrayList<>();
    /** A top-level InputLayer's declared shape (batch as -1). */
    long[] inputShape;

    KerasLayer(String name, String localName, String className, Kind kind, Map<String, Object> config, KerasLayer parent, String file) {
        this.name = name;
        this.localName = localName;
        this.className = className;
        this.kind = kind;
        this.config = config;
        this.parent = parent;
        this.cfg = new Cfg(config, file + ": layer '" + name + "' (" + className + ")");
    }

    /** Keras' trainable flag (default true): it orders a legacy HDF5 file's weights. */
    boolean trainable() {
        return !(config.get("trainable") instanceof Boolean b) || b;
    }

    IllegalArgumentException error(String rule) { return cfg.error(rule); }

    @Override public String toString() { return name + " (" + className + ")"; }
}
