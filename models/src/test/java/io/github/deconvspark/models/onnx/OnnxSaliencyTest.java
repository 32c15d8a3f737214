package io.github.deconvspark.models.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.autodiff.Gradients;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import io.github.deconvspark.models.viz.Projections;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Saliency of an ONNX model against finite differences that do not involve our code: the class score's gradient with
 * respect to the image (NHWC, the image's layout) along a few directions v equals (s(x + h v) - s(x - h v)) / 2h with
 * s computed by ONNX Runtime (float32, on the NCHW image). Directions: the gradient itself (the largest signal) and
 * a mix of it with a random direction; h = 1e-1, 1e-2, 1e-3 in the units of the normalized input: the differences must
 * converge to the analytic value and end within 5e-3 of it (ONNX Runtime computes in float32, so smaller steps drown in
 * rounding; the curvature along the gradient is what the larger ones see).
 */
public class OnnxSaliencyTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"resnet18.onnx", "mobilenet_v2.onnx"})
    void saliencyEqualsOnnxRuntimeFiniteDifferences(String file) throws Exception {
        Path model = OnnxFixtures.torchModels().resolve(file);
        long[] shape = {1, 3, 224, 224};
        float[] x = OnnxFixtures.nchw(List.of(OnnxFixtures.photos().resolve("dog.jpg")), 224, 224, OnnxFixtures.IMAGENET_MEAN,
                OnnxFixtures.IMAGENET_STD);
        try (Model m = Models.load(model, 1, DataType.FLOAT)) {
            Tensor out = m.outputs().values().iterator().next();
            INDArray img = OnnxFixtures.toNhwc(x, shape, DataType.FLOAT);
            INDArray logits = m.run(img).values().iterator().next();
            int k = logits.argMax(1).getInt(0);
            INDArray seed = Nd4j.zeros(DataType.FLOAT, out.shape());
            seed.putScalar(new long[] {0, k}, 1.0);
            Tensor score = Ops.reduceSum(Ops.mul(out, m.graph().constant(seed)));
            INDArray g = m.graph().run(Gradients.gradient(score, m.input()), Map.of(m.input(), img));
            assertEquals(List.of(1L, 224L, 224L, 3L), java.util.Arrays.stream(g.shape()).boxed().toList(), "gradient in the image's layout");
            float[] gNchw = g.permute(0, 3, 1, 2).dup('c').data().asFloat();

            // saliency is max_c |g| of this gradient
            INDArray sal = Projections.saliency(m.graph(), m.input(), out, img, k).projection();
            INDArray expect = org.nd4j.linalg.ops.transforms.Transforms.abs(g, true).max(3);
            assertEquals(0, sal.sub(expect).amaxNumber().doubleValue(), 0, "saliency = max over channels of |gradient|");

            double norm = 0;
            for (float v : gNchw) norm += (double) v * v;
            norm = Math.sqrt(norm);
            Random r = new Random(5);
            for (int d = 0; d < 2; d++) {
                float[] v = new float[gNchw.length];
                double vn = 0;
                for (int i = 0; i < v.length; i++) {
                    double random = d == 0 ? 0 : r.nextGaussian() / Math.sqrt(v.length);
                    v[i] = (float) (gNchw[i] / norm + random);
                    vn += (double) v[i] * v[i];
                }
                vn = Math.sqrt(vn);
                double analytic = 0;
                for (int i = 0; i < v.length; i++) {
                    v[i] /= (float) vn;
                    analytic += (double) gNchw[i] * v[i];
                }
                // central differences converge to the analytic value as h shrinks (float32 rounding takes over below 1e-3)
                double[] err = new double[3];
                double numeric = 0;
                for (int j = 0; j < 3; j++) {
                    double h = new double[] {1e-1, 1e-2, 1e-3}[j];
                    float[] plus = x.clone(), minus = x.clone();
                    for (int i = 0; i < v.length; i++) {
                        plus[i] += (float) (h * v[i]);
                        minus[i] -= (float) (h * v[i]);
                    }
                    double sp = Ort.run(model, plus, shape, List.of()).values().iterator().next().floats()[k];
                    double sm = Ort.run(model, minus, shape, List.of()).values().iterator().next().floats()[k];
                    numeric = (sp - sm) / (2 * h);
                    err[j] = Math.abs(analytic - numeric) / Math.abs(analytic);
                    System.out.printf("%s direction %d, h %.0e: analytic %.6g, ONNX Runtime central difference %.6g, relative %.2g%n", file, d,
                            h, analytic, numeric, err[j]);
                }
                assertTrue(err[2] < err[1] && err[1] < err[0], file + " direction " + d + ": no convergence " + java.util.Arrays.toString(err));
                assertTrue(err[2] < 5e-3, file + " direction " + d + ": analytic " + analytic + " vs numeric " + numeric);
            }
        }
    }
}
