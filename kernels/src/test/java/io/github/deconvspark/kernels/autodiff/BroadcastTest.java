package io.github.deconvspark.kernels.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BinaryOperator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Binary arithmetic with broadcasting against a naive loop, on the shapes of the per-channel
 * fast path (a [C] or [1,1,1,C] vector against [N,H,W,C], either side) and of the general path.
 */
class BroadcastTest {
    static double apply(String kind, double a, double b) {
        return switch (kind) {
            case "add" -> a + b;
            case "sub" -> a - b;
            case "mul" -> a * b;
            default -> a / b;
        };
    }

    static Tensor op(String kind, Tensor a, Tensor b) {
        return switch (kind) {
            case "add" -> Ops.add(a, b);
            case "sub" -> Ops.sub(a, b);
            case "mul" -> Ops.mul(a, b);
            default -> Ops.div(a, b);
        };
    }

    @Test void matchesANaiveLoop() {
        Random rnd = new Random(7);
        long[] full = {2, 3, 4, 5};
        List<long[]> vectors = List.of(new long[] {5}, new long[] {1, 1, 1, 5}, new long[] {1, 4, 5}, new long[] {2, 1, 1, 1},
                new long[] {3, 1, 5});
        for (String kind : List.of("add", "sub", "mul", "div")) {
            for (long[] vs : vectors) {
                for (boolean vecFirst : new boolean[] {false, true}) {
                    Graph g = new Graph();
                    Tensor x = g.placeholder("x", DataType.DOUBLE, full), v = g.placeholder("v", DataType.DOUBLE, vs);
                    Tensor y = vecFirst ? op(kind, v, x) : op(kind, x, v);
                    INDArray xv = Nd4j.rand(DataType.DOUBLE, full).addi(0.5), vv = Nd4j.rand(DataType.DOUBLE, vs).addi(0.5);
                    INDArray got = g.run(y, Map.of(x, xv, v, vv));
                    assertArrayEquals(full, got.shape(), kind + " shape");
                    for (int n = 0; n < 2; n++) for (int h = 0; h < 3; h++) for (int w = 0; w < 4; w++) for (int c = 0; c < 5; c++) {
                        long[] vi = new long[vs.length];
                        long[] fi = {n, h, w, c};
                        for (int d = 0; d < vs.length; d++) {
                            int fd = full.length - vs.length + d;
                            vi[d] = vs[d] == 1 ? 0 : fi[fd];
                        }
                        double a = xv.getDouble(n, h, w, c), b = vv.getDouble(vi);
                        double want = vecFirst ? apply(kind, b, a) : apply(kind, a, b);
                        assertEquals(want, got.getDouble(n, h, w, c), 1e-12,
                                kind + " " + java.util.Arrays.toString(vs) + (vecFirst ? " (vector first)" : "") + " at " + n + h + w + c);
                    }
                    g.close();
                }
            }
        }
    }

    /** The per-channel path on tensors with unit dimensions ([N,1,1,C], H or W = 1) and on a transposed ('f') input. */
    @Test void perChannelVectorsOnUnitDimensionsAndOtherLayouts() {
        for (long[] full : List.of(new long[] {3, 1, 1, 5}, new long[] {1, 2, 1, 5}, new long[] {2, 5})) {
            for (String kind : List.of("add", "sub", "mul", "div")) {
                for (boolean vecFirst : new boolean[] {false, true}) {
                    Graph g = new Graph();
                    long c = full[full.length - 1];
                    Tensor x = g.placeholder("x", DataType.DOUBLE, full), v = g.placeholder("v", DataType.DOUBLE, c);
                    Tensor y = vecFirst ? op(kind, v, x) : op(kind, x, v);
                    INDArray xv = Nd4j.rand(DataType.DOUBLE, full).addi(0.5), vv = Nd4j.rand(DataType.DOUBLE, c).addi(0.5);
                    if (full.length == 2) xv = Nd4j.rand(DataType.DOUBLE, c, full[0]).addi(0.5).transpose();   // an 'f'-order view
                    INDArray got = g.run(y, Map.of(x, xv, v, vv));
                    for (long i = 0; i < xv.length(); i++) {
                        long[] at = org.nd4j.linalg.api.shape.Shape.ind2subC(xv, i);
                        double a = xv.getDouble(at), b = vv.getDouble(at[at.length - 1]);
                        assertEquals(vecFirst ? apply(kind, b, a) : apply(kind, a, b), got.getDouble(at), 1e-12,
                                kind + " " + java.util.Arrays.toString(full) + (vecFirst ? " (vector first)" : ""));
                    }
                    g.close();
                }
            }
        }
    }
}
