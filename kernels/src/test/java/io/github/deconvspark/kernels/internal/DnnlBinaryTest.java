package io.github.deconvspark.kernels.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@link DnnlBinary} against a naive loop of Java's float arithmetic, bit for bit, special values included. */
class DnnlBinaryTest {
    static final float[] SPECIAL = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, Float.MIN_VALUE,
        -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1e-40f, 3f};

    static float[] values(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextInt(8) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : (float) r.nextGaussian() * 4;
        return v;
    }

    static float apply(DnnlBinary.Op op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
        };
    }

    @Test void everyOpAndShapeEqualsTheNaiveLoop() {
        Random r = new Random(7);
        long[][] shapes = {{8, 13, 11, 32}, {2, 7, 7, 3}, {5, 1000}, {1, 1, 1, 1}, {3, 5, 17}, {4, 9, 9, 64}, {1, 2, 2, 513}};
        for (long[] shape : shapes) {
            int c = (int) shape[shape.length - 1];
            int n = 1;
            for (long d : shape) n *= (int) d;
            float[] x = values(r, n), v = values(r, c);
            INDArray full = Nd4j.create(x, shape, 'c'), vec = Nd4j.create(v, new long[] {c}, 'c');
            for (DnnlBinary.Op op : DnnlBinary.Op.values()) {
                INDArray out = DnnlBinary.rows(op, full, vec);
                assertNotNull(out, op + " " + java.util.Arrays.toString(shape) + ": not served");
                assertArrayEquals(shape, out.shape());
                float[] got = out.data().asFloat();
                for (int i = 0; i < n; i++) {
                    float want = apply(op, x[i], v[i % c]);
                    assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i]),
                            op + " " + java.util.Arrays.toString(shape) + " cell " + i + ": " + x[i] + " op " + v[i % c] + " = " + want
                                    + ", got " + got[i]);
                }
            }
        }
    }

    @Test void aSecondOpInTheSamePassRoundsEachStepAsTwoOpsDo() {
        Random r = new Random(11);
        long[][] shapes = {{8, 13, 11, 32}, {2, 7, 7, 3}, {5, 1000}, {1, 2, 2, 513}};
        for (long[] shape : shapes) {
            int c = (int) shape[shape.length - 1];
            int n = 1;
            for (long d : shape) n *= (int) d;
            float[] x = values(r, n), s = values(r, c), o = values(r, c);
            INDArray full = Nd4j.create(x, shape, 'c');
            for (DnnlBinary.Op then : new DnnlBinary.Op[] {DnnlBinary.Op.ADD, DnnlBinary.Op.SUB, DnnlBinary.Op.MUL}) {
                INDArray out = DnnlBinary.rows(DnnlBinary.Op.MUL, full, Nd4j.create(s, new long[] {c}, 'c'), then,
                        Nd4j.create(o, new long[] {1, c}, 'c'));
                assertNotNull(out, "mul then " + then + " " + java.util.Arrays.toString(shape) + ": not served");
                float[] got = out.data().asFloat();
                for (int i = 0; i < n; i++) {
                    float want = apply(then, x[i] * s[i % c], o[i % c]);
                    assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i]),
                            "mul then " + then + " cell " + i + ": (" + x[i] + " * " + s[i % c] + ") op " + o[i % c] + " = " + want
                                    + ", got " + got[i]);
                }
            }
        }
    }

    @Test void otherCasesAreLeftToTheCaller() {
        INDArray full = Nd4j.rand(DataType.FLOAT, 2, 3, 4), vec = Nd4j.rand(DataType.FLOAT, 4);
        assertNull(DnnlBinary.rows(DnnlBinary.Op.ADD, full.castTo(DataType.DOUBLE), vec.castTo(DataType.DOUBLE)), "float64");
        assertNull(DnnlBinary.rows(DnnlBinary.Op.ADD, full, Nd4j.rand(DataType.FLOAT, 3)), "vector of the wrong length");
        assertNull(DnnlBinary.rows(DnnlBinary.Op.ADD, full.permute(0, 2, 1), Nd4j.rand(DataType.FLOAT, 3)), "not dense");
    }
}
