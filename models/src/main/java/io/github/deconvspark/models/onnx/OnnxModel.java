package io.github.deconvspark.models.onnx;

import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.io.ModelFiles;
import io.github.deconvspark.models.onnx.OnnxGraphBuilder.Val;
import io.github.deconvspark.models.onnx.proto.Onnx.GraphProto;
import io.github.deconvspark.models.onnx.proto.Onnx.ModelProto;
import io.github.deconvspark.models.onnx.proto.Onnx.OperatorSetIdProto;
import io.github.deconvspark.models.onnx.proto.Onnx.TensorProto;
import io.github.deconvspark.models.onnx.proto.Onnx.TensorShapeProto;
import io.github.deconvspark.models.onnx.proto.Onnx.ValueInfoProto;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * An ONNX model ({@code .onnx}: what {@code torch.onnx.export} writes) loaded onto the autodiff {@link Graph}: the
 * ModelProto is parsed with classes generated from {@code onnx.proto}, initializers (raw or typed data, or external
 * data files inside the model's folder) become constants, and the nodes become the kernels' ops
 * ({@link OnnxGraphBuilder}; opsets {@value #MIN_OPSET}-{@value #MAX_OPSET} of the ai.onnx domain).
 *
 * <p>Layouts: the one image input is an NHWC placeholder [N, H, W, C] (ONNX's [N, C, H, W] transposed), 4-D layers and
 * outputs are handed out NHWC too, so pixels go in and gradients come out in the image's layout. Layer names are ONNX
 * value names (node outputs); {@link #onnxShape} gives a value's ONNX shape.
 *
 * <p>A dynamic batch dimension takes the batch given to {@link #load}; other dynamic dimensions must be given
 * ({@code inputHw}) or the load fails naming them. Declared shapes of outputs and value_info entries are compared
 * with the computed ones: a mismatch is an error, never a silently different graph.
 */
public final class OnnxModel implements Model {
    public static final int MIN_OPSET = 7, MAX_OPSET = 17;

    private final Path file;
    private final Graph graph;
    private final Tensor input;
    private final Map<String, Val> values;
    private final Map<String, String> producers;
    private final Map<String, Tensor> outputs;
    private final List<String> layerNames;
    private final Map<String, Tensor> parameters;
    private final String sha256;
    private final long declaredBatch;
    private final int opset;
    private final Map<Tensor, Tensor> nhwcViews = new IdentityHashMap<>();
    private final Map<Tensor, OnnxGraphBuilder.Layout> layouts;

    private OnnxModel(Path file, Graph graph, Tensor input, OnnxGraphBuilder b, List<String> outputNames, List<String> layerNames,
                      Map<String, Tensor> parameters, String sha256, long declaredBatch) {
        this.file = file;
        this.graph = graph;
        this.input = input;
        this.values = b.vals;
        this.producers = b.producers;
        this.layerNames = layerNames;
        this.parameters = parameters;
        this.sha256 = sha256;
        this.declaredBatch = declaredBatch;
        this.opset = b.opset;
        this.layouts = b.layouts;
        Map<String, Tensor> outs = new LinkedHashMap<>();
        for (String o : outputNames) outs.put(o, layer(o));
        this.outputs = Collections.unmodifiableMap(outs);
    }

    public static OnnxModel load(Path path, long batch, DataType dtype) throws IOException {
        return load(path, batch, dtype, null);
    }

    /**
     * @param batch   replaces a dynamic batch dimension
     * @param dtype   FLOAT, or DOUBLE (float32 weights widened exactly, for float64 gradient checks)
     * @param inputHw {height, width} for an input whose spatial dimensions are dynamic, or null
     */
    public static OnnxModel load(Path path, long batch, DataType dtype, int[] inputHw) throws IOException {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) throw new IllegalArgumentException("OnnxModel.load: dtype must be FLOAT or DOUBLE, got " + dtype);
        if (batch < 1) throw new IllegalArgumentException("OnnxModel.load: batch must be >= 1, got " + batch);
        Path file = ModelFiles.modelFile(path);
        String src = file.toString();
        MessageDigest sha = newDigest();
        ModelProto m = parse(file, sha, src);
        int opset = opset(m, src);
        GraphProto gp = m.getGraph();
        if (gp.getSparseInitializerCount() > 0) throw new IllegalArgumentException(src + ": sparse initializers are not supported");
        Graph g = new Graph();
        try {
            OnnxGraphBuilder b = new OnnxGraphBuilder(g, opset, dtype, src, file.getParent(), sha);
            Map<Tensor, String> initializerOf = new IdentityHashMap<>();
            Set<String> initNames = new LinkedHashSet<>();
            for (TensorProto t : gp.getInitializerList()) {
                if (!initNames.add(t.getName())) throw new IllegalArgumentException(src + ": initializer '" + t.getName() + "' is given twice");
                b.constant(OnnxTensors.decode(t, file.getParent(), src + ": initializer '" + t.getName() + "'", sha));
                Val v = b.vals.get(t.getName());
                if (!v.isInt()) initializerOf.put(v.t(), t.getName());
            }
            b.origins.putAll(initializerOf);
            List<ValueInfoProto> inputs = new ArrayList<>();
            for (ValueInfoProto vi : gp.getInputList()) if (!initNames.contains(vi.getName())) inputs.add(vi);
            if (inputs.size() != 1) {
                throw new IllegalArgumentException(src + ": the model has " + inputs.size() + " inputs " + names(inputs)
                        + "; the jobs feed one image, so exactly one graph input (not an initializer) is supported");
            }
            ValueInfoProto in = inputs.get(0);
            long[] declared = declaredShape(in, src);
            long[] shape = inputShape(in.getName(), declared, batch, inputHw, src);
            boolean nchw = nchw(declared);
            Tensor ph = g.placeholder(in.getName(), dtype, nchw ? new long[] {shape[0], shape[2], shape[3], shape[1]} : shape);
            b.vals.put(in.getName(), nchw ? Val.nhwc(ph) : Val.of(ph));
            b.producers.put(in.getName(), "Input");
            b.build(gp.getNodeList());
            List<String> outs = new ArrayList<>();
            for (ValueInfoProto o : gp.getOutputList()) {
                Val v = b.vals.get(o.getName());
                if (v == null) throw new IllegalArgumentException(src + ": output '" + o.getName() + "' is produced by no node");
                if (v.isInt()) throw new IllegalArgumentException(src + ": output '" + o.getName() + "' is an integer constant, not a float tensor");
                outs.add(o.getName());
            }
            List<ValueInfoProto> declaredValues = new ArrayList<>(gp.getOutputList());
            declaredValues.addAll(gp.getValueInfoList());
            for (ValueInfoProto vi : declaredValues) checkDeclared(vi, b.vals.get(vi.getName()), src);
            List<String> layers = new ArrayList<>();
            for (Map.Entry<String, Val> e : b.vals.entrySet()) {
                String p = b.producers.get(e.getKey());
                Val v = e.getValue();
                if (!v.isInt() && !p.equals("Initializer") && !p.equals("Input") && v.t().kind() == Tensor.Kind.OP) layers.add(e.getKey());
            }
            Map<String, Tensor> params = new LinkedHashMap<>();
            Set<String> weights = new LinkedHashSet<>(initNames);
            weights.addAll(b.constantWeights);
            for (String name : weights) {
                Val v = b.vals.get(name);
                if (v.isInt() || !v.t().dataType().isFPType()) continue;
                params.put(name, b.used.getOrDefault(name, v.t()));
            }
            long db = declared[0] > 0 ? declared[0] : -1;
            return new OnnxModel(file, g, ph, b, outs, List.copyOf(layers), params, HexFormat.of().formatHex(sha.digest()), db);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /** Parses the file as it is read (no copy of its bytes), bounded by the protobuf limit of 2 GiB, digesting it. */
    private static ModelProto parse(Path file, MessageDigest sha, String src) throws IOException {
        long size = Files.size(file);
        if (size > ModelFiles.MAX_WEIGHT_BYTES) {
            throw new IllegalArgumentException(src + ": " + size + " bytes, more than the " + ModelFiles.MAX_WEIGHT_BYTES
                    + " a ModelProto may hold (larger models keep their weights in external data files)");
        }
        try (InputStream in = new DigestInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16), sha)) {
            CodedInputStream c = CodedInputStream.newInstance(in);
            c.setSizeLimit(Integer.MAX_VALUE);
            c.setRecursionLimit(64);
            ModelProto m = ModelProto.parseFrom(c);
            if (in.read() >= 0) throw new IllegalArgumentException(src + ": it grew while it was read");
            return m;
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(src + ": not a valid ONNX ModelProto (" + e.getMessage() + ")");
        }
    }

    /**
     * The external data files an ONNX model names (initializers and Constant nodes), as safe relative paths in a fixed
     * order, for copying a model from remote storage before {@link #load}.
     */
    public static List<String> externalFiles(Path file, String source) throws IOException {
        ModelProto m = parse(file, newDigest(), source);
        Set<String> out = new LinkedHashSet<>();
        List<TensorProto> tensors = new ArrayList<>(m.getGraph().getInitializerList());
        for (var n : m.getGraph().getNodeList()) for (var a : n.getAttributeList()) if (a.hasT()) tensors.add(a.getT());
        for (TensorProto t : tensors) {
            if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) continue;
            for (var e : t.getExternalDataList()) {
                if (e.getKey().equals("location")) {
                    String at = source + ": tensor '" + t.getName() + "' external_data location";
                    out.add(ModelFiles.relativeShard(e.getValue(), at));
                }
            }
        }
        return List.copyOf(out);
    }

    /** The ai.onnx opset the model imports; other domains are refused where a node uses them. */
    private static int opset(ModelProto m, String src) {
        if (m.getIrVersion() < 3) throw new IllegalArgumentException(src + ": ir_version " + m.getIrVersion() + " is older than this loader reads (3 or newer)");
        long v = -1;
        for (OperatorSetIdProto o : m.getOpsetImportList()) if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) v = o.getVersion();
        if (v < 0) throw new IllegalArgumentException(src + ": it imports no ai.onnx opset");
        if (v < MIN_OPSET || v > MAX_OPSET) {
            throw new IllegalArgumentException(src + ": opset " + v + " is not supported (this loader reads opsets " + MIN_OPSET + "-" + MAX_OPSET
                    + "; re-export with e.g. torch.onnx.export(..., opset_version=" + MAX_OPSET + "))");
        }
        return (int) v;
    }

    /** A value's declared shape: -1 for dynamic dimensions; null when it declares none. */
    static long[] declaredShape(ValueInfoProto vi, String src) {
        if (!vi.hasType() || !vi.getType().hasTensorType()) throw new IllegalArgumentException(src + ": value '" + vi.getName() + "' is not a tensor");
        var tt = vi.getType().getTensorType();
        int elem = tt.getElemType();
        if (elem != OnnxTensors.FLOAT && elem != 0) {
            throw new IllegalArgumentException(src + ": input '" + vi.getName() + "' is " + OnnxTensors.typeName(elem) + "; float32 inputs only");
        }
        if (!tt.hasShape()) return null;
        long[] d = new long[tt.getShape().getDimCount()];
        for (int k = 0; k < d.length; k++) {
            TensorShapeProto.Dimension dim = tt.getShape().getDim(k);
            d[k] = dim.hasDimValue() && dim.getDimValue() > 0 ? dim.getDimValue() : -1;
        }
        return d;
    }

    private static long[] inputShape(String name, long[] declared, long batch, int[] hw, String src) {
        if (declared == null || declared.length != 4) {
            throw new IllegalArgumentException(src + ": input '" + name + "' is " + (declared == null ? "of unknown shape" : Arrays.toString(declared))
                    + "; the jobs feed images, so it must be 4-D [N, C, H, W] (or [N, H, W, C])");
        }
        long[] s = declared.clone();
        if (s[0] < 0) s[0] = batch;
        boolean nchw = nchw(declared);
        int h = nchw ? 2 : 1, w = nchw ? 3 : 2, c = nchw ? 1 : 3;
        if (hw != null) {
            for (int k = 0; k < 2; k++) {
                int axis = k == 0 ? h : w;
                if (s[axis] > 0 && s[axis] != hw[k]) {
                    throw new IllegalArgumentException(src + ": input '" + name + "' is " + Arrays.toString(declared) + "; its fixed size does not take "
                            + hw[0] + "x" + hw[1]);
                }
                s[axis] = hw[k];
            }
        }
        if (s[c] < 0) throw new IllegalArgumentException(src + ": input '" + name + "' has a dynamic channel count; re-export it with a fixed one");
        if (s[h] < 0 || s[w] < 0) {
            throw new IllegalArgumentException(src + ": input '" + name + "' is " + Arrays.toString(declared) + ": its height/width are dynamic, "
                    + "which a static graph cannot take; give the image size to load (inputHw), e.g. --input-size 224x224");
        }
        return s;
    }

    /** ONNX's own [N, C, H, W] unless only the last dimension looks like channels (1-4), as tf2onnx's NHWC inputs. */
    static boolean nchw(long[] d) {
        boolean second = d[1] >= 1 && d[1] <= 4, last = d[3] >= 1 && d[3] <= 4;
        return second || !last;
    }

    /** A declared shape must be the computed one wherever it names a fixed size (the batch aside). */
    private static void checkDeclared(ValueInfoProto vi, Val v, String src) {
        if (v == null || v.isInt() || !vi.hasType() || !vi.getType().hasTensorType() || !vi.getType().getTensorType().hasShape()) return;
        TensorShapeProto sp = vi.getType().getTensorType().getShape();
        long[] have = v.shape();
        boolean bad = sp.getDimCount() != have.length;
        for (int k = 1; !bad && k < have.length; k++) {
            TensorShapeProto.Dimension d = sp.getDim(k);
            if (d.hasDimValue() && d.getDimValue() > 0 && d.getDimValue() != have[k]) bad = true;
        }
        if (bad) {
            List<String> dims = new ArrayList<>();
            for (TensorShapeProto.Dimension d : sp.getDimList()) dims.add(d.hasDimValue() ? String.valueOf(d.getDimValue()) : d.getDimParam());
            throw new IllegalArgumentException(src + ": value '" + vi.getName() + "' is declared " + dims + " but computes "
                    + Arrays.toString(have) + " (the graph and its declared shapes disagree)");
        }
    }

    private static List<String> names(List<ValueInfoProto> vs) {
        List<String> out = new ArrayList<>();
        for (ValueInfoProto v : vs) out.add(v.getName());
        return out;
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- Model ----

    @Override public Path path() { return file; }

    @Override public String format() { return "onnx"; }

    @Override public Graph graph() { return graph; }

    @Override public Tensor input() { return input; }

    @Override public Map<String, Tensor> outputs() { return outputs; }

    /** A value by its ONNX name: 4-D values NHWC; a parameter (initializer) as the graph tensor the ops compute with. */
    @Override public Tensor layer(String name) {
        Tensor p = parameters.get(name);
        if (p != null) return p;
        Val v = values.get(name);
        if (v == null || v.isInt()) {
            throw new IllegalArgumentException(v == null ? "no value '" + name + "' in " + file + " (" + layerNames.size() + " layers; see --list-layers)"
                    : "value '" + name + "' of " + file + " is an integer constant (shape arithmetic), not a graph tensor");
        }
        if (v.nhwc() || v.rank() != 4) return v.t();
        return nhwcViews.computeIfAbsent(v.t(), t -> Ops.transpose(t, 0, 2, 3, 1));
    }

    /** The initializer's dims (a Conv filter [O, I/groups, kh, kw], though the kernels compute with it as [kh, kw, I, O]). */
    @Override public long[] fileShape(String parameter) {
        OnnxGraphBuilder.Layout l = layout(parameter);
        return l == null ? layer(parameter).shape() : l.fileShape().clone();
    }

    @Override public INDArray inFileLayout(String parameter, INDArray value) {
        OnnxGraphBuilder.Layout l = layout(parameter);
        if (l == null) return value;
        INDArray a = value;
        if (l.reshaped() != null) {
            long[] s = l.fileShape();
            long[] before = s.clone();
            if (l.perm() != null) for (int k = 0; k < s.length; k++) before[k] = s[l.perm()[k]];
            a = a.reshape('c', before);
        }
        if (l.perm() != null) {
            int[] inv = new int[l.perm().length];
            for (int k = 0; k < inv.length; k++) inv[l.perm()[k]] = k;
            a = a.permute(inv);
        }
        return a.dup('c');
    }

    private OnnxGraphBuilder.Layout layout(String parameter) {
        Tensor t = parameters.get(parameter);
        if (t == null) throw new IllegalArgumentException("no parameter '" + parameter + "' in " + file);
        OnnxGraphBuilder.Layout l = layouts.get(t);
        if (l == OnnxGraphBuilder.Layout.UNKNOWN) {
            throw new IllegalStateException(file + ": parameter '" + parameter + "' was reshaped, then transposed at load time; "
                    + "its layout in the file is not tracked");
        }
        return l;
    }

    @Override public boolean hasLayer(String name) {
        Val v = values.get(name);
        return parameters.containsKey(name) || (v != null && !v.isInt());
    }

    /** Every node output with a float tensor, in the graph's order. */
    @Override public List<String> layerNames() { return layerNames; }

    @Override public String opOf(String name) {
        String p = producers.get(name);
        if (p == null) throw new IllegalArgumentException("no value '" + name + "' in " + file);
        return p;
    }

    /** A value's ONNX shape (NCHW for image-shaped values). */
    public long[] onnxShape(String name) {
        Val v = values.get(name);
        if (v == null) throw new IllegalArgumentException("no value '" + name + "' in " + file);
        return v.shape().clone();
    }

    public int opset() { return opset; }

    /** "name  op  [ONNX shape]" per layer. */
    @Override public List<String> describeLayers() {
        List<String> out = new ArrayList<>();
        for (String n : layerNames) out.add(n + "  " + opOf(n) + "  " + Arrays.toString(onnxShape(n)));
        return out;
    }

    @Override public List<String> parameters() { return List.copyOf(parameters.keySet()); }

    @Override public String sha256() { return sha256; }

    @Override public long declaredBatch() { return declaredBatch; }

    @Override public void close() { graph.close(); }

    @Override public String toString() {
        return "OnnxModel[" + file + ", opset " + opset + ", " + layerNames.size() + " layers, outputs " + outputs.keySet() + "]";
    }
}
