package io.github.deconvspark.kernels.internal;

import static org.bytedeco.dnnl.global.dnnl.*;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.Window;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * float32 convolutions on oneDNN's own JIT kernels (the JavaCPP preset {@code org.bytedeco:dnnl}; libnd4j links
 * its own oneDNN statically and hidden, so the two coexist): forward, backward data (TF's Conv2DBackpropInput,
 * i.e. conv2d_transpose) and backward weights, grouped and depthwise included. Activations stay in the user's
 * NHWC layout; the filter, TF's {@code [kh, kw, in/groups, out]}, is reordered into the layout oneDNN picks.
 * TF's explicit, asymmetric paddings map onto oneDNN's left/right paddings; a right padding that TF's size rule
 * leaves negative (trailing input cells no window reaches) is 0 here, which oneDNN's floor rule accepts.
 *
 * <p>Primitives are built once per geometry and thread (a oneDNN stream and the memory objects are not
 * thread-safe) and kept in a small LRU. A geometry whose only oneDNN implementation is the reference one, or
 * that oneDNN refuses, is reported as unsupported ({@link #plan} returns null) and stays on the other paths.
 */
public final class Dnnl {
    /** Switch: -Ddeconv.dnnl=false keeps every convolution on libnd4j and the im2col + GEMM paths. */
    private static final boolean ENABLED = !"false".equals(System.getProperty("deconv.dnnl"));
    private static final int CACHE = 128;

    /** FORWARD_BIAS: the forward convolution with a per-output-channel bias added in the same pass. */
    public enum Kind { FORWARD, FORWARD_BIAS, BACKWARD_DATA, BACKWARD_WEIGHTS, MAX_POOL }

    private Dnnl() {}

    static final class Holder {
        static final dnnl_engine ENGINE = createEngine();

        private static dnnl_engine createEngine() {
            PointerPointer<dnnl_engine> out = new PointerPointer<>(1);
            check(dnnl_engine_create(out, dnnl_cpu, 0), "engine_create");
            return out.get(dnnl_engine.class, 0);
        }
    }

    /** A plan's key: a {@link Kind} and its {@link ConvGeometry}, or {@link DnnlBinary}'s op and shape. */
    private record Key(Object kind, Object shape) {}

    /**
     * A built primitive and what running it needs: memory descriptors and a buffer, which holds the filter in
     * oneDNN's layout (convolutions, with the reorder from or to TF's) or the pooling workspace (max pooling).
     */
    static final class Plan {
        final String impl;
        final dnnl_primitive primitive;
        final dnnl_memory_desc_t srcMd, dstMd, userWeightsMd, bufferMd;
        final dnnl_primitive reorder;
        final Pointer buffer;

        Plan(String impl, dnnl_primitive primitive, dnnl_memory_desc_t srcMd, dnnl_memory_desc_t dstMd,
             dnnl_memory_desc_t userWeightsMd, dnnl_memory_desc_t bufferMd, dnnl_primitive reorder, Pointer buffer) {
            this.impl = impl;
            this.primitive = primitive;
            this.srcMd = srcMd;
            this.dstMd = dstMd;
            this.userWeightsMd = userWeightsMd;
            this.bufferMd = bufferMd;
            this.reorder = reorder;
            this.buffer = buffer;
        }

        void destroy() {
            dnnl_primitive_destroy(primitive);
            if (reorder != null) dnnl_primitive_destroy(reorder);
            if (buffer != null) Pointer.free(buffer);
        }
    }

    static final class PerThread {
        final dnnl_stream stream;
        /** Geometries oneDNN refused or serves only with its reference kernel: null plans. */
        final Map<Key, Plan> plans = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Plan> eldest) {
                boolean drop = size() > CACHE;
                if (drop && eldest.getValue() != null) eldest.getValue().destroy();
                return drop;
            }
        };

        PerThread() {
            PointerPointer<dnnl_stream> out = new PointerPointer<>(1);
            check(dnnl_stream_create(out, Holder.ENGINE, dnnl_stream_default_flags), "stream_create");
            stream = out.get(dnnl_stream.class, 0);
        }
    }

    private static final ThreadLocal<PerThread> THREAD = new ThreadLocal<>();

    static PerThread perThread() {
        PerThread t = THREAD.get();
        if (t == null) {
            t = new PerThread();
            THREAD.set(t);
        }
        return t;
    }

    /** Frees the calling thread's primitives, filter buffers and stream (oneDNN's own primitive cache keeps the JIT code). */
    public static void releaseThread() {
        PerThread t = THREAD.get();
        if (t == null) return;
        for (Plan p : t.plans.values()) if (p != null) p.destroy();
        t.plans.clear();
        dnnl_stream_destroy(t.stream);
        THREAD.remove();
    }

    /**
     * Loads oneDNN's natives and makes its engine; returns "oneDNN 2.5.2", or "oneDNN off (-Ddeconv.dnnl=false)".
     *
     * @throws IllegalStateException naming the cause when the natives do not load
     */
    public static String describe() {
        if (!ENABLED) return "oneDNN off (-Ddeconv.dnnl=false)";
        try {
            dnnl_engine e = Holder.ENGINE;
            org.bytedeco.dnnl.dnnl_version_t v = dnnl_version();
            return "oneDNN " + v.major() + "." + v.minor() + "." + v.patch();
        } catch (Throwable t) {
            Throwable root = t;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            throw new IllegalStateException("oneDNN natives (org.bytedeco:dnnl linux-x86_64) failed to load on "
                    + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ": " + t
                    + (root != t ? " (root cause: " + root + ")" : "") + ". -Ddeconv.dnnl=false runs every convolution without "
                    + "them (slower)", t);
        }
    }

    static boolean enabled() {
        return ENABLED;
    }

    /** Whether oneDNN runs this convolution (float32) with a JIT kernel; builds and caches its primitive. */
    public static boolean supports(Kind kind, ConvGeometry g, DataType type) {
        return ENABLED && type == DataType.FLOAT && plan(kind, g) != null;
    }

    /** The oneDNN implementation serving this geometry ("brg:avx512_core", ...), or null when unsupported. */
    public static String implementation(Kind kind, ConvGeometry g) {
        Plan p = plan(kind, g);
        return p == null ? null : p.impl;
    }

    static Plan plan(Kind kind, ConvGeometry g) {
        return plan(kind, g, () -> kind == Kind.MAX_POOL ? DnnlPool.build(g) : build(kind, g));
    }

    /** The calling thread's plan for (kind, shape), built once (null: oneDNN does not serve it). */
    static Plan plan(Object kind, Object shape, java.util.function.Supplier<Plan> build) {
        PerThread t = perThread();
        Key key = new Key(kind, shape);
        if (t.plans.containsKey(key)) return t.plans.get(key);
        Plan p = build.get();
        t.plans.put(key, p);
        return p;
    }

    /** forward: out = conv(x, filter). x [n, h, w, c], filter [kh, kw, c/groups, oc], out [n, oh, ow, oc]; dense. */
    public static void forward(INDArray x, INDArray filter, INDArray out, ConvGeometry g) {
        Plan p = plan(Kind.FORWARD, g);
        run(p, DNNL_ARG_SRC, x, DNNL_ARG_WEIGHTS, filter, DNNL_ARG_DST, out, false, null);
    }

    /** forward with bias: out = conv(x, filter) + bias (bias [oc]), one pass; check supports(FORWARD_BIAS, ...) first. */
    public static void forwardBias(INDArray x, INDArray filter, INDArray bias, INDArray out, ConvGeometry g) {
        Plan p = plan(Kind.FORWARD_BIAS, g);
        run(p, DNNL_ARG_SRC, x, DNNL_ARG_WEIGHTS, filter, DNNL_ARG_DST, out, false, bias);
    }

    /** backward data: dx = the input gradient of conv(x, filter) for output gradient dy. */
    public static void backwardData(INDArray dy, INDArray filter, INDArray dx, ConvGeometry g) {
        Plan p = plan(Kind.BACKWARD_DATA, g);
        run(p, DNNL_ARG_DIFF_SRC, dx, DNNL_ARG_WEIGHTS, filter, DNNL_ARG_DIFF_DST, dy, false, null);
    }

    /** backward weights: dw = the filter gradient of conv(x, filter) for output gradient dy. */
    public static void backwardWeights(INDArray x, INDArray dy, INDArray dw, ConvGeometry g) {
        Plan p = plan(Kind.BACKWARD_WEIGHTS, g);
        run(p, DNNL_ARG_SRC, x, DNNL_ARG_DIFF_WEIGHTS, dw, DNNL_ARG_DIFF_DST, dy, true, null);
    }

    private static void run(Plan p, int srcArg, INDArray src, int weightsArg, INDArray weights, int dstArg, INDArray dst,
                            boolean weightsOut, INDArray bias) {
        if (p == null) throw new IllegalStateException("internal: oneDNN does not serve this geometry; check supports first");
        PerThread t = perThread();
        dnnl_memory s = memory(p.srcMd, address(src));
        dnnl_memory d = memory(p.dstMd, address(dst));
        dnnl_memory user = memory(p.userWeightsMd, address(weights));
        dnnl_memory w = p.reorder == null ? user : memory(p.bufferMd, p.buffer);
        dnnl_memory b = bias == null ? null : memory(desc(new long[] {bias.length()}, dnnl_a), address(bias));
        try {
            if (p.reorder != null && !weightsOut) execute(p.reorder, t.stream, DNNL_ARG_FROM, user, DNNL_ARG_TO, w);
            if (b == null) execute(p.primitive, t.stream, srcArg, s, weightsArg, w, dstArg, d);
            else execute(p.primitive, t.stream, srcArg, s, weightsArg, w, dstArg, d, DNNL_ARG_BIAS, b);
            if (p.reorder != null && weightsOut) execute(p.reorder, t.stream, DNNL_ARG_FROM, w, DNNL_ARG_TO, user);
            check(dnnl_stream_wait(t.stream), "stream_wait");
        } finally {
            dnnl_memory_destroy(s);
            dnnl_memory_destroy(d);
            dnnl_memory_destroy(user);
            if (w != user) dnnl_memory_destroy(w);
            if (b != null) dnnl_memory_destroy(b);
        }
    }

    private static void execute(dnnl_primitive prim, dnnl_stream stream, int a0, dnnl_memory m0, int a1, dnnl_memory m1) {
        execute(prim, stream, new int[] {a0, a1}, new dnnl_memory[] {m0, m1});
    }

    static void execute(dnnl_primitive prim, dnnl_stream stream, int a0, dnnl_memory m0, int a1, dnnl_memory m1,
                        int a2, dnnl_memory m2) {
        execute(prim, stream, new int[] {a0, a1, a2}, new dnnl_memory[] {m0, m1, m2});
    }

    static void execute(dnnl_primitive prim, dnnl_stream stream, int a0, dnnl_memory m0, int a1, dnnl_memory m1,
                        int a2, dnnl_memory m2, int a3, dnnl_memory m3) {
        execute(prim, stream, new int[] {a0, a1, a2, a3}, new dnnl_memory[] {m0, m1, m2, m3});
    }

    /** Runs a primitive with its arguments: kinds[i] (DNNL_ARG_...) is memories[i]. */
    private static void execute(dnnl_primitive prim, dnnl_stream stream, int[] kinds, dnnl_memory[] memories) {
        dnnl_exec_arg_t args = new dnnl_exec_arg_t(kinds.length);
        for (int i = 0; i < kinds.length; i++) args.position(i).arg(kinds[i]).memory(memories[i]);
        check(dnnl_primitive_execute(prim, stream, kinds.length, args.position(0)), "execute");
        args.close();
    }

    static Pointer address(INDArray a) {
        if (!Buf.isDense(a) || a.dataType() != DataType.FLOAT) {
            throw new IllegalStateException("internal: oneDNN needs dense float32 arrays, got " + a.shapeInfoToString());
        }
        return a.data().addressPointer();
    }

    static dnnl_memory memory(dnnl_memory_desc_t md, Pointer data) {
        PointerPointer<dnnl_memory> out = new PointerPointer<>(1);
        check(dnnl_memory_create(out, md, Holder.ENGINE, data), "memory_create");
        dnnl_memory m = out.get(dnnl_memory.class, 0);
        out.close();
        return m;
    }

    /** oneDNN's right padding for TF's window: what its floor rule needs for TF's output size (>= 0), or -1. */
    static int padRight(Window w) {
        int pr = Math.max(0, (w.out() - 1) * w.stride() + w.extent() - w.in() - w.padBefore());
        boolean fits = (w.in() - w.extent() + w.padBefore() + pr) / w.stride() + 1 == w.out()
                && w.in() - w.extent() + w.padBefore() + pr >= 0;
        return fits ? pr : -1;
    }

    private static Plan build(Kind kind, ConvGeometry g) {
        Window h = g.h();
        Window w = g.w();
        int prH = padRight(h);
        int prW = padRight(w);
        if (prH < 0 || prW < 0) return null;
        long[] srcDims = {g.n(), g.c(), h.in(), w.in()};
        long[] dstDims = {g.n(), g.oc(), h.out(), w.out()};
        int groups = g.groups();
        long[] wDims = groups == 1
                ? new long[] {g.oc(), g.c(), h.k(), w.k()}
                : new long[] {groups, g.groupOutChannels(), g.groupChannels(), h.k(), w.k()};
        dnnl_memory_desc_t src = desc(srcDims, dnnl_nhwc);
        dnnl_memory_desc_t dst = desc(dstDims, dnnl_nhwc);
        dnnl_memory_desc_t userW = desc(wDims, groups == 1 ? dnnl_hwio : dnnl_hwigo);
        dnnl_memory_desc_t anyW = desc(wDims, dnnl_format_tag_any);
        long[] strides = {h.stride(), w.stride()};
        long[] dilates = {h.dilation() - 1, w.dilation() - 1};
        long[] padL = {h.padBefore(), w.padBefore()};
        long[] padR = {prH, prW};

        dnnl_convolution_desc_t fwd = new dnnl_convolution_desc_t();
        dnnl_memory_desc_t bias = kind == Kind.FORWARD_BIAS ? desc(new long[] {g.oc()}, dnnl_a) : null;
        if (dnnl_dilated_convolution_forward_desc_init(fwd, dnnl_forward_training, dnnl_convolution_direct, src, anyW, bias,
                dst, strides, dilates, padL, padR) != dnnl_success) {
            return null;
        }
        dnnl_primitive_desc fwdPd = primitiveDesc(fwd, null);
        if (fwdPd == null) return null;
        dnnl_primitive_desc pd = fwdPd;
        int weightsQuery = dnnl_query_weights_md;
        if (kind == Kind.BACKWARD_DATA) {
            dnnl_convolution_desc_t bd = new dnnl_convolution_desc_t();
            pd = dnnl_dilated_convolution_backward_data_desc_init(bd, dnnl_convolution_direct, src, anyW, dst, strides, dilates,
                    padL, padR) == dnnl_success ? primitiveDesc(bd, fwdPd) : null;
        } else if (kind == Kind.BACKWARD_WEIGHTS) {
            dnnl_convolution_desc_t bw = new dnnl_convolution_desc_t();
            pd = dnnl_dilated_convolution_backward_weights_desc_init(bw, dnnl_convolution_direct, src, anyW, null, dst, strides,
                    dilates, padL, padR) == dnnl_success ? primitiveDesc(bw, fwdPd) : null;
            weightsQuery = dnnl_query_diff_weights_md;
        }
        String impl = pd == null ? null : implInfo(pd);
        if (impl == null || impl.startsWith("ref")) {      // refused, or only the reference kernel: not ours to run
            if (pd != null && pd != fwdPd) dnnl_primitive_desc_destroy(pd);
            dnnl_primitive_desc_destroy(fwdPd);
            return null;
        }
        // The primitive's own descriptors (copied: they belong to pd).
        dnnl_memory_desc_t weights = copy(dnnl_primitive_desc_query_md(pd, weightsQuery, 0));
        PointerPointer<dnnl_primitive> out = new PointerPointer<>(1);
        check(dnnl_primitive_create(out, pd), "primitive_create");
        dnnl_primitive prim = out.get(dnnl_primitive.class, 0);
        dnnl_primitive reorder = null;
        Pointer buffer = null;
        if (dnnl_memory_desc_equal(weights, userW) == 0) {
            boolean toUser = kind == Kind.BACKWARD_WEIGHTS;
            reorder = reorder(toUser ? weights : userW, toUser ? userW : weights);
            buffer = Pointer.malloc(dnnl_memory_desc_get_size(weights));
        }
        if (pd != fwdPd) dnnl_primitive_desc_destroy(pd);
        dnnl_primitive_desc_destroy(fwdPd);
        return new Plan(impl, prim, src, dst, userW, weights, reorder, buffer);
    }

    static dnnl_memory_desc_t desc(long[] dims, int tag) {
        return desc(dims, dnnl_f32, tag);
    }

    static dnnl_memory_desc_t desc(long[] dims, int type, int tag) {
        dnnl_memory_desc_t md = new dnnl_memory_desc_t();
        check(dnnl_memory_desc_init_by_tag(md, dims.length, dims, type, tag), "memory_desc_init_by_tag");
        return md;
    }

    static dnnl_memory_desc_t copy(dnnl_memory_desc_t md) {
        dnnl_memory_desc_t c = new dnnl_memory_desc_t();
        Pointer.memcpy(c, md, c.sizeof());
        return c;
    }

    static dnnl_primitive_desc primitiveDesc(Pointer desc, dnnl_primitive_desc hint) {
        return primitiveDesc(desc, null, hint);
    }

    static dnnl_primitive_desc primitiveDesc(Pointer desc, org.bytedeco.dnnl.dnnl_primitive_attr attr, dnnl_primitive_desc hint) {
        PointerPointer<dnnl_primitive_desc> out = new PointerPointer<>(1);
        if (dnnl_primitive_desc_create(out, new const_dnnl_op_desc_t(desc), attr, Holder.ENGINE, hint) != dnnl_success) {
            return null;
        }
        return out.get(dnnl_primitive_desc.class, 0);
    }

    private static dnnl_primitive reorder(dnnl_memory_desc_t from, dnnl_memory_desc_t to) {
        PointerPointer<dnnl_primitive_desc> pd = new PointerPointer<>(1);
        check(dnnl_reorder_primitive_desc_create(pd, from, Holder.ENGINE, to, Holder.ENGINE, null), "reorder_primitive_desc_create");
        dnnl_primitive_desc rpd = pd.get(dnnl_primitive_desc.class, 0);
        PointerPointer<dnnl_primitive> out = new PointerPointer<>(1);
        check(dnnl_primitive_create(out, rpd), "reorder primitive_create");
        dnnl_primitive_desc_destroy(rpd);
        return out.get(dnnl_primitive.class, 0);
    }

    static String implInfo(dnnl_primitive_desc pd) {
        PointerPointer<BytePointer> out = new PointerPointer<>(1);
        check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, out), "query impl_info_str");
        return out.get(BytePointer.class, 0).getString();
    }

    /** Median milliseconds of oneDNN's sgemm on two n x n float32 matrices (the benchmarks' peak figure). */
    public static double sgemmMillis(int n, int warmup, int iters) {
        long len = (long) n * n;
        try (FloatPointer a = new FloatPointer(len); FloatPointer b = new FloatPointer(len); FloatPointer c = new FloatPointer(len)) {
            java.util.Random r = new java.util.Random(42);
            for (long i = 0; i < len; i++) {
                a.put(i, r.nextFloat() * 2 - 1);
                b.put(i, r.nextFloat() * 2 - 1);
            }
            double[] ms = new double[iters];
            for (int i = 0; i < warmup + iters; i++) {
                long t0 = System.nanoTime();
                check(dnnl_sgemm((byte) 'N', (byte) 'N', n, n, n, 1f, a, n, b, n, 0f, c, n), "sgemm");
                if (i >= warmup) ms[i - warmup] = (System.nanoTime() - t0) / 1e6;
            }
            java.util.Arrays.sort(ms);
            return ms[iters / 2];
        }
    }

    static void check(int status, String what) {
        if (status != dnnl_success) throw new IllegalStateException("oneDNN " + what + " failed with status " + status);
    }
}
