package io.github.deconvspark.models.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.deconvspark.kernels.Conv2D;
import io.github.deconvspark.kernels.MaxPoolWithArgmax;
import io.github.deconvspark.kernels.Pool2D;
import io.github.deconvspark.kernels.Unpool2D;
import io.github.deconvspark.kernels.autodiff.ReluRule;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.models.tfjs.TfjsGearTest;
import io.github.deconvspark.models.tfjs.TfjsModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Zeiler and Fergus' deconvnet written out by hand for the gear model's plain chain (conv-ReLU,
 * batch-norm scale, 2x2 max pools), layer by layer with the kernels: rectify, transposed filter
 * (conv2d_backprop_input), unpool through the switches of max_pool_with_argmax (max_unpool), times
 * the batch-norm scale; no biases. It must equal {@link Projections#projectAt} with the DECONVNET
 * rule, which gets there through the autodiff instead.
 */
class DeconvnetGearTest {
    static final String P = TfjsGearTest.P;

    static INDArray value(TfjsModel m, String node) {
        return m.graph().run(m.layer(P + node));
    }

    /** The deconvnet of activation (y, x, c) of conv2d_k/Relu, by hand. */
    static INDArray byHand(TfjsModel m, INDArray image, int k, int y, int x, int c) {
        INDArray act = m.graph().run(m.layer(P + "conv2d_" + k + "/Relu"), Map.of(m.input(), image));
        INDArray r = Nd4j.zeros(DataType.FLOAT, act.shape());
        r.putScalar(new long[] {0, y, x, c}, act.getDouble(0, y, x, c));
        int[] one = {1, 1}, dil = {1, 1};
        for (int i = k; i >= 1; i--) {
            r = Transforms.relu(r, true);                                            // rectify
            String below = i == 1 ? null : i == 2 ? "conv2d_1/Relu" : "max_pooling2d_" + (i - 2) + "/MaxPool";
            long[] inShape = i == 1 ? image.shape() : m.layer(P + below).shape();
            r = Conv2D.conv2dBackpropInput(inShape, value(m, "conv2d_" + i + "/Conv2D/ReadVariableOp"), r, one, Padding.VALID,
                    DataFormat.NHWC, dil);                                           // transposed filter, no bias
            if (i >= 3) {
                int j = i - 2;
                INDArray bn = m.graph().run(m.layer(P + "batch_normalization_" + j + "/FusedBatchNormV3"), Map.of(m.input(), image));
                MaxPoolWithArgmax sw = Pool2D.maxPoolWithArgmax(bn, new int[] {2, 2}, new int[] {2, 2}, Padding.VALID, false);
                r = Unpool2D.maxUnpool(r, sw.argmax(), bn.shape(), false);           // switches
                INDArray scale = value(m, "batch_normalization_" + j + "/FusedBatchNormV3/Scaled");
                r = r.reshape(-1, scale.length()).mulRowVector(scale.reshape(1, scale.length())).reshape(bn.shape());
            }
        }
        return r;
    }

    @Test void theAutodiffDeconvnetEqualsTheHandWrittenOne() throws Exception {
        Path modelJson = TfjsGearTest.gearModel();
        Path photo = TfjsGearTest.astronautPng();
        INDArray image = Nd4j.create(TfjsGearTest.astronautFace(photo), new long[] {1, 198, 198, 3}, 'c');
        try (TfjsModel m = TfjsModel.load(modelJson)) {
            for (int k : new int[] {2, 4, 6}) {
                INDArray act = m.graph().run(m.layer(P + "conv2d_" + k + "/Relu"), Map.of(m.input(), image));
                int tested = 0;
                for (int c = 0; c < act.size(3) && tested < 3; c++) {
                    int[] at = ProjectionsTest.argmax(act, c);
                    if (act.getDouble(0, at[0], at[1], c) <= 0) continue;           // a dead feature map here
                    tested++;
                    INDArray want = byHand(m, image, k, at[0], at[1], c);
                    INDArray got = Projections.projectAt(ReluRule.DECONVNET, m.graph(), m.input(), m.layer(P + "conv2d_" + k + "/Relu"),
                            image, c, at[0], at[1]).projection();
                    double maxRef = Transforms.abs(want, true).maxNumber().doubleValue();
                    double diff = Transforms.abs(want.sub(got), true).maxNumber().doubleValue();
                    System.out.printf("deconvnet conv2d_%d/Relu channel %d at (%d, %d): max|hand| %.4g, max|diff| %.3g%n", k, c, at[0], at[1],
                            maxRef, diff);
                    assertTrue(maxRef > 0, "an all-zero projection tests nothing");
                    // the projection lives inside the receptive field: VALID 3x3 convs and 2x2/2 pools give
                    // conv2d_2: size 5, jump 1; conv2d_4: size 20, jump 4; conv2d_6: size 80, jump 16
                    int[] box = ReceptiveField.of(m.input(), m.layer(P + "conv2d_" + k + "/Relu")).box(at[0], at[1], 198, 198);
                    int size = Map.of(2, 5, 4, 20, 6, 80).get(k), jump = Map.of(2, 1, 4, 4, 6, 16).get(k);
                    assertEquals(List.of(at[0] * jump, at[1] * jump, Math.min(198, at[0] * jump + size), Math.min(198, at[1] * jump + size)),
                            List.of(box[0], box[1], box[2], box[3]), "receptive field");
                    for (int yy = 0; yy < 198; yy++) for (int xx = 0; xx < 198; xx++) {
                        boolean inside = yy >= box[0] && yy < box[2] && xx >= box[1] && xx < box[3];
                        for (int ch = 0; ch < 3 && !inside; ch++) assertEquals(0.0, want.getDouble(0, yy, xx, ch), "outside the field");
                    }
                    assertTrue(diff <= 1e-5 * maxRef, "conv2d_" + k + " channel " + c + ": max|diff| " + diff + " > 1e-5 * " + maxRef);
                }
                assertEquals(3, tested, "conv2d_" + k + ": three live feature maps");
            }
        }
    }
}
