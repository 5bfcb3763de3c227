#!/usr/bin/env python3
"""Reference timings of the gflow benchmark workloads in PyTorch (CPU).

Each workload here is defined exactly as in WORKLOADS.md (beside this file); the project's own
benchmark runs the same work on its default backend, and compare.mjs divides the two.

Usage: python3 torch_peer.py [--threads N] [--only name,name] [--same-process] > torch.json
       python3 torch_peer.py --scaling KIND:SIZE [--repeats N]   (one point of bench/scripts/scaling.mjs)
Needs Debian's python3-torch (apt-get install -y python3-torch).

Memory: each workload runs in a fresh interpreter (this script with --only NAME) unless
--same-process, and reports resource.getrusage(RUSAGE_SELF).ru_maxrss right after its timed runs
(peakRssMiB: the interpreter, torch and the workload) and the RSS before its warm-up (baseRssMiB).
tracemalloc is not used: it sees only the Python heap, not torch's tensor storage.
"""
import argparse, json, os, resource, statistics, subprocess, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timed(fn, repeats, warmup=1):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples), samples


def rss_now_mib():
    """The current resident set (Linux /proc/self/statm), MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib():
    """The process's resident-set high-water mark; ru_maxrss is in KiB on Linux."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(fn, repeats):
    """timed() plus the memory fields of a result row."""
    base = rss_now_mib()
    med, samples = timed(fn, repeats)
    return {"seconds": med, "samples": samples, "peakRssMiB": round(peak_rss_mib(), 1), "baseRssMiB": round(base, 1)}


class PlainBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False); self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False); self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


class ResidualBlock(PlainBlock):
    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))) + x)


def conv_probe(block, blocks=30, channels=64, batch=4, size=32):
    torch.manual_seed(0)
    net = nn.Sequential(*[block(channels) for _ in range(blocks)]).train()
    x = torch.randn(batch, channels, size, size)

    def once():
        grads = []
        out = x
        for b in net:
            out = b(out)
            out.register_hook(lambda g: grads.append(g.norm()))
        net.zero_grad(set_to_none=True)
        out.sum().backward()
        norms = torch.stack(grads + [p.grad.norm() for p in net.parameters()])
        return norms.tolist()  # read back to the host, as a report would

    return once


def mlp_hessian(iters=20):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(784, 256), nn.Tanh(), nn.Linear(256, 256), nn.Tanh(), nn.Linear(256, 10))
    x = torch.randn(256, 784); y = torch.randint(0, 10, (256,))
    params = list(net.parameters())

    def once():
        v = [torch.randn_like(p) for p in params]
        n = torch.sqrt(sum((t * t).sum() for t in v)); v = [t / n for t in v]
        eig = 0.0
        for _ in range(iters):
            loss = F.cross_entropy(net(x), y)
            g = torch.autograd.grad(loss, params, create_graph=True)
            hv = torch.autograd.grad(sum((a * b).sum() for a, b in zip(g, v)), params)
            eig = sum((a * b).sum() for a, b in zip(hv, v)).item()
            n = torch.sqrt(sum((t * t).sum() for t in hv)); v = [t / n for t in hv]
        return eig

    return once


def mlp_flow(depth, width=64, batch=32):
    """Scaling: measureGradientFlow's work on a plain tanh MLP of `depth` blocks of width 64
    (64 inputs, no readout): per-block gradient norms and per-parameter gradient norms, read back."""
    torch.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
    net = nn.Sequential(*layers)
    x = torch.randn(batch, width)

    def once():
        grads = []
        out = x
        for i, m in enumerate(net):
            out = m(out)
            if i % 2 == 1:
                out.register_hook(lambda g: grads.append(g.norm()))
        net.zero_grad(set_to_none=True)
        out.sum().backward()
        norms = torch.stack(grads + [p.grad.norm() for p in net.parameters()])
        return norms.tolist()

    return once


def mlp_hessian_params(width, iters=20, inputs=32, classes=10, batch=128):
    """Scaling: 20 power iterations of exact Hessian-vector products on a tanh MLP
    inputs-width-width-classes (width² + 44·width + 10 parameters)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(inputs, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(), nn.Linear(width, classes))
    x = torch.randn(batch, inputs); y = torch.randint(0, classes, (batch,))
    params = list(net.parameters())

    def once():
        v = [torch.randn_like(p) for p in params]
        n = torch.sqrt(sum((t * t).sum() for t in v)); v = [t / n for t in v]
        eig = 0.0
        for _ in range(iters):
            loss = F.cross_entropy(net(x), y)
            g = torch.autograd.grad(loss, params, create_graph=True)
            hv = torch.autograd.grad(sum((a * b).sum() for a, b in zip(g, v)), params)
            eig = sum((a * b).sum() for a, b in zip(hv, v)).item()
            n = torch.sqrt(sum((t * t).sum() for t in hv)); v = [t / n for t in hv]
        return eig

    return once


SCALING = {
    "depth": lambda n: mlp_flow(n),
    "rnn": lambda n: rnn_lag(hidden=64, steps=n),
    "hessian": lambda n: mlp_hessian_params(n),
}


def rnn_lag(hidden=128, inputs=16, steps=256, batch=32):
    torch.manual_seed(0)
    w_hh = (torch.randn(hidden, hidden) / hidden ** 0.5).requires_grad_()
    w_xh = (torch.randn(inputs, hidden) / inputs ** 0.5).requires_grad_()
    b = torch.zeros(hidden, requires_grad=True)
    xs = torch.randn(steps, batch, inputs)

    def once():
        h = torch.zeros(batch, hidden)
        hs = []
        for t in range(steps):
            h = torch.tanh(h @ w_hh + xs[t] @ w_xh + b)
            h.retain_grad(); hs.append(h)
        (0.5 * (h * h).sum()).backward()
        return torch.stack([s.grad.norm() for s in hs]).tolist()

    return once


def mlp_train(monitored, steps=50):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                        nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    x = torch.randn(128, 784); y = torch.randint(0, 10, (128,))

    def once():
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(x), y).backward()
            if monitored:
                norms = torch.stack([p.grad.norm() for p in net.parameters()])
                total = torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                norms.tolist(); float(total)
            opt.step()

    return once


def spectral():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(1024, 1024, generator=g)
    b = torch.randn(256, 256, generator=g)

    def once():
        return float(torch.linalg.matrix_norm(a, ord=2)), torch.linalg.svdvals(b).tolist()

    return once


WORKLOADS = {
    "conv-plain-30": (lambda: conv_probe(PlainBlock), 5, "one forward+backward, 30 plain blocks, per-block and per-parameter gradient norms"),
    "conv-residual-30": (lambda: conv_probe(ResidualBlock), 5, "the same with residual blocks"),
    "mlp-hessian-top": (mlp_hessian, 3, "20 power iterations of exact Hessian-vector products"),
    "rnn-lag-256": (rnn_lag, 5, "one BPTT pass, gradient norm at each of 256 steps"),
    "mlp-train-50": (lambda: mlp_train(False), 3, "50 SGD steps, unmonitored"),
    "mlp-train-50-monitored": (lambda: mlp_train(True), 3, "50 SGD steps with per-parameter norms and global-norm clipping"),
    "spectral": (spectral, 5, "spectral norm of 1024x1024 and all singular values of 256x256"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="")
    ap.add_argument("--same-process", action="store_true", help="all workloads in this process (peaks accumulate)")
    ap.add_argument("--scaling", default="", help="KIND:SIZE, one point of bench/scripts/scaling.mjs")
    ap.add_argument("--repeats", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.scaling:
        kind, size = args.scaling.split(":")
        res = measured(SCALING[kind](int(size)), args.repeats or 3)
        json.dump({"peer": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(), **res}, sys.stdout)
        print()
        return
    only = [s for s in args.only.split(",") if s]
    names = [n for n in WORKLOADS if not only or n in only]
    out = {"peer": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(), "workloads": {},
           "memoryMeasured": "one process per workload" if len(names) <= 1 or not args.same_process else
           "all workloads in one process (--same-process): each peak RSS includes the rows before it"}
    for name in names:
        make, repeats, what = WORKLOADS[name]
        if len(names) > 1 and not args.same_process:
            cmd = [sys.executable, os.path.abspath(__file__), "--threads", str(args.threads), "--only", name]
            r = subprocess.run(cmd, stdout=subprocess.PIPE, check=True, text=True)
            out["workloads"][name] = json.loads(r.stdout)["workloads"][name]
            continue
        row = measured(make(), args.repeats or repeats)
        out["workloads"][name] = {**row, "what": what}
        print(f"{name}: {row['seconds']:.4f} s, peak RSS {row['peakRssMiB']:.0f} MiB", file=sys.stderr)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
