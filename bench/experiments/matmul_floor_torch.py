"""PyTorch's matmul rate at the shapes of matmul-floor.mjs, same protocol (median of 41 calls after
5 warm-ups, 2 threads as the peer runs): /usr/bin/python3 bench/experiments/matmul_floor_torch.py"""
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
shapes = [
    ("512³ (the engine peak)", 512, 512, 512),
    ("mlp-train-50 [128,784]·[784,512]", 128, 784, 512),
    ("mlp-train-50 [128,512]·[512,512]", 128, 512, 512),
    ("mlp-hessian-top [256,784]·[784,256]", 256, 784, 256),
    ("rnn-lag-256 step [32,128]·[128,128]", 32, 128, 128),
]
for name, m, k, n in shapes:
    a, b = torch.randn(m, k), torch.randn(k, n)

    def once():
        t0 = time.perf_counter()
        c = a @ b
        c.tolist() if c.numel() < 0 else None  # the result is on the host already
        return (time.perf_counter() - t0) * 1e3

    for _ in range(5):
        once()
    s = sorted(once() for _ in range(41))
    ms = s[20]
    print(f"{name:40} {ms:.3f} ms  {2 * m * k * n / ms / 1e6:.1f} GFLOP/s")
