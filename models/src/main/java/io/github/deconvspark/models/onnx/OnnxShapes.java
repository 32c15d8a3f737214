package io.github.deconvspark.models.onnx;

import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.onnx.OnnxGraphBuilder.Val;
import io.github.deconvspark.models.onnx.proto.Onnx.AttributeProto;
import io.github.deconvspark.models.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The shape ops of an ONNX graph: on integer constants (the shape arithmetic exporters emit) they are folded; on float
 * tensors they become reshapes, transposes, slices, concatenations and pads. Concat, Slice and Pad keep an NHWC value
 * NHWC (their axes mapped); reshapes read the value in row-major NCHW order ({@link OnnxGraphBuilder#rowMajor}).
 */
final class OnnxShapes {
    private OnnxShapes() {}

    static Val[] convert(OnnxGraphBuilder b, OnnxNode n) {
        return new Val[] {switch (n.op) {
            case "Constant" -> constant(b, n);
            case "Shape" -> shape(b, n);
            case "ConstantOfShape" -> constantOfShape(b, n);
            case "Cast" -> cast(b, n);
            case "Gather" -> gather(b, n);
            case "Slice" -> slice(b, n);
            case "Concat" -> concat(b, n);
            case "Transpose" -> transpose(b, n);
            case "Flatten", "Reshape", "Squeeze", "Unsqueeze" -> reshape(b, n);
            case "Pad" -> OnnxPad.pad(b, n);
            default -> throw n.error("op " + n.op + " has no converter");
        }};
    }

    static long count(long[] shape) {
        long c = 1;
        for (long d : shape) c = Math.multiplyExact(c, d);
        return c;
    }

    /** Folded integer tensors are shape arithmetic: at most 2^26 values (a bound no exporter comes near). */
    static long[] small(OnnxNode n, long[] shape) {
        if (count(shape) > 1L << 26) throw n.error("its integer result " + Arrays.toString(shape) + " has more than 2^26 values");
        return shape;
    }

    // ---- constants ----

    private static Val constant(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("value", "value_float", "value_floats", "value_int", "value_ints", "sparse_value", "value_string", "value_strings");
        if (n.has("sparse_value") || n.has("value_string") || n.has("value_strings")) {
            throw n.error("sparse and string constants are not supported (value, value_float(s), value_int(s) are)");
        }
        if (n.has("value_float")) return floatConst(b, new float[] {n.real("value_float", 0)}, new long[0]);
        if (n.has("value_floats")) return floatConst(b, n.floats("value_floats"), new long[] {n.floats("value_floats").length});
        if (n.has("value_int")) return Val.ints(new long[] {n.integer("value_int", 0)}, new long[0]);
        if (n.has("value_ints")) return Val.ints(n.ints("value_ints"), new long[] {n.ints("value_ints").length});
        AttributeProto a = n.tensorAttr("value");
        if (a == null) throw n.error("it has no value attribute");
        return decoded(b, n, a.getT());
    }

    private static Val decoded(OnnxGraphBuilder b, OnnxNode n, TensorProto t) {
        OnnxTensors.Decoded d;
        try {
            d = OnnxTensors.decode(t, b.folder, b.source + ": node '" + n.name + "' (" + n.op + "): tensor", b.digest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!d.isFloat()) return Val.ints(d.ints(), d.shape());
        float[] kept = d.floats().length <= OnnxGraphBuilder.KEPT_FLOATS ? d.floats() : null;
        String out = n.proto.getOutput(0);
        Tensor c = b.g.constant(out, b.array(d.floats(), d.doubles(), d.shape()));
        // weights stored as Constant nodes (Paddle2ONNX's exports have no initializers): parameters like initializers
        if (d.floats().length > 1) {
            b.origins.put(c, out);
            b.constantWeights.add(out);
        }
        return new Val(c, kept, null, d.shape(), false);
    }

    static Val floatConst(OnnxGraphBuilder b, float[] f, long[] shape) {
        return new Val(b.g.constant(b.array(f, null, shape)), f, null, shape, false);
    }

    private static Val shape(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("start", "end");
        long[] s = b.val(n, 0).shape();
        int r = s.length;
        long start = n.integer("start", 0), end = n.integer("end", r);
        start = Math.max(0, Math.min(r, start < 0 ? start + r : start));
        end = Math.max(0, Math.min(r, end < 0 ? end + r : end));
        long[] out = end > start ? Arrays.copyOfRange(s, (int) start, (int) end) : new long[0];
        return Val.ints(out, new long[] {out.length});
    }

    private static Val constantOfShape(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("value");
        long[] shape = b.ints(n, 0, "shape");
        long c = count(shape);
        if (c > 1L << 26) throw n.error("shape " + Arrays.toString(shape) + " holds " + c + " values; at most 2^26 are allowed");
        AttributeProto a = n.tensorAttr("value");
        Val v = a == null ? floatConst(b, new float[] {0}, new long[0]) : decoded(b, n, a.getT());
        if (v.isInt()) {
            long[] out = new long[(int) c];
            Arrays.fill(out, v.ints()[0]);
            return Val.ints(out, shape);
        }
        float[] out = new float[(int) c];
        Arrays.fill(out, v.floats()[0]);
        return floatConst(b, out, shape);
    }

    private static Val cast(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("to", "saturate");
        int to = (int) n.integer("to", -1);
        boolean toFloat = to == OnnxTensors.FLOAT || to == OnnxTensors.DOUBLE || to == OnnxTensors.FLOAT16;
        Val v = b.val(n, 0);
        if (toFloat) {
            if (!v.isInt()) return v;
            float[] f = new float[v.ints().length];
            for (int k = 0; k < f.length; k++) f[k] = v.ints()[k];
            return floatConst(b, f, v.shape());
        }
        if (to == OnnxTensors.BOOL) throw n.error("Cast to BOOL is not supported");
        long[] ints = b.ints(n, 0, "data (a cast to " + OnnxTensors.typeName(to) + ")");
        if (!v.isInt()) for (int k = 0; k < ints.length; k++) ints[k] = (long) v.floats()[k];    // truncation, as C casts
        return Val.ints(ints, v.shape());
    }

    // ---- indexing ----

    private static Val gather(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("axis");
        Val data = b.val(n, 0);
        long[] idx = b.ints(n, 1, "indices");
        long[] idxShape = b.val(n, 1).shape();
        int r = data.rank();
        if (r == 0) throw n.error("data must have rank >= 1");
        int axis = OnnxGraphBuilder.axis(n, n.integer("axis", 0), r, "axis");
        long dim = data.shape()[axis];
        long[] index = new long[idx.length];
        for (int k = 0; k < idx.length; k++) {
            long i = idx[k] < 0 ? idx[k] + dim : idx[k];
            if (i < 0 || i >= dim) throw n.error("index " + idx[k] + " is out of range for axis " + axis + " of size " + dim);
            index[k] = i;
        }
        long[] outShape = new long[r - 1 + idxShape.length];
        System.arraycopy(data.shape(), 0, outShape, 0, axis);
        System.arraycopy(idxShape, 0, outShape, axis, idxShape.length);
        System.arraycopy(data.shape(), axis + 1, outShape, axis + idxShape.length, r - axis - 1);
        if (data.isInt()) small(n, outShape);
        if (data.isInt()) return Val.ints(IntTensors.gather(data.ints(), data.shape(), axis, index), outShape);
        Tensor x = b.logical(data);
        List<Tensor> parts = new ArrayList<>();
        for (long i : index) {
            long[] begin = new long[r];
            long[] size = x.shape();
            begin[axis] = i;
            size[axis] = 1;
            parts.add(Ops.slice(x, begin, size));
        }
        Tensor y = parts.size() == 1 ? parts.get(0) : Ops.concat(axis, parts);
        return Val.of(Ops.reshape(y, outShape));
    }

    /** Slice: starts, ends, axes, steps (attributes before opset 10, inputs after), clamped as ONNX clamps them. */
    private static Val slice(OnnxGraphBuilder b, OnnxNode n) {
        long[] starts, ends, axes, steps = null;
        if (b.opset < 10) {
            n.allow("starts", "ends", "axes");
            starts = n.ints("starts");
            ends = n.ints("ends");
            axes = n.ints("axes");
            if (starts == null || ends == null) throw n.error("attributes starts and ends are required");
        } else {
            n.allow();
            starts = b.ints(n, 1, "starts");
            ends = b.ints(n, 2, "ends");
            axes = b.present(n, 3) ? b.ints(n, 3, "axes") : null;
            steps = b.present(n, 4) ? b.ints(n, 4, "steps") : null;
        }
        Val v = b.val(n, 0);
        int r = v.rank();
        if (starts.length != ends.length || (axes != null && axes.length != starts.length) || (steps != null && steps.length != starts.length)) {
            throw n.error("starts, ends, axes and steps must have one entry each per sliced axis");
        }
        long[] shape = v.shape();
        long[] begin = new long[r], size = shape.clone(), step = new long[r];
        Arrays.fill(step, 1);
        boolean[] seen = new boolean[r];
        for (int k = 0; k < starts.length; k++) {
            int a = OnnxGraphBuilder.axis(n, axes == null ? k : axes[k], r, "axis");
            if (seen[a]) throw n.error("axis " + a + " is sliced twice");
            seen[a] = true;
            long s = steps == null ? 1 : steps[k];
            if (s == 0) throw n.error("step 0 is not legal");
            long d = shape[a];
            long st = starts[k] < 0 ? starts[k] + d : starts[k];
            long en = ends[k] < 0 ? ends[k] + d : ends[k];
            if (s > 0) {
                st = Math.max(0, Math.min(d, st));
                en = Math.max(0, Math.min(d, en));
                size[a] = en > st ? (en - st + s - 1) / s : 0;
            } else {
                st = Math.max(-1, Math.min(d - 1, st));
                en = Math.max(-1, Math.min(d - 1, en));
                size[a] = st > en ? (st - en + (-s) - 1) / (-s) : 0;
            }
            begin[a] = st;
            step[a] = s;
        }
        for (long z : size) if (z == 0) throw n.error("the slice " + Arrays.toString(size) + " of " + Arrays.toString(shape) + " is empty");
        if (v.isInt()) return Val.ints(IntTensors.slice(v.ints(), shape, begin, size, step), size);
        for (int a = 0; a < r; a++) {
            if (step[a] != 1 && size[a] > 1) throw n.error("steps other than 1 on float data are not supported (axis " + a + ", step " + step[a] + ")");
        }
        if (!v.nhwc()) return Val.of(Ops.slice(v.t(), begin, size));
        long[] pb = new long[4], ps = new long[4];
        for (int a = 0; a < 4; a++) {
            pb[OnnxGraphBuilder.PHYSICAL[a]] = begin[a];
            ps[OnnxGraphBuilder.PHYSICAL[a]] = size[a];
        }
        return Val.nhwc(Ops.slice(v.t(), pb, ps));
    }

    // ---- layout ----

    private static Val concat(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("axis");
        if (!n.has("axis")) throw n.error("attribute axis is required");
        List<Val> in = new ArrayList<>();
        for (int i = 0; i < n.inputs().size(); i++) if (b.present(n, i)) in.add(b.val(n, i));
        if (in.isEmpty()) throw n.error("it has no inputs");
        int r = in.get(0).rank();
        int axis = OnnxGraphBuilder.axis(n, n.integer("axis", 0), r, "axis");
        for (Val v : in) {
            if (v.rank() != r) throw n.error("inputs of ranks " + r + " and " + v.rank() + " cannot be concatenated");
            for (int k = 0; k < r; k++) {
                if (k != axis && v.shape()[k] != in.get(0).shape()[k]) {
                    throw n.error("input shapes " + Arrays.toString(in.get(0).shape()) + " and " + Arrays.toString(v.shape())
                            + " differ outside axis " + axis);
                }
            }
        }
        if (in.stream().allMatch(Val::isInt)) {
            if (r != 1) throw n.error("concatenation of integer constants of rank " + r + " is not supported (rank 1 is)");
            long[] out = in.stream().flatMapToLong(v -> Arrays.stream(v.ints())).toArray();
            return Val.ints(out, new long[] {out.length});
        }
        List<Tensor> ts = new ArrayList<>();
        boolean nhwc = r == 4 && in.stream().anyMatch(Val::nhwc);
        for (int i = 0; i < in.size(); i++) {
            Val v = b.floatVal(n, i);
            ts.add(nhwc ? b.toNhwc(v) : v.t());
        }
        Tensor y = Ops.concat(nhwc ? OnnxGraphBuilder.PHYSICAL[axis] : axis, ts);
        return nhwc ? Val.nhwc(y) : Val.of(y);
    }

    private static Val transpose(OnnxGraphBuilder b, OnnxNode n) {
        n.allow("perm");
        Val v = b.val(n, 0);
        int r = v.rank();
        long[] p = n.ints("perm");
        int[] perm = new int[r];
        boolean[] seen = new boolean[r];
        for (int k = 0; k < r; k++) {
            perm[k] = p == null ? r - 1 - k : (int) p[k];
            if (p != null && (p.length != r || p[k] < 0 || p[k] >= r || seen[perm[k]])) {
                throw n.error("perm " + Arrays.toString(p) + " is not a permutation of the " + r + " axes");
            }
            seen[perm[k]] = true;
        }
        if (v.isInt()) return Val.ints(IntTensors.permute(v.ints(), v.shape(), perm), permuted(v.shape(), perm));
        if (v.nhwc() && Arrays.equals(perm, new int[] {0, 2, 3, 1})) return Val.of(v.t());       // logical NHWC = physical
        if (!v.nhwc() && r == 4 && Arrays.equals(perm, new int[] {0, 3, 1, 2})) return Val.nhwc(v.t());
        return Val.of(b.permute(b.logical(v), perm));
    }

    static long[] permuted(long[] s, int[] perm) {
        long[] out = new long[perm.length];
        for (int k = 0; k < perm.length; k++) out[k] = s[perm[k]];
        return out;
    }

    /** Flatten, Reshape, Squeeze, Unsqueeze: a new shape over the same row-major values. */
    private static Val reshape(OnnxGraphBuilder b, OnnxNode n) {
        Val v = b.val(n, 0);
        long[] s = v.shape();
        long[] out = switch (n.op) {
            case "Flatten" -> {
                n.allow("axis");
                int axis = (int) n.integer("axis", 1);
                if (axis < 0) axis += s.length;
                if (axis < 0 || axis > s.length) throw n.error("axis " + n.integer("axis", 1) + " is out of range for rank " + s.length);
                yield new long[] {count(Arrays.copyOfRange(s, 0, axis)), count(Arrays.copyOfRange(s, axis, s.length))};
            }
            case "Reshape" -> {
                n.allow("allowzero");
                yield reshapeTo(n, s, b.ints(n, 1, "shape"), n.integer("allowzero", 0) != 0);
            }
            case "Squeeze" -> squeezed(n, s, axesOf(b, n));
            default -> unsqueezed(n, s, axesOf(b, n));
        };
        if (count(out) != count(s)) throw n.error("cannot reshape " + Arrays.toString(s) + " to " + Arrays.toString(out));
        if (v.isInt()) return Val.ints(v.ints(), out);
        if (Arrays.equals(out, s)) return v;
        return Val.of(Ops.reshape(b.rowMajor(v), out));
    }

    private static long[] axesOf(OnnxGraphBuilder b, OnnxNode n) {
        if (b.opset < 13) {
            n.allow("axes");
            return n.ints("axes");
        }
        n.allow();
        return b.present(n, 1) ? b.ints(n, 1, "axes") : null;
    }

    static long[] reshapeTo(OnnxNode n, long[] s, long[] target, boolean allowZero) {
        long[] out = target.clone();
        int infer = -1;
        long known = 1;
        for (int k = 0; k < out.length; k++) {
            if (out[k] == 0 && !allowZero) {
                if (k >= s.length) throw n.error("shape " + Arrays.toString(target) + " copies dimension " + k + " that the input "
                        + Arrays.toString(s) + " lacks");
                out[k] = s[k];
            }
            if (out[k] == -1) {
                if (infer >= 0) throw n.error("shape " + Arrays.toString(target) + " has more than one -1");
                infer = k;
            } else if (out[k] < 0) {
                throw n.error("shape " + Arrays.toString(target) + " has a negative size");
            } else {
                known = Math.multiplyExact(known, out[k]);
            }
        }
        if (infer >= 0) {
            long c = count(s);
            if (known == 0 || c % known != 0) throw n.error("cannot reshape " + Arrays.toString(s) + " to " + Arrays.toString(target));
            out[infer] = c / known;
        }
        return out;
    }

    private static long[] squeezed(OnnxNode n, long[] s, long[] axes) {
        boolean[] drop = new boolean[s.length];
        if (axes == null) {
            for (int k = 0; k < s.length; k++) drop[k] = s[k] == 1;
        } else {
            for (long a : axes) {
                int k = OnnxGraphBuilder.axis(n, a, s.length, "axis");
                if (s[k] != 1) throw n.error("axis " + a + " has size " + s[k] + "; only size-1 axes can be squeezed");
                drop[k] = true;
            }
        }
        return java.util.stream.IntStream.range(0, s.length).filter(k -> !drop[k]).mapToLong(k -> s[k]).toArray();
    }

    private static long[] unsqueezed(OnnxNode n, long[] s, long[] axes) {
        if (axes == null) throw n.error("axes are required");
        int r = s.length + axes.length;
        boolean[] added = new boolean[r];
        for (long a : axes) {
            int k = OnnxGraphBuilder.axis(n, a, r, "axis");
            if (added[k]) throw n.error("axis " + a + " is given twice");
            added[k] = true;
        }
        long[] out = new long[r];
        for (int k = 0, j = 0; k < r; k++) out[k] = added[k] ? 1 : s[j++];
        return out;
    }

    // ---- integer constant arithmetic ----

    /** Add/Sub/Mul/Div of two integer constants with ONNX broadcasting (Div truncates, as ONNX Runtime's). */
    static Val foldBinary(OnnxNode n, Val a, Val c) {
        long[] shape = IntTensors.broadcastShape(a.shape(), c.shape());
        if (shape == null) throw n.error("shapes " + Arrays.toString(a.shape()) + " and " + Arrays.toString(c.shape()) + " do not broadcast");
        small(n, shape);
        long[] x = IntTensors.broadcast(a.ints(), a.shape(), shape), y = IntTensors.broadcast(c.ints(), c.shape(), shape);
        long[] out = new long[x.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = switch (n.op) {
                case "Add" -> Math.addExact(x[k], y[k]);
                case "Sub" -> Math.subtractExact(x[k], y[k]);
                case "Mul" -> Math.multiplyExact(x[k], y[k]);
                default -> {
                    if (y[k] == 0) throw n.error("integer division by zero");
                    yield x[k] / y[k];
                }
            };
        }
        return Val.ints(out, shape);
    }
}
