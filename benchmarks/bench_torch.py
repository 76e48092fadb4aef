"""Benchmark: NumPy against the torch backend (CPU, and CUDA when a GPU is present), in one run.

Run ``PYTHONPATH=src python benchmarks/bench_torch.py [--k 20 --n 2000 --p 200] [--threads 1] [--repeats 3]``.

Two workloads, each computed every way available on this machine:

1. **All pairs** of ``--k`` representations of ``--n x --p`` (Procrustes by
   default; ``--measures procrustes,cca,linear_cka,rsa`` for more):

   * ``numpy engine``: ``repgeo.pairwise`` on arrays (its block path: one GEMM
     per chunk, batched LAPACK SVDs);
   * ``numpy cached loop``: every representation prepared once, then a serial
     loop of ``compare`` over the pairs (the strongest plain baseline);
   * ``torch cpu engine`` / ``torch cuda engine``: ``repgeo.pairwise`` on
     float64 tensors already on the device (as activations captured there
     are); the result comes back as a NumPy matrix, so the GPU has finished.

2. **MSA batched eigenvalues**: ``repgeo.riemann.spectral_ratio`` of
   ``--points`` pairs of ``m x m`` SPD metric tensors (the generalised
   eigenvalues of every point), NumPy against repgeo's torch path on each
   device (tensors made on the device before timing; values brought back).

BLAS and torch use ``--threads`` threads (default 1, so that CPU ratios are
algorithmic, not a count of cores).  The paths are interleaved, each is run
once untimed first (CUDA context, cuSOLVER handles), and the median of
``--repeats`` runs is reported with each path's speed-up over the **faster**
NumPy path (>1 means faster than NumPy) and its largest difference from the
NumPy engine's values.  Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

_threads = next((a.split("=")[1] for a in sys.argv if a.startswith("--threads=")), None)
if _threads is None and "--threads" in sys.argv:
    _threads = sys.argv[sys.argv.index("--threads") + 1]
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _threads or "1")

import numpy as np  # noqa: E402

import repgeo as rg  # noqa: E402
from repgeo.riemann import spectral_ratio  # noqa: E402


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def cached_loop(reps: list, measure) -> np.ndarray:
    prepared = [measure.prepare(x) for x in reps]
    K = len(reps)
    D = np.zeros((K, K))
    if measure.info.identity_value is not None:
        np.fill_diagonal(D, measure.info.identity_value)
    else:
        D[np.diag_indices(K)] = [measure.compare(p, p) for p in prepared]
    for i in range(K):
        for j in range(i + 1, K):
            D[i, j] = D[j, i] = measure.compare(prepared[i], prepared[j])
    return D


def run_paths(title: str, paths: dict, repeats: int, baselines: tuple[str, ...]) -> None:
    """Warm up every path, time them interleaved, print medians, speed-ups and differences."""
    reference = None
    for name, fn in paths.items():  # untimed: imports, CUDA context, solver handles
        out = np.asarray(fn())
        reference = out if reference is None else reference
    times: dict[str, list[float]] = {name: [] for name in paths}
    outputs: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for name, fn in paths.items():
            t, out = timed(fn)
            times[name].append(t)
            outputs[name] = np.asarray(out)
    medians = {name: float(np.median(ts)) for name, ts in times.items()}
    best = min(medians[b] for b in baselines)
    print(f"\n{title}")
    print(f"  {'path':<22}{'median s':>10}{'vs best numpy':>16}{'max |diff|':>13}")
    for name, med in medians.items():
        diff = float(np.nanmax(np.abs(outputs[name] - reference)))
        print(f"  {name:<22}{med:>10.3f}{best / med:>15.2f}x{diff:>13.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=20, help="representations in the all-pairs run")
    parser.add_argument("--n", type=int, default=2000, help="samples per representation")
    parser.add_argument("--p", type=int, default=200, help="features per representation")
    parser.add_argument("--measures", default="procrustes", help="comma-separated registry names")
    parser.add_argument("--points", type=int, default=100_000, help="MSA: metric tensors per field")
    parser.add_argument("--m", type=int, default=8, help="MSA: size of each metric tensor")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    print(f"numpy {np.__version__}, torch {torch.__version__}, {platform.machine()}, {gpu}, {args.threads} thread(s)")

    rng = np.random.default_rng(0)
    base = rng.standard_normal((args.n, args.p))
    reps = [np.tanh(base @ rng.standard_normal((args.p, args.p)) / np.sqrt(args.p)) + 0.1 * rng.standard_normal((args.n, args.p))
            for _ in range(args.k)]
    for name in args.measures.split(","):
        measure = rg.get_measure(name)
        paths = {
            "numpy engine": lambda: rg.pairwise(reps, measure),
            "numpy cached loop": lambda: cached_loop(reps, measure),
        }
        for device in devices:
            tensors = [torch.from_numpy(r).to(device) for r in reps]
            paths[f"torch {device} engine"] = lambda tensors=tensors: rg.pairwise(tensors, measure)
        run_paths(f"all pairs: {name}, K={args.k} of {args.n}x{args.p}", paths, args.repeats,
                  ("numpy engine", "numpy cached loop"))

    def spd(count: int) -> np.ndarray:
        A = rng.standard_normal((count, args.m + 4, args.m))
        return A.swapaxes(-1, -2) @ A

    G1, G2 = spd(args.points), spd(args.points)
    paths = {"numpy": lambda: spectral_ratio(G1, G2)}
    for device in devices:
        T1, T2 = torch.from_numpy(G1).to(device), torch.from_numpy(G2).to(device)
        paths[f"torch {device}"] = lambda T1=T1, T2=T2: spectral_ratio(T1, T2).cpu().numpy()
    run_paths(f"MSA batched eigenvalues: spectral_ratio of {args.points} pairs of {args.m}x{args.m}", paths,
              args.repeats, ("numpy",))


if __name__ == "__main__":
    main()
