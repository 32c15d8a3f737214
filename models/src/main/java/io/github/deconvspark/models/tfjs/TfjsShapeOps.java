package io.github.deconvspark.models.tfjs;

import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.tfjs.TfjsGraphBuilder.Val;
import java.util.Arrays;
import java.util.List;

/**
 * The int32 shape arithmetic TF graphs carry (e.g. a Conv2DBackpropInput's output size computed from its input's
 * Shape), folded at load time: every shape is static here, so Shape gives constants and StridedSlice, Pack and
 * Mul/Add/Sub over int32 constants compute theirs. Applied to float data, or with an attribute this folding does not
 * implement (ellipsis or new-axis masks, a StridedSlice of other than a vector), each is an error naming the node.
 */
final class TfjsShapeOps {
    private TfjsShapeOps() {}

    /** Shape of a float tensor (out_type int32): its static shape. */
    static Val shape(TfjsNode n, Tensor x, String source) {
        String t = n.type("out_type", "DT_INT32");
        if (!t.equals("DT_INT32")) throw new IllegalArgumentException(n + " of " + source + ": out_type " + t + " is not supported (DT_INT32)");
        long[] s = x.shape();
        int[] v = new int[s.length];
        for (int i = 0; i < s.length; i++) v[i] = Math.toIntExact(s[i]);
        return new Val(v, new long[] {s.length});
    }

    /** StridedSlice of an int32 vector, with begin_mask, end_mask and shrink_axis_mask. */
    static Val stridedSlice(TfjsNode n, Val x, int[] begin, int[] end, int[] strides, String source) {
        for (String k : List.of("ellipsis_mask", "new_axis_mask")) {
            if (n.integer(k, 0) != 0) throw new IllegalArgumentException(n + " of " + source + ": " + k + " is not supported");
        }
        if (x.ints == null || x.intShape.length != 1) {
            throw new IllegalArgumentException(n + " of " + source + ": StridedSlice is supported on int32 vectors (shape arithmetic) only");
        }
        if (begin.length != 1 || end.length != 1 || strides.length != 1) {
            throw new IllegalArgumentException(n + " of " + source + ": begin, end and strides must have 1 entry for a vector, got "
                    + Arrays.toString(begin) + ", " + Arrays.toString(end) + ", " + Arrays.toString(strides));
        }
        int len = x.ints.length, s = strides[0];
        if (s == 0) throw new IllegalArgumentException(n + " of " + source + ": a stride of 0");
        boolean shrink = (n.integer("shrink_axis_mask", 0) & 1) != 0;
        int b = begin[0] < 0 ? begin[0] + len : begin[0];
        if (shrink) {
            if (b < 0 || b >= len) throw new IllegalArgumentException(n + " of " + source + ": index " + begin[0] + " out of range for " + len);
            return new Val(new int[] {x.ints[b]}, new long[0]);
        }
        int e = end[0] < 0 ? end[0] + len : end[0];
        if ((n.integer("begin_mask", 0) & 1) != 0) b = s > 0 ? 0 : len - 1;
        if ((n.integer("end_mask", 0) & 1) != 0) e = s > 0 ? len : -1;
        b = s > 0 ? Math.max(0, Math.min(b, len)) : Math.max(-1, Math.min(b, len - 1));
        e = s > 0 ? Math.max(0, Math.min(e, len)) : Math.max(-1, Math.min(e, len - 1));
        int[] out = new int[Math.max(0, s > 0 ? (e - b + s - 1) / s : (b - e - s - 1) / -s)];
        for (int i = 0; i < out.length; i++) out[i] = x.ints[b + i * s];
        return new Val(out, new long[] {out.length});
    }

    /** Pack of int32 scalars along axis 0: a vector. */
    static Val pack(TfjsNode n, List<Val> in, String source) {
        long axis = n.integer("axis", 0);
        int[] out = new int[in.size()];
        for (int i = 0; i < in.size(); i++) {
            Val v = in.get(i);
            if (v.ints == null || v.intShape.length != 0) {
                throw new IllegalArgumentException(n + " of " + source + ": Pack is supported for int32 scalars (shape arithmetic) only; input "
                        + i + " is " + (v.ints == null ? "float data" : "of shape " + Arrays.toString(v.intShape)));
            }
            out[i] = v.ints[0];
        }
        if (axis != 0 && axis != -1) throw new IllegalArgumentException(n + " of " + source + ": axis " + axis + " of a Pack of scalars");
        return new Val(out, new long[] {out.length});
    }

    /** Mul, Add, AddV2 or Sub of two int32 constants (same shape, or one a scalar). */
    static Val arithmetic(TfjsNode n, Val a, Val b, String source) {
        boolean as = a.ints.length == 1 && a.intShape.length == 0, bs = b.ints.length == 1 && b.intShape.length == 0;
        if (!as && !bs && !Arrays.equals(a.intShape, b.intShape)) {
            throw new IllegalArgumentException(n + " of " + source + ": int32 shapes " + Arrays.toString(a.intShape) + " and "
                    + Arrays.toString(b.intShape) + " do not broadcast (same shape or a scalar)");
        }
        Val big = as ? b : a;
        int[] out = new int[big.ints.length];
        for (int i = 0; i < out.length; i++) {
            int x = a.ints[as ? 0 : i], y = b.ints[bs ? 0 : i];
            out[i] = switch (n.op()) {
                case "Mul" -> Math.multiplyExact(x, y);
                case "Add", "AddV2" -> Math.addExact(x, y);
                case "Sub" -> Math.subtractExact(x, y);
                default -> throw new IllegalArgumentException(n + " of " + source + ": " + n.op() + " of int32 values is not supported");
            };
        }
        return new Val(out, big.intShape);
    }
}
