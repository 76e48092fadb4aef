"""Benchmark: Jacobians of two networks at many points, batched by a memory budget or all at once.

Run ``PYTHONPATH=src python benchmarks/bench_jacobians.py [--n-mlp 100000] [--n-wide 20000] [--repeats 3]``.

Two networks, float64, random weights:

* ``mlp``: 2-64-64-1 with tanh, Jacobians ``(n, 1, 2)`` (auto picks forward mode);
* ``wide``: 784-256-10 with ReLU, Jacobians ``(n, 10, 784)`` (auto picks reverse
  mode); the result alone is ``n * 62.7 kB``, 6.3 GB at 10^5 points.

Rows: ``repgeo`` is :func:`repgeo.riemann.jacobians` with its default memory
budget; ``one vmap`` is the plain ``torch.func.vmap(jacfwd/jacrev)`` over all
points at once (under ``no_grad``), the strongest simple baseline.  Each
measurement runs in a fresh process, so that its peak memory (``ru_maxrss``
above the warmed-up process; on a GPU, ``max_memory_allocated``) is its own;
the rows are interleaved and medians of ``--repeats`` runs are printed, with
points per second, the ratio to ``one vmap`` and the largest difference from
a per-point ``torch.autograd.functional.jacobian`` on 20 points.  torch uses
one thread.  Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")


def worker(net_name: str, method: str, device: str, n: int) -> None:
    import resource
    import time

    import numpy as np
    import torch

    from repgeo.riemann import jacobians

    torch.set_num_threads(1)
    torch.manual_seed(0)
    nn = torch.nn
    if net_name == "mlp":
        net, m = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)), 2
    else:
        net, m = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)), 784
    net = net.double().to(device)
    U = torch.as_tensor(np.random.default_rng(0).uniform(-1, 1, (n, m)), device=device)

    def run(u):
        if method == "repgeo":
            return jacobians(net, u)
        jac = torch.func.jacfwd(net) if net_name == "mlp" else torch.func.jacrev(net)
        with torch.no_grad():
            return torch.func.vmap(jac)(u)

    run(U[:10])  # warm up
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    J = run(U)
    if device == "cuda":
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    seconds = time.perf_counter() - start
    idx = np.random.default_rng(1).choice(n, 20, replace=False)
    direct = torch.stack([torch.autograd.functional.jacobian(net, U[i]) for i in idx])
    err = float((J[idx] - direct).abs().max())
    print(seconds, peak, err)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-mlp", type=int, default=100_000)
    parser.add_argument("--n-wide", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--devices", nargs="+", default=None, help="default: cpu, and cuda when available")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        net, method, device, n = args.worker
        worker(net, method, device, int(n))
        return
    import numpy as np
    import torch

    devices = args.devices or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, one thread, median of {args.repeats} interleaved runs, a fresh process each")
    print(f"{'network':<8} {'device':<6} {'points':>7} {'path':<8} {'time [s]':>9} {'points/s':>10} "
          f"{'vs one vmap':>11} {'peak [MiB]':>10} {'max err':>8}")
    for device in devices:
        for net, n in (("mlp", args.n_mlp), ("wide", args.n_wide)):
            runs: dict[str, list[tuple[float, float, float]]] = {"repgeo": [], "one vmap": []}
            for _ in range(args.repeats):
                for method in runs:
                    cmd = [sys.executable, __file__, "--worker", net, method.replace("one vmap", "vmap"), device, str(n)]
                    out = subprocess.run(cmd, capture_output=True, text=True)
                    if out.returncode:
                        runs[method].append((np.nan, np.nan, np.nan))  # out of memory, most likely
                        continue
                    runs[method].append(tuple(float(x) for x in out.stdout.split()))
            base = float(np.median([r[0] for r in runs["one vmap"]]))
            for method, rs in runs.items():
                t, peak, err = (float(np.median([r[k] for r in rs])) for k in range(3))
                print(f"{net:<8} {device:<6} {n:>7} {method:<8} {t:>9.2f} {n / t:>10.0f} {t / base:>10.2f}x "
                      f"{peak / 2**20:>10.0f} {err:>8.1e}", flush=True)


if __name__ == "__main__":
    main()
