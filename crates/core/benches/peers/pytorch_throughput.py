"""PyTorch on the same recipe as `cargo bench -p actscope-core --bench throughput`, for a same-machine comparison.

Not run by the test suite; needs `pip install torch`. One thread, float32, plain SGD lr 0.1, Linear(no bias) ->
BatchNorm1d -> sigmoid hidden blocks, softmax cross-entropy, random in-memory data; median of 7 timed runs after
one warm-up, as the Rust bench does.
"""
import statistics
import time

import torch

torch.set_num_threads(1)
RUNS = 7


def net(widths):
    layers = []
    for a, b in zip(widths[:-2], widths[1:-1]):
        layers += [torch.nn.Linear(a, b, bias=False), torch.nn.BatchNorm1d(b), torch.nn.Sigmoid()]
    layers.append(torch.nn.Linear(widths[-2], widths[-1]))
    return torch.nn.Sequential(*layers)


def train_case(name, widths, batch, steps):
    g = torch.Generator().manual_seed(1)
    n = batch * 50
    x = torch.randn(n, widths[0], generator=g)
    y = torch.tensor([(i * 7 + i // 3) % widths[-1] for i in range(n)])

    def run():
        model = net(widths)
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loss_fn = torch.nn.CrossEntropyLoss()
        t = time.perf_counter()
        for s in range(steps):
            i = (s % 50) * batch
            opt.zero_grad(set_to_none=False)
            loss = loss_fn(model(x[i : i + batch]), y[i : i + batch])
            loss.backward()
            opt.step()
        return time.perf_counter() - t

    run()
    secs = statistics.median(run() for _ in range(RUNS))
    per_step = secs / steps
    print(f"{name:<44} {batch / per_step:>12.0f} {per_step * 1e3:>9.3f}")


def eval_case(widths, batch, reps):
    x = torch.randn(batch, widths[0])
    model = net(widths).eval()
    with torch.inference_mode():
        model(x)

        def run():
            t = time.perf_counter()
            for _ in range(reps):
                model(x)
            return time.perf_counter() - t

        secs = statistics.median(run() for _ in range(RUNS))
    print(f"{'eval forward, BN paper net, batch ' + str(batch):<44} {batch * reps / secs:>12.0f} {secs / reps * 1e3:>9.3f}")


def gemm_case(n):
    a, b = torch.full((n, n), 0.5), torch.full((n, n), 0.25)
    a @ b

    def run():
        t = time.perf_counter()
        a @ b
        return time.perf_counter() - t

    print(f"large GEMM {n}^3 f32: {2 * n**3 / statistics.median(run() for _ in range(RUNS)) / 1e9:.1f} GFLOP/s")


if __name__ == "__main__":
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    gemm_case(1024)
    print(f"{'case':<44} {'samples/s':>12} {'ms/step':>9}")
    train_case("(a) 784-100x3-10, b60, sigmoid, BN before", [784, 100, 100, 100, 10], 60, 2000)
    train_case("(b) 784-512x8-10, b256, sigmoid, BN before", [784] + [512] * 8 + [10], 256, 60)
    eval_case([784, 100, 100, 100, 10], 1000, 200)
