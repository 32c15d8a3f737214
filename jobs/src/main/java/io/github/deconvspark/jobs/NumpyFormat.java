package io.github.deconvspark.jobs;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Prints arrays the way numpy (and so the tutorial's TensorFlow session) prints them:
 * {@code [[-2.  0.]\n [ 2.  4.]]}, nested brackets, blank lines between higher blocks, every
 * element aligned on its decimal point.
 */
public final class NumpyFormat {
    private NumpyFormat() {}

    public static String shape(INDArray a) {
        long[] s = a.shape();
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < s.length; i++) b.append(i > 0 ? ", " : "").append(s[i]);
        return b.append(s.length == 1 ? ",)" : ")").toString();
    }

    public static String format(INDArray a) {
        boolean integral = a.dataType() == DataType.LONG || a.dataType() == DataType.INT;
        double[] v = a.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        boolean single = a.dataType() == DataType.FLOAT;
        List<String> ints = new ArrayList<>();
        List<String> fracs = new ArrayList<>();
        int intWidth = 0;
        int fracWidth = 0;
        for (double d : v) {
            String s = integral ? Long.toString((long) d) : repr(d, single);
            int dot = s.indexOf('.');
            String ip = dot < 0 ? s : s.substring(0, dot + 1);
            String fp = dot < 0 ? "" : s.substring(dot + 1);
            ints.add(ip);
            fracs.add(fp);
            intWidth = Math.max(intWidth, ip.length());
            fracWidth = Math.max(fracWidth, fp.length());
        }
        String[] cells = new String[v.length];
        for (int i = 0; i < v.length; i++) {
            cells[i] = " ".repeat(intWidth - ints.get(i).length()) + ints.get(i) + fracs.get(i)
                    + " ".repeat(fracWidth - fracs.get(i).length());
        }
        if (a.rank() == 0) return cells[0];
        return block(cells, a.shape(), 0, 0);
    }

    /** Shortest decimal that reads back as the same float (or double), numpy style: "2." not "2.0". */
    static String repr(double d, boolean single) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        String s = single ? Float.toString((float) d) : Double.toString(d);
        if (s.contains("E")) s = new BigDecimal(s).toPlainString();
        if (s.endsWith(".0")) s = s.substring(0, s.length() - 1);
        return s;
    }

    private static String block(String[] cells, long[] shape, int depth, int offset) {
        int n = (int) shape[depth];
        int stride = 1;
        for (int i = depth + 1; i < shape.length; i++) stride *= (int) shape[i];
        StringBuilder b = new StringBuilder("[");
        String sep = depth == shape.length - 1 ? " " : "\n".repeat(shape.length - depth - 1) + " ".repeat(depth + 1);
        for (int i = 0; i < n; i++) {
            if (i > 0) b.append(sep);
            b.append(depth == shape.length - 1 ? cells[offset + i] : block(cells, shape, depth + 1, offset + i * stride));
        }
        return b.append("]").toString();
    }
}
