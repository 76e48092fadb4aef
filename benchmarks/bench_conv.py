"""Convolutional shape metric: FFT over shifts against per-shift loops, in one run.

Compared, on the same pair of conv activations (default n=200 images, 8 x 8, c=64):

- ``netrep-algorithm``: what ``netrep.conv_layers.convolve_metric`` does, written out in numpy:
  for every circular shift, roll, flatten, centre, (partially) whiten, SVD the cross-product,
  transform both and take the angle; the minimum over the grid.
- ``cached-loop``: the strongest plain loop: prepare (centre, whiten, normalise) each layer
  once, then per shift only roll, one cross-product and its singular values.
- ``repgeo``: ``ConvShapeMetric(alpha)(X, Y)`` (prepare both, FFT correlation, batched SVD,
  exact recomputation of the best shift); ``repgeo-compare`` times the per-pair part alone.

With ``--netrep PATH`` (a source checkout; netrep is not on PyPI) the real ``convolve_metric``
is timed too.  BLAS runs single-threaded (threadpoolctl); methods are interleaved and the
median of ``--repeats`` runs is reported, with ratios for a single call and per pair.

    python benchmarks/bench_conv.py
    python benchmarks/bench_conv.py --alpha 0.5 --repeats 5
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

import repgeo as rg


def netrep_algorithm(X: np.ndarray, Y: np.ndarray, alpha: float) -> float:
    _, h, w, c = X.shape
    Yf = Y.reshape(-1, c)
    best = np.inf
    for i, j in itertools.product(range(h), range(w)):
        Xf = np.roll(X, (i - h // 2, j - w // 2), axis=(1, 2)).reshape(-1, c)
        A, B = Xf - Xf.mean(0), Yf - Yf.mean(0)
        if alpha < 1:
            A, B = _whiten(A, alpha), _whiten(B, alpha)
        U, _, Vt = np.linalg.svd(A.T @ B)
        TA, TB = A @ U, B @ Vt.T
        cos = np.sum(TA * TB) / (np.linalg.norm(TA) * np.linalg.norm(TB))
        best = min(best, float(np.arccos(np.clip(cos, -1, 1))))
    return best


def _whiten(A: np.ndarray, alpha: float) -> np.ndarray:
    lam, V = np.linalg.eigh(A.T @ A)
    lam = np.maximum(lam, 1e-7)
    return A @ ((V * (alpha + (1 - alpha) / np.sqrt(lam))) @ V.T)


def cached_prepare(X: np.ndarray, alpha: float) -> np.ndarray:
    return rg.ShapeMetric(alpha=alpha).prepare(X.reshape(-1, X.shape[-1])).coords.reshape(*X.shape[:3], -1)


def cached_loop(X: np.ndarray, Y: np.ndarray, alpha: float) -> float:
    return cached_compare(cached_prepare(X, alpha), cached_prepare(Y, alpha))


def cached_compare(a: np.ndarray, b: np.ndarray) -> float:
    n, h, w, _ = a.shape
    a = a.reshape(n * h * w, -1)
    best = -np.inf
    for i, j in itertools.product(range(h), range(w)):
        cross = a.T @ np.roll(b, (i, j), axis=(1, 2)).reshape(n * h * w, -1)
        best = max(best, float(np.linalg.svd(cross, compute_uv=False).sum()))
    return float(np.arccos(min(best, 1.0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--hw", type=int, default=8)
    parser.add_argument("--c", type=int, default=64)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--netrep", help="path of a netrep source checkout, to time convolve_metric too")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n, args.hw, args.hw, args.c))
    Y = np.roll(X, (2, 3), axis=(1, 2)) @ rng.standard_normal((args.c, args.c)) + rng.standard_normal(X.shape)
    measure = rg.ConvShapeMetric(alpha=args.alpha)
    a, b = measure.prepare(X), measure.prepare(Y)
    ca, cb = cached_prepare(X, args.alpha), cached_prepare(Y, args.alpha)
    methods = {
        "netrep-algorithm": lambda: netrep_algorithm(X, Y, args.alpha),
        "cached-loop": lambda: cached_loop(X, Y, args.alpha),
        "repgeo": lambda: measure(X, Y),
        "cached-loop-compare": lambda: cached_compare(ca, cb),
        "repgeo-compare": lambda: measure.compare(a, b),
    }
    if args.netrep:
        sys.path.insert(0, args.netrep)
        from netrep.conv_layers import convolve_metric
        from netrep.metrics import LinearMetric

        methods["netrep"] = lambda: float(convolve_metric(LinearMetric(alpha=args.alpha), X, Y).min())

    times: dict[str, list[float]] = {k: [] for k in methods}
    values: dict[str, float] = {}
    with threadpool_limits(limits=1):
        for _ in range(args.repeats):
            for name, fn in methods.items():  # interleaved
                t0 = time.perf_counter()
                values[name] = fn()
                times[name].append(time.perf_counter() - t0)

    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"n={args.n}, {args.hw}x{args.hw}, c={args.c}, alpha={args.alpha}, BLAS threads=1, "
          f"median of {args.repeats}")
    print(f"{'method':20s} {'median s':>10s}  value")
    for name in methods:
        print(f"{name:20s} {med[name]:10.4f}  {values[name]:.12f}")
    print("one pair, both layers prepared inside the call:")
    for name in [k for k in ("netrep", "netrep-algorithm", "cached-loop") if k in med]:
        print(f"  {name} / repgeo = {med[name] / med['repgeo']:.1f}x")
    print("per pair with each layer prepared once (what pairwise pays per pair):")
    for name in [k for k in ("netrep", "netrep-algorithm", "cached-loop-compare") if k in med]:
        print(f"  {name} / repgeo-compare = {med[name] / med['repgeo-compare']:.1f}x")
    spread = max(values.values()) - min(values.values())
    print(f"largest disagreement between methods: {spread:.2e}")
    if 0 < args.alpha < 1:
        print("(at 0 < alpha < 1 netrep whitens with the raw X^T X, repgeo with normalised eigenvalues: the netrep "
              "rows differ by that convention, ShapeMetric(convention='netrep'); the timing comparison stands)")


if __name__ == "__main__":
    main()
