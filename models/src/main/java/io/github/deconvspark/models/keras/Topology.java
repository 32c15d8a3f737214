package io.github.deconvspark.models.keras;

import io.github.deconvspark.models.json.Json;
import io.github.deconvspark.models.keras.KerasLayer.Kind;
import io.github.deconvspark.models.keras.KerasLayer.Port;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A Keras model config ({@code {"class_name": "Functional" | "Model" | "Sequential", "config": ...}}) as a flat list
 * of {@link KerasLayer}s in topological order. Reads both node styles: Keras 2 / TF.js inbound nodes
 * ({@code [[layer, node_index, tensor_index, kwargs], ...]}) and Keras 3 ones ({@code {"args": [keras tensors],
 * "kwargs": {}}}), and Sequential configs (a list of layers, or {@code {"layers": [...]}}; an InputLayer or a first layer
 * with {@code batch_input_shape}). Nested models are flattened: their layers are named "model/layer".
 *
 * <p>Refused, naming the layer: a layer called more than once (shared layers), an inbound layer that does not exist, a
 * node or tensor index that names no call, a cycle, call arguments other than tensors (kwargs other than
 * training=False and mask=None), and a model with other than one input.
 */
final class Topology {
    /** More layers than any real network has: a bound on the work a hostile config can ask for. */
    static final int MAX_LAYERS = 100_000;

    final List<KerasLayer> order;
    /** The model's own layers in config order (a nested model is one of them). */
    final List<KerasLayer> topLevel;
    final KerasLayer input;
    /** The model's outputs by name ("dense_3", or "model/dense_3"; ":k" appended for a nested model's k-th output). */
    final Map<String, Port> outputs;

    private final String src;
    private int count;
    /** Which inbound node format the file uses (Keras 3 {args, kwargs}, else Keras 2 / TF.js lists): it numbers calls. */
    private Boolean keras3;

    /** A reference to a layer's output; node -1: implicit (a Sequential model's previous layer). */
    private record Ref(String layer, long node, long tensor, long[] shape) {}

    /** One network (the model, or a nested model) while it is parsed. */
    private static final class Net {
        final KerasLayer owner;
        final String prefix;
        final boolean sequential;
        /** The network's folder in a Keras 3 weights file ("" or "layers/functional/"), and its per-class name counters. */
        final String path;
        final Map<String, Integer> used = new HashMap<>();
        final Map<String, KerasLayer> byLocal = new LinkedHashMap<>();
        final List<KerasLayer> layers = new ArrayList<>();
        final Map<KerasLayer, List<Ref>> refs = new HashMap<>();
        final Map<KerasLayer, Net> nested = new HashMap<>();
        final List<KerasLayer> inputs = new ArrayList<>();
        final List<Port> outputs = new ArrayList<>();
        List<Ref> outputRefs = List.of();

        Net(KerasLayer owner, String prefix, boolean sequential) {
            this.owner = owner;
            this.prefix = prefix;
            this.sequential = sequential;
            this.path = owner == null ? "" : owner.weightsPath + "/";
        }
    }

    private Topology(String src, Map<String, Object> modelConfig) {
        this.src = src;
        String cls = Json.str(modelConfig.get("class_name"), src + ": model config class_name");
        if (!KerasLayer.MODEL_CLASSES.contains(cls)) {
            throw new IllegalArgumentException(src + ": the model's class_name is '" + cls + "'; a Keras model config is one of "
                    + KerasLayer.MODEL_CLASSES);
        }
        Net top = net(null, "", cls, modelConfig.get("config"));
        resolve(top);
        if (top.inputs.size() != 1) {
            throw new IllegalArgumentException(src + ": the model has " + top.inputs.size() + " inputs " + top.inputs
                    + "; the jobs feed one image, so exactly one input layer is supported");
        }
        this.input = top.inputs.get(0);
        Map<String, Port> outs = new LinkedHashMap<>();
        for (int k = 0; k < top.outputRefs.size(); k++) {
            Ref r = top.outputRefs.get(k);
            String key = r.layer() + (r.tensor() == 0 ? "" : ":" + r.tensor());
            if (outs.put(key, top.outputs.get(k)) != null) throw new IllegalArgumentException(src + ": output " + key + " is listed twice");
        }
        if (outs.isEmpty()) throw new IllegalArgumentException(src + ": the model has no output layers");
        this.outputs = outs;
        this.order = sort(top);
        this.topLevel = List.copyOf(top.layers);
    }

    static Topology parse(Map<String, Object> modelConfig, String src) {
        return new Topology(src, modelConfig);
    }

    // ---- parsing -------------------------------------------------------------------------------------------------

    private Net net(KerasLayer owner, String prefix, String cls, Object config) {
        String where = src + (owner == null ? ": the model" : ": nested model '" + owner.name + "'");
        if (cls.equals("Sequential")) {
            List<Object> layers = config instanceof List<?> ? Json.list(config, where) // Keras 2.2: the config is the list
                    : Json.list(Json.obj(config, where + " config").get("layers"), where + " config.layers");
            return sequential(owner, prefix, layers, config instanceof Map<?, ?> m ? Json.obj(m, where) : Map.of(), where);
        }
        Map<String, Object> c = Json.obj(config, where + " config");
        Net n = new Net(owner, prefix, false);
        for (Object o : Json.list(c.get("layers"), where + " config.layers")) {
            Map<String, Object> e = Json.obj(o, where + " config.layers[]");
            KerasLayer l = layer(n, e, where);
            List<Object> nodes = e.get("inbound_nodes") == null ? List.of() : Json.list(e.get("inbound_nodes"), l.cfg.where + ": inbound_nodes");
            if (nodes.size() > 1) {
                throw l.error("it is called " + nodes.size() + " times (a shared layer); shared layers are not supported");
            }
            if (nodes.isEmpty() && l.kind != Kind.INPUT) throw l.error("it has no inbound node: it is never called in this network");
            if (!nodes.isEmpty() && l.kind == Kind.INPUT) throw l.error("an InputLayer cannot have inbound nodes");
            n.refs.put(l, nodes.isEmpty() ? List.of() : node(l, nodes.get(0)));
        }
        for (Ref r : refList(c.get("input_layers"), where + " config.input_layers")) {
            KerasLayer in = n.byLocal.get(r.layer());
            if (in == null || in.kind != Kind.INPUT) {
                throw new IllegalArgumentException(where + ": input_layers names '" + r.layer() + "', which is not an InputLayer of it");
            }
            n.inputs.add(in);
        }
        n.outputRefs = refList(c.get("output_layers"), where + " config.output_layers");
        return n;
    }

    private Net sequential(KerasLayer owner, String prefix, List<Object> entries, Map<String, Object> config, String where) {
        Net n = new Net(owner, prefix, true);
        if (entries.isEmpty()) throw new IllegalArgumentException(where + ": a Sequential model without layers");
        KerasLayer prev = null;
        for (int i = 0; i < entries.size(); i++) {
            Map<String, Object> e = Json.obj(entries.get(i), where + " layers[" + i + "]");
            if (i == 0 && !"InputLayer".equals(e.get("class_name"))) {
                // Keras 2 Sequential: the first layer declares the input (Keras names the input layer "<first>_input")
                Map<String, Object> c = Json.obj(e.get("config"), where + " layers[0].config");
                String first = Json.str(c.get("name"), where + " layers[0].config.name");
                Object shape = c.get("batch_input_shape") != null ? c.get("batch_input_shape") : c.get("batch_shape");
                if (shape == null) shape = config.get("build_input_shape");
                Map<String, Object> ic = new LinkedHashMap<>();
                ic.put("name", first + "_input");
                if (shape != null) ic.put("batch_input_shape", shape);
                prev = add(n, new KerasLayer(prefix + first + "_input", first + "_input", "InputLayer", Kind.INPUT, ic, owner, src), where);
                prev.inputShape = shape == null ? null : shape(shape, prev.cfg.where + ": batch_input_shape");
                n.inputs.add(prev);
            }
            KerasLayer l = layer(n, e, where);
            if (l.kind == Kind.INPUT) {
                if (i != 0) throw l.error("an InputLayer must be a Sequential model's first layer");
                n.inputs.add(l);
            } else {
                n.refs.put(l, List.of(new Ref(prev.localName, -1, 0, null)));
            }
            prev = l;
        }
        n.outputRefs = List.of(new Ref(prev.localName, -1, 0, null));
        return n;
    }

    private KerasLayer layer(Net n, Map<String, Object> e, String where) {
        String cls = Json.str(e.get("class_name"), where + ": layer class_name");
        Map<String, Object> c = Json.obj(e.get("config"), where + ": config of a " + cls + " layer");
        String local = Json.str(e.get("name") != null ? e.get("name") : c.get("name"), where + ": name of a " + cls + " layer");
        if (local.isEmpty() || local.indexOf('/') >= 0) {
            throw new IllegalArgumentException(where + ": layer name '" + local + "' is refused (empty, or holding '/', which this loader uses"
                    + " to name nested models' layers)");
        }
        if (e.get("shared_object_id") != null) {
            throw new IllegalArgumentException(where + ": layer '" + local + "' (" + cls + ") is shared with another model (Keras 3"
                    + " shared_object_id); shared layers are not supported");
        }
        Kind kind = cls.equals("InputLayer") ? Kind.INPUT : KerasLayer.MODEL_CLASSES.contains(cls) ? Kind.MODEL : Kind.PLAIN;
        KerasLayer l = add(n, new KerasLayer(n.prefix + local, local, cls, kind, c, n.owner, src), where);
        if (kind == Kind.INPUT) {
            Object s = c.get("batch_input_shape") != null ? c.get("batch_input_shape") : c.get("batch_shape");
            l.inputShape = s == null ? null : shape(s, l.cfg.where + ": batch shape");
        }
        if (kind == Kind.MODEL) n.nested.put(l, net(l, l.name + "/", cls, c));
        return l;
    }

    private KerasLayer add(Net n, KerasLayer l, String where) {
        if (++count > MAX_LAYERS) throw new IllegalArgumentException(src + ": more than " + MAX_LAYERS + " layers");
        if (n.byLocal.put(l.localName, l) != null) throw new IllegalArgumentException(where + ": two layers are named '" + l.localName + "'");
        n.layers.add(l);
        if (n.owner != null) n.owner.children.add(l);
        if (!(n.sequential && l.kind == Kind.INPUT)) l.weightsPath = n.path + "layers/" + keras3Name(n, l.className);
        return l;
    }

    /**
     * Keras 3 saving_lib names a network's layers in its weights file by class, not by layer name: to_snake_case of the
     * class, "_1", "_2", ... for the later ones of a class, in the order of model.layers (a Sequential's omits its
     * InputLayer).
     */
    private static String keras3Name(Net n, String cls) {
        String s = SNAKE_1.matcher(SNAKE_0.matcher(cls).replaceAll("")).replaceAll("$1_$2");
        s = SNAKE_2.matcher(s).replaceAll("$1_$2").toLowerCase(java.util.Locale.ROOT);
        int k = n.used.merge(s, 1, Integer::sum) - 1;
        return k == 0 ? s : s + "_" + k;
    }

    private static final Pattern SNAKE_0 = Pattern.compile("\\W+", Pattern.UNICODE_CHARACTER_CLASS),
            SNAKE_1 = Pattern.compile("(.)([A-Z][a-z]+)"), SNAKE_2 = Pattern.compile("([a-z])([A-Z])");

    /** One inbound node: Keras 2 / TF.js list style or Keras 3 {args, kwargs}. */
    private List<Ref> node(KerasLayer l, Object node) {
        String where = l.cfg.where + ": inbound node";
        List<Ref> refs = new ArrayList<>();
        style(l, !(node instanceof List<?>));
        if (node instanceof List<?>) {
            for (Object o : Json.list(node, where)) {
                List<Object> e = Json.list(o, where + " entry");
                if (e.size() < 3 || e.size() > 4) throw l.error("inbound node entry " + Cfg.show(e) + " must be [layer, node_index, tensor_index, kwargs]");
                if (e.size() == 4) kwargs(l, e.get(3));
                refs.add(new Ref(Json.str(e.get(0), where), Json.integer(e.get(1), where), Json.integer(e.get(2), where), null));
            }
        } else {
            Map<String, Object> m = Json.obj(node, where);
            for (String k : m.keySet()) if (!k.equals("args") && !k.equals("kwargs")) throw l.error("inbound node field '" + k + "' is not supported");
            kwargs(l, m.get("kwargs"));
            tensors(l, m.get("args"), refs);
        }
        if (refs.isEmpty()) throw l.error("its inbound node holds no input tensor");
        return refs;
    }

    /** Keras 3 call arguments: keras tensors, possibly inside lists (a merge layer's one list argument). */
    private void tensors(KerasLayer l, Object args, List<Ref> out) {
        if (args instanceof List<?> list) {
            for (Object a : list) tensors(l, a, out);
        } else if (args instanceof Map<?, ?> m && "__keras_tensor__".equals(m.get("class_name"))) {
            String where = l.cfg.where + ": keras tensor";
            Map<String, Object> c = Json.obj(m.get("config"), where + " config");
            List<Object> h = Json.list(c.get("keras_history"), where + " keras_history");
            if (h.size() != 3) throw l.error("keras_history " + Cfg.show(h) + " must be [layer, node_index, tensor_index]");
            long[] shape = c.get("shape") == null ? null : shape(c.get("shape"), where + " shape");
            out.add(new Ref(Json.str(h.get(0), where), Json.integer(h.get(1), where), Json.integer(h.get(2), where), shape));
        } else {
            throw l.error("call argument " + Cfg.show(args) + " is not a tensor; only layers called on tensors are supported");
        }
    }

    private void style(KerasLayer l, boolean k3) {
        if (keras3 == null) keras3 = k3;
        if (keras3 != k3) throw l.error("its inbound node mixes Keras 2 and Keras 3 node formats with the other layers'");
    }

    private static void kwargs(KerasLayer l, Object kw) {
        if (kw == null) return;
        for (Map.Entry<String, Object> e : Json.obj(kw, l.cfg.where + ": call kwargs").entrySet()) {
            boolean ok = (e.getKey().equals("training") && !Boolean.TRUE.equals(e.getValue())) || (e.getKey().equals("mask") && e.getValue() == null);
            if (!ok) throw l.error("call keyword argument " + e.getKey() + "=" + Cfg.show(e.getValue()) + " is not supported (inference: training=False only)");
        }
    }

    /** input_layers / output_layers: [[name, node, tensor], ...], or Keras 3's flat [name, node, tensor] for one. */
    private List<Ref> refList(Object o, String where) {
        List<Object> l = Json.list(o, where);
        if (!l.isEmpty() && l.get(0) instanceof String) l = List.of(l);
        List<Ref> out = new ArrayList<>();
        for (Object e : l) {
            List<Object> r = Json.list(e, where + " entry");
            if (r.size() != 3) throw new IllegalArgumentException(where + ": " + Cfg.show(r) + " must be [layer, node_index, tensor_index]");
            out.add(new Ref(Json.str(r.get(0), where), Json.integer(r.get(1), where), Json.integer(r.get(2), where), null));
        }
        return out;
    }

    static long[] shape(Object o, String where) {
        List<Object> l = Json.list(o, where);
        long[] s = new long[l.size()];
        for (int k = 0; k < s.length; k++) {
            s[k] = l.get(k) == null ? -1 : Json.integer(l.get(k), where);
            if (s[k] < -1 || s[k] == 0 && k > 0) throw new IllegalArgumentException(where + ": illegal dimension " + l.get(k) + " in " + l);
        }
        return s;
    }

    // ---- resolution ----------------------------------------------------------------------------------------------

    /** Inner networks first (their outputs are what their model layer hands out), then this one's inbound references. */
    private void resolve(Net n) {
        for (Net inner : n.nested.values()) resolve(inner);
        for (KerasLayer l : n.layers) {
            for (Ref r : n.refs.getOrDefault(l, List.of())) {
                l.inputs.add(port(n, l, r));
                l.declaredInputShapes.add(r.shape());
            }
        }
        for (Ref r : n.outputRefs) n.outputs.add(port(n, null, r));
        if (n.owner != null) n.owner.outputs.addAll(n.outputs);
        for (Map.Entry<KerasLayer, Net> e : n.nested.entrySet()) {
            KerasLayer m = e.getKey();
            List<KerasLayer> ins = e.getValue().inputs;
            if (ins.size() != m.inputs.size()) {
                throw m.error("it is called on " + m.inputs.size() + " tensors but has " + ins.size() + " inputs " + ins);
            }
            for (int k = 0; k < ins.size(); k++) ins.get(k).inputs.add(m.inputs.get(k));
        }
    }

    private Port port(Net n, KerasLayer user, Ref r) {
        String who = user == null ? src + ": output_layers" : user.cfg.where;
        KerasLayer t = n.byLocal.get(r.layer());
        if (t == null) {
            throw new IllegalArgumentException(who + ": inbound layer '" + r.layer() + "' does not exist in "
                    + (n.owner == null ? "the model" : "nested model '" + n.owner.name + "'"));
        }
        // Keras numbers a nested model's calls after its own built-in node (Keras 3: Functional only, not Sequential)
        long expect = t.kind == Kind.MODEL && !(Boolean.TRUE.equals(keras3) && t.className.equals("Sequential")) ? 1 : 0;
        if (r.node() >= 0 && r.node() != expect) {
            throw new IllegalArgumentException(who + ": refers to call " + r.node() + " of layer '" + t.name + "', which is called once"
                    + " (node index " + expect + ")");
        }
        if (t.kind == Kind.MODEL) {
            if (r.tensor() < 0 || r.tensor() >= t.outputs.size()) {
                throw new IllegalArgumentException(who + ": tensor " + r.tensor() + " of nested model '" + t.name + "', which has "
                        + t.outputs.size() + " outputs");
            }
            return t.outputs.get((int) r.tensor());
        }
        if (r.tensor() != 0) throw new IllegalArgumentException(who + ": tensor " + r.tensor() + " of layer '" + t.name + "', which has one output");
        return new Port(t, 0);
    }

    // ---- order ---------------------------------------------------------------------------------------------------

    /** Every layer, nested ones before their model layer, in config order where that is topological. */
    private static void preorder(Net n, List<KerasLayer> out) {
        for (KerasLayer l : n.layers) {
            if (l.kind == Kind.MODEL) preorder(n.nested.get(l), out);
            out.add(l);
        }
    }

    private static List<KerasLayer> deps(KerasLayer l) {
        List<KerasLayer> d = new ArrayList<>();
        for (Port p : l.kind == Kind.MODEL ? l.outputs : l.inputs) d.add(p.layer());
        return d;
    }

    /** Depth-first topological order (iterative: a long chain must not overflow the stack); a cycle is named. */
    private List<KerasLayer> sort(Net top) {
        List<KerasLayer> all = new ArrayList<>();
        preorder(top, all);
        Map<KerasLayer, Integer> state = new HashMap<>();
        List<KerasLayer> out = new ArrayList<>();
        for (KerasLayer root : all) {
            if (state.containsKey(root)) continue;
            Deque<KerasLayer> stack = new ArrayDeque<>();
            Deque<Integer> next = new ArrayDeque<>();
            stack.push(root);
            next.push(0);
            state.put(root, 1);
            while (!stack.isEmpty()) {
                KerasLayer l = stack.peek();
                int i = next.pop();
                List<KerasLayer> d = deps(l);
                if (i < d.size()) {
                    next.push(i + 1);
                    KerasLayer c = d.get(i);
                    Integer s = state.get(c);
                    if (s == null) {
                        state.put(c, 1);
                        stack.push(c);
                        next.push(0);
                    } else if (s == 1) {
                        List<String> cycle = new ArrayList<>();
                        for (KerasLayer x : stack) { cycle.add(0, x.name); if (x == c) break; }
                        throw new IllegalArgumentException(src + ": the layers form a cycle: " + String.join(" -> ", cycle) + " -> " + c.name);
                    }
                } else {
                    stack.pop();
                    state.put(l, 2);
                    out.add(l);
                }
            }
        }
        return out;
    }
}
