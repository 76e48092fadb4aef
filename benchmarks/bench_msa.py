"""Benchmark: batched spectral-ratio distance vs a per-point ``scipy.linalg.eigh`` loop.

Run ``PYTHONPATH=src python benchmarks/bench_msa.py [--n-points 100000] [--repeats 3]``.
Both paths compute ``d_SR = 1 - sqrt(lambda_min / lambda_max)`` of the
generalised eigenvalues of the same metric tensors, in the same process; the
script checks that they agree and prints median wall times and their ratio.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import scipy
import scipy.linalg

from repgeo.riemann import spectral_ratio


def per_point_loop(G1: np.ndarray, G2: np.ndarray) -> np.ndarray:
    out = np.empty(len(G1))
    for i in range(len(G1)):
        lam = scipy.linalg.eigh(G1[i], G2[i], eigvals_only=True)
        out[i] = 1.0 - np.sqrt(lam[0] / lam[-1])
    return out


def median_time(fn, repeats: int) -> tuple[float, np.ndarray]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-points", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 8, 16])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, {platform.processor() or platform.machine()}")
    print(f"{args.n_points} points, median of {args.repeats} runs")
    print(f"{'m':>3} {'batched [s]':>12} {'loop [s]':>10} {'ratio':>8} {'max |diff|':>11}")
    for m in args.dims:
        J1 = rng.standard_normal((args.n_points, m + 4, m))
        J2 = rng.standard_normal((args.n_points, m + 4, m))
        G1 = np.einsum("pia,pib->pab", J1, J1)
        G2 = np.einsum("pia,pib->pab", J2, J2)
        t_batch, d_batch = median_time(lambda: spectral_ratio(G1, G2), args.repeats)
        t_loop, d_loop = median_time(lambda: per_point_loop(G1, G2), args.repeats)
        diff = float(np.abs(d_batch - d_loop).max())
        print(f"{m:>3} {t_batch:>12.3f} {t_loop:>10.2f} {t_loop / t_batch:>7.1f}x {diff:>11.1e}")


if __name__ == "__main__":
    main()
