# Timing shared by the PyTorch sides of the benchmarks (torch_bench.py, torch_kernels.py).
import statistics
import time


def median_ms(fn, warmup, iters):
    """Median wall milliseconds of fn() over iters calls after warmup untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)
