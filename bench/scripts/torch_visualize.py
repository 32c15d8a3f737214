# usage: /usr/bin/python3 torch_visualize.py --model .../human-models-3.0.4/gear.json --input DIR --layer conv2d_5
#            --batch 8 --threads 2 [--rounds 3] [--save-npy OUTDIR] [--limit N]
# PyTorch's side of the visualize job's deconvnet projections (jobs' Visualizer, models' Projections) on a TF.js graph
# model (float32, int32, float16- or uint8/uint16-quantized weights; a chain of VALID convs, pools and per-channel
# Mul/Add). The same work as the job's:
#   prepare: decode (a JPEG's ICC profile to sRGB, as ImageIO), 8-bit RGB (gray replicated, alpha over white), centre
#            square, resized to the model's side (exact area average shrinking, half-pixel bilinear enlarging),
#            rounded to 8 bits, /255 (ImagePrep, --normalize none). The first --limit readable files in path order.
#   layer:   resolved as Visualizer.resolve: "conv2d_5" is conv2d_5/Relu, the ReLU output of the fused conv.
#   seed:    the map's strongest activation (its first maximum in row-major (y, x)) with its value, zeros elsewhere.
#   rules:   a ReLU passes max(R, 0), blind to its input (Zeiler and Fergus); a max pool routes through its forward
#            switches (each window's first maximum); biases and batch-norm's offset drop out, its Mul multiplies by
#            the scale; a convolution applies its transposed filter. Only the input's gradient is computed.
# The job projects each selection of a data-set top-k at batch 1; here each image projects ONE map, the layer's channel
# with the largest maximum (the first on ties): the same cost (one forward pass with switches, one backward pass
# seeded at one position), and a batch's images are independent (no batch statistics), so one pass projects them all.
# Per round (median over --rounds, after a warm-up), images/s of
#   decode: reading + decoding + resizing alone;  forward: the prepared batches to the layer, pools with indices;
#   projections: forward + seeded backward by autograd (a custom ReLU backward), one map per image;
#   projections_explicit: forward with switches, then relu / scale / max_unpool2d / conv_transpose2d by hand;
# and PyTorch's sgemm peak (torch.mm of two 2048x2048 float32, median GFLOP/s). Prints one JSON object.
# --save-npy OUTDIR: each image's projection (NHWC [H, W, C] float32, before any display normalization) as
# OUTDIR/<path under DIR, '/' as '__'>.npy, and OUTDIR/index.json: each one's channel, position and seed value.
import argparse
import base64
import io
import json
import os
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

try:
    from PIL import Image
except ImportError:                                      # decoded by torchvision instead
    Image = None
    import torchvision.io as tvio
try:
    from PIL import ImageCms
    SRGB = ImageCms.createProfile("sRGB")
except ImportError:                                      # no colour management: embedded profiles are ignored
    ImageCms = None

STORED = {"float32": "<f4", "int32": "<i4", "bool": "u1", "float16": "<f2", "uint8": "u1", "uint16": "<u2"}


def load_weights(model_json, j):
    """Every weight of the manifest by name as a torch tensor, dequantized as TF.js does."""
    out, base = {}, os.path.dirname(os.path.abspath(model_json))
    for group in j["weightsManifest"]:
        data, off = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"]), 0
        for w in group["weights"]:
            q = w.get("quantization")
            a = np.frombuffer(data, STORED[q["dtype"] if q else w["dtype"]], int(np.prod(w["shape"])), off)
            off += a.nbytes
            if q and q["dtype"] != "float16":                            # affine: q * scale + min
                a = a.astype(np.float64) * q["scale"] + q["min"]
                a = np.round(a) if w["dtype"] == "int32" else a
            a = a.astype(np.int32 if w["dtype"] == "int32" else np.float32)
            out[w["name"]] = torch.from_numpy(a.reshape(w["shape"]))
    return out


def resolve(names, given):
    """Visualizer.resolve: the node name, a unique '/given' suffix, or the last node inside the scope '/given/'."""
    suffix, scope = [n for n in names if n.endswith("/" + given)], [n for n in names if "/" + given + "/" in n]
    if given in names or len(suffix) == 1 or (not suffix and scope):
        return given if given in names else suffix[0] if suffix else scope[-1]
    raise SystemExit(f"torch_visualize: layer '{given}' is ambiguous or unknown ({suffix})")


def build(model_json, layer):
    """The ops from the input placeholder to the layer as (kind, params), the layer's node name, the input's side."""
    j = json.load(open(model_json))
    wts, nodes = load_weights(model_json, j), j["modelTopology"]["node"]
    target = resolve([n["name"] for n in nodes], layer)
    inp = next(n for n in nodes if n["op"] == "Placeholder")
    cur, side, chain = inp["name"], int(inp["attr"]["shape"]["shape"]["dim"][1]["size"]), []
    ints = lambda n, k: [int(v) for v in n["attr"][k]["list"]["i"]]          # noqa: E731
    while cur != target:
        nxt = [n for n in nodes if cur in (i.split(":")[0] for i in n.get("input", []))]
        if len(nxt) != 1:
            raise SystemExit(f"torch_visualize: {cur} feeds {[n['name'] for n in nxt]}: not a chain of ops")
        n, op, cur = nxt[0], nxt[0]["op"], nxt[0]["name"]
        consts = [wts[i] for i in n["input"] if i in wts]
        if op in ("_FusedConv2D", "Conv2D", "MaxPool") and [base64.b64decode(n["attr"][k]["s"]) for k in
                                                               ("padding", "data_format")] != [b"VALID", b"NHWC"]:
            raise SystemExit(f"torch_visualize: {cur}: only VALID NHWC convolutions and pools are supported")
        if op in ("_FusedConv2D", "Conv2D"):
            fused = [base64.b64decode(v).decode() for v in n["attr"].get("fused_ops", {}).get("list", {}).get("s", [])]
            if fused not in ([], ["BiasAdd"], ["BiasAdd", "Relu"]) or set(ints(n, "dilations")) != {1}:
                raise SystemExit(f"torch_visualize: {cur}: fused ops {fused} or dilations are not supported")
            w = consts[0].permute(3, 2, 0, 1).contiguous()                  # TF's HWIO -> PyTorch's OIHW
            chain.append(("conv", dict(w=w, b=consts[1] if fused else None, stride=ints(n, "strides")[1:3],
                                       relu=fused == ["BiasAdd", "Relu"])))
        elif op in ("Mul", "Add", "AddV2", "BiasAdd"):                       # by a per-channel constant (batch-norm)
            chain.append(("mul" if op == "Mul" else "add", consts[0].reshape(1, -1, 1, 1)))
        elif op == "MaxPool":
            chain.append(("pool", dict(k=ints(n, "ksize")[1:3], s=ints(n, "strides")[1:3])))
        else:
            raise SystemExit(f"torch_visualize: op {op} of {cur} is not supported")
    return chain, target, side


class DeconvRelu(torch.autograd.Function):
    """ReLU whose backward is Zeiler and Fergus's max(R, 0), whatever its forward input was."""

    @staticmethod
    def forward(ctx, x):
        return x.clamp_min(0)

    @staticmethod
    def backward(ctx, g):
        return g.clamp_min(0)


def forward(chain, x, deconv_relu=False, switches=None):
    """NCHW x to the layer; with switches (a list), each conv's and pool's (indices or None, input shape) go in it."""
    relu = DeconvRelu.apply if deconv_relu else torch.relu
    for op, p in chain:
        shape, idx = x.shape, None
        if op == "conv":
            x = F.conv2d(x, p["w"], p["b"], stride=p["stride"])
            x = relu(x) if p["relu"] else x
        elif op in ("mul", "add"):
            x = x * p if op == "mul" else x + p
        elif switches is not None:
            x, idx = F.max_pool2d(x, p["k"], p["s"], return_indices=True)
        else:
            x = F.max_pool2d(x, p["k"], p["s"])
        if switches is not None and op in ("conv", "pool"):
            switches.append((idx, shape))
    return x


def seed_of(act):
    """Per image: the channel with the largest maximum, its first maximum (row-major), a seed holding only its value."""
    n, c, h, w = act.shape
    best, pos = act.detach().reshape(n, c, h * w).max(2)        # each channel's maximum and its first position
    i, ch = torch.arange(n), best.argmax(1)                      # the strongest channel, the first on ties
    p, v = pos[i, ch], best[i, ch]
    seed = torch.zeros(n, c, h * w)
    seed[i, ch, p] = v
    return seed.reshape(act.shape), ch, p // w, p % w, v


def project_autograd(chain, x):
    """The projections (NCHW, input-shaped) of a batch and its seeds, by autograd with the deconvnet ReLU."""
    x = x.clone().requires_grad_(True)
    act = forward(chain, x, deconv_relu=True)
    seed = seed_of(act)
    act.backward(seed[0])
    return x.grad, seed


def project_explicit(chain, x):
    """The same by hand: relu(R), batch-norm's scale (its offset drops out), max_unpool2d, conv_transpose2d."""
    with torch.no_grad():
        switches = []
        seed = seed_of(forward(chain, x, switches=switches))
        r = seed[0]
        for op, p in reversed(chain):
            if op in ("conv", "pool"):
                idx, shape = switches.pop()
            if op == "conv":
                r = r.clamp_min(0) if p["relu"] else r
                extra = [shape[d] - (r.shape[d] - 1) * p["stride"][d - 2] - p["w"].shape[d] for d in (2, 3)]
                r = F.conv_transpose2d(r, p["w"], stride=p["stride"], output_padding=extra)  # rows a stride left out
            elif op == "mul":
                r = r * p
            elif op == "pool":
                r = F.max_unpool2d(r, idx, p["k"], p["s"], output_size=shape[-2:])
        return r, seed


def resize_matrix(side, size):
    """ImagePrep.resize as a [size, side] matrix: exact area average (shrinking) or half-pixel bilinear (enlarging)."""
    m, scale = np.zeros((size, side)), side / size
    for o in range(size):
        if side >= size:
            y0, y1 = o * scale, o * scale + scale
            for s in range(int(np.floor(y0)), min(side, int(np.ceil(y1)))):
                m[o, s] = min(y1, s + 1) - max(y0, s)
        else:                                                    # edges clamped
            f = max(0.0, (o + 0.5) * scale - 0.5)
            a = min(int(f), side - 1)
            m[o, a] += 1 - (f - a)
            m[o, min(a + 1, side - 1)] += f - a
    return torch.from_numpy(m / m.sum(1, keepdims=True))


def prepare(path, size, mats):
    """One file as the model's HWC float32 input in [0, 1]; None when it is no readable image (the job rejects it)."""
    try:
        if Image is None:
            rgb = tvio.read_image(path, tvio.ImageReadMode.RGB).permute(1, 2, 0).numpy().astype(np.float64)
        else:
            im = Image.open(path)
            if im.mode.startswith("I"):                          # 16-bit gray: its high byte, as ImagePrep
                im = Image.fromarray((np.asarray(im).astype(np.int64) >> 8).astype(np.uint8))
            if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
                im = Image.alpha_composite(Image.new("RGBA", im.size, (255, 255, 255, 255)), im.convert("RGBA"))
            icc = im.info.get("icc_profile") if im.format == "JPEG" and ImageCms is not None else None
            if icc:                                              # as ImageIO's JPEG reader: to sRGB
                im = ImageCms.profileToProfile(im.convert("RGB"), ImageCms.ImageCmsProfile(io.BytesIO(icc)), SRGB)
            rgb = np.asarray(im.convert("RGB"), dtype=np.float64)
    except Exception:
        return None
    h, w, _ = rgb.shape
    side = min(h, w)
    sq = torch.from_numpy(rgb[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side])
    if side not in mats:
        mats[side] = resize_matrix(side, size)
    m = mats[side]
    v = ((m @ sq.permute(2, 0, 1) @ m.T) / 255).permute(1, 2, 0).float()          # in float64, then float32
    return ((v * 255 + 0.5).floor().clamp(0, 255) / 255).numpy()     # Math.round(v * 255f) / 255f: the 8-bit image


def median_s(fn, rounds):
    fn()                                                         # warm-up
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True, help="a folder of images, read recursively in path order")
    p.add_argument("--layer", default="conv2d_5")
    for name, default in (("--batch", 8), ("--threads", 2), ("--rounds", 3), ("--limit", 0)):
        p.add_argument(name, type=int, default=default)
    p.add_argument("--save-npy", metavar="OUTDIR")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    chain, node, size = build(os.path.expanduser(a.model), a.layer)
    mats, paths, imgs = {}, [], []
    for f in sorted(os.path.join(d, f) for d, _, fs in os.walk(a.input) for f in fs):     # the job's path order
        if a.limit and len(paths) >= a.limit:
            break
        x = prepare(f, size, mats)
        if x is not None:
            paths.append(f)
            imgs.append(x)
    if not imgs:
        raise SystemExit(f"torch_visualize: no readable image under {a.input}")
    x_all = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).contiguous()           # NHWC -> NCHW
    batches, n = [x_all[i:i + a.batch] for i in range(0, len(imgs), a.batch)], len(imgs)

    decode = median_s(lambda: [prepare(f, size, mats) for f in paths], a.rounds)
    with torch.no_grad():
        fwd = median_s(lambda: [forward(chain, b, switches=[]) for b in batches], a.rounds)
    auto = median_s(lambda: [project_autograd(chain, b) for b in batches], a.rounds)
    expl = median_s(lambda: [project_explicit(chain, b) for b in batches], a.rounds)

    diff, index = 0.0, []                                        # the two ways agree; the projections saved
    for i, b in enumerate(batches):
        (ga, (_, ch, y, x, v)), (ge, _) = project_autograd(chain, b), project_explicit(chain, b)
        diff = max(diff, (ga - ge).abs().max().item() / max(ga.abs().max().item(), 1e-30))
        for k, path in enumerate(paths[i * a.batch:(i + 1) * a.batch]):
            index.append(dict(image=path, channel=int(ch[k]), y=int(y[k]), x=int(x[k]), value=float(v[k])))
            if a.save_npy:
                os.makedirs(a.save_npy, exist_ok=True)
                name = os.path.relpath(path, a.input).replace(os.sep, "__") + ".npy"
                np.save(os.path.join(a.save_npy, name), ga[k].permute(1, 2, 0).numpy())
    if a.save_npy:
        with open(os.path.join(a.save_npy, "index.json"), "w") as f:
            json.dump(dict(model=a.model, layer=node, projections=index), f, indent=1)

    m = 2048
    ma, mb = torch.randn(m, m), torch.randn(m, m)
    gemm = median_s(lambda: torch.mm(ma, mb), 9)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": a.batch, "layer": node,
                      "input_size": size, "images": n, "rounds": a.rounds, "decode_images_per_s": n / decode,
                      "forward_images_per_s": n / fwd, "projections_per_s": n / auto,
                      "projections_explicit_per_s": n / expl, "explicit_vs_autograd_max_rel": diff,
                      "sgemm_gflops": 2 * m ** 3 / gemm / 1e9}))


if __name__ == "__main__":
    main()
