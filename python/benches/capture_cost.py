"""Cost of one capture per checkpoint: a 784 -> 3 x 512 -> 10 MLP, BatchNorm before sigmoid, probe batch of
1,000 (actscope's default probe set size), f32.

    python python/benches/capture_cost.py [--device cuda] [--rounds 20] [--out DIR]

Prints the median and quartiles of the time per capture (probe pass, copy to the host, file write), of the
probe pass alone, and of one training step of batch 60 for scale, each after warm-up rounds; interleaves
the measurements so a busy machine slows them alike. Wall time and the process's CPU time (all threads) are
both shown: on a shared machine the CPU time is the stable one. Random data: the cost does not depend on
the values.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from actscope.torch import Monitor


def model(width: int = 512, depth: int = 3) -> nn.Sequential:
    layers, fan_in = [], 784
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width, bias=False), nn.BatchNorm1d(width), nn.Sigmoid()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, 10))


def quartiles(pairs):
    def one(xs):
        q = statistics.quantiles(xs, n=4)
        return f"{statistics.median(xs) * 1e3:8.1f} ms ({q[0] * 1e3:.1f} – {q[2] * 1e3:.1f})"

    return f"wall {one([w for w, _ in pairs])}   CPU {one([c for _, c in pairs])}"


def timed(f):
    """(wall, CPU) seconds of f()."""
    w, c = time.perf_counter(), time.process_time()
    f()
    return time.perf_counter() - w, time.process_time() - c


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--out", default=None, help="capture directory (default: a temporary one)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    net = model().to(device)
    x, y = torch.randn(1000, 784), torch.randint(0, 10, (1000,))
    xb, yb = torch.randn(60, 784, device=device), torch.randint(0, 10, (60,), device=device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    out = Path(args.out or tempfile.mkdtemp(prefix="actscope-capture-cost-"))
    mon = Monitor(net, (x, y), out_dir=out, model_name="mlp-3x512", seed=0, existing="replace")

    def capture(step):
        sync(device)
        mon.capture(step)
        sync(device)

    def probe_pass():
        sync(device)
        mon._probe_pass()
        sync(device)

    def train_step():
        sync(device)
        loss = nn.functional.cross_entropy(net(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync(device)

    caps, passes, steps = [], [], []
    for r in range(args.warmup + args.rounds):
        c, p, s = timed(lambda: capture(r)), timed(probe_pass), timed(train_step)
        if r >= args.warmup:
            caps.append(c)
            passes.append(p)
            steps.append(s)
    size = mon.paths[-1].stat().st_size
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"{args.rounds} rounds after {args.warmup} warm-ups; capture file {size / 1e6:.1f} MB")
    print("median (quartiles)")
    print(f"capture (probe pass + host copy + write): {quartiles(caps)}")
    print(f"probe pass alone (forward + backward):    {quartiles(passes)}")
    print(f"one training step, batch 60:              {quartiles(steps)}")
    if args.out is None:
        for p in out.iterdir():
            p.unlink()
        out.rmdir()


if __name__ == "__main__":
    main()
