"""Benchmark: GLUE's batched active-set solver on the shared Gram matrix against one scipy NNLS per draw.

Workload (the issue's size): 50 manifolds x 50 points x 500 dimensions, n_t = 200,
kappa = 0.  ``separable``: Gaussian clouds around centers three times their
spread (random dichotomies are separable, the regime GLUE is meant for);
``saturated``: plain Gaussian clouds, whose dichotomies are not separable in 500
dimensions (every draw has t inside the cone; the estimate sits at P / rank and
GLUE warns).  Both paths run inside ``repgeo.capacity.glue`` on the same draws
(``solver="active_set"`` and ``solver="scipy"``), including the Gram factor, the
separability certificates and the geometry, so the results must agree to
rounding; the script prints the largest relative difference.  One BLAS thread;
the two solvers alternate and medians are reported.

Run:  PYTHONPATH=src python benchmarks/bench_glue.py [--repeats 3] [--saturated-draws 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from repgeo.capacity import CapacitySaturationWarning, glue

FIELDS = ("capacity", "radius", "dimension", "utility", "center_alignment", "axis_alignment")


def workload(kind: str, P: int = 50, M: int = 50, N: int = 500) -> np.ndarray:
    gen = np.random.default_rng(0)
    spread = gen.standard_normal((P, M, N))
    return spread + (3.0 * gen.standard_normal((P, 1, N)) if kind == "separable" else 0.0)


def run(data: np.ndarray, n_t: int, solver: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapacitySaturationWarning)
        t0 = time.perf_counter()
        res = glue(data, n_t=n_t, rng=1, solver=solver)
        return time.perf_counter() - t0, res


def compare(kind: str, n_t: int, repeats: int) -> None:
    data = workload(kind)
    fast_times, scipy_times = [], []
    fast = ref = None
    for _ in range(repeats):  # alternate the two solvers
        t, fast = run(data, n_t, "active_set")
        fast_times.append(t)
        t, ref = run(data, n_t, "scipy")
        scipy_times.append(t)
    rel = max(abs(getattr(fast, f) - getattr(ref, f)) / max(abs(getattr(ref, f)), 1e-300) for f in FIELDS
              if np.isfinite(getattr(ref, f)))
    t_fast, t_ref = statistics.median(fast_times), statistics.median(scipy_times)
    print(f"{kind}: 50 x 50 x 500, n_t={n_t}; non-separable share {ref.nonseparable_fraction:.2f}; "
          f"capacity {fast.capacity:.4f} +- {fast.capacity_se:.4f}, radius {fast.radius:.3f}, "
          f"dimension {fast.dimension:.3f}")
    print(f"  active set (shared Gram): median {t_fast:.2f} s ({fast.n_fallback} draws fell back to scipy)")
    print(f"  scipy nnls per draw     : median {t_ref:.2f} s")
    print(f"  speed-up {t_ref / t_fast:.1f}x; largest relative difference of the results {rel:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--saturated-draws", type=int, default=20,
                        help="draws of the saturated workload (every one costs two per-draw NNLS solves)")
    args = parser.parse_args()
    with threadpool_limits(1):
        compare("separable", 200, args.repeats)
        compare("saturated", args.saturated_draws, max(1, args.repeats - 2))


if __name__ == "__main__":
    main()
