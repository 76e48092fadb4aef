"""PermutationMetric against brute force over all permutations (with zero padding)."""

import itertools

import numpy as np
import pytest

import repgeo as rg


def brute_force(X, Y, angular):
    p = max(X.shape[1], Y.shape[1])
    pad = lambda A: np.hstack([A - A.mean(0), np.zeros((len(A), p - A.shape[1]))])  # noqa: E731
    A, B = pad(X), pad(Y)
    if angular:
        A, B = A / np.linalg.norm(A), B / np.linalg.norm(B)
    best = max(np.sum(A * B[:, list(perm)]) for perm in itertools.permutations(range(p)))
    if angular:
        return np.arccos(np.clip(best, -1, 1))
    return np.sqrt(max(np.sum(A**2) + np.sum(B**2) - 2 * best, 0))


@pytest.mark.parametrize("widths", [(4, 4), (5, 3), (2, 5)])
@pytest.mark.parametrize("score", ["angular", "euclidean"])
def test_matches_brute_force(widths, score):
    rng = np.random.default_rng(sum(widths))
    X = rng.standard_normal((25, widths[0]))
    Y = rng.standard_normal((25, widths[1]))
    Y[:, 0] += 2 * X[:, -1]
    got = rg.PermutationMetric(score=score)(X, Y)
    assert got == pytest.approx(brute_force(X, Y, score == "angular"), rel=1e-10, abs=1e-12)


def test_never_below_procrustes():
    rng = np.random.default_rng(0)
    for _ in range(10):
        X, Y = rng.standard_normal((30, 5)), rng.standard_normal((30, 5))
        assert rg.PermutationMetric()(X, Y) >= rg.ShapeMetric()(X, Y) - 1e-12
