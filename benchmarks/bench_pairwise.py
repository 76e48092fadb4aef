"""All-pairs Procrustes: repgeo's engine against a plain per-pair loop, in one run.

The baseline is what users write by hand: for every pair, centre both
matrices, scale them to unit norm, fit scipy.linalg.orthogonal_procrustes and
take the angle.  repgeo prepares each representation once and batches the
per-pair SVDs.  Both produce the same matrix (the script checks it).

    python benchmarks/bench_pairwise.py            # 60 x (2000 x 200), the issue's setting
    python benchmarks/bench_pairwise.py --k 20     # quicker
    python benchmarks/bench_pairwise.py --netrep /path/to/netrep/checkout   # also time netrep

With ``--netrep`` the script also times the reference implementation,
``netrep.metrics.LinearMetric(alpha=1).pairwise_distances(reps, processes=2)``
(netrep is not on PyPI; point at a source checkout).

Prints wall times (median of --repeats runs for the engine) and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import scipy.linalg

import repgeo as rg


def baseline_loop(reps: list[np.ndarray]) -> np.ndarray:
    K = len(reps)
    D = np.zeros((K, K))
    for i in range(K):
        for j in range(i + 1, K):
            X = reps[i] - reps[i].mean(axis=0)
            Y = reps[j] - reps[j].mean(axis=0)
            X /= np.linalg.norm(X)
            Y /= np.linalg.norm(Y)
            R, _ = scipy.linalg.orthogonal_procrustes(Y, X)
            D[i, j] = D[j, i] = np.arccos(np.clip(np.sum(X * (Y @ R)), -1.0, 1.0))
    return D


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=60, help="number of representations")
    parser.add_argument("--n", type=int, default=2000, help="samples")
    parser.add_argument("--p", type=int, default=200, help="units")
    parser.add_argument("--repeats", type=int, default=3, help="engine repeats (median reported)")
    parser.add_argument("--netrep", help="path of a netrep source checkout, to time it too")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    reps = [rng.standard_normal((args.n, args.p)) @ rng.standard_normal((args.p, args.p)) for _ in range(args.k)]
    pairs = args.k * (args.k - 1) // 2
    print(f"{args.k} representations of {args.n} x {args.p}: {pairs} pairs, angular Procrustes")

    t_loop, D_loop = timed(baseline_loop, reps)
    print(f"plain per-pair loop (scipy orthogonal_procrustes): {t_loop:8.2f} s  ({1e3 * t_loop / pairs:.1f} ms/pair)")

    if args.netrep:
        import sys

        sys.path.insert(0, args.netrep)
        from netrep.metrics import LinearMetric

        metric = LinearMetric(alpha=1.0, score_method="angular")
        t_netrep, (D_netrep, _) = timed(metric.pairwise_distances, reps, processes=2, verbose=False)
        err = float(np.abs(D_netrep - D_loop).max())
        print(f"netrep LinearMetric.pairwise_distances(processes=2): {t_netrep:8.2f} s; max |difference| {err:.1e}")

    results = {}
    for n_jobs in (1, 2):
        runs = []
        for _ in range(args.repeats):
            t, D = timed(rg.pairwise, reps, "procrustes", n_jobs=n_jobs)
            runs.append(t)
        err = float(np.abs(D - D_loop).max())
        results[n_jobs] = statistics.median(runs)
        print(
            f"repgeo.pairwise n_jobs={n_jobs}: {results[n_jobs]:8.2f} s median of {args.repeats} "
            f"(runs {', '.join(f'{r:.2f}' for r in runs)}); max |difference| from the loop {err:.1e}"
        )
    for n_jobs, t in results.items():
        print(f"ratio loop / engine (n_jobs={n_jobs}): {t_loop / t:.1f}x")
        if args.netrep:
            print(f"ratio netrep / engine (n_jobs={n_jobs}): {t_netrep / t:.1f}x")


if __name__ == "__main__":
    main()
