package io.github.deconvspark.models;

import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A CNN loaded onto the autodiff {@link Graph}, whatever its file format (TF.js graph or layers models, ONNX, Keras):
 * one image input, named layers, outputs, and the parameters as graph constants. Image-shaped tensors are NHWC here
 * whatever the format computes in (an ONNX model runs in NCHW behind transposes at its input and at each layer
 * handed out), so the jobs feed NHWC pixels and get gradients back in the image's layout. Layer names are the
 * format's own: TF.js node names, ONNX node output names, Keras layer names.
 */
public interface Model extends AutoCloseable {
    /** The model file. */
    Path path();

    /** The file's format: "tfjs-graph", "tfjs-layers", "keras", "keras-h5", "onnx". */
    String format();

    Graph graph();

    /** The image input, NHWC [batch, H, W, C]. */
    Tensor input();

    /** The outputs by name. */
    Map<String, Tensor> outputs();

    /** A layer's tensor by its name (NHWC for image-shaped ones). */
    Tensor layer(String name);

    boolean hasLayer(String name);

    /** Every layer with a graph tensor, in the model's order. */
    List<String> layerNames();

    /** The layer's op or layer type as the format names it ("Conv", "Conv2D", "_FusedConv2D", ...). */
    String opOf(String name);

    /** The names of the float parameters that are graph tensors (the weights a gradient check can differentiate). */
    List<String> parameters();

    /**
     * A parameter's shape as the file stores it; the graph tensor ({@link #layer}) may hold it in another layout (an ONNX
     * Conv filter [O, I/groups, kh, kw] is computed with as [kh, kw, I/groups, O]).
     */
    default long[] fileShape(String parameter) { return layer(parameter).shape(); }

    /** A value of a parameter's graph tensor's shape (its gradient, say) in the file's layout ({@link #fileShape}, C order). */
    default INDArray inFileLayout(String parameter, INDArray value) { return value; }

    /** SHA-256 (hex) over every file the model was read from, in a fixed order. */
    String sha256();

    /** The image input's batch dimension as the file declares it: -1 when any batch size fits, else the fixed size. */
    long declaredBatch();

    /** Runs every output for one input value (of {@link #input()}'s shape); the arrays belong to the caller. */
    default Map<String, INDArray> run(INDArray inputValue) {
        List<String> keys = new ArrayList<>(outputs().keySet());
        List<INDArray> vals = graph().run(new ArrayList<>(outputs().values()), Map.of(input(), inputValue));
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (int k = 0; k < keys.size(); k++) out.put(keys.get(k), vals.get(k));
        return out;
    }

    /** "name  op  [shape]" per layer, for --list-layers. */
    default List<String> describeLayers() {
        List<String> out = new ArrayList<>();
        for (String n : layerNames()) out.add(n + "  " + opOf(n) + "  " + java.util.Arrays.toString(layer(n).shape()));
        return out;
    }

    @Override void close();
}
