# usage: /usr/bin/python3 torch_kernels.py --shapes conf/bench/kernels.txt [--warmup 5] [--iters 10] [--threads 2] [--only TEXT]
# PyTorch's side of bin/deconv-spark bench-kernels: the cases of conf/bench/kernels.txt (the same shapes TfBench and
# KernelBench time), float32, inputs uniform in [-1, 1], torch.set_num_threads(threads). Each case runs in NCHW and in
# channels_last; the faster layout counts. TF's paddings are asymmetric where the total is odd; PyTorch's are
# symmetric, so each dimension gets ceil(total / 2) on both sides, which gives TF's output size for every case here
# (checked; a case where it does not is reported and skipped). Prints one line per case, tab-separated:
#   name  median_ms  layout
# A matmul case is torch.mm of two n x n float32 matrices (the sgemm peak).
import argparse
import os
import sys

import torch
import torch.nn.functional as F

from bench_timing import median_ms


def read_cases(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                cases.append(dict(kv.split("=", 1) for kv in line.split()))
    return cases


def tf_window(n_in, k, s, same):
    """TF's output size and total padding along one dimension (dilation 1)."""
    if same:
        out = -(-n_in // s)
        return out, max(0, (out - 1) * s + k - n_in)
    return (n_in - k) // s + 1, 0


def uniform(*shape):
    return torch.rand(*shape) * 2 - 1


def conv_case(c, op):
    n, h, w, ch, k, oc, s = (int(c[x]) for x in ("n", "h", "w", "c", "k", "oc", "s"))
    same = c["pad"].upper() == "SAME"
    oh, th = tf_window(h, k, s, same)
    ow, tw = tf_window(w, k, s, same)
    pad = (-(-th // 2), -(-tw // 2))
    x = uniform(n, ch, h, w)
    weight = uniform(oc, ch, k, k)
    dy = uniform(n, oc, oh, ow)
    got = F.conv2d(x, weight, stride=s, padding=pad).shape
    if tuple(got[2:]) != (oh, ow):
        return None
    if op == "conv2d":
        return lambda fmt: (lambda a, b: (lambda: F.conv2d(a, b, stride=s, padding=pad)))(fmt(x), fmt(weight))
    mask = [True, False, False] if op == "conv2d_backprop_input" else [False, True, False]

    def make(fmt):
        a, b, d = fmt(x), fmt(weight), fmt(dy)
        return lambda: torch.ops.aten.convolution_backward(d, a, b, None, [s, s], list(pad), [1, 1], False, [0, 0], 1, mask)
    return make


def transpose_case(c):
    # TF's conv2d_transpose: value [n, h, w, c] -> output [n, oh, ow, oc], filter [k, k, oc, c].
    n, h, w, ch, k, oc, s, oh, ow = (int(c[x]) for x in ("n", "h", "w", "c", "k", "oc", "s", "oh", "ow"))
    same = c["pad"].upper() == "SAME"
    pads, extra = [], []
    for size, out in ((h, oh), (w, ow)):
        _, total = tf_window(out, k, s, same)
        p = -(-total // 2)
        op = out - ((size - 1) * s - 2 * p + k)
        if not 0 <= op < s:
            return None
        pads.append(p)
        extra.append(op)
    v = uniform(n, ch, h, w)
    weight = uniform(ch, oc, k, k)

    def make(fmt):
        a, b = fmt(v), fmt(weight)
        return lambda: F.conv_transpose2d(a, b, stride=s, padding=pads, output_padding=extra)
    return make


def pool_case(c, op):
    n, h, w, ch, k, s = (int(c[x]) for x in ("n", "h", "w", "c", "k", "s"))
    if c["pad"].upper() != "VALID":
        return None
    x = uniform(n, ch, h, w)

    def make(fmt):
        a = fmt(x)
        if op == "max_pool":
            return lambda: F.max_pool2d(a, k, s)
        if op == "avg_pool":
            return lambda: F.avg_pool2d(a, k, s)
        if op == "max_pool_with_argmax":
            return lambda: F.max_pool2d(a, k, s, return_indices=True)
        pooled, idx = F.max_pool2d(a, k, s, return_indices=True)
        return lambda: F.max_unpool2d(pooled, idx, k, s, output_size=(h, w))
    return make


def blas():
    """The BLAS library this process mapped (libblas.so.3 is an alternative: reference BLAS or OpenBLAS)."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    with open("/proc/self/maps", encoding="utf-8") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(os.path.realpath(l) for l in libs)) or "none mapped"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shapes", required=True)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--only", default="")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    print("torch_kernels: PyTorch %s, BLAS %s" % (torch.__version__, blas()), file=sys.stderr)
    layouts = {"nchw": lambda t: t.contiguous(),
               "channels_last": lambda t: t.contiguous(memory_format=torch.channels_last) if t.dim() == 4 else t}
    with torch.no_grad():
        for c in read_cases(a.shapes):
            if a.only not in c["name"]:
                continue
            op = c["op"]
            if op in ("conv2d", "conv2d_backprop_input", "conv2d_backprop_filter"):
                make = conv_case(c, op)
            elif op == "conv2d_transpose":
                make = transpose_case(c)
            elif op in ("max_pool", "avg_pool", "max_pool_with_argmax", "max_unpool"):
                make = pool_case(c, op)
            elif op == "matmul":
                m = int(c["n"])
                m1, m2 = uniform(m, m), uniform(m, m)
                make = lambda fmt: (lambda: torch.mm(m1, m2))
            else:
                make = None
            if make is None:
                print("torch_kernels: %s (%s): no same-size PyTorch equivalent, skipped" % (c["name"], op), file=sys.stderr)
                continue
            best = None
            for name, fmt in layouts.items():
                t = median_ms(make(fmt), a.warmup, a.iters)
                if best is None or t < best[0]:
                    best = (t, name)
            print("%s\t%.3f\t%s" % (c["name"], best[0], best[1]), flush=True)


if __name__ == "__main__":
    main()
