"""Write dsa_optimiser_previous.npz: DMD operators of the benchmark systems and the angles the previous
vector-field Procrustes optimiser found for every pair of them.

Run with the repgeo source of commit d8f2b8b (the optimiser before the issue-11 speed work) on the path,
one BLAS thread (numpy 2.4.6, scipy 1.17.1, Python 3.11):

    mkdir /tmp/repgeo-d8f2b8b && git archive d8f2b8b src | tar -x -C /tmp/repgeo-d8f2b8b
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=/tmp/repgeo-d8f2b8b/src python tests/data/make_dsa_optimiser_previous.py

tests/test_dynamics.py::test_no_pair_worse_than_the_previous_optimiser checks that the current optimiser's
angle is never larger (beyond 1e-9) on these pairs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import repgeo as rg
from repgeo.dynamics import align_vector_fields

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_dsa import systems


def main() -> None:
    reps = systems(np.random.default_rng(0))
    out = {}
    for rank, n_delays in ((10, 10), (20, 10), (30, 15)):
        model = rg.DSA(n_delays=n_delays, rank=rank, ridge=1e-8, center=False)
        ops = np.stack([model.prepare(X).operator for X in reps])
        iu = np.triu_indices(len(ops), 1)
        out[f"operators_{rank}"] = ops
        out[f"angles_{rank}"] = np.array([align_vector_fields(ops[i], ops[j]).angular for i, j in zip(*iu)])
    np.savez_compressed(Path(__file__).with_name("dsa_optimiser_previous.npz"), **out)


if __name__ == "__main__":
    main()
