package io.github.deconvspark.models.tfjs;

import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.PoolParams;
import io.github.deconvspark.models.ops.Clip;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Turns the nodes of a TF.js graph model into ops of the autodiff {@link Graph}, in dependency
 * order. Float values are graph tensors; int32 constants (axes, shapes, paddings, permutations)
 * are kept as plain values and become float constants only where an op takes them as data.
 */
final class TfjsGraphBuilder {
    /** The ops this loader knows; anything else is an error naming the op and node. */
    static final Set<String> SUPPORTED = new TreeSet<>(List.of(
            "Placeholder", "Const", "Identity", "StopGradient", "Snapshot",
            "Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "_FusedDepthwiseConv2dNative", "FusedDepthwiseConv2dNative",
            "Conv2DBackpropInput", "Relu", "Relu6", "Sigmoid", "Tanh", "MaxPool", "AvgPool", "Minimum", "Maximum",
            "Add", "AddV2", "Sub", "Mul", "RealDiv", "BiasAdd", "MatMul", "_FusedMatMul", "Shape", "StridedSlice", "Pack",
            "FusedBatchNorm", "FusedBatchNormV3",
            "Reshape", "Squeeze", "ExpandDims", "Transpose", "Pad", "ConcatV2",
            "Max", "Mean", "Sum", "Softmax"));

    /** A node's value while building: a float graph tensor, or an int32 constant. */
    static final class Val {
        final Tensor tensor;
        final int[] ints;
        final long[] intShape;

        Val(Tensor t) { tensor = t; ints = null; intShape = null; }

        Val(int[] ints, long[] shape) { tensor = null; this.ints = ints; intShape = shape; }
    }

    private final Graph g;
    private final long batch;
    private final Map<String, TfjsNode> byName;
    private final Map<String, Weights.Decoded> weights;
    private final Map<String, long[]> signatureShapes;
    private final String source;
    private final Map<String, Val> vals = new HashMap<>();
    /** FLOAT, or DOUBLE for float64 gradient checks (weights widened exactly). */
    DataType dtype = DataType.FLOAT;
    final Map<String, Tensor> tensors = new LinkedHashMap<>();
    /** Each placeholder's shape as the model declares it (-1: any size), before the batch is fixed. */
    final Map<String, long[]> declaredShapes = new LinkedHashMap<>();

    TfjsGraphBuilder(Graph g, long batch, List<TfjsNode> nodes, Map<String, Weights.Decoded> weights,
                     Map<String, long[]> signatureShapes, String source) {
        this.g = g;
        this.batch = batch;
        this.byName = new LinkedHashMap<>();
        for (TfjsNode n : nodes) {
            if (byName.put(n.name(), n) != null) throw new IllegalArgumentException(source + ": two nodes are named '" + n.name() + "'");
        }
        this.weights = weights;
        this.signatureShapes = signatureShapes;
        this.source = source;
    }

    /** Builds every node (an unsupported op anywhere is an error, as in TF.js). */
    void buildAll() {
        for (TfjsNode n : byName.values()) {
            if (!SUPPORTED.contains(n.op())) {
                throw new IllegalArgumentException("unsupported op '" + n.op() + "' in node '" + n.name() + "' of " + source
                        + " (supported ops: " + String.join(", ", SUPPORTED) + ")");
            }
        }
        for (TfjsNode n : byName.values()) build(n.name());
    }

    static String nodeName(String input) {
        String s = input.startsWith("^") ? input.substring(1) : input;
        int c = s.lastIndexOf(':');
        return c >= 0 && s.substring(c + 1).chars().allMatch(Character::isDigit) ? s.substring(0, c) : s;
    }

    static int outputIndex(String input) {
        int c = input.lastIndexOf(':');
        if (c < 0) return 0;
        String t = input.substring(c + 1);
        return !t.isEmpty() && t.chars().allMatch(Character::isDigit) ? Integer.parseInt(t) : 0;
    }

    /** Iterative depth-first build, inputs before users. */
    private void build(String root) {
        if (vals.containsKey(root)) return;
        ArrayDeque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new java.util.HashSet<>();
        stack.push(root);
        while (!stack.isEmpty()) {
            String name = stack.peek();
            if (vals.containsKey(name)) { stack.pop(); continue; }
            TfjsNode n = byName.get(name);
            onStack.add(name);
            boolean ready = true;
            for (String in : n.dataInputs()) {
                String dep = nodeName(in);
                if (!byName.containsKey(dep)) {
                    throw new IllegalArgumentException(n + " of " + source + ": input '" + in + "' names no node of the model");
                }
                if (outputIndex(in) != 0) {
                    throw new IllegalArgumentException(n + " of " + source + ": input '" + in
                            + "' reads output " + outputIndex(in) + " of its node; only output 0 is supported");
                }
                if (!vals.containsKey(dep)) {
                    if (onStack.contains(dep)) {
                        throw new IllegalArgumentException(n + " of " + source + ": the graph has a cycle through '" + dep
                                + "' (control flow is not supported)");
                    }
                    stack.push(dep);
                    ready = false;
                }
            }
            if (ready) {
                stack.pop();
                onStack.remove(name);
                Val v;
                try {
                    v = convert(n);
                } catch (IllegalArgumentException e) {
                    if (e.getMessage() != null && e.getMessage().contains(source)) throw e;
                    String m = String.valueOf(e.getMessage());
                    throw new IllegalArgumentException((m.contains(n.toString()) ? source + ": " : n + " of " + source + ": ") + m, e);
                } catch (ArithmeticException e) {          // sizes from its attributes overflow the kernels' arithmetic
                    throw new IllegalArgumentException(n + " of " + source + ": its attributes " + n.attr().keySet()
                            + " give sizes that overflow (" + e.getMessage() + "): strides, kernel or paddings out of range", e);
                }
                vals.put(name, v);
                if (v.tensor != null) tensors.put(name, v.tensor);
            }
        }
    }

    private Val in(TfjsNode n, int i) {
        List<String> ins = n.dataInputs();
        if (i >= ins.size()) {
            throw new IllegalArgumentException(n + " of " + source + ": has " + ins.size() + " inputs, needs at least " + (i + 1));
        }
        return vals.get(nodeName(ins.get(i)));
    }

    /** Input i as a float tensor; an int32 value there is an error, as TF's type check makes it. */
    private Tensor t(TfjsNode n, int i) {
        Val v = in(n, i);
        if (v.tensor != null) return v.tensor;
        throw new IllegalArgumentException(n + " of " + source + ": input " + i + " ('" + n.dataInputs().get(i) + "') is an int32 constant "
                + Arrays.toString(v.intShape) + " but " + n.op() + " takes float data there");
    }

    /** Input i as int32 constant values. */
    private int[] ints(TfjsNode n, int i, String role) {
        Val v = in(n, i);
        if (v.ints == null) {
            throw new IllegalArgumentException(n + " of " + source + ": its " + role + " (input " + i + ", '" + n.dataInputs().get(i)
                    + "') must be an int32 constant");
        }
        return v.ints;
    }

    INDArray array(float[] f, long[] shape) {
        INDArray a = shape.length == 0 ? Nd4j.scalar(DataType.FLOAT, f[0]) : Nd4j.create(f, shape, 'c');
        return dtype == DataType.FLOAT ? a : a.castTo(dtype);
    }

    private Val convert(TfjsNode n) {
        switch (n.op()) {
            case "Placeholder": return new Val(placeholder(n));
            case "Const": return constant(n);
            case "Identity": case "Snapshot": return in(n, 0);
            case "StopGradient": return new Val(Ops.stopGradient(t(n, 0)));
            case "Conv2D": return new Val(conv(n));
            case "_FusedConv2D": return new Val(fused(n, conv(n), 2));
            case "DepthwiseConv2dNative": return new Val(depthwise(n));
            case "_FusedDepthwiseConv2dNative": case "FusedDepthwiseConv2dNative": return new Val(fused(n, depthwise(n), 2));
            case "Conv2DBackpropInput": return new Val(backpropInput(n));
            case "Minimum": case "Maximum": return new Val(minMax(n));
            case "Shape": return TfjsShapeOps.shape(n, t(n, 0), source);
            case "StridedSlice": return TfjsShapeOps.stridedSlice(n, in(n, 0), ints(n, 1, "begin"), ints(n, 2, "end"), ints(n, 3, "strides"), source);
            case "Pack": {
                List<Val> vs = new ArrayList<>();
                for (int i = 0; i < n.dataInputs().size(); i++) vs.add(in(n, i));
                return TfjsShapeOps.pack(n, vs, source);
            }
            case "Relu": case "Relu6": case "Sigmoid": case "Tanh": return new Val(activation(n, n.op(), t(n, 0)));
            case "MaxPool": case "AvgPool": return new Val(pool(n));
            case "Add": case "AddV2": case "Sub": case "Mul":
                if (in(n, 0).ints != null && in(n, 1).ints != null) return TfjsShapeOps.arithmetic(n, in(n, 0), in(n, 1), source);
                return new Val(n.op().equals("Sub") ? Ops.sub(t(n, 0), t(n, 1)) : n.op().equals("Mul") ? Ops.mul(t(n, 0), t(n, 1))
                        : Ops.add(t(n, 0), t(n, 1)));
            case "RealDiv": return new Val(Ops.div(t(n, 0), t(n, 1)));
            case "BiasAdd": return new Val(Ops.biasAdd(t(n, 0), t(n, 1), format(n)));
            case "MatMul": return new Val(matmul(n));
            case "_FusedMatMul": return new Val(fused(n, matmul(n), 2));
            case "FusedBatchNorm": case "FusedBatchNormV3": return new Val(batchNorm(n));
            case "Reshape": return new Val(reshape(n));
            case "Squeeze": return new Val(squeeze(n));
            case "ExpandDims": return new Val(expandDims(n));
            case "Transpose": return new Val(Ops.transpose(t(n, 0), ints(n, 1, "perm")));
            case "Pad": return new Val(pad(n));
            case "ConcatV2": return new Val(concat(n));
            case "Max": case "Mean": case "Sum": return new Val(reduce(n));
            case "Softmax": return new Val(Ops.softmax(t(n, 0)));
            default:
                throw new IllegalArgumentException("unsupported op '" + n.op() + "' in node '" + n.name() + "' of " + source);
        }
    }

    private Tensor placeholder(TfjsNode n) {
        String dt = n.type("dtype", "DT_FLOAT");
        if (!dt.equals("DT_FLOAT")) {
            throw new IllegalArgumentException(n + " of " + source + ": dtype " + dt + " is not supported (DT_FLOAT only)");
        }
        long[] shape = n.shape("shape");
        if (shape == null || shape.length == 0) shape = signatureShapes.get(n.name());
        if (shape == null) {
            throw new IllegalArgumentException(n + " of " + source + ": no static shape (neither its shape attr nor the signature gives one)");
        }
        declaredShapes.put(n.name(), shape.clone());
        shape = shape.clone();
        for (int k = 0; k < shape.length; k++) {
            if (shape[k] < 0 && k == 0) shape[k] = batch;
            else if (shape[k] < 1) {
                throw new IllegalArgumentException(n + " of " + source + ": dimension " + k + " of its shape " + Arrays.toString(shape)
                        + " is unknown; only the batch dimension may be -1");
            }
        }
        return g.placeholder(n.name(), dtype, shape);
    }

    private Val constant(TfjsNode n) {
        Weights.Decoded w = weights.get(n.name());
        if (w == null) {
            throw new IllegalArgumentException(n + " of " + source + " has no weight of that name in weightsManifest");
        }
        long[] shape = w.spec().shape();
        long[] declared = n.tensorShape("value");
        if (declared != null && !Arrays.equals(declared, shape)) {
            throw new IllegalArgumentException(n + " of " + source + ": its value attr has shape " + Arrays.toString(declared)
                    + " but weightsManifest gives " + w.spec().name() + " the shape " + Arrays.toString(shape));
        }
        String dt = n.type("dtype", null);
        String wanted = w.spec().dtype().equals("float32") ? "DT_FLOAT" : w.spec().dtype().equals("int32") ? "DT_INT32" : "DT_BOOL";
        if (dt != null && !dt.equals(wanted)) {
            throw new IllegalArgumentException(n + " of " + source + ": its dtype attr is " + dt + " but weightsManifest gives "
                    + w.spec().name() + " dtype " + w.spec().dtype());
        }
        if (w.isFloat()) return new Val(g.constant(n.name(), array(w.floats(), shape)));
        return new Val(w.ints(), shape);
    }

    private DataFormat format(TfjsNode n) {
        return TfjsAttrs.format(n, source);
    }

    private Padding padding(TfjsNode n, DataFormat f) {
        return TfjsAttrs.padding(n, f, source);
    }

    private ConvParams convParams(TfjsNode n) {
        return TfjsAttrs.convParams(n, source);
    }

    private int[] four(TfjsNode n, String key, int[] dflt) {
        return TfjsAttrs.four(n, key, dflt, source);
    }

    private Tensor conv(TfjsNode n) {
        return Ops.conv2d(t(n, 0), t(n, 1), convParams(n));
    }

    /** TF's DepthwiseConv2dNative: filter [kh, kw, C, multiplier], output channel c * multiplier + m. */
    private Tensor depthwise(TfjsNode n) {
        return Ops.depthwiseConv2d(t(n, 0), t(n, 1), convParams(n));
    }

    /** Conv2DBackpropInput(input_sizes, filter, out_backprop): conv2d_transpose to input_sizes (its batch: out_backprop's). */
    private Tensor backpropInput(TfjsNode n) {
        int[] sizes = ints(n, 0, "input_sizes");
        Tensor dy = t(n, 2);
        if (sizes.length != 4) throw new IllegalArgumentException(n + " of " + source + ": input_sizes " + Arrays.toString(sizes) + " is not 4-D");
        long[] shape = {dy.size(0), sizes[1], sizes[2], sizes[3]};
        return Ops.conv2dTranspose(dy, t(n, 1), shape, convParams(n));
    }

    /** Minimum / Maximum of a tensor and a constant scalar (clip_by_value): a clip whose gradient gives ties to x, as TF's. */
    private Tensor minMax(TfjsNode n) {
        int c = scalarConst(n, 1) ? 1 : scalarConst(n, 0) ? 0 : -1;
        if (c < 0) {
            throw new IllegalArgumentException(n + " of " + source + ": " + n.op() + " is supported with a constant scalar operand only"
                    + " (clip_by_value), got " + t(n, 0) + " and " + t(n, 1));
        }
        Tensor x = t(n, 1 - c);
        double v = g.run(t(n, c)).getDouble(0);
        return n.op().equals("Minimum") ? Clip.minimum(x, v) : Clip.maximum(x, v);
    }

    private boolean scalarConst(TfjsNode n, int i) {
        if (in(n, i).tensor == null || in(n, i).tensor.length() != 1) return false;
        TfjsNode d = byName.get(nodeName(n.dataInputs().get(i)));
        return d.op().equals("Const") || (d.op().equals("Identity") && d.dataInputs().size() == 1
                && byName.get(nodeName(d.dataInputs().get(0))).op().equals("Const"));
    }

    private Tensor matmul(TfjsNode n) {
        Tensor a = t(n, 0), b = t(n, 1);
        if (n.bool("transpose_a", false)) a = Ops.transpose(a, 1, 0);
        if (n.bool("transpose_b", false)) b = Ops.transpose(b, 1, 0);
        return Ops.matmul(a, b);
    }

    /** The fused_ops of _FusedConv2D / _FusedMatMul / _FusedDepthwiseConv2dNative after the main op: BiasAdd then an activation. */
    private Tensor fused(TfjsNode n, Tensor y, int firstArg) {
        List<String> ops = n.strings("fused_ops");
        int k = 0;
        if (k < ops.size() && ops.get(k).equals("BiasAdd")) {
            y = n.op().equals("_FusedMatMul") ? Ops.biasAdd(y, t(n, firstArg)) : Ops.biasAdd(y, t(n, firstArg), format(n));
            k++;
        }
        for (; k < ops.size(); k++) {
            String a = ops.get(k);
            if (!a.equals("Relu") && !a.equals("Relu6") && !a.equals("Sigmoid") && !a.equals("Tanh")) {
                throw new IllegalArgumentException("unsupported fused op '" + a + "' (fused_ops " + ops + ") in " + n.op() + " node '"
                        + n.name() + "' of " + source + " (supported: BiasAdd followed by Relu, Relu6, Sigmoid or Tanh)");
            }
            y = activation(n, a, y);
        }
        return y;
    }

    private Tensor activation(TfjsNode n, String kind, Tensor x) {
        return switch (kind) {
            case "Relu" -> Ops.relu(x);
            case "Relu6" -> Clip.relu6(x);
            case "Sigmoid" -> Ops.sigmoid(x);
            case "Tanh" -> Ops.tanh(x);
            default -> throw new IllegalArgumentException("unsupported activation " + kind + " in " + n);
        };
    }

    private Tensor pool(TfjsNode n) {
        DataFormat f = format(n);
        PoolParams p = PoolParams.of(n.op(), four(n, "ksize", null), four(n, "strides", null), padding(n, f), f);
        return n.op().equals("MaxPool") ? Ops.maxPool(t(n, 0), p) : Ops.avgPool(t(n, 0), p);
    }

    private Tensor batchNorm(TfjsNode n) {
        if (n.bool("is_training", false)) {
            throw new IllegalArgumentException(n + " of " + source + ": is_training=true is not supported (inference only)");
        }
        return Ops.batchNormInference(t(n, 0), t(n, 3), t(n, 4), t(n, 2), t(n, 1), n.number("epsilon", 1e-3), format(n));
    }

    private Tensor reshape(TfjsNode n) {
        Tensor x = t(n, 0);
        int[] s = ints(n, 1, "shape");
        long[] shape = new long[s.length];
        for (int k = 0; k < s.length; k++) shape[k] = s[k];
        return Ops.reshape(x, shape);
    }

    private Tensor squeeze(TfjsNode n) {
        Tensor x = t(n, 0);
        int[] dims = n.ints("squeeze_dims", n.ints("axis", new int[0]));
        boolean[] drop = new boolean[x.rank()];
        if (dims.length == 0) {
            for (int k = 0; k < drop.length; k++) drop[k] = x.size(k) == 1;
        } else {
            for (int d : dims) {
                int a = d < 0 ? d + x.rank() : d;
                if (a < 0 || a >= x.rank() || x.size(a) != 1) {
                    throw new IllegalArgumentException(n + " of " + source + ": cannot squeeze dimension " + d + " of " + x);
                }
                drop[a] = true;
            }
        }
        List<Long> keep = new ArrayList<>();
        for (int k = 0; k < drop.length; k++) if (!drop[k]) keep.add(x.size(k));
        return Ops.reshape(x, keep.stream().mapToLong(Long::longValue).toArray());
    }

    private Tensor expandDims(TfjsNode n) {
        Tensor x = t(n, 0);
        int[] ax = ints(n, 1, "axis");
        if (ax.length != 1) throw new IllegalArgumentException(n + " of " + source + ": axis must be one value");
        int a = ax[0] < 0 ? ax[0] + x.rank() + 1 : ax[0];
        if (a < 0 || a > x.rank()) throw new IllegalArgumentException(n + " of " + source + ": axis " + ax[0] + " is out of range for " + x);
        long[] s = new long[x.rank() + 1];
        for (int k = 0, j = 0; k < s.length; k++) s[k] = k == a ? 1 : x.size(j++);
        return Ops.reshape(x, s);
    }

    private Tensor pad(TfjsNode n) {
        Tensor x = t(n, 0);
        int[] p = ints(n, 1, "paddings");
        if (p.length != 2 * x.rank()) {
            throw new IllegalArgumentException(n + " of " + source + ": paddings " + Arrays.toString(p) + " must be [" + x.rank() + ", 2]");
        }
        long[] before = new long[x.rank()], after = new long[x.rank()];
        for (int k = 0; k < x.rank(); k++) {
            before[k] = p[2 * k];
            after[k] = p[2 * k + 1];
        }
        return Ops.pad(x, before, after);
    }

    private Tensor concat(TfjsNode n) {
        int count = n.dataInputs().size() - 1;
        int[] ax = ints(n, count, "axis");
        List<Tensor> xs = new ArrayList<>();
        for (int k = 0; k < count; k++) xs.add(t(n, k));
        int a = ax[0] < 0 ? ax[0] + xs.get(0).rank() : ax[0];
        return Ops.concat(a, xs);
    }

    private Tensor reduce(TfjsNode n) {
        Tensor x = t(n, 0);
        int[] axes = ints(n, 1, "reduction_indices");
        boolean keep = n.bool("keep_dims", false);
        if (axes.length == 0) return x; // TF: reducing over no axes is the identity
        return switch (n.op()) {
            case "Max" -> Ops.reduceMax(x, keep, axes);
            case "Mean" -> Ops.reduceMean(x, keep, axes);
            default -> Ops.reduceSum(x, keep, axes);
        };
    }
}
