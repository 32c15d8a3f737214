package io.github.deconvspark.models.onnx;

import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.onnx.proto.Onnx.NodeProto;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The nodes of an ONNX graph as ops of the autodiff {@link Graph}, in the graph's (topological) order.
 *
 * <p>Layouts: ONNX computes in NCHW, the kernels (and the jobs' pixels) in NHWC. A 4-D value that comes from the image
 * through convolutions, pools and element-wise ops is kept <em>physically NHWC</em> ({@link Val#nhwc}): its ONNX
 * (logical) shape is [N, C, H, W], its graph tensor is [N, H, W, C], and axis attributes of the ops that keep it so
 * (Concat, Slice, Pad, Resize, reductions, Softmax) are mapped onto the physical axes. Any other op sees the logical
 * NCHW tensor (a transpose, or a reshape when only size-1 axes move). So the model's image input is one NHWC
 * placeholder with no transpose behind it, and gradients to it come back in the image's layout.
 *
 * <p>Values: float values are graph tensors (initializers become constants, whose values are kept for ops that read
 * them as parameters, e.g. Resize's scales); integer values (shapes, axes, indices) are folded as constants, and so is
 * the shape arithmetic exporters emit (Shape, Gather, Unsqueeze, Concat, Cast, Slice, ... on them). Anything else is
 * an error naming the model, the node, its op and the rule.
 */
final class OnnxGraphBuilder {
    /** The ops this loader knows (the ai.onnx domain). */
    static final Set<String> SUPPORTED = new TreeSet<>(List.of(
            "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
            "Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Softmax",
            "Add", "Sub", "Mul", "Div", "MatMul", "Gemm", "Flatten", "Reshape", "Concat", "Transpose", "Squeeze", "Unsqueeze",
            "Pad", "Resize", "Upsample", "Dropout", "Identity", "Constant", "ReduceMean", "ReduceMax",
            "Shape", "Gather", "Cast", "Slice", "ConstantOfShape", "Floor", "Ceil", "Sqrt", "Exp", "Neg", "Pow"));

    /** Logical (NCHW) axis to physical (NHWC) axis. */
    static final int[] PHYSICAL = {0, 3, 1, 2};

    /**
     * A value: a float graph tensor (with its values when it is a constant), or a folded integer constant.
     *
     * @param shape the ONNX (logical) shape
     * @param nhwc  a 4-D value whose tensor holds the logical [N, C, H, W] as [N, H, W, C]
     */
    record Val(Tensor t, float[] floats, long[] ints, long[] shape, boolean nhwc) {
        static Val of(Tensor t) { return new Val(t, null, null, t.shape(), false); }

        /** A physically NHWC tensor [N, H, W, C] holding the logical [N, C, H, W]. */
        static Val nhwc(Tensor t) {
            long[] p = t.shape();
            if (p.length != 4) throw new IllegalStateException("nhwc value of rank " + p.length);
            return new Val(t, null, null, new long[] {p[0], p[3], p[1], p[2]}, true);
        }

        static Val ints(long[] v, long[] shape) { return new Val(null, null, v, shape, false); }

        boolean isInt() { return ints != null; }

        int rank() { return shape.length; }
    }

    final Graph g;
    final int opset;
    final DataType dtype;
    final String source;
    /** The model's folder and the digest of what it reads, for Constant nodes' tensors. */
    final Path folder;
    final MessageDigest digest;
    final Map<String, Val> vals = new LinkedHashMap<>();
    /** The op type of each value's producer, for Model.opOf. */
    final Map<String, String> producers = new LinkedHashMap<>();
    private final Map<Tensor, Tensor> logicalViews = new IdentityHashMap<>();
    /** The initializer each constant derives from (a filter transposed at load time), and the tensor each one is used as. */
    final Map<Tensor, String> origins = new IdentityHashMap<>();
    final Map<String, Tensor> used = new LinkedHashMap<>();
    /** How each derived constant was formed from its initializer (to give its gradient back in the file's layout). */
    final Map<Tensor, Layout> layouts = new IdentityHashMap<>();

    /**
     * A derived constant = the initializer (of {@code fileShape}) transposed by {@code perm} (null: not transposed), then
     * reshaped to {@code reshaped} (null: not reshaped); {@link #UNKNOWN} when a transpose followed a reshape.
     */
    record Layout(long[] fileShape, int[] perm, long[] reshaped) {
        static final Layout UNKNOWN = new Layout(null, null, null);
    }
    /** Float tensors of more than one value given by Constant nodes (weights, in exports without initializers). */
    final Set<String> constantWeights = new LinkedHashSet<>();

    OnnxGraphBuilder(Graph g, int opset, DataType dtype, String source, Path folder, MessageDigest digest) {
        this.g = g;
        this.opset = opset;
        this.dtype = dtype;
        this.source = source;
        this.folder = folder;
        this.digest = digest;
    }

    /** Float constants up to this many values keep their values beside the graph constant (parameters such as scales). */
    static final int KEPT_FLOATS = 1 << 12;

    void constant(OnnxTensors.Decoded d) {
        if (d.isFloat()) {
            float[] kept = d.floats().length <= KEPT_FLOATS ? d.floats() : null;
            vals.put(d.name(), new Val(g.constant(d.name(), array(d.floats(), d.doubles(), d.shape())), kept, null, d.shape(), false));
        } else {
            vals.put(d.name(), Val.ints(d.ints(), d.shape()));
        }
        producers.put(d.name(), "Initializer");
    }

    INDArray array(float[] f, double[] d, long[] shape) {
        if (f.length == 0 && (d == null || d.length == 0)) return Nd4j.create(dtype, shape);   // an empty tensor (e.g. Resize's roi)
        if (dtype == DataType.DOUBLE && d != null) return shape.length == 0 ? Nd4j.scalar(d[0]) : Nd4j.create(d, shape, 'c');
        INDArray a = shape.length == 0 ? Nd4j.scalar(DataType.FLOAT, f[0]) : Nd4j.create(f, shape, 'c');
        return dtype == DataType.FLOAT ? a : a.castTo(dtype);
    }

    void build(List<NodeProto> nodes) {
        for (int i = 0; i < nodes.size(); i++) {
            OnnxNode n = new OnnxNode(nodes.get(i), i, source);
            String domain = n.proto.getDomain();
            if (!domain.isEmpty() && !domain.equals("ai.onnx")) throw n.error("domain '" + domain + "' is not supported (ai.onnx only)");
            if (!SUPPORTED.contains(n.op)) {
                throw n.error("op " + n.op + " is not supported (supported: " + String.join(", ", SUPPORTED) + ")");
            }
            for (String in : n.inputs()) {
                if (!in.isEmpty() && !vals.containsKey(in)) {
                    throw n.error("input '" + in + "' is produced by no earlier node, initializer or graph input"
                            + " (a cycle, or a graph whose nodes are not in topological order)");
                }
            }
            Val[] out;
            try {
                out = convert(n);
            } catch (ArithmeticException e) {
                throw n.error("its sizes overflow (" + e.getMessage() + ")");
            } catch (IllegalArgumentException e) {
                String m = String.valueOf(e.getMessage());
                throw m.startsWith(source) ? e : n.error(m);
            }
            for (int k = 0; k < n.outputs() && k < out.length; k++) {
                if (n.output(k).isEmpty()) continue;
                if (vals.containsKey(n.output(k))) throw n.error("output '" + n.output(k) + "' is already defined (each value has one producer)");
                if (out[k] != null) {
                    vals.put(n.output(k), out[k]);
                    producers.put(n.output(k), n.op);
                }
            }
        }
    }

    private Val[] convert(OnnxNode n) {
        return switch (n.op) {
            case "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization" ->
                    OnnxConv.convert(this, n);
            case "Shape", "Gather", "Cast", "Slice", "ConstantOfShape", "Constant", "Flatten", "Reshape", "Concat", "Transpose",
                 "Squeeze", "Unsqueeze", "Pad" -> OnnxShapes.convert(this, n);
            case "Resize", "Upsample" -> new Val[] {OnnxResize.convert(this, n)};
            default -> OnnxMath.convert(this, n);
        };
    }

    // ---- inputs ----

    Val val(OnnxNode n, int i) {
        String name = n.input(i);
        if (name == null) throw n.error("input " + i + " is missing");
        return vals.get(name);
    }

    boolean present(OnnxNode n, int i) { return n.input(i) != null; }

    /** Input i's float value; an integer value there is an error. */
    Val floatVal(OnnxNode n, int i) {
        Val v = val(n, i);
        if (v.isInt()) throw n.error("input " + i + " ('" + n.input(i) + "') holds integers " + Arrays.toString(v.shape())
                + " where the op takes float data");
        return v;
    }

    /** Input i as a tensor in ONNX's own (logical) layout. */
    Tensor t(OnnxNode n, int i) {
        return logical(floatVal(n, i));
    }

    /** Input i as a 4-D NHWC tensor (the layout the kernels compute in). */
    Tensor nhwcInput(OnnxNode n, int i) {
        Val v = floatVal(n, i);
        if (v.rank() != 4) throw n.error("input " + i + " ('" + n.input(i) + "') is " + Arrays.toString(v.shape()) + "; it must be 4-D NCHW");
        return v.nhwc() ? v.t() : permute(v.t(), 0, 2, 3, 1);
    }

    /** Input i as folded integers; a computed (non-constant) value there is an error. */
    long[] ints(OnnxNode n, int i, String role) {
        Val v = val(n, i);
        if (v.isInt()) return v.ints();
        if (v.floats() != null) {
            long[] out = new long[v.floats().length];
            for (int k = 0; k < out.length; k++) out[k] = (long) v.floats()[k];
            return out;
        }
        throw n.error("its " + role + " (input " + i + ", '" + n.input(i) + "') must be a constant: it is computed at run time, "
                + "which a static graph cannot take");
    }

    /** Input i's constant float values (integers widened), or null when computed at run time. */
    float[] floats(OnnxNode n, int i) {
        Val v = val(n, i);
        if (v.isInt()) {
            float[] f = new float[v.ints().length];
            for (int k = 0; k < f.length; k++) f[k] = v.ints()[k];
            return f;
        }
        return v.floats();
    }

    Tensor scalar(double v) { return g.scalar(v, dtype); }

    // ---- layouts ----

    /** A value's tensor in the logical layout: an NHWC value transposed back to NCHW (once per tensor). */
    Tensor logical(Val v) {
        if (!v.nhwc()) return v.t();
        return logicalViews.computeIfAbsent(v.t(), t -> permute(t, 0, 3, 1, 2));
    }

    /**
     * A transpose: folded for constants, a reshape when only size-1 axes move (the same memory order), else the op.
     */
    Tensor permute(Tensor t, int... perm) {
        long[] s = t.shape();
        long[] out = new long[perm.length];
        for (int k = 0; k < perm.length; k++) out[k] = s[perm[k]];
        if (t.kind() == Tensor.Kind.CONSTANT) return derived(t, g.constant(t.value().permute(perm).dup('c')), perm, null);
        if (keepsOrder(s, perm)) return Ops.reshape(t, out);
        return Ops.transpose(t, perm);
    }

    /** A reshape, folded for constants. */
    Tensor reshape(Tensor t, long... shape) {
        if (t.kind() == Tensor.Kind.CONSTANT) return derived(t, g.constant(t.value().reshape('c', shape).dup('c')), null, shape.clone());
        return Ops.reshape(t, shape);
    }

    /** Records that a folded constant stands for its source's initializer (the parameter a gradient check perturbs). */
    private Tensor derived(Tensor from, Tensor to, int[] perm, long[] reshaped) {
        String o = origins.get(from);
        if (o != null) {
            origins.put(to, o);
            used.put(o, to);
            Layout base = layouts.getOrDefault(from, new Layout(from.shape(), null, null));
            Layout l;
            if (base == Layout.UNKNOWN || (perm != null && base.reshaped() != null)) {
                l = Layout.UNKNOWN;
            } else if (perm != null) {
                int[] q = new int[perm.length];
                for (int k = 0; k < perm.length; k++) q[k] = base.perm() == null ? perm[k] : base.perm()[perm[k]];
                l = new Layout(base.fileShape(), q, null);
            } else {
                l = new Layout(base.fileShape(), base.perm(), reshaped);
            }
            layouts.put(to, l);
        }
        return to;
    }

    /** Whether the axes of size above 1 keep their relative order under perm. */
    static boolean keepsOrder(long[] shape, int[] perm) {
        int last = -1;
        for (int p : perm) {
            if (shape[p] == 1) continue;
            if (p < last) return false;
            last = p;
        }
        return true;
    }

    /**
     * Two operands of an element-wise op in one layout: when either is NHWC the other is brought to NHWC (padded on the
     * left to rank 4 as ONNX broadcasting does, then transposed), else both stay logical. Null when they cannot be.
     */
    Tensor[] aligned(Val a, Val b) {
        if (!a.nhwc() && !b.nhwc()) return new Tensor[] {a.t(), b.t()};
        if (a.rank() > 4 || b.rank() > 4) return new Tensor[] {logical(a), logical(b)};
        return new Tensor[] {toNhwc(a), toNhwc(b)};
    }

    /** A value of rank <= 4 in NHWC, ONNX-broadcast-aligned to a 4-D NCHW partner. */
    Tensor toNhwc(Val v) {
        if (v.nhwc()) return v.t();
        long[] s = v.shape();
        Tensor t = v.t();
        if (s.length < 4) {
            long[] s4 = new long[4];
            Arrays.fill(s4, 1);
            System.arraycopy(s, 0, s4, 4 - s.length, s.length);
            t = reshape(t, s4);
        }
        return permute(t, 0, 2, 3, 1);
    }

    /**
     * A value's tensor whose memory order is the logical (row-major NCHW) order, for reshapes: an NHWC value as it is
     * when only size-1 axes separate the two orders, else transposed.
     */
    Tensor rowMajor(Val v) {
        if (!v.nhwc() || keepsOrder(v.t().shape(), new int[] {0, 3, 1, 2})) return v.t();
        return logical(v);
    }

    /** The physical axis of a logical one for a value (unchanged unless the value is NHWC). */
    static int physical(Val v, int logicalAxis) {
        return v.nhwc() ? PHYSICAL[logicalAxis] : logicalAxis;
    }

    /** A logical axis attribute in [-rank, rank) normalized to [0, rank). */
    static int axis(OnnxNode n, long a, int rank, String what) {
        long r = a < 0 ? a + rank : a;
        if (r < 0 || r >= rank) throw n.error(what + " " + a + " is out of range for rank " + rank + " (legal: -" + rank + " to " + (rank - 1) + ")");
        return (int) r;
    }
}
