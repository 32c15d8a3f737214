# usage: /usr/bin/python3 torch_bench.py --models resnet18,mobilenet_v2 --batch 8 --threads 2 --warmup 3 --iters 10
# PyTorch's side of bin/deconv-spark bench-models: the same torchvision architectures as models/scripts/torch-onnx.sh
# exports (built by its build(): the same seeded weights), eval mode, float32, NCHW, torch.set_num_threads(threads).
# Per model, the median wall time of
#   forward:          model(x) under torch.no_grad()
#   forward+backward: model(x).sum().backward() with x.requires_grad (gradients for the input and every parameter)
# and PyTorch's sgemm peak (torch.mm of two 1024x1024 float32 matrices, median GFLOP/s). Prints one JSON object.
import argparse
import json
import os
import sys

import torch

from bench_timing import median_ms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "scripts"))
import torch_onnx  # noqa: E402  (the seeded builds)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="resnet18,mobilenet_v2")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--iters", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    n = 1024
    ma, mb = torch.randn(n, n), torch.randn(n, n)
    gemm_ms = median_ms(lambda: torch.mm(ma, mb), 3, 10)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": a.batch,
           "sgemm_gflops": 2 * n ** 3 / (gemm_ms * 1e-3) / 1e9, "models": {}}
    x0 = torch.randn(a.batch, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    for name in a.models.split(","):
        model, _ = torch_onnx.build(name)
        with torch.no_grad():
            fwd = median_ms(lambda: model(x0), a.warmup, a.iters)

        def fwd_bwd():
            model.zero_grad(set_to_none=True)
            x = x0.clone().requires_grad_(True)
            model(x).sum().backward()

        both = median_ms(fwd_bwd, a.warmup, a.iters)
        out["models"][name] = {"forward_ms": fwd, "forward_backward_ms": both}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
