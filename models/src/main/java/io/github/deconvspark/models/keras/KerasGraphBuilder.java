package io.github.deconvspark.models.keras;

import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.keras.KerasLayer.Kind;
import io.github.deconvspark.models.keras.KerasLayer.Port;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Builds a {@link Topology}'s layers onto the autodiff graph in topological order: one placeholder for the input
 * (NHWC; the unknown batch replaced), one constant per weight (named "layer/weight"), and per layer the kernels' ops
 * ({@link #BUILDERS}). Any error while a layer is built, the kernels' shape checks included, names the file, the layer
 * and its class.
 */
final class KerasGraphBuilder {
    interface LayerFn { Tensor build(KerasGraphBuilder b, KerasLayer l, List<Tensor> in); }

    /** The layer classes this loader builds, besides InputLayer and the model classes (nested models). */
    static final Map<String, LayerFn> BUILDERS;

    static {
        Map<String, LayerFn> m = new LinkedHashMap<>();
        m.put("Conv2D", (b, l, in) -> ConvLayers.conv2d(b, l, one(l, in)));
        m.put("DepthwiseConv2D", (b, l, in) -> ConvLayers.depthwise(b, l, one(l, in)));
        m.put("SeparableConv2D", (b, l, in) -> ConvLayers.separable(b, l, one(l, in)));
        m.put("Conv2DTranspose", (b, l, in) -> ConvLayers.transpose(b, l, one(l, in)));
        m.put("Dense", (b, l, in) -> CoreLayers.dense(b, l, one(l, in)));
        m.put("BatchNormalization", (b, l, in) -> CoreLayers.batchNorm(b, l, one(l, in)));
        m.put("Activation", (b, l, in) -> ActivationLayers.activation(b, l, one(l, in)));
        m.put("ReLU", (b, l, in) -> ActivationLayers.relu(l, one(l, in)));
        m.put("LeakyReLU", (b, l, in) -> ActivationLayers.leakyRelu(l, one(l, in)));
        m.put("PReLU", (b, l, in) -> ActivationLayers.prelu(b, l, one(l, in)));
        m.put("MaxPooling2D", (b, l, in) -> PoolLayers.pool(l, one(l, in), true));
        m.put("AveragePooling2D", (b, l, in) -> PoolLayers.pool(l, one(l, in), false));
        m.put("GlobalAveragePooling2D", (b, l, in) -> PoolLayers.global(l, one(l, in), false));
        m.put("GlobalMaxPooling2D", (b, l, in) -> PoolLayers.global(l, one(l, in), true));
        m.put("ZeroPadding2D", (b, l, in) -> PoolLayers.zeroPadding(l, one(l, in)));
        m.put("Add", (b, l, in) -> CoreLayers.merge(l, in, true));
        m.put("Multiply", (b, l, in) -> CoreLayers.merge(l, in, false));
        m.put("Concatenate", (b, l, in) -> CoreLayers.concatenate(l, in));
        m.put("Flatten", (b, l, in) -> CoreLayers.flatten(l, one(l, in)));
        m.put("Reshape", (b, l, in) -> CoreLayers.reshape(l, one(l, in)));
        m.put("Dropout", (b, l, in) -> CoreLayers.dropout(l, one(l, in)));
        m.put("Rescaling", (b, l, in) -> CoreLayers.rescaling(b, l, one(l, in)));
        BUILDERS = Collections.unmodifiableMap(m);
    }

    final Graph g;
    final DataType dtype;
    /** Keras 3 semantics where they differ from Keras 2's (hard_sigmoid). */
    final boolean keras3;
    private final WeightSource weights;
    private final String src;
    /** Each layer's tensor (a nested model with several outputs has none). */
    final Map<KerasLayer, Tensor> tensors = new LinkedHashMap<>();
    final Map<String, Tensor> params = new LinkedHashMap<>();
    Tensor input;
    long declaredBatch;

    KerasGraphBuilder(Graph g, DataType dtype, boolean keras3, WeightSource weights, String src) {
        this.g = g;
        this.dtype = dtype;
        this.keras3 = keras3;
        this.weights = weights;
        this.src = src;
    }

    void build(Topology t, long batch, int[] inputHw) {
        for (KerasLayer l : t.order) {
            try {
                build(l, t, batch, inputHw);
            } catch (IllegalArgumentException e) {
                if (e.getMessage() != null && e.getMessage().startsWith(src)) throw e;
                throw new IllegalArgumentException(l.cfg.where + ": " + e.getMessage(), e);
            }
        }
        weights.finish(t.order);
    }

    private void build(KerasLayer l, Topology t, long batch, int[] inputHw) {
        switch (l.kind) {
            case MODEL -> {
                if (l.outputs.size() == 1) tensors.put(l, tensor(l.outputs.get(0)));
            }
            case INPUT -> {
                inputConfig(l);
                if (l == t.input) {
                    input = placeholder(l, batch, inputHw);
                    tensors.put(l, input);
                } else {
                    if (l.inputs.size() != 1) throw l.error("an input of a nested model must be bound to one tensor, got " + l.inputs);
                    Tensor x = tensor(l.inputs.get(0));
                    if (l.inputShape != null) checkShape(l, "the tensor the nested model is called on", x, l.inputShape);
                    tensors.put(l, x);
                }
            }
            case PLAIN -> {
                LayerFn f = BUILDERS.get(l.className);
                if (f == null) {
                    throw l.error("layer class " + l.className + " is not supported (supported: " + new TreeSet<>(BUILDERS.keySet())
                            + ", InputLayer and nested Functional/Sequential models)");
                }
                List<Tensor> in = new ArrayList<>();
                for (int i = 0; i < l.inputs.size(); i++) {
                    Tensor x = tensor(l.inputs.get(i));
                    long[] d = l.declaredInputShapes.isEmpty() ? null : l.declaredInputShapes.get(i);
                    if (d != null) checkShape(l, "input " + i + " (" + l.inputs.get(i) + ")", x, d);
                    in.add(x);
                }
                l.cfg.float32("dtype");
                l.cfg.inert("activity_regularizer", "batch_input_shape", "batch_shape", "input_shape", "batch_size");
                Tensor y = f.build(this, l, in);
                l.cfg.done();
                tensors.put(l, y);
            }
        }
    }

    private void inputConfig(KerasLayer l) {
        Cfg c = l.cfg;
        c.inert("batch_input_shape", "batch_shape", "name");
        c.float32("dtype");
        c.only("sparse", false, "sparse inputs");
        c.only("ragged", false, "ragged inputs");
        c.only("optional", false, "optional inputs");
        c.done();
    }

    /** The image input: [batch, H, W, C] with the unknown batch (and H, W from inputHw) filled in. */
    private Tensor placeholder(KerasLayer l, long batch, int[] hw) {
        long[] s = l.inputShape;
        if (s == null) throw l.error("declares no input shape (batch_input_shape / batch_shape)");
        if (s.length != 4) {
            throw l.error("its shape " + Arrays.toString(s) + " is not 4-D [batch, H, W, C]; the jobs feed images, so the input must be NHWC");
        }
        long[] shape = s.clone();
        declaredBatch = s[0];
        if (shape[0] < 0) shape[0] = batch;
        for (int a = 0; a < 2; a++) {
            if (hw != null) {
                if (shape[1 + a] > 0 && shape[1 + a] != hw[a]) {
                    throw l.error("its fixed size " + Arrays.toString(s) + " does not take " + hw[0] + "x" + hw[1]);
                }
                shape[1 + a] = hw[a];
            }
            if (shape[1 + a] < 0) {
                throw l.error("its height/width are not fixed (" + Arrays.toString(s) + "); give the image size to load (inputHw)");
            }
        }
        if (shape[3] < 0) throw l.error("its channel count is not fixed (" + Arrays.toString(s) + ")");
        return g.placeholder(l.name, dtype, shape);
    }

    /** A shape the file declares (Keras 3 keras tensors) must be the one computed wherever it is fixed. */
    private static void checkShape(KerasLayer l, String what, Tensor x, long[] declared) {
        boolean ok = declared.length == x.rank();
        for (int k = 1; ok && k < declared.length; k++) ok = declared[k] < 0 || declared[k] == x.size(k);
        if (!ok) {
            throw l.error(what + " is " + Arrays.toString(x.shape()) + " but the file declares " + Arrays.toString(declared)
                    + " (the file describes another network than this loader builds)");
        }
    }

    Tensor tensor(Port p) {
        Tensor t = tensors.get(p.layer());
        if (t == null) throw p.layer().error("has no tensor (built out of order, or a nested model with several outputs)");
        return t;
    }

    private static Tensor one(KerasLayer l, List<Tensor> in) {
        if (in.size() != 1) throw l.error("it takes one input tensor, got " + in.size());
        return in.get(0);
    }

    /** The layer's weight {@code name} as a graph constant "layer/name", in the model's dtype. */
    Tensor weight(KerasLayer l, String name, long... shape) {
        INDArray v = weights.get(l, name, shape);
        if (v.dataType() != dtype) v = v.castTo(dtype);
        String key = l.name + "/" + name;
        Tensor t = g.constant(key, v);
        if (params.put(key, t) != null) throw l.error("weight " + key + " is made twice");
        return t;
    }

    /** A constant that is not a weight (ones for a BatchNormalization without scale, a rescaling list). */
    Tensor constant(INDArray v) {
        return g.constant(v.dataType() == dtype ? v : v.castTo(dtype));
    }

    KerasActivation activation(KerasLayer l, String key) {
        return KerasActivation.of(l.cfg, key);
    }
}
