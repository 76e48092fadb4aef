"""Benchmark: repgeo.capacity.mean_field against the reference's per-draw QP algorithm.

Workload: 50 Gaussian manifolds x 50 points x 500 dimensions, n_t = 200,
kappa = 0, compatible mode.  The baseline runs the reference implementation's
algorithm (one general quadratic program per Gaussian draw, solved by cvxopt
with tolerances 1e-12, anchors from the dual multipliers) on the *same* frames
and the *same* Gaussian draws, so the numbers must agree draw for draw; both
timings include the center-correlation step, the frames and the statistics.

With ``--against REV`` the same workload also runs through ``mean_field`` as
it was at git revision ``REV`` (its ``src/repgeo`` is extracted with
``git archive`` into a temporary package), calls interleaved with the current
code, and the ratio of the medians is printed: the check that a change kept
the speed, e.g. ``--against 8c0d029`` (the first pass, before the converging
center step).

Run:  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_capacity.py [--repeats 5] [--against REV]
(cvxopt is needed for the baseline only: ``pip install cvxopt``.)
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from repgeo.capacity import mean_field
from repgeo.capacity._manifolds import rescale_manifolds
from repgeo.capacity.mean_field import prepare_frames, summarise_draws


def baseline(mans, n_t, seed, kappa=0.0):
    """Reference algorithm: per-draw cvxopt QP ``min |v - t|^2 s.t. S^T v <= -kappa``."""
    from cvxopt import matrix, solvers

    solvers.options.update(show_progress=False, abstol=1e-12, reltol=1e-12, feastol=1e-12, maxiters=1000000)
    gen = np.random.default_rng(seed)
    center_gen = np.random.default_rng(gen.integers(2**63 - 1))  # as mean_field: starts first, then draws
    _, frames = prepare_frames(rescale_manifolds([np.asarray(m, float) for m in mans]), "compatible", rng=center_gen)
    t_vecs = [gen.standard_normal((f.shape[0], n_t)) for f in frames]
    anchors = []
    for S, T in zip(frames, t_vecs):
        d, m = S.shape
        P, G, h = matrix(np.eye(d)), matrix(S.T.copy()), matrix(-kappa * np.ones(m))
        best = np.argmax(S[:-1].T @ T[:-1], axis=0)
        s_all = np.empty_like(T)
        for j in range(n_t):
            t = T[:, j]
            if S[:, best[j]] @ t + kappa < 0:  # interior: v = t
                s_all[:, j] = S[:, best[j]]
                continue
            out = solvers.qp(P, matrix(-t), G, h)
            v = np.array(out["x"])[:, 0]
            if np.linalg.norm(v - t) < 1e-8:
                s_all[:, j] = S[:, best[j]]
            else:
                s_all[:, j] = (t - v) / np.array(out["z"]).sum()
        anchors.append(s_all)
    draws = summarise_draws(frames, t_vecs, anchors, kappa, "mean_cos")
    return np.column_stack([draws.column("capacity"), draws.column("radius"), draws.column("dimension")])


def load_revision(rev: str, workdir: str):
    """``repgeo.capacity.mean_field`` as of git revision ``rev``, imported as package ``repgeo_rev``."""
    root = Path(__file__).resolve().parents[1]
    blob = subprocess.run(["git", "-C", str(root), "archive", rev, "src/repgeo"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(workdir, filter="data")
    name = "repgeo_rev"
    os.rename(os.path.join(workdir, "src", "repgeo"), os.path.join(workdir, name))
    sys.path.insert(0, workdir)
    return importlib.import_module(f"{name}.capacity").mean_field


def interleaved(fns, repeats):
    """Median time of each function, the calls alternating (A B, B A, ...) so that load drifts hit both."""
    times = [[] for _ in fns]
    for i in range(repeats):
        order = range(len(fns)) if i % 2 == 0 else reversed(range(len(fns)))
        for j in order:
            t0 = time.perf_counter()
            fns[j]()
            times[j].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline-repeats", type=int, default=1)
    parser.add_argument("--against", metavar="REV", help="also time mean_field as of this git revision, interleaved")
    args = parser.parse_args()
    P, M, N, n_t, seed = 50, 50, 500, 200, 1
    mans = np.random.default_rng(0).standard_normal((P, M, N))
    threads = {k: os.environ.get(k, "unset") for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    print(f"workload: P={P} manifolds x M={M} points x N={N} dims, n_t={n_t}; threads {threads}")

    mean_field(mans, n_t=n_t, rng=seed)  # warm-up
    t_ours, res = timed(lambda: mean_field(mans, n_t=n_t, rng=seed), args.repeats)
    ours = np.column_stack([res.capacities, res.radii, res.dimensions])
    print(f"repgeo mean_field : median {t_ours:.3f} s over {args.repeats} runs")
    print(f"  capacity {res.capacity:.5f} +- {res.capacity_se:.5f}, radius {res.radius:.4f}, "
          f"dimension {res.dimension:.3f}, center correlation {res.center_correlation:.4f}, K={res.n_centers}")
    if args.against:
        with tempfile.TemporaryDirectory() as workdir:
            old_mean_field = load_revision(args.against, workdir)
            old_mean_field(mans, n_t=n_t, rng=seed)  # warm-up
            t_new, t_old = interleaved([lambda: mean_field(mans, n_t=n_t, rng=seed),
                                        lambda: old_mean_field(mans, n_t=n_t, rng=seed)], max(args.repeats, 5))
            old = old_mean_field(mans, n_t=n_t, rng=seed)
        print(f"mean_field at {args.against}: median {t_old:.3f} s; current {t_new:.3f} s "
              f"(interleaved): current / {args.against} = {t_new / t_old:.2f}")
        print(f"  its capacity {old.capacity:.5f} (K={old.n_centers}); relative difference "
              f"{abs(old.capacity - res.capacity) / res.capacity:.1e}")
    try:
        import cvxopt  # noqa: F401
    except ImportError:
        print("baseline skipped: cvxopt is not installed (pip install cvxopt)")
        return
    t_base, ref = timed(lambda: baseline(mans, n_t, seed), args.baseline_repeats)
    rel = np.abs(ours - ref) / np.abs(ref)
    print(f"per-draw cvxopt QP: median {t_base:.3f} s over {args.baseline_repeats} runs")
    print(f"  capacity {1 / np.mean(1 / ref[:, 0]):.5f}, radius {ref[:, 1].mean():.4f}, dimension {ref[:, 2].mean():.3f}")
    print(f"speed-up: {t_base / t_ours:.1f}x")
    print(f"max relative difference per manifold: capacity {rel[:, 0].max():.2e}, "
          f"radius {rel[:, 1].max():.2e}, dimension {rel[:, 2].max():.2e}")


if __name__ == "__main__":
    main()
