"""Benchmark: repgeo.DSA against dsa-metric 2.0.2, one pair and a 10 x 10 all-pairs matrix.

Run in an environment with dsa-metric (not repgeo's own; see tests/data/make_dsa_reference.py):

    /work/venv-dsa/bin/pip install torch==2.13.0 dsa-metric==2.0.2
    PYTHONPATH=src /work/venv-dsa/bin/python benchmarks/bench_dsa.py [--rank 20] [--n-delays 10] [--repeats 3]

Ten systems (T=1000 steps, 3-10 observed dimensions: noisy linear systems, the
Lorenz system in three regimes and Van der Pol, with observation noise), delay
embedding with ``n_delays=10`` and a fixed rank, matched settings on both
sides: no centring, ridge 1e-8 (dsa-metric's default), the angular score.
dsa-metric runs its defaults (1500 Adam steps per component, lr 5e-3,
``torch.manual_seed(0)``); repgeo goes through ``repgeo.pairwise`` (one DMD
per system).  Both run single-threaded in the same process, interleaved;
times are CPU seconds of this process (robust on a shared machine), medians.  Printed: the times, their ratio, and the objective: per
pair, repgeo's angle minus dsa-metric's (negative: repgeo found a better
alignment of the same operators).  Not part of the test run.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import repgeo as rg  # noqa: E402
from repgeo.datasets import lorenz, simulate_linear, stable_dynamics, van_der_pol  # noqa: E402


def systems(rng: np.random.Generator) -> list[np.ndarray]:
    """Ten trajectories of 1000 steps in 3-10 dimensions, each with 5% observation noise."""
    out = []
    for n in (3, 5, 7, 10):
        out.append(simulate_linear(stable_dynamics(n, rng=rng), 1000, noise=0.3, rng=rng))
    for rho, seed in ((28.0, 0), (28.0, 1), (45.0, 2), (100.0, 3)):
        out.append(lorenz(1000, rho=rho, rng=seed))
    out.append(van_der_pol(1000, rng=4))
    out.append(van_der_pol(1000, mu=3.0, rng=5))
    return [X + 0.05 * X.std() * rng.standard_normal(X.shape) for X in out]


def timed(fn):
    """CPU seconds of this process (both sides are single-threaded and serial, so on a shared machine
    this is the robust measure; wall time mixes in the other processes' load)."""
    start = time.process_time()
    value = fn()
    return time.process_time() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rank", type=int, default=20)
    parser.add_argument("--n-delays", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the single pair (each side)")
    parser.add_argument("--skip-matrix", action="store_true", help="only the single pair")
    parser.add_argument("--save", help="write both 10 x 10 matrices to this .npz file")
    args = parser.parse_args()

    import torch
    from DSA import DSA as ReferenceDSA

    from repgeo.dynamics._align import clear_cache

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    reps = systems(rng)
    smallest = min(X.shape[1] for X in reps) * args.n_delays
    if args.rank > smallest:
        parser.error(f"--rank {args.rank} exceeds the smallest embedding width {smallest} "
                     f"(2 features x n_delays={args.n_delays}); raise --n-delays")
    ours = rg.DSA(n_delays=args.n_delays, rank=args.rank, ridge=1e-8, center=False)
    kw = dict(n_delays=args.n_delays, rank=args.rank, lamb=1e-8, score_method="angular", iters=1500, lr=5e-3)

    def theirs(X, Y=None):
        torch.manual_seed(0)
        return ReferenceDSA(X, Y, **kw).fit_score()

    print(f"numpy {np.__version__}, torch {torch.__version__}, dsa-metric 2.0.2, {platform.machine()}, 1 thread")
    print(f"10 systems, T=1000, dims {[X.shape[1] for X in reps]}, n_delays={args.n_delays}, rank={args.rank}")

    # one pair: a noisy linear system against the chaotic Lorenz system (DMD fits included on both sides)
    X, Y = reps[1], reps[4]
    t_ours, t_ref, v_ours, v_ref = [], [], None, None
    for _ in range(args.repeats):
        clear_cache()  # cold: the per-operator frames and preconditioners are computed in each repeat
        dt, v_ours = timed(lambda: ours(X, Y))
        t_ours.append(dt)
        dt, v_ref = timed(lambda: theirs(X, Y))
        t_ref.append(dt)
    a, b = float(np.median(t_ours)), float(np.median(t_ref))
    print(f"\none pair      repgeo {a:8.3f} s   dsa-metric {b:8.2f} s   ratio {b / a:6.1f}x   "
          f"angle repgeo {v_ours:.6f}  dsa-metric {v_ref:.6f}  (diff {v_ours - v_ref:+.2e})")
    if args.skip_matrix:
        return

    t_ref, D_ref = timed(lambda: np.asarray(theirs(reps)))
    clear_cache()
    t_ours, D_ours = timed(lambda: rg.pairwise(reps, ours))
    clear_cache()
    prepared = [ours.prepare(R) for R in reps]
    t_loop, _ = timed(lambda: [ours.compare(prepared[i], prepared[j]) for i in range(10) for j in range(i + 1, 10)])
    if args.save:
        np.savez(args.save, repgeo=D_ours, dsa_metric=D_ref, rank=args.rank, n_delays=args.n_delays)
    iu = np.triu_indices(10, 1)
    diff = D_ours[iu] - D_ref[iu]
    print(f"10x10 matrix  repgeo {t_ours:8.2f} s   dsa-metric {t_ref:8.1f} s   ratio {t_ref / t_ours:6.1f}x   "
          f"(repgeo's pairs alone, cached fits in a plain loop: {t_loop:.2f} s)")
    print(f"objective over 45 pairs: repgeo lower in {int(np.sum(diff < -1e-5))}, equal within 1e-5 in "
          f"{int(np.sum(np.abs(diff) <= 1e-5))}, higher in {int(np.sum(diff > 1e-5))}; "
          f"median diff {np.median(diff):+.2e}, min {diff.min():+.2e}, max {diff.max():+.2e}")

    wass = rg.DSA(n_delays=args.n_delays, rank=args.rank, ridge=1e-8, center=False, score="wasserstein")
    t_w, W_ours = timed(lambda: rg.pairwise(reps, wass))
    torch.manual_seed(0)
    t_wr, W_ref = timed(lambda: np.asarray(ReferenceDSA(reps, **{**kw, "score_method": "wasserstein"}).fit_score()))
    werr = float(np.abs(W_ours[iu] ** 2 - W_ref[iu]).max() / np.abs(W_ref[iu]).max())
    print(f"wasserstein   repgeo {t_w:8.2f} s   dsa-metric {t_wr:8.2f} s   ratio {t_wr / t_w:6.1f}x   "
          f"(repgeo's value squared vs theirs: max relative diff {werr:.1e})")


if __name__ == "__main__":
    main()
