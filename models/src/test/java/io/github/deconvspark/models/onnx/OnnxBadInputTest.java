package io.github.deconvspark.models.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import io.github.deconvspark.models.onnx.proto.Onnx.AttributeProto;
import io.github.deconvspark.models.onnx.proto.Onnx.GraphProto;
import io.github.deconvspark.models.onnx.proto.Onnx.ModelProto;
import io.github.deconvspark.models.onnx.proto.Onnx.NodeProto;
import io.github.deconvspark.models.onnx.proto.Onnx.OperatorSetIdProto;
import io.github.deconvspark.models.onnx.proto.Onnx.StringStringEntryProto;
import io.github.deconvspark.models.onnx.proto.Onnx.TensorProto;
import io.github.deconvspark.models.onnx.proto.Onnx.TensorShapeProto;
import io.github.deconvspark.models.onnx.proto.Onnx.TypeProto;
import io.github.deconvspark.models.onnx.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Hostile and broken ONNX files, built here with the generated protobuf classes: each is refused with an error that
 * names the model, the node (or value), the op and the rule; never a crash or a silently different graph. The valid
 * base model (a 3x3 conv of 3 to 4 channels and a relu) loads and runs, so each case fails for its own reason.
 */
public class OnnxBadInputTest {
    @TempDir Path dir;

    static ValueInfoProto value(String name, Object... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            s.addDim(d instanceof String p ? TensorShapeProto.Dimension.newBuilder().setDimParam(p)
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))).build();
    }

    static TensorProto floats(String name, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        ByteBuffer b = ByteBuffer.allocate((int) n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putFloat((i % 7) * 0.1f - 0.3f);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1).setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    /** x [N, 3, 8, 8] -> Conv 3x3 pads 1 (w [4, 3, 3, 3], b [4]) -> Relu -> y [N, 4, 8, 8]. */
    static ModelProto.Builder base() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("base")
                .addInput(value("x", "N", 3, 8, 8)).addOutput(value("y", "N", 4, 8, 8))
                .addInitializer(floats("w", 4, 3, 3, 3)).addInitializer(floats("b", 4))
                .addNode(NodeProto.newBuilder().setName("conv").setOpType("Conv").addInput("x").addInput("w").addInput("b").addOutput("c")
                        .addAttribute(ints("kernel_shape", 3, 3)).addAttribute(ints("pads", 1, 1, 1, 1)))
                .addNode(NodeProto.newBuilder().setName("relu").setOpType("Relu").addInput("c").addOutput("y"));
        return ModelProto.newBuilder().setIrVersion(7).setProducerName("test").setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13));
    }

    Path write(ModelProto.Builder m) throws IOException {
        Path f = dir.resolve("model.onnx");
        Files.write(f, m.build().toByteArray());
        return f;
    }

    String refused(UnaryOperator<ModelProto.Builder> change) throws IOException {
        Path f = write(change.apply(base()));
        Exception e = assertThrows(Exception.class, () -> Models.load(f, 1, DataType.FLOAT).close());
        assertTrue(e instanceof IllegalArgumentException || e instanceof IOException, e.toString());
        assertTrue(e.getMessage().contains(f.toString()), "names the model: " + e.getMessage());
        return e.getMessage();
    }

    static void has(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "'" + p + "' in: " + message);
    }

    @Test void theBaseModelLoadsAndRuns() throws IOException {
        try (Model m = Models.load(write(base()), 2, DataType.FLOAT)) {
            assertEquals("onnx", m.format());
            assertEquals(java.util.List.of(2L, 8L, 8L, 3L), java.util.Arrays.stream(m.input().shape()).boxed().toList());
            assertEquals(java.util.List.of(2L, 8L, 8L, 4L), java.util.Arrays.stream(m.outputs().get("y").shape()).boxed().toList());
            assertEquals(-1, m.declaredBatch());
            assertEquals(java.util.List.of("c", "y"), m.layerNames());
            assertEquals(java.util.List.of("w", "b"), m.parameters());
            assertEquals(2 * 8 * 8 * 4, m.run(org.nd4j.linalg.factory.Nd4j.ones(DataType.FLOAT, 2, 8, 8, 3)).get("y").length());
        }
    }

    @Test void anUnsupportedOpIsRefusedByNameNodeAndOp() throws IOException {
        String m = refused(b -> { b.getGraphBuilder().getNodeBuilder(1).setOpType("LSTM"); return b; });
        has(m, "node 'relu'", "(LSTM)", "op LSTM is not supported", "supported: ");
    }

    @Test void anOpsetBeyondTheSupportedRangeIsRefused() throws IOException {
        has(refused(b -> { b.getOpsetImportBuilder(0).setVersion(19); return b; }), "opset 19 is not supported", "7-17");
        has(refused(b -> { b.getOpsetImportBuilder(0).setVersion(5); return b; }), "opset 5 is not supported");
    }

    @Test void anOpOfAnotherDomainIsRefused() throws IOException {
        has(refused(b -> { b.getGraphBuilder().getNodeBuilder(1).setDomain("com.microsoft"); return b; }), "node 'relu'", "com.microsoft");
    }

    @Test void anUnknownAttributeIsRefusedNotIgnored() throws IOException {
        String m = refused(b -> { b.getGraphBuilder().getNodeBuilder(0).addAttribute(ints("frobnicate", 1)); return b; });
        has(m, "node 'conv'", "(Conv)", "attribute frobnicate is not supported");
    }

    @Test void aWeightThatDoesNotFitTheInputIsRefused() throws IOException {
        String m = refused(b -> { b.getGraphBuilder().setInitializer(0, floats("w", 4, 5, 3, 3)); return b; });
        has(m, "node 'conv'", "(Conv)", "group 1 does not fit the input's 3 channels");
    }

    @Test void rawDataOfTheWrongSizeIsRefused() throws IOException {
        String m = refused(b -> {
            b.getGraphBuilder().setInitializer(1, floats("b", 4).toBuilder().setRawData(ByteString.copyFrom(new byte[12])));
            return b;
        });
        has(m, "initializer 'b'", "raw_data holds 12 bytes", "needs 16");
    }

    @Test void externalDataOutsideTheModelsFolderIsRefused() throws IOException {
        Files.write(dir.getParent().resolve("outside.bin"), new byte[16]);
        for (String location : new String[] {"../outside.bin", "/etc/passwd", "%2e%2e/outside.bin", "sub\\..\\..\\outside.bin"}) {
            String m = refused(b -> {
                TensorProto t = TensorProto.newBuilder().setName("b").setDataType(1).addDims(4)
                        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location)).build();
                b.getGraphBuilder().setInitializer(1, t);
                return b;
            });
            has(m, "initializer 'b'", "external_data location");
        }
    }

    @Test void externalDataInsideTheFolderLoadsAndAMissingFileIsNamed() throws IOException {
        ByteBuffer bias = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3).putFloat(4);
        Files.write(dir.resolve("weights.bin"), bias.array());
        UnaryOperator<ModelProto.Builder> external = b -> {
            b.getGraphBuilder().setInitializer(1, TensorProto.newBuilder().setName("b").setDataType(1).addDims(4)
                    .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin")));
            return b;
        };
        try (Model m = Models.load(write(external.apply(base())), 1, DataType.FLOAT)) {
            assertEquals(4f, m.layer("b").value().getFloat(3));
            assertEquals(java.util.List.of("weights.bin"), Models.siblings(m.path(), "test"));
        }
        Files.delete(dir.resolve("weights.bin"));
        has(refused(external), "weights.bin");
    }

    @Test void aCycleOrAnUnorderedGraphIsRefused() throws IOException {
        String m = refused(b -> {
            b.getGraphBuilder().getNodeBuilder(0).setInput(0, "y");       // conv reads relu's output: a cycle
            return b;
        });
        has(m, "node 'conv'", "input 'y' is produced by no earlier node", "cycle");
    }

    @Test void aDynamicImageSizeNeedsAGivenSize() throws IOException {
        UnaryOperator<ModelProto.Builder> dynamic = b -> {
            b.getGraphBuilder().setInput(0, value("x", "N", 3, "H", "W")).setOutput(0, value("y", "N", 4, "H", "W"));
            return b;
        };
        has(refused(dynamic), "input 'x'", "height/width are dynamic", "--input-size");
        try (Model m = Models.load(write(dynamic.apply(base())), 1, DataType.FLOAT, new int[] {16, 12})) {
            assertEquals(java.util.List.of(1L, 16L, 12L, 3L), java.util.Arrays.stream(m.input().shape()).boxed().toList());
        }
    }

    @Test void aDeclaredShapeThatDisagreesWithTheGraphIsRefused() throws IOException {
        has(refused(b -> { b.getGraphBuilder().setOutput(0, value("y", "N", 4, 7, 8)); return b; }),
                "value 'y' is declared [N, 4, 7, 8] but computes [1, 4, 8, 8]");
    }

    @Test void twoGraphInputsAreRefused() throws IOException {
        has(refused(b -> { b.getGraphBuilder().addInput(value("z", 1, 3)); return b; }), "2 inputs [x, z]", "exactly one graph input");
    }

    @Test void sizesThatOverflowAreRefused() throws IOException {
        has(refused(b -> {
            b.getGraphBuilder().setInitializer(1, TensorProto.newBuilder().setName("b").setDataType(1).addDims(1L << 40).addDims(1L << 40));
            return b;
        }), "initializer 'b'", "illegal shape");
    }

    @Test void garbageAndTruncatedFilesAreRefused() throws IOException {
        byte[] good = base().build().toByteArray();
        Path f = dir.resolve("truncated.onnx");
        Files.write(f, java.util.Arrays.copyOf(good, good.length / 2));
        Exception e = assertThrows(IllegalArgumentException.class, () -> Models.load(f, 1, DataType.FLOAT));
        has(e.getMessage(), f.toString(), "not a valid ONNX ModelProto");
        Path g = dir.resolve("garbage.onnx");
        byte[] junk = new byte[4096];
        new java.util.Random(1).nextBytes(junk);
        junk[0] = 0x08;
        Files.write(g, junk);
        Exception e2 = assertThrows(IllegalArgumentException.class, () -> Models.load(g, 1, DataType.FLOAT));
        has(e2.getMessage(), g.toString());
    }

    @Test void aDeeplyNestedMessageIsRefusedNotAStackOverflow() throws IOException {
        // a node attribute holding a graph holding a node holding a graph ... 200 deep
        GraphProto.Builder inner = GraphProto.newBuilder().setName("g0");
        for (int i = 1; i < 200; i++) {
            inner = GraphProto.newBuilder().setName("g" + i).addNode(NodeProto.newBuilder().setOpType("If")
                    .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(inner)));
        }
        GraphProto.Builder deep = inner;
        Path f = dir.resolve("deep.onnx");
        Files.write(f, base().setGraph(base().getGraphBuilder().addNode(NodeProto.newBuilder().setOpType("If")
                .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(deep)))).build().toByteArray());
        Exception e = assertThrows(IllegalArgumentException.class, () -> Models.load(f, 1, DataType.FLOAT));
        has(e.getMessage(), f.toString(), "not a valid ONNX ModelProto");
    }
}
