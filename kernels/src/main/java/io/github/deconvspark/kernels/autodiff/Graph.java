package io.github.deconvspark.kernels.autodiff;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A dataflow graph in TensorFlow 1's manner: ops are recorded when they are built and run later
 * with {@link #run}, feeding placeholders. {@link Gradients#gradients} adds the backward pass to
 * the same graph, so a gradient is a tensor like any other and can be differentiated again.
 *
 * <p>Memory: a run computes only what the fetches need, in build order. Every array a run
 * makes (the kernels' outputs and temporaries included) lives in an ND4J workspace that the
 * next run on the same thread reuses, so repeated runs allocate no new native memory; only the
 * fetched arrays leave it, as copies that belong to the caller (close them). Without the
 * workspace, ND4J (1.0.0-M2.1) frees a closed array's data but keeps a small native record per
 * array until garbage collection, which splits glibc's heap so that freed buffers are not
 * reused: resident memory then grows by every intermediate of every run (measured: 555 MB over
 * 150 passes of MemoryTest's network) until the collector happens to run.
 * The workspace holds about the sum of one run's arrays per thread; {@link #releaseWorkspace()}
 * frees the calling thread's (e.g. at the end of a Spark task). Variables and constants hold
 * arrays the caller gave (not copies, never closed by the graph); {@link #close} frees what the
 * graph made itself (its scalar constants).
 *
 * <p>Building a graph is not thread-safe (build from one thread at a time); several threads may {@link #run} it at once,
 * also while another thread adds nodes (a run sees the nodes that existed when it started).
 * An op's forward must not run a graph itself.
 */
public final class Graph implements AutoCloseable {
    static final String WORKSPACE = "deconv-autodiff-run";
    /** Learns a run's size on the first run, grows when a later run needs more, and is reset by each run. */
    private static final WorkspaceConfiguration RUN_WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .overallocationLimit(0.1)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private final List<Tensor> nodes = new ArrayList<>();
    private final Map<String, Integer> nameCounts = new HashMap<>();
    private final Map<String, Tensor> scalars = new HashMap<>();
    private final List<INDArray> owned = new ArrayList<>();
    /** For the memory test only: false runs without the workspace and without closing anything. */
    boolean manageMemory = true;

    public Tensor placeholder(String name, DataType type, long... shape) {
        requireShape("placeholder " + name, shape);
        return add(name, Tensor.Kind.PLACEHOLDER, null, new Tensor[0], shape.clone(), type, null);
    }

    /** A variable reading {@code value} (a reference, not a copy; {@link Tensor#assign} replaces it). */
    public Tensor variable(String name, INDArray value) {
        if (value == null) throw new IllegalArgumentException("variable " + name + ": value is null");
        return add(name, Tensor.Kind.VARIABLE, null, new Tensor[0], value.shape(), value.dataType(), value);
    }

    /** A constant reading {@code value} (a reference, not a copy). */
    public Tensor constant(String name, INDArray value) {
        if (value == null) throw new IllegalArgumentException("constant " + name + ": value is null");
        return add(name, Tensor.Kind.CONSTANT, null, new Tensor[0], value.shape(), value.dataType(), value);
    }

    public Tensor constant(INDArray value) {
        return constant("Const", value);
    }

    /** A scalar constant owned by the graph; one node per (value, type), shared by every use. */
    public Tensor scalar(double v, DataType type) {
        String key = Double.doubleToLongBits(v) + "/" + type;
        Tensor t = scalars.get(key);
        if (t == null) {
            INDArray a;
            try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                a = Nd4j.scalar(type, v);
            }
            owned.add(a);
            t = constant("Const", a);
            scalars.put(key, t);
        }
        return t;
    }

    /**
     * Adds a node computing {@code op} over {@code inputs}, whose output has the given static shape
     * and type. The op builders in {@link Ops} call this; so can custom ops.
     */
    public Tensor apply(Op op, long[] shape, DataType type, Tensor... inputs) {
        for (Tensor t : inputs) {
            if (t == null) throw new IllegalArgumentException(op.type() + ": an input is null");
            if (t.graph != this) throw new IllegalArgumentException(op.type() + ": input " + t + " belongs to another graph");
        }
        requireShape(op.type(), shape);
        return add(op.type(), Tensor.Kind.OP, op, inputs.clone(), shape.clone(), type, null);
    }

    /** Number of nodes. */
    public int size() {
        return nodes.size();
    }

    Tensor node(int id) {
        return nodes.get(id);
    }

    public INDArray run(Tensor fetch) {
        return run(List.of(fetch), Map.of()).get(0);
    }

    public INDArray run(Tensor fetch, Map<Tensor, INDArray> feeds) {
        return run(List.of(fetch), feeds).get(0);
    }

    /**
     * Computes the fetches. {@code feeds} must give every placeholder the fetches depend on, and
     * may also override any other tensor (a variable, or an intermediate: what it depends on is
     * then not computed), as in TF. The returned arrays are new and belong to the caller.
     */
    public List<INDArray> run(List<Tensor> fetches, Map<Tensor, INDArray> feeds) {
        return run(fetches, feeds, null);
    }

    /**
     * Computes the fetches and hands them to reader while they are still in the run's workspace: no copy is made
     * (a layer's activations can be hundreds of MB per batch, and fresh memory costs ~0.6 ms/MB on these machines).
     * The arrays are valid only inside reader, which must not keep them; returns what reader returns.
     */
    public <R> R read(List<Tensor> fetches, Map<Tensor, INDArray> feeds, Function<List<INDArray>, R> reader) {
        if (reader == null) throw new IllegalArgumentException("read: reader is null");
        return run(fetches, feeds, reader);
    }

    @SuppressWarnings("unchecked")
    private <R> R run(List<Tensor> fetches, Map<Tensor, INDArray> feeds, Function<List<INDArray>, R> reader) {
        for (Tensor f : fetches) {
            if (f == null || f.graph != this) throw new IllegalArgumentException("run: fetch " + f + " is not a tensor of this graph");
        }
        for (Map.Entry<Tensor, INDArray> e : feeds.entrySet()) {
            if (e.getKey().graph != this) throw new IllegalArgumentException("run: fed tensor " + e.getKey() + " belongs to another graph");
            Shapes.requireValue("run: feed", e.getKey(), e.getValue());
        }
        Tensor[] snapshot;
        synchronized (nodes) {           // a run may overlap building elsewhere in the graph (see the class comment)
            snapshot = nodes.toArray(new Tensor[0]);
        }
        int n = snapshot.length;
        boolean[] needed = new boolean[n];
        int[] uses = new int[n];
        boolean[] fetched = new boolean[n];
        ArrayDeque<Tensor> stack = new ArrayDeque<>();
        for (Tensor f : fetches) {
            fetched[f.id] = true;
            if (!needed[f.id]) {
                needed[f.id] = true;
                stack.push(f);
            }
        }
        while (!stack.isEmpty()) {
            Tensor t = stack.pop();
            if (t.op == null || feeds.containsKey(t)) continue;
            for (Tensor in : t.inputs) {
                uses[in.id]++;
                if (!needed[in.id]) {
                    needed[in.id] = true;
                    stack.push(in);
                }
            }
        }
        if (!manageMemory) return (R) compute(snapshot, fetches, feeds, needed, uses, fetched, reader);
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(RUN_WORKSPACE, WORKSPACE)) {
            return (R) compute(snapshot, fetches, feeds, needed, uses, fetched, reader);
        }
    }

    /**
     * Frees the calling thread's run workspace and the kernels' scratch buffers (the next run on this
     * thread makes new ones): call it when a thread is done with graphs for a while, e.g. a Spark task's end.
     */
    public static void releaseWorkspace() {
        io.github.deconvspark.kernels.KernelMemory.releaseThreadBuffers();
        if (Nd4j.getWorkspaceManager().checkIfWorkspaceExists(WORKSPACE)) {
            Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(WORKSPACE).destroyWorkspace(true);
        }
    }

    /** The fetches as new arrays (reader null) or what reader returns of them as they are. */
    private Object compute(Tensor[] snapshot, List<Tensor> fetches, Map<Tensor, INDArray> feeds, boolean[] needed,
                           int[] uses, boolean[] fetched, Function<List<INDArray>, ?> reader) {
        int n = needed.length;
        INDArray[] values = new INDArray[n];
        boolean[] mine = new boolean[n];
        boolean[] done = new boolean[n];         // computed ahead, fused with the node before it (Fusion)
        int[] consumer = Fusion.ENABLED ? Fusion.consumers(snapshot, needed, feeds) : null;
        java.util.function.Function<Tensor, INDArray> known = x -> {       // what a fusion may read ahead
            if (values[x.id] != null) return values[x.id];
            INDArray leaf = feeds.containsKey(x) ? feeds.get(x) : x.op == null ? x.value : null;
            return leaf == null || !Arrays2.dense(leaf) ? null : leaf;      // the run makes its own copy later
        };
        try {
            for (int id = 0; id < n; id++) {
                if (!needed[id]) continue;
                Tensor t = snapshot[id];
                INDArray fed = feeds.get(t);
                if (fed != null || t.op == null) {
                    INDArray v = fed != null ? fed : t.value;
                    if (v == null) {
                        throw new IllegalArgumentException("run: placeholder " + t + " must be fed (fetches: " + fetches + ")");
                    }
                    values[id] = Arrays2.denseCopyIfNeeded(v);
                    mine[id] = values[id] != v;
                    continue;
                }
                if (!done[id]) {
                    INDArray[] in = new INDArray[t.inputs.length];
                    for (int i = 0; i < in.length; i++) in[i] = values[t.inputs[i].id];
                    Fusion.Fused f = consumer == null ? null : fused(t, in, snapshot, consumer, uses, fetched, known);
                    if (f == null) {
                        values[id] = normalize(t, forward(t, in), in);
                        mine[id] = true;
                    } else {                     // t's own value is never made; its consumer's is
                        values[f.node().id] = normalize(f.node(), f.value(), in);
                        mine[f.node().id] = true;
                        done[f.node().id] = true;
                    }
                }
                for (Tensor input : t.inputs) {
                    int j = input.id;
                    if (--uses[j] == 0 && !fetched[j] && mine[j]) {
                        if (manageMemory) Arrays2.close(values[j]); // a no-op in the workspace
                        values[j] = null;
                        mine[j] = false;
                    }
                }
            }
            if (reader != null) {
                List<INDArray> raw = new ArrayList<>(fetches.size());
                for (Tensor f : fetches) raw.add(values[f.id]);
                return reader.apply(raw);
            }
            List<INDArray> out = new ArrayList<>(fetches.size());
            for (Tensor f : fetches) {
                int id = f.id;
                INDArray v = values[id];
                if (v.isAttached()) {
                    out.add(v.detach()); // a copy outside the workspace
                } else if (mine[id]) {
                    out.add(v);
                    mine[id] = false; // handed over; a repeated fetch gets a copy
                } else {
                    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                        out.add(v.dup('c'));
                    }
                }
            }
            return out;
        } finally {
            for (int id = 0; id < n; id++) {
                if (mine[id] && manageMemory) Arrays2.close(values[id]); // a no-op in the workspace
            }
        }
    }

    /** Per op type: total nanoseconds spent in forward, when run with -Ddeconv.profile=true. */
    private static final boolean PROFILE = Boolean.getBoolean("deconv.profile");
    private static final Map<String, java.util.concurrent.atomic.LongAdder> PROFILE_NANOS =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Milliseconds per op type since the last call (empty unless -Ddeconv.profile=true), largest first. */
    public static String profileReport() {
        StringBuilder b = new StringBuilder();
        PROFILE_NANOS.entrySet().stream()
                .sorted((x, y) -> Long.compare(y.getValue().sum(), x.getValue().sum()))
                .forEach(e -> b.append(String.format(java.util.Locale.ROOT, "%-28s %10.1f ms%n", e.getKey(), e.getValue().sum() / 1e6)));
        PROFILE_NANOS.clear();
        return b.toString();
    }

    private static INDArray forward(Tensor t, INDArray[] in) {
        if (PROFILE) {
            long t0 = System.nanoTime();
            try {
                return forwardChecked(t, in);
            } finally {
                PROFILE_NANOS.computeIfAbsent(t.op.type(), k -> new java.util.concurrent.atomic.LongAdder()).add(System.nanoTime() - t0);
            }
        }
        return forwardChecked(t, in);
    }

    private static Fusion.Fused fused(Tensor t, INDArray[] in, Tensor[] snapshot, int[] consumer, int[] uses, boolean[] fetched,
                                      java.util.function.Function<Tensor, INDArray> values) {
        long t0 = PROFILE ? System.nanoTime() : 0;
        Fusion.Fused f;
        try {
            f = Fusion.of(t, in, snapshot, consumer, uses, fetched, values);
        } catch (RuntimeException e) {
            throw new IllegalStateException("run: node " + t + " (" + t.op.type() + ", fused with its consumer) failed: " + e, e);
        }
        if (PROFILE && f != null) {
            PROFILE_NANOS.computeIfAbsent(f.type(), k -> new java.util.concurrent.atomic.LongAdder()).add(System.nanoTime() - t0);
        }
        return f;
    }

    private static INDArray forwardChecked(Tensor t, INDArray[] in) {
        try {
            return t.op.forward(in);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("run: node " + t + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("run: node " + t + " (" + t.op.type() + ") failed: " + e, e);
        }
    }

    /** Makes an op's result a fresh dense C-ordered array of the node's static shape and type. */
    private static INDArray normalize(Tensor t, INDArray out, INDArray[] in) {
        if (out == null) throw new IllegalStateException("run: op " + t.op.type() + " of " + t + " returned null");
        boolean alias = out.isView();
        for (INDArray a : in) alias |= a == out || a.data() == out.data() || a.data().address() == out.data().address();
        if (alias || !Arrays2.dense(out)) {
            INDArray copy = out.dup('c');
            if (!alias) Arrays2.close(out);
            out = copy;
        }
        if (!Arrays.equals(out.shape(), t.shape)) {
            if (out.length() != Shapes.length(t.shape)) {
                throw new IllegalStateException("run: op " + t.op.type() + " gave shape " + Shapes.str(out.shape())
                        + " for " + t + " (internal error: its static shape rule disagrees with its kernel)");
            }
            out = Arrays2.reshapeOwned(out, t.shape);
        }
        if (out.dataType() != t.dataType) {
            throw new IllegalStateException("run: op " + t.op.type() + " gave type " + out.dataType() + " for " + t);
        }
        return out;
    }

    private Tensor add(String base, Tensor.Kind kind, Op op, Tensor[] inputs, long[] shape, DataType type, INDArray value) {
        if (type == null) throw new IllegalArgumentException(base + ": data type is null");
        synchronized (nodes) {
            int k = nameCounts.merge(base, 1, Integer::sum) - 1;
            Tensor t = new Tensor(this, nodes.size(), k == 0 ? base : base + "_" + k, kind, op, inputs, shape, type, value);
            nodes.add(t);
            return t;
        }
    }

    private static void requireShape(String what, long[] shape) {
        if (shape == null) throw new IllegalArgumentException(what + ": shape is null");
        for (long d : shape) {
            if (d < 1) throw new IllegalArgumentException(what + ": shape " + Arrays.toString(shape) + " must have sizes >= 1");
        }
    }

    /** Frees the arrays the graph created itself; the graph's scalar constants are unusable after. */
    @Override public void close() {
        for (INDArray a : owned) Arrays2.close(a);
        owned.clear();
        scalars.clear();
    }
}
