# usage: /usr/bin/python3 keras_check.py FILE.keras|FILE.h5 REFERENCE_DIR   (run by keras-files.sh --check)
# Reads a Keras file the way Keras loads it (config: the .keras config.json or the .h5 model_config
# attribute; weights: .keras model.weights.h5 layers/<snake_case class>[_<k>]/vars/<i> in the order of the
# config's layers, .h5 model_weights/<layer>/<weight_names>), runs the network in float64 with numpy (NHWC,
# TensorFlow's SAME/VALID padding) on REFERENCE_DIR's input and compares every layer that
# layers-reference.js wrote (REFERENCE_DIR/layers-reference.json) with it. Prints the largest differences;
# exits 1 when one exceeds 1e-3 * (1 + max |reference|).
import io
import json
import re
import sys
import zipfile

import h5py
import numpy as np


def snake(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def k3_parents(layer):
    refs = []

    def walk(v):
        if isinstance(v, dict):
            if v.get("class_name") == "__keras_tensor__":
                refs.append(v["config"]["keras_history"][0])
            else:
                for x in v.values():
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    for node in layer["inbound_nodes"]:
        walk(node["args"])
    return refs


def load(path):
    """[(name, class, config, parents, [weights])] in config order."""
    if path.endswith(".keras"):
        with zipfile.ZipFile(path) as zf:
            cfg = json.loads(zf.read("config.json"))
            h5 = h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r")
        out, used = [], {}
        for l in cfg["config"]["layers"]:
            s = snake(l["class_name"])
            if s in used:
                used[s] += 1
                s = f"{s}_{used[s]}"
            else:
                used[s] = 0
            vg = h5[f"layers/{s}/vars"]
            ws = [vg[str(i)][()].astype(np.float64) for i in range(len(vg))]
            out.append((l["name"], l["class_name"], l["config"], k3_parents(l), ws))
        return out
    f = h5py.File(path, "r")
    mc = f.attrs["model_config"]
    cfg = json.loads(mc.decode() if isinstance(mc, bytes) else mc)
    g = f["model_weights"]
    out = []
    for l in cfg["config"]["layers"]:
        names = [n.decode() if isinstance(n, bytes) else n for n in g[l["name"]].attrs["weight_names"]]
        ws = [g[l["name"]][n][()].astype(np.float64) for n in names]
        parents = [e[0] for node in l["inbound_nodes"] for e in node]
        out.append((l["name"], l["class_name"], l["config"], parents, ws))
    return out


def pads(n, k, s, padding, d=1):
    ke = (k - 1) * d + 1
    if padding == "valid":
        return (n - ke) // s + 1, 0, 0
    o = -(-n // s)
    total = max((o - 1) * s + ke - n, 0)
    return o, total // 2, total - total // 2


def windows(x, kh, kw, sh, sw, padding, dh=1, dw=1, fill=0.0):
    """x padded as TF pads it; yields (i, j, view[b, oh, ow, c]) for each kernel offset."""
    b, h, w, c = x.shape
    oh, pt, pb = pads(h, kh, sh, padding, dh)
    ow, pl, pr = pads(w, kw, sw, padding, dw)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)
    for i in range(kh):
        for j in range(kw):
            yield i, j, xp[:, i * dh: i * dh + (oh - 1) * sh + 1: sh, j * dw: j * dw + (ow - 1) * sw + 1: sw, :]


def act(x, a):
    if a in (None, "linear"):
        return x
    if a == "relu":
        return np.maximum(x, 0)
    if a == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if a == "sigmoid":
        return 1 / (1 + np.exp(-x))
    raise SystemExit(f"activation {a}")


def run(layer, ins, ws):
    name, c, cfg = layer
    x = ins[0] if ins else None
    if c == "Conv2D":
        k = ws[0]
        (kh, kw), (sh, sw), (dh, dw) = k.shape[:2], cfg["strides"], cfg["dilation_rate"]
        y = sum(v @ k[i, j] for i, j, v in windows(x, kh, kw, sh, sw, cfg["padding"], dh, dw))
        return act(y + (ws[1] if cfg["use_bias"] else 0), cfg["activation"])
    if c == "DepthwiseConv2D":
        k = ws[0]
        (kh, kw), (sh, sw), (dh, dw) = k.shape[:2], cfg["strides"], cfg["dilation_rate"]
        m = k.shape[3]
        y = sum(np.repeat(v, m, axis=-1) * k[i, j].reshape(-1) for i, j, v in
                windows(x, kh, kw, sh, sw, cfg["padding"], dh, dw))
        return act(y + (ws[1] if cfg["use_bias"] else 0), cfg["activation"])
    if c == "BatchNormalization":
        it = iter(ws)
        gamma = next(it) if cfg["scale"] else 1.0
        beta = next(it) if cfg["center"] else 0.0
        mean, var = next(it), next(it)
        return (x - mean) / np.sqrt(var + cfg["epsilon"]) * gamma + beta
    if c == "ReLU":
        y = np.where(x >= cfg.get("threshold", 0.0), x, cfg.get("negative_slope", 0.0) * (x - cfg.get("threshold", 0.0)))
        return y if cfg.get("max_value") is None else np.minimum(y, cfg["max_value"])
    if c == "Activation":
        return act(x, cfg["activation"])
    if c == "ZeroPadding2D":
        (t, b), (l, r) = cfg["padding"]
        return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
    if c in ("MaxPooling2D", "AveragePooling2D"):
        (ph, pw), (sh, sw) = cfg["pool_size"], cfg["strides"]
        if c == "MaxPooling2D":
            return np.max(np.stack([v for _, _, v in windows(x, ph, pw, sh, sw, cfg["padding"], fill=-np.inf)]), axis=0)
        s = sum(v for _, _, v in windows(x, ph, pw, sh, sw, cfg["padding"]))
        n = sum(v for _, _, v in windows(np.ones_like(x[:1, :, :, :1]), ph, pw, sh, sw, cfg["padding"]))
        return s / n  # TF divides by the real (unpadded) cells
    if c == "Add":
        return sum(ins)
    if c == "Concatenate":
        return np.concatenate(ins, axis=cfg["axis"])
    if c == "Flatten":
        return x.reshape(x.shape[0], -1)
    if c == "Dense":
        return act(x @ ws[0] + (ws[1] if cfg["use_bias"] else 0), cfg["activation"])
    if c == "Dropout":
        return x
    raise SystemExit(f"layer class {c} ({name})")


def main():
    path, ref_dir = sys.argv[1:3]
    ref = json.load(open(f"{ref_dir}/layers-reference.json"))
    x = np.fromfile(ref["input"], dtype="<f4").reshape(ref["input_shape"]).astype(np.float64)
    layers = load(path)
    wanted = {e["layer"]: e for e in ref["layers"]}
    wanted.setdefault(ref["output"]["layer"], ref["output"])
    acts, worst, bad = {}, 0.0, []
    for name, c, cfg, parents, ws in layers:
        acts[name] = x if c == "InputLayer" else run((name, c, cfg), [acts[p] for p in parents], ws)
        if name in wanted:
            r = np.fromfile(f"{ref_dir}/{wanted[name]['file']}", dtype="<f4").reshape(wanted[name]["shape"])
            d = float(np.abs(acts[name] - r).max())
            tol = 1e-3 * (1 + float(np.abs(r).max()))
            print(f"  {name:28s} {c:18s} {list(r.shape)} max|diff| {d:.3g} max|ref| {np.abs(r).max():.4g}"
                  f" {'ok' if d <= tol else 'FAIL'}")
            if d > tol:
                bad.append(name)
    if bad:
        raise SystemExit(f"keras_check: {path}: {bad} differ from the TF.js reference")
    print(f"keras_check: {path}: {len(wanted)} layers agree with TF.js")


if __name__ == "__main__":
    main()
