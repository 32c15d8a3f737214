# usage: /usr/bin/python3 torch_onnx.py BUILD_DIR   (run by torch-onnx.sh, which moves the files into place)
# Exports torchvision CNNs (weights=None, seeded init, seeded batch-norm statistics: see calibrate; eval mode) to ONNX with torch.onnx.export and
# writes PyTorch's own outputs on a seeded input batch as references, plus models.json (the index).
# Needs Debian's python3-torch 1.13, python3-torchvision 0.14, python3-onnx (1.12), python3-numpy.
import copy
import hashlib
import json
import os
import sys
import time
import warnings
from collections import Counter

import numpy as np
import onnx
import torch
import torchvision

WEIGHT_SEED = 20240601  # torch.manual_seed before each model is built: the weights are reproducible
INPUT_SEED = 7          # the reference input batch
CALIBRATION_SEED = 11   # the batch that sets the batch-norm statistics (see calibrate)
CALIBRATION_BATCH = 8
BATCH = 2
SHAPE = (BATCH, 3, 224, 224)
MODELS = ["resnet18", "vgg11_bn", "mobilenet_v2", "squeezenet1_1", "densenet121", "googlenet",
          "efficientnet_b0", "mnasnet1_0"]
OPSET = 13
EXTRA_OPSETS = {"resnet18": [9, 17]}  # also exported at these opsets, into NAME-opsetN.onnx


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_f32(path, array):
    # raw little-endian float32, row-major (C order)
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def dims(value_info):
    return [d.dim_param if d.dim_param else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def describe_onnx(path, opset):
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = Counter((n.domain or "ai.onnx") + "::" + n.op_type if n.domain not in ("", "ai.onnx") else n.op_type
                  for n in m.graph.node)
    imports = {(o.domain or "ai.onnx"): o.version for o in m.opset_import}
    if imports.get("ai.onnx") != opset:
        raise SystemExit(f"{path}: opset_import {imports}, expected ai.onnx {opset}")
    return {
        "file": os.path.basename(path),
        "opset": opset,
        "opset_import": imports,
        "ir_version": m.ir_version,
        "producer": f"{m.producer_name} {m.producer_version}",
        "bytes": os.path.getsize(path),
        "sha256": sha256(path),
        "nodes": len(m.graph.node),
        "initializers": len(m.graph.initializer),
        "op_types": sorted(ops),
        "op_counts": dict(sorted(ops.items())),
        "inputs": [{"name": i.name, "shape": dims(i)} for i in m.graph.input],
        "outputs": [{"name": o.name, "shape": dims(o)} for o in m.graph.output],
    }


def calibrate(model):
    """torchvision's own init leaves every batch norm at mean 0, variance 1, gamma 1, beta 0 (an identity in
    eval mode, so a loader that skipped batch norm, or swapped mean and variance, would still match), and
    with it the activations of mobilenet_v2, efficientnet_b0 and mnasnet1_0 shrink to ~1e-14 at the output
    (kaiming fan_out init on depthwise convs): no use as a reference. So, still seeded: gamma ~ U(0.5, 1.5),
    beta ~ N(0, 0.1), then the running mean and variance are set to the batch statistics of one seeded
    N(0, 1) batch (momentum None: a cumulative average, one batch = its exact statistics), only the batch
    norms in train mode. Every output is then of order 1."""
    g = torch.Generator().manual_seed(WEIGHT_SEED + 1)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.copy_(torch.rand(bn.weight.shape, generator=g) + 0.5)
            bn.bias.copy_(torch.randn(bn.bias.shape, generator=g) * 0.1)
            bn.reset_running_stats()
            bn.momentum = None
        # in float64 on a copy: the statistics then round to the same float32 values whatever the CPU's
        # kernels (AVX2/AVX-512, thread count), so the .onnx files do not depend on the machine
        twin = copy.deepcopy(model).double().eval()
        twin_bns = [m for m in twin.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        for bn in twin_bns:
            bn.train()
        xc = torch.randn(CALIBRATION_BATCH, *SHAPE[1:], generator=torch.Generator().manual_seed(CALIBRATION_SEED))
        twin(xc.double())
        for bn, tb in zip(bns, twin_bns):
            bn.running_mean.copy_(tb.running_mean.float())
            bn.running_var.copy_(tb.running_var.float())
            bn.num_batches_tracked.copy_(tb.num_batches_tracked)
            bn.momentum = 0.1  # torch's default, as a model built by torchvision has it
    return len(bns)


def build(name):
    torch.manual_seed(WEIGHT_SEED)
    ctor = getattr(torchvision.models, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # googlenet's "default weight initialization will change" notice
        model = ctor(weights=None)
    bns = calibrate(model)
    return model.eval(), bns


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    x = torch.randn(*SHAPE, generator=torch.Generator().manual_seed(INPUT_SEED), dtype=torch.float32)
    write_f32(os.path.join(out, "input.f32"), x.numpy())
    np.save(os.path.join(out, "input.npy"), x.numpy())
    index = {
        "generator": "models/scripts/torch-onnx.sh",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "onnx": onnx.__version__,
        "weight_seed": WEIGHT_SEED,
        "weights": "torchvision.models.NAME(weights=None) right after torch.manual_seed(weight_seed); then every "
                   "batch norm: gamma ~ U(0.5, 1.5), beta ~ N(0, 0.1) (generator seeded weight_seed + 1), running "
                   "mean/variance = the batch statistics of torch.randn(calibration_batch, 3, 224, 224) from "
                   "calibration_seed (unbiased variance, as torch keeps it); eval()",
        "calibration_seed": CALIBRATION_SEED,
        "calibration_batch": CALIBRATION_BATCH,
        "input": {"file": "input.f32", "npy": "input.npy", "shape": list(SHAPE), "layout": "NCHW",
                  "dtype": "float32 little-endian, row-major",
                  "how": "torch.randn(shape, generator=torch.Generator().manual_seed(input_seed))",
                  "input_seed": INPUT_SEED},
        "export": {"function": "torch.onnx.export", "input_names": ["input"], "output_names": ["output"],
                   "dynamic_axes": {"input": {"0": "batch"}, "output": {"0": "batch"}},
                   "do_constant_folding": True, "training": "EVAL"},
        "models": [],
    }
    for name in MODELS:
        t0 = time.time()
        model, bns = build(name)
        params = sum(p.numel() for p in model.parameters())
        wh = hashlib.sha256()
        for k, v in model.state_dict().items():
            wh.update(k.encode())
            wh.update(v.detach().contiguous().numpy().tobytes())
        with torch.no_grad():
            y = model(x)
        y = y.detach().numpy()
        with torch.no_grad():  # the same weights (float32 values widened exactly) run in float64
            y64 = copy.deepcopy(model).double()(x.double()).numpy()
        np.ascontiguousarray(y64, dtype="<f8").tofile(os.path.join(out, f"{name}.output64.f64"))
        ref = f"{name}.output.f32"
        write_f32(os.path.join(out, ref), y)
        np.save(os.path.join(out, f"{name}.output.npy"), y)
        sidecar = {"model": name, "input": "input.f32", "input_shape": list(SHAPE), "output": ref,
                   "output_npy": f"{name}.output.npy", "output_shape": list(y.shape),
                   "output_float64": f"{name}.output64.f64",
                   "output_float64_is": "the same float32 weights and input widened to float64, forward in float64 "
                                        "(raw little-endian float64)",
                   "float32_vs_float64_max_abs_diff": float(np.abs(y - y64).max()),
                   "dtype": "float32 little-endian, row-major", "by": f"torch {torch.__version__} eval forward",
                   "output_abs_max": float(np.abs(y).max()), "output_sum": float(y.astype(np.float64).sum())}
        with open(os.path.join(out, f"{name}.reference.json"), "w") as f:
            json.dump(sidecar, f, indent=1)
        entry = {"model": name, "parameters": params, "batch_norms": bns, "state_dict_sha256": wh.hexdigest(),
                 "reference": f"{name}.reference.json", "files": []}
        for opset in [OPSET] + EXTRA_OPSETS.get(name, []):
            fn = f"{name}.onnx" if opset == OPSET else f"{name}-opset{opset}.onnx"
            path = os.path.join(out, fn)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(model, (x,), path, export_params=True, opset_version=opset,
                                  do_constant_folding=True, input_names=["input"], output_names=["output"],
                                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
            entry["files"].append(describe_onnx(path, opset))
        entry["seconds"] = round(time.time() - t0, 1)
        index["models"].append(entry)
        print(f"torch-onnx: {name}: {params} parameters, "
              + ", ".join(f"{e['file']} {e['bytes']} B" for e in entry["files"])
              + f", {entry['seconds']} s", file=sys.stderr)
    # seconds are not reproducible: keep them out of the index so two runs give the same models.json
    timings = {e["model"]: e.pop("seconds") for e in index["models"]}
    with open(os.path.join(out, "timings.json"), "w") as f:
        json.dump(timings, f, indent=1)
    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
