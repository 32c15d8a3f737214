package io.github.deconvspark.kernels;

import java.math.BigDecimal;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * numpy's (>= 1.14) printing, enough for the tutorial's outputs: {@code str} ({@code [[ 9. 10.]]}),
 * {@code repr} ({@code array([1., 2.], dtype=float32)}) and a scalar as Python prints it ({@code 6.0}).
 */
public final class NumpyText {
    private NumpyText() {}

    /** A shape as Python prints a tuple: {@code (1, 2, 2, 1)}, {@code (3,)}. */
    public static String shape(INDArray a) {
        long[] s = a.shape();
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < s.length; i++) b.append(i > 0 ? ", " : "").append(s[i]);
        return b.append(s.length == 1 ? ",)" : ")").toString();
    }

    /** numpy's str: {@code [[ 9. 10.]]}; integers without a point: {@code [ 8  9]}. */
    public static String str(INDArray a) {
        return body(a, " ", 1);
    }

    public static String repr(INDArray a) {
        String dtype = a.dataType() == DataType.FLOAT ? ", dtype=float32" : "";
        return "array(" + body(a, ",", "array(".length() + 1) + dtype + ")";
    }

    /** A 0-d value as Python's repr of a float: "6.0", "0.5". */
    public static String scalar(INDArray a) {
        double d = a.getDouble(0);
        return a.dataType() == DataType.FLOAT ? Float.toString((float) d) : Double.toString(d);
    }

    private static String body(INDArray a, String sep, int indent) {
        double[] v = a.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        boolean single = a.dataType() == DataType.FLOAT;
        boolean integral = a.dataType() == DataType.LONG || a.dataType() == DataType.INT;
        String[] ip = new String[v.length];
        String[] fp = new String[v.length];
        int iw = 0;
        int fw = 0;
        for (int i = 0; i < v.length; i++) {
            String s = integral ? Long.toString((long) v[i]) : element(v[i], single);
            int dot = s.indexOf('.');
            ip[i] = dot < 0 ? s : s.substring(0, dot + 1);
            fp[i] = dot < 0 ? "" : s.substring(dot + 1);
            iw = Math.max(iw, ip[i].length());
            fw = Math.max(fw, fp[i].length());
        }
        String[] cells = new String[v.length];
        for (int i = 0; i < v.length; i++) {
            // numpy aligns on the decimal point: pad the integer part left, the fraction right.
            cells[i] = " ".repeat(iw - ip[i].length()) + ip[i] + fp[i] + " ".repeat(fw - fp[i].length());
        }
        if (a.rank() == 0) return cells[0];
        return block(cells, a.shape(), 0, 0, sep, indent);
    }

    /** Shortest decimal reading back as the same value, numpy style: "2." not "2.0". */
    private static String element(double d, boolean single) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        String s = single ? Float.toString((float) d) : Double.toString(d);
        if (s.contains("E")) s = new BigDecimal(s).toPlainString();
        if (s.endsWith(".0")) s = s.substring(0, s.length() - 1);
        return s;
    }

    private static String block(String[] cells, long[] shape, int depth, int offset, String sep, int indent) {
        int n = (int) shape[depth];
        int stride = 1;
        for (int i = depth + 1; i < shape.length; i++) stride *= (int) shape[i];
        StringBuilder b = new StringBuilder("[");
        boolean last = depth == shape.length - 1;
        String between = last ? sep + (sep.equals(",") ? " " : "")
                : sep.trim() + "\n".repeat(shape.length - depth - 1) + " ".repeat(indent + depth);
        for (int i = 0; i < n; i++) {
            if (i > 0) b.append(between);
            b.append(last ? cells[offset + i] : block(cells, shape, depth + 1, offset + i * stride, sep, indent));
        }
        return b.append("]").toString();
    }
}
