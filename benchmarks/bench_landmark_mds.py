"""Landmark MDS against full classical MDS on K = 300 representations (issue 14).

For families of representations whose shapes vary along ``dim`` latent
parameters (a base 40 x 6 representation times ``I + sum_i t_i G_i`` plus
noise), all 300 x 300 Procrustes angular distances are computed with
``repgeo.pairwise`` and embedded by classical MDS; the landmark embedding
uses only the L x 300 distances from ``landmark_distances`` (max-min).  The
distortion is the Spearman correlation of all pairwise distances of the two
2-D embeddings, and of each embedding with the original distances.

Run: ``OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_landmark_mds.py [n_seeds]``
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.spatial.distance import pdist, squareform
from scipy.stats import spearmanr

import repgeo as rg
from repgeo.embed import classical_mds, landmark_distances, landmark_mds


def family(K: int, seed: int, dim: int, noise: float = 0.05) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((40, 6))
    gens = [rng.standard_normal((6, 6)) / 3 for _ in range(dim)]
    return [base @ (np.eye(6) + sum(t * G for t, G in zip(rng.uniform(0, 1, dim), gens)))
            + noise * rng.standard_normal((40, 6)) for _ in range(K)]


def distortion(reps, measure, D, L, seed):
    """(rho(landmark, classical), rho(landmark, D), rho(classical, D), seconds for landmarks, for full)."""
    dfull = pdist(classical_mds(D, 2).coords)
    t0 = time.perf_counter()
    ld = landmark_distances(reps, measure, n_landmarks=L, rng=seed)
    emb = landmark_mds(ld.distances, ld.landmarks, 2)
    t1 = time.perf_counter()
    dl, dorig = pdist(emb.coords), squareform(D, checks=False)
    return (spearmanr(dl, dfull).statistic, spearmanr(dl, dorig).statistic, spearmanr(dfull, dorig).statistic, t1 - t0)


def main(n_seeds: int = 10) -> None:
    measure = rg.ShapeMetric(alpha=1.0, score="angular")
    for dim in (2, 4):
        rows = {L: [] for L in (10, 20, 40)}
        full_times = []
        for seed in range(n_seeds):
            reps = family(300, seed, dim)
            t0 = time.perf_counter()
            D = rg.pairwise(reps, measure, n_jobs=1)
            D = (D + D.T) / 2
            np.fill_diagonal(D, 0.0)
            classical_mds(D, 2)
            full_times.append(time.perf_counter() - t0)
            for L in rows:
                rows[L].append(distortion(reps, measure, D, L, seed))
        for L, v in rows.items():
            v = np.array(v)
            print(
                f"dim={dim} K=300 L={L:2d}: rho(landmark, classical) mean {v[:, 0].mean():.4f} "
                f"(sd {v[:, 0].std(ddof=1):.4f}, min {v[:, 0].min():.4f}); rho(landmark, D) {v[:, 1].mean():.4f}; "
                f"rho(classical, D) {v[:, 2].mean():.4f}; time landmark/full "
                f"{np.median(v[:, 3]) / np.median(full_times):.2f}"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
