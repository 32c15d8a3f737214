# usage: /usr/bin/python3 keras_files.py MODEL_JSON OUT_DIR NAME   (run by keras-files.sh)
# Writes a TF.js layers model (model.json + shards, a Keras 2.2.4 network) as
#   OUT_DIR/NAME.h5     legacy Keras HDF5 (what Keras 2.2.4's model.save(path, include_optimizer=False) writes)
#   OUT_DIR/NAME.keras  Keras 3 zip (what keras.saving.save_model writes: metadata.json, config.json,
#                       model.weights.h5)
#   OUT_DIR/NAME.files.json  what was written (layers, weights, shapes, SHA-256)
# with the weights exactly as TF.js decodes them (uint8 quantized: min + scale * q, in double, then
# float32). Only h5py and numpy: there is no Keras here, so the layouts are written as Keras' own saving
# code lays them out; see keras-files.sh for where that was checked.
import hashlib
import io
import json
import math
import os
import re
import sys
import zipfile

import h5py
import numpy as np

KERAS3_VERSION = "3.8.0"           # the Keras whose saving_lib / layer get_config this follows
DATE_SAVED = "2025-01-01@00:00:00"  # fixed, so two runs give the same bytes (Keras writes the time)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
DTYPE_POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                "registered_name": None}
FLOAT_KEYS = {"scale", "l1", "l2", "max_value", "negative_slope", "threshold", "rate", "momentum",
              "epsilon", "mean", "stddev", "minval", "maxval", "value", "gain"}


def fail(msg):
    raise SystemExit(f"keras_files: {msg}")


# ---------------------------------------------------------------- TF.js model and weights
def load_tfjs(model_json):
    with open(model_json) as f:
        model = json.load(f)
    topo = model["modelTopology"]
    if "model_config" not in topo:
        fail(f"{model_json} is not a TF.js layers model (no modelTopology.model_config)")
    sizes = {"float32": 4, "int32": 4, "uint8": 1, "uint16": 2, "float16": 2}
    weights = {}
    for group in model["weightsManifest"]:
        buf = b"".join(open(os.path.join(os.path.dirname(model_json), p), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"], dtype=np.int64))
            q = w.get("quantization")
            dt = q["dtype"] if q else w["dtype"]
            raw = buf[off:off + n * sizes[dt]]
            off += n * sizes[dt]
            if q and dt in ("uint8", "uint16"):
                v = np.frombuffer(raw, dtype="<u1" if dt == "uint8" else "<u2").astype(np.float64)
                arr = (v * q["scale"] + q["min"]).astype(np.float32)  # as tfjs-core io: v * scale + min
            elif q and dt == "float16":
                arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
            elif dt == "float32":
                arr = np.frombuffer(raw, dtype="<f4").copy()
            else:
                fail(f"weight {w['name']}: dtype {dt} not handled")
            weights[w["name"]] = arr.reshape(w["shape"])
        if off != len(buf):
            fail(f"{model_json}: a weight group uses {off} of its {len(buf)} bytes")
    return topo, weights


# ---------------------------------------------------------------- graph
def inbound(layer):
    """[(parent, node_index, tensor_index)] of the layer's single call."""
    nodes = layer.get("inbound_nodes") or []
    if len(nodes) > 1:
        fail(f"layer {layer['name']} is called {len(nodes)} times (shared layers are not handled)")
    return [(e[0], e[1], e[2]) for e in nodes[0]] if nodes else []


def keras_order(layers, outputs):
    """The order of Functional.operations: keras/src/ops/function.py map_graph (Keras 2's
    Network._map_graph_network is the same): depth from the outputs, deepest first; ties by DFS
    traversal order from the outputs."""
    by_name = {l["name"]: l for l in layers}
    finished, in_progress, order, index = set(), set(), [], {}

    def visit(name):
        if name in finished:
            return
        if name in in_progress:
            fail(f"cycle at {name}")
        index.setdefault(name, len(index))
        in_progress.add(name)
        for parent, _, _ in inbound(by_name[name]):
            visit(parent)
        finished.add(name)
        in_progress.remove(name)
        order.append(name)

    for out in outputs:
        visit(out)
    depth = {}
    for name in reversed(order):
        d = depth.setdefault(name, 0)
        for parent, _, _ in inbound(by_name[name]):
            depth[parent] = max(d + 1, depth.get(parent, 0))
    keys = sorted(set(depth.values()), reverse=True)
    result = []
    for d in keys:
        result.extend(sorted((n for n in depth if depth[n] == d), key=lambda n: index[n]))
    return result


def conv_len(n, k, s, padding, d=1):
    if n is None:
        return None
    if padding == "same":
        return -(-n // s)
    if padding == "valid":
        return -(-(n - (k - 1) * d) // s)
    fail(f"padding {padding}")


def pool_len(n, k, s, padding):
    if n is None:
        return None
    return -(-n // s) if padding == "same" else (n - k) // s + 1


def out_shape(layer, ins):
    c, cfg = layer["class_name"], layer["config"]
    if cfg.get("data_format", "channels_last") != "channels_last":
        fail(f"{layer['name']}: only channels_last")
    if c == "InputLayer":
        return list(cfg["batch_input_shape"])
    x = ins[0]
    if c == "ZeroPadding2D":
        (t, b), (l, r) = cfg["padding"]
        return [x[0], x[1] + t + b, x[2] + l + r, x[3]]
    if c in ("Conv2D", "DepthwiseConv2D"):
        kh, kw = cfg["kernel_size"]
        sh, sw = cfg["strides"]
        dh, dw = cfg["dilation_rate"]
        ch = cfg["filters"] if c == "Conv2D" else x[3] * cfg["depth_multiplier"]
        return [x[0], conv_len(x[1], kh, sh, cfg["padding"], dh), conv_len(x[2], kw, sw, cfg["padding"], dw), ch]
    if c in ("MaxPooling2D", "AveragePooling2D"):
        (ph, pw), (sh, sw) = cfg["pool_size"], cfg["strides"]
        return [x[0], pool_len(x[1], ph, sh, cfg["padding"]), pool_len(x[2], pw, sw, cfg["padding"]), x[3]]
    if c in ("BatchNormalization", "ReLU", "Activation", "Dropout"):
        return list(x)
    if c == "Add":
        if any(s != x for s in ins):
            fail(f"{layer['name']}: Add of {ins}")
        return list(x)
    if c == "Concatenate":
        ax = cfg["axis"] % len(x)
        y = list(x)
        y[ax] = sum(s[ax] for s in ins)
        return y
    if c == "Flatten":
        return [x[0], int(np.prod(x[1:]))]
    if c == "Dense":
        return list(x[:-1]) + [cfg["units"]]
    fail(f"layer class {c} ({layer['name']}) not handled")


def weight_specs(layer, ins):
    """Keras 2 weight names (layer.weights order) and shapes."""
    c, cfg, n = layer["class_name"], layer["config"], layer["name"]
    cin = ins[0][-1] if ins else None
    if c == "Conv2D":
        ws = [("kernel", list(cfg["kernel_size"]) + [cin, cfg["filters"]])]
        return ws + ([("bias", [cfg["filters"]])] if cfg["use_bias"] else [])
    if c == "DepthwiseConv2D":
        ws = [("depthwise_kernel", list(cfg["kernel_size"]) + [cin, cfg["depth_multiplier"]])]
        return ws + ([("bias", [cin * cfg["depth_multiplier"]])] if cfg["use_bias"] else [])
    if c == "BatchNormalization":
        ws = [("gamma", [cin])] if cfg["scale"] else []
        ws += [("beta", [cin])] if cfg["center"] else []
        return ws + [("moving_mean", [cin]), ("moving_variance", [cin])]
    if c == "Dense":
        ws = [("kernel", [cin, cfg["units"]])]
        return ws + ([("bias", [cfg["units"]])] if cfg["use_bias"] else [])
    return []


# ---------------------------------------------------------------- Keras 3 config
def floats(obj):
    if isinstance(obj, dict):
        return {k: (float(v) if k in FLOAT_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool)
                    else floats(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [floats(v) for v in obj]
    return obj


def k3_object(obj, module):
    """A Keras 2 {class_name, config} (initializer, regularizer, constraint) as Keras 3 serializes it."""
    if obj is None:
        return None
    return {"module": module, "class_name": obj["class_name"], "config": floats(obj["config"]),
            "registered_name": None}


def k3_config(layer):
    c, k2 = layer["class_name"], floats(layer["config"])
    if c == "InputLayer":
        return {"batch_shape": k2["batch_input_shape"], "dtype": k2.get("dtype", "float32"),
                "sparse": k2.get("sparse", False), "ragged": False, "name": k2["name"], "optional": False}
    base = {"name": k2["name"], "trainable": k2["trainable"], "dtype": DTYPE_POLICY}
    init = lambda k: k3_object(k2.get(k), "keras.initializers")
    reg = lambda k: k3_object(k2.get(k), "keras.regularizers")
    con = lambda k: k3_object(k2.get(k), "keras.constraints")
    if c == "Conv2D":
        return {**base, "filters": k2["filters"], "kernel_size": k2["kernel_size"], "strides": k2["strides"],
                "padding": k2["padding"], "data_format": k2["data_format"], "dilation_rate": k2["dilation_rate"],
                "groups": 1, "activation": k2["activation"], "use_bias": k2["use_bias"],
                "kernel_initializer": init("kernel_initializer"), "bias_initializer": init("bias_initializer"),
                "kernel_regularizer": reg("kernel_regularizer"), "bias_regularizer": reg("bias_regularizer"),
                "activity_regularizer": reg("activity_regularizer"),
                "kernel_constraint": con("kernel_constraint"), "bias_constraint": con("bias_constraint")}
    if c == "DepthwiseConv2D":
        return {**base, "depth_multiplier": k2["depth_multiplier"], "kernel_size": k2["kernel_size"],
                "strides": k2["strides"], "padding": k2["padding"], "data_format": k2["data_format"],
                "dilation_rate": k2["dilation_rate"], "activation": k2["activation"], "use_bias": k2["use_bias"],
                "depthwise_initializer": init("depthwise_initializer"), "bias_initializer": init("bias_initializer"),
                "depthwise_regularizer": reg("depthwise_regularizer"), "bias_regularizer": reg("bias_regularizer"),
                "activity_regularizer": reg("activity_regularizer"),
                "depthwise_constraint": con("depthwise_constraint"), "bias_constraint": con("bias_constraint")}
    if c == "BatchNormalization":
        return {**base, "axis": k2["axis"], "momentum": k2["momentum"], "epsilon": k2["epsilon"],
                "center": k2["center"], "scale": k2["scale"],
                "beta_initializer": init("beta_initializer"), "gamma_initializer": init("gamma_initializer"),
                "moving_mean_initializer": init("moving_mean_initializer"),
                "moving_variance_initializer": init("moving_variance_initializer"),
                "beta_regularizer": reg("beta_regularizer"), "gamma_regularizer": reg("gamma_regularizer"),
                "beta_constraint": con("beta_constraint"), "gamma_constraint": con("gamma_constraint"),
                "synchronized": False}
    if c == "Dense":
        extra = {"activity_regularizer": reg("activity_regularizer")} if k2.get("activity_regularizer") else {}
        return {**base, **extra, "units": k2["units"], "activation": k2["activation"], "use_bias": k2["use_bias"],
                "kernel_initializer": init("kernel_initializer"), "bias_initializer": init("bias_initializer"),
                "kernel_regularizer": reg("kernel_regularizer"), "bias_regularizer": reg("bias_regularizer"),
                "kernel_constraint": con("kernel_constraint"), "bias_constraint": con("bias_constraint")}
    if c == "Dropout":
        return {**base, "rate": k2["rate"], "seed": k2.get("seed"), "noise_shape": k2.get("noise_shape")}
    if c == "Flatten":
        return {**base, "data_format": k2["data_format"]}
    if c in ("MaxPooling2D", "AveragePooling2D"):
        return {**base, "pool_size": k2["pool_size"], "padding": k2["padding"], "strides": k2["strides"],
                "data_format": k2["data_format"]}
    if c == "ZeroPadding2D":
        return {**base, "padding": k2["padding"], "data_format": k2["data_format"]}
    if c == "ReLU":
        return {**base, "max_value": k2.get("max_value"), "negative_slope": float(k2.get("negative_slope", 0.0)),
                "threshold": float(k2.get("threshold", 0.0))}
    if c == "Activation":
        return {**base, "activation": k2["activation"]}
    if c == "Add":
        return base
    if c == "Concatenate":
        return {**base, "axis": k2["axis"]}
    fail(f"layer class {c} not handled")


# layers whose build() Keras 3 runs (and so records build_config); the others are built at init
BUILT = {"Conv2D", "DepthwiseConv2D", "BatchNormalization", "Dense", "Flatten", "Add", "Concatenate"}


def snake(name):  # keras/src/utils/naming.py to_snake_case
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    model_json, out, name = sys.argv[1:4]
    topo, tf_weights = load_tfjs(model_json)
    mc = topo["model_config"]
    cfg = mc["config"]
    layers = cfg["layers"]
    by_name = {l["name"]: l for l in layers}
    outputs = [o[0] for o in cfg["output_layers"]]
    order = keras_order(layers, outputs)
    if order != [l["name"] for l in layers]:
        fail("the Keras layer order computed here differs from the config's (Keras 2 wrote it the same way)")
    shapes, weights = {}, {}
    unused = dict(tf_weights)
    for l in layers:
        ins = [shapes[p] for p, _, _ in inbound(l)]
        shapes[l["name"]] = out_shape(l, ins)
        ws = []
        for wn, shape in weight_specs(l, ins):
            key = f"{l['name']}/{wn}"
            if key not in unused:
                fail(f"no TF.js weight {key}")
            arr = unused.pop(key)
            if list(arr.shape) != shape:
                fail(f"{key}: shape {list(arr.shape)}, the layer needs {shape}")
            ws.append((wn, arr))
        weights[l["name"]] = ws
    if unused:
        fail(f"TF.js weights no layer takes: {sorted(unused)[:5]}")
    os.makedirs(out, exist_ok=True)

    # ---- legacy HDF5, as Keras 2.2.4 saving.py _serialize_model (include_optimizer=False) lays it out,
    # written through h5py 3 as Keras' code does (bytes attributes become variable-length ASCII strings)
    h5_path = os.path.join(out, f"{name}.h5")
    with h5py.File(h5_path, "w") as f:
        f.attrs["keras_version"] = str(topo.get("keras_version", "2.2.4")).encode("utf8")
        f.attrs["backend"] = str(topo.get("backend", "tensorflow")).encode("utf8")
        f.attrs["model_config"] = json.dumps({"class_name": mc["class_name"], "config": floats(cfg)}).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [l["name"].encode("utf8") for l in layers]
        g.attrs["backend"] = str(topo.get("backend", "tensorflow")).encode("utf8")
        g.attrs["keras_version"] = str(topo.get("keras_version", "2.2.4")).encode("utf8")
        for l in layers:
            lg = g.create_group(l["name"])
            names = [f"{l['name']}/{wn}:0".encode("utf8") for wn, _ in weights[l["name"]]]
            lg.attrs["weight_names"] = names  # [] (float64, empty) for layers without weights, as Keras
            for n, (_, arr) in zip(names, weights[l["name"]]):
                d = lg.create_dataset(n, arr.shape, dtype=arr.dtype)
                d[:] = arr

    # ---- Keras 3 .keras zip, as keras/src/saving/saving_lib.py save_model writes it
    k3_layers = []
    for l in layers:
        ent = {"module": "keras.layers", "class_name": l["class_name"], "config": k3_config(l),
               "registered_name": None}
        parents = inbound(l)
        if l["class_name"] in BUILT:
            ins = [shapes[p] for p, _, _ in parents]
            ent["build_config"] = {"input_shape": ins if l["class_name"] in ("Add", "Concatenate") else ins[0]}
        ent["name"] = l["name"]
        tensors = [{"class_name": "__keras_tensor__",
                    "config": {"shape": shapes[p], "dtype": "float32", "keras_history": [p, ni, ti]}}
                   for p, ni, ti in parents]
        if not tensors:
            ent["inbound_nodes"] = []
        elif l["class_name"] in ("Add", "Concatenate"):
            ent["inbound_nodes"] = [{"args": [tensors], "kwargs": {}}]
        else:
            ent["inbound_nodes"] = [{"args": tensors, "kwargs": {}}]
        k3_layers.append(ent)
    one = lambda refs: refs[0][:3] if len(refs) == 1 else [r[:3] for r in refs]
    config = {"module": "keras.src.models.functional", "class_name": "Functional",
              "config": {"name": cfg["name"], "trainable": True, "layers": k3_layers,
                         "input_layers": one(cfg["input_layers"]), "output_layers": one(cfg["output_layers"])},
              "registered_name": "Functional", "build_config": {"input_shape": None}}
    metadata = {"keras_version": KERAS3_VERSION, "date_saved": DATE_SAVED}
    bio = io.BytesIO()
    paths = []
    with h5py.File(bio, "w") as f:
        f.create_group("vars")  # the model's own variables (none)
        used = {}
        for l in layers:
            s = snake(l["class_name"])
            if s in used:
                used[s] += 1
                s = f"{s}_{used[s]}"
            else:
                used[s] = 0
            vg = f.create_group(f"layers/{s}").create_group("vars")
            for i, (_, arr) in enumerate(weights[l["name"]]):
                vg[str(i)] = arr
            paths.append({"layer": l["name"], "class_name": l["class_name"], "path": f"layers/{s}/vars",
                          "vars": [f"{i}: {wn} {list(a.shape)}" for i, (wn, a) in enumerate(weights[l["name"]])]})
    keras_path = os.path.join(out, f"{name}.keras")
    with zipfile.ZipFile(keras_path, "w") as zf:
        for fn, data, attr in (("metadata.json", json.dumps(metadata).encode(), 0),
                               ("config.json", json.dumps(config).encode(), 0),
                               ("model.weights.h5", bio.getvalue(), 0o600 << 16)):
            zi = zipfile.ZipInfo(fn, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_STORED
            zi.external_attr = attr
            zf.writestr(zi, data)

    # ---- read both back and compare every weight
    n_weights = sum(len(v) for v in weights.values())
    with h5py.File(h5_path, "r") as f:
        g = f["model_weights"]
        assert [n.decode() if isinstance(n, bytes) else n for n in g.attrs["layer_names"]] == [l["name"] for l in layers]
        for l in layers:
            wn = [n.decode() if isinstance(n, bytes) else n for n in g[l["name"]].attrs["weight_names"]]
            for n, (_, arr) in zip(wn, weights[l["name"]]):
                assert np.array_equal(g[l["name"]][n][()], arr), n
        json.loads(f.attrs["model_config"])
    with zipfile.ZipFile(keras_path) as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        json.loads(zf.read("config.json"))
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            for p, l in zip(paths, layers):
                vg = f[p["path"]]
                assert len(vg) == len(weights[l["name"]]), p
                for i, (_, arr) in enumerate(weights[l["name"]]):
                    assert np.array_equal(vg[str(i)][()], arr), (p, i)
    index = {"model": name, "from": os.path.abspath(model_json), "keras_version_of_config": topo.get("keras_version"),
             "input_shape": shapes[cfg["input_layers"][0][0]], "output_shape": shapes[outputs[0]],
             "layers": len(layers), "weights": n_weights,
             "parameters": int(sum(a.size for v in weights.values() for _, a in v)),
             "h5": {"file": os.path.basename(h5_path), "bytes": os.path.getsize(h5_path), "sha256": sha256(h5_path),
                    "layout": "Keras 2.2.4 legacy HDF5, include_optimizer=False"},
             "keras": {"file": os.path.basename(keras_path), "bytes": os.path.getsize(keras_path),
                       "sha256": sha256(keras_path), "layout": f"Keras {KERAS3_VERSION} .keras zip"},
             "weights_paths": paths}
    with open(os.path.join(out, f"{name}.files.json"), "w") as f:
        json.dump(index, f, indent=1)
    print(f"keras_files: {name}: {len(layers)} layers, {n_weights} weights, "
          f"{index['parameters']} parameters; {name}.h5 {index['h5']['bytes']} B, "
          f"{name}.keras {index['keras']['bytes']} B", file=sys.stderr)


if __name__ == "__main__":
    main()
