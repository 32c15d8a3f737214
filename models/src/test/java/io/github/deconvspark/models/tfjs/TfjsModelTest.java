package io.github.deconvspark.models.tfjs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.autodiff.Gradients;
import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.io.FileNotFoundException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Small synthetic TF.js graph models: quantized weights end to end, and the loader's errors. */
class TfjsModelTest {
    @TempDir Path dir;

    static String s(String text) {
        return "{\"s\":\"" + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)) + "\"}";
    }

    static String ints(int... v) {
        StringBuilder b = new StringBuilder("{\"list\":{\"i\":[");
        for (int k = 0; k < v.length; k++) b.append(k > 0 ? "," : "").append('"').append(v[k]).append('"');
        return b.append("]}}").toString();
    }

    static String node(String name, String op, List<String> inputs, String attrs) {
        StringBuilder b = new StringBuilder("{\"name\":\"" + name + "\",\"op\":\"" + op + "\",\"input\":[");
        for (int k = 0; k < inputs.size(); k++) b.append(k > 0 ? "," : "").append('"').append(inputs.get(k)).append('"');
        return b.append("],\"attr\":{").append(attrs).append("}}").toString();
    }

    static final String PLACEHOLDER = node("x", "Placeholder", List.of(),
            "\"dtype\":{\"type\":\"DT_FLOAT\"},\"shape\":{\"shape\":{\"dim\":[{\"size\":\"-1\"},{\"size\":\"4\"},{\"size\":\"4\"},{\"size\":\"1\"}]}}");

    /** w: [2,2,1,2] uint8 (scale 0.5, min -1); b: [2] float16; axes: int32 [1,2]. */
    static final String MANIFEST = "[{\"paths\":[\"group1-shard1of2.bin\",\"group1-shard2of2.bin\"],\"weights\":["
            + "{\"name\":\"w\",\"shape\":[2,2,1,2],\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"uint8\",\"scale\":0.5,\"min\":-1}},"
            + "{\"name\":\"b\",\"shape\":[2],\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"float16\"}},"
            + "{\"name\":\"axes\",\"shape\":[2],\"dtype\":\"int32\"}]}]";

    Path write(String nodes) throws Exception {
        Path json = dir.resolve("model.json");
        Files.writeString(json, "{\"format\":\"graph-model\",\"modelTopology\":{\"node\":[" + nodes + "]},\"weightsManifest\":" + MANIFEST + "}");
        ByteBuffer bb = ByteBuffer.allocate(8 + 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(new byte[] {0, 1, 2, 3, 4, 5, 6, 7});        // w = q/2 - 1: -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5
        bb.putShort((short) 0x3800).putShort((short) 0xBC00); // b = 0.5, -1
        bb.putInt(1).putInt(2);                              // axes
        byte[] all = bb.array();
        Files.write(dir.resolve("group1-shard1of2.bin"), java.util.Arrays.copyOfRange(all, 0, 10));
        Files.write(dir.resolve("group1-shard2of2.bin"), java.util.Arrays.copyOfRange(all, 10, all.length));
        return json;
    }

    String smallNet() {
        return String.join(",",
                PLACEHOLDER,
                node("w", "Const", List.of(), ""),
                node("b", "Const", List.of(), ""),
                node("axes", "Const", List.of(), ""),
                node("conv", "_FusedConv2D", List.of("x", "w", "b"), "\"fused_ops\":{\"list\":{\"s\":[\""
                        + Base64.getEncoder().encodeToString("BiasAdd".getBytes()) + "\",\""
                        + Base64.getEncoder().encodeToString("Relu6".getBytes()) + "\"]}},\"strides\":" + ints(1, 1, 1, 1)
                        + ",\"padding\":" + s("VALID") + ",\"data_format\":" + s("NHWC") + ",\"dilations\":" + ints(1, 1, 1, 1)),
                node("pool", "MaxPool", List.of("conv"), "\"ksize\":" + ints(1, 2, 2, 1) + ",\"strides\":" + ints(1, 1, 1, 1)
                        + ",\"padding\":" + s("VALID")),
                node("mean", "Mean", List.of("pool", "axes"), "\"keep_dims\":{\"b\":false}"),
                node("prob", "Softmax", List.of("mean"), ""),
                node("Identity", "Identity", List.of("prob"), ""));
    }

    @Test void quantizedModelMatchesTheSameNetBuiltByHand() throws Exception {
        Path json = write(smallNet());
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 4, 4, 1).muli(8).subi(4);
        try (TfjsModel m = TfjsModel.load(json, 2); Graph g = new Graph()) {
            assertArrayEquals(new long[] {2, 4, 4, 1}, m.input().shape());
            assertEquals(List.of("Identity"), List.copyOf(m.outputs().keySet()));
            assertEquals("_FusedConv2D", m.opOf("conv"));
            assertEquals(64, m.sha256().length());

            Tensor xi = g.placeholder("x", DataType.FLOAT, 2, 4, 4, 1);
            Tensor w = g.constant(Nd4j.create(new float[] {-1, -0.5f, 0, 0.5f, 1, 1.5f, 2, 2.5f}, new long[] {2, 2, 1, 2}, 'c'));
            Tensor b = g.constant(Nd4j.create(new float[] {0.5f, -1}, new long[] {2}, 'c'));
            Tensor conv = Ops.biasAdd(Ops.conv2d(xi, w, new int[] {1}, Padding.VALID), b);
            Tensor relu6 = Ops.sub(Ops.relu(conv), Ops.relu(Ops.add(conv, -6)));  // min(max(x,0),6) for these small values
            Tensor pool = Ops.maxPool(relu6, new int[] {2}, new int[] {1}, Padding.VALID, DataFormat.NHWC);
            Tensor prob = Ops.softmax(Ops.reduceMean(pool, false, 1, 2));
            INDArray want = g.run(prob, Map.of(xi, x));
            INDArray got = m.run(x).get("Identity");
            assertTrue(want.equalsWithEps(got, 1e-6), "want " + want + " got " + got);
            INDArray convGot = m.graph().run(m.layer("conv"), Map.of(m.input(), x));
            assertTrue(Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.reduce.same.Max(convGot)).getDouble(0) <= 6.0);

            // the loaded graph differentiates like any other
            Tensor dx = Gradients.gradient(Ops.reduceSum(m.layer("mean")), m.input());
            assertArrayEquals(new long[] {2, 4, 4, 1}, m.graph().run(dx, Map.of(m.input(), x)).shape());
        }
    }

    @Test void unknownOpNamesTheOpAndTheNode() throws Exception {
        Path json = write(String.join(",", PLACEHOLDER, node("my/erf", "Erf", List.of("x"), "")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TfjsModel.load(json));
        assertTrue(e.getMessage().contains("unsupported op 'Erf'") && e.getMessage().contains("node 'my/erf'"), e.getMessage());
    }

    @Test void unknownFusedOpNamesItAndTheNode() throws Exception {
        Path json = write(String.join(",", PLACEHOLDER, node("w", "Const", List.of(), ""), node("b", "Const", List.of(), ""),
                node("c", "_FusedConv2D", List.of("x", "w", "b"), "\"fused_ops\":{\"list\":{\"s\":[\""
                        + Base64.getEncoder().encodeToString("BiasAdd".getBytes()) + "\",\""
                        + Base64.getEncoder().encodeToString("Elu".getBytes()) + "\"]}},\"strides\":" + ints(1, 1, 1, 1)
                        + ",\"padding\":" + s("SAME"))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TfjsModel.load(json));
        assertTrue(e.getMessage().contains("'Elu'") && e.getMessage().contains("node 'c'"), e.getMessage());
    }

    @Test void missingShardNamesTheFile() throws Exception {
        Path json = write(smallNet());
        Files.delete(dir.resolve("group1-shard2of2.bin"));
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> TfjsModel.load(json));
        assertTrue(e.getMessage().contains(dir.resolve("group1-shard2of2.bin").toString()), e.getMessage());
    }

    @Test void truncatedShardIsAClearError() throws Exception {
        Path json = write(smallNet());
        Files.write(dir.resolve("group1-shard2of2.bin"), new byte[3]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TfjsModel.load(json));
        assertTrue(e.getMessage().contains("group1-shard2of2.bin") && e.getMessage().contains("need 20 bytes"), e.getMessage());
    }

    @Test void constWithoutWeightNamesTheNode() throws Exception {
        Path json = write(String.join(",", PLACEHOLDER, node("ghost", "Const", List.of(), "")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TfjsModel.load(json));
        assertTrue(e.getMessage().contains("'ghost'") && e.getMessage().contains("weightsManifest"), e.getMessage());
    }

    @Test void missingModelJsonNamesTheFile() {
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> TfjsModel.load(dir.resolve("nope.json")));
        assertTrue(e.getMessage().contains("nope.json"), e.getMessage());
    }
}
