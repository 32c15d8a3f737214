package io.github.deconvspark.models.onnx;

import io.github.deconvspark.models.onnx.proto.Onnx.ModelProto;
import io.github.deconvspark.models.onnx.proto.Onnx.TensorProto;
import io.github.deconvspark.models.onnx.proto.Onnx.TypeProto;
import io.github.deconvspark.models.onnx.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * The ONNX oracle: ONNX Runtime's Java API (default CPU provider, its own graph optimizations, 2 threads) on a model
 * file, fetching its outputs and, on request, inner values (added to the graph's outputs of a copy of the model, so ORT
 * keeps them through its fusions).
 */
final class Ort {
    private Ort() {}

    /** A fetched value: float or int64 data, and its shape (ONNX's order). */
    record Value(float[] floats, long[] longs, long[] shape) {}

    /** The node producing each value of a model. */
    static Map<String, io.github.deconvspark.models.onnx.proto.Onnx.NodeProto> producers(Path model) throws IOException {
        Map<String, io.github.deconvspark.models.onnx.proto.Onnx.NodeProto> out = new LinkedHashMap<>();
        for (var n : ModelProto.parseFrom(Files.readAllBytes(model)).getGraph().getNodeList()) for (String o : n.getOutputList()) out.put(o, n);
        return out;
    }

    static Map<String, Value> run(Path model, float[] input, long[] shape, List<String> extra) throws IOException, OrtException {
        byte[] bytes = Files.readAllBytes(model);
        if (!extra.isEmpty()) {
            ModelProto.Builder m = ModelProto.parseFrom(bytes).toBuilder();
            for (String name : extra) {
                m.getGraphBuilder().addOutput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
            }
            bytes = m.build().toByteArray();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(2);
            try (OrtSession s = env.createSession(bytes, o);
                 OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
                 OrtSession.Result r = s.run(Map.of(s.getInputNames().iterator().next(), x))) {
                Map<String, Value> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : r) {
                    OnnxTensor t = (OnnxTensor) e.getValue();
                    long[] sh = t.getInfo().getShape();
                    if (t.getInfo().type == ai.onnxruntime.OnnxJavaType.INT64) {
                        LongBuffer lb = t.getLongBuffer();
                        long[] l = new long[lb.remaining()];
                        lb.get(l);
                        out.put(e.getKey(), new Value(null, l, sh));
                    } else {
                        FloatBuffer fb = t.getFloatBuffer();
                        float[] f = new float[fb.remaining()];
                        fb.get(f);
                        out.put(e.getKey(), new Value(f, null, sh));
                    }
                }
                return out;
            }
        }
    }
}
