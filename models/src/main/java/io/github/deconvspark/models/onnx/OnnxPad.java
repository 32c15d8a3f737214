package io.github.deconvspark.models.onnx;

import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.onnx.OnnxGraphBuilder.Val;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ONNX Pad: modes constant (any value), reflect and edge; pads [x1_begin, x2_begin, ..., x1_end, ...] (an attribute
 * before opset 11, an input after, with axes from opset 18); negative pads crop. On an NHWC value the pads are mapped
 * onto the physical axes and the result stays NHWC. Reflect and edge are concatenations of slices (exact, with
 * gradients), constant is the kernels' zero pad plus a constant where the value is not 0.
 */
final class OnnxPad {
    private OnnxPad() {}

    static Val pad(OnnxGraphBuilder b, OnnxNode n) {
        String mode;
        long[] pads;
        double value = 0;
        Val v = b.floatVal(n, 0);
        int r = v.rank();
        if (b.opset < 11) {
            n.allow("mode", "pads", "value");
            pads = n.ints("pads");
            if (pads == null) throw n.error("attribute pads is required");
            value = n.real("value", 0f);
        } else {
            n.allow("mode");
            pads = b.ints(n, 1, "pads");
            if (b.present(n, 2)) {
                float[] c = b.floats(n, 2);
                if (c == null || c.length != 1) throw n.error("its constant_value (input 2) must be a constant scalar");
                value = c[0];
            }
            if (b.present(n, 3)) pads = onAxes(n, pads, b.ints(n, 3, "axes"), r);
        }
        mode = n.string("mode", "constant");
        if (pads.length != 2L * r) throw n.error("pads " + Arrays.toString(pads) + " must have 2 x rank = " + 2 * r + " entries");
        long[] before = new long[r], after = new long[r];
        for (int k = 0; k < r; k++) {
            int p = OnnxGraphBuilder.physical(v, k);
            before[p] = pads[k];
            after[p] = pads[k + r];
        }
        Tensor x = v.t();
        // negative pads crop
        long[] s = x.shape(), begin = new long[r], size = s.clone();
        boolean crop = false;
        for (int k = 0; k < r; k++) {
            if (before[k] < 0) { begin[k] = -before[k]; size[k] += before[k]; before[k] = 0; crop = true; }
            if (after[k] < 0) { size[k] += after[k]; after[k] = 0; crop = true; }
            if (size[k] < 1) throw n.error("pads " + Arrays.toString(pads) + " crop axis " + k + " to nothing");
        }
        if (crop) x = Ops.slice(x, begin, size);
        Tensor y = switch (mode) {
            case "constant" -> constant(b, x, before, after, value);
            case "reflect", "edge" -> {
                Tensor t = x;
                for (int k = 0; k < r; k++) {
                    if (before[k] > 0 || after[k] > 0) t = mirror(n, t, k, before[k], after[k], mode.equals("reflect"));
                }
                yield t;
            }
            default -> throw n.error("mode '" + mode + "' is not supported (constant, reflect, edge)");
        };
        return OnnxMath.like(v, y);
    }

    /** Pads given for some axes (opset 18's axes input) spread over all. */
    private static long[] onAxes(OnnxNode n, long[] pads, long[] axes, int r) {
        if (pads.length != 2L * axes.length) throw n.error("pads " + Arrays.toString(pads) + " must have 2 entries per axis " + Arrays.toString(axes));
        long[] out = new long[2 * r];
        for (int k = 0; k < axes.length; k++) {
            int a = OnnxGraphBuilder.axis(n, axes[k], r, "axis");
            out[a] = pads[k];
            out[a + r] = pads[k + axes.length];
        }
        return out;
    }

    private static Tensor constant(OnnxGraphBuilder b, Tensor x, long[] before, long[] after, double value) {
        Tensor y = Ops.pad(x, before, after);
        if (value == 0) return y;
        long[] s = y.shape();
        INDArray mask = Nd4j.valueArrayOf(s, value, x.dataType());
        INDArray inside = Nd4j.zeros(x.dataType(), x.shape());
        long[] begin = before.clone();
        mask.get(window(begin, x.shape())).assign(inside);
        return Ops.add(y, b.g.constant(mask));
    }

    private static org.nd4j.linalg.indexing.INDArrayIndex[] window(long[] begin, long[] size) {
        org.nd4j.linalg.indexing.INDArrayIndex[] w = new org.nd4j.linalg.indexing.INDArrayIndex[begin.length];
        for (int k = 0; k < w.length; k++) w[k] = org.nd4j.linalg.indexing.NDArrayIndex.interval(begin[k], begin[k] + size[k]);
        return w;
    }

    /** Reflect (x[p], ..., x[1] | x | x[d-2], ...) or edge (x[0] repeated | x | x[d-1] repeated) along one axis. */
    private static Tensor mirror(OnnxNode n, Tensor x, int axis, long before, long after, boolean reflect) {
        long d = x.size(axis);
        if (reflect && (before >= d || after >= d)) {
            throw n.error("reflect padding of " + Math.max(before, after) + " needs an axis longer than that; axis " + axis + " has " + d);
        }
        List<Tensor> parts = new ArrayList<>();
        for (long i = before; i >= 1; i--) parts.add(row(x, axis, reflect ? i : 0));
        parts.add(x);
        for (long i = 1; i <= after; i++) parts.add(row(x, axis, reflect ? d - 1 - i : d - 1));
        return Ops.concat(axis, parts);
    }

    private static Tensor row(Tensor x, int axis, long i) {
        long[] begin = new long[x.rank()], size = x.shape();
        begin[axis] = i;
        size[axis] = 1;
        return Ops.slice(x, begin, size);
    }
}
