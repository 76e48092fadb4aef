"""Barycentres and tangent embeddings of many networks."""

import numpy as np
import pytest
from scipy.stats import ortho_group, spearmanr
from scipy.spatial.distance import pdist

import repgeo as rg
from repgeo import ConvergenceWarning


def rotated_noisy_copies(rng, X, K, noise):
    p = X.shape[1]
    return [X @ ortho_group.rvs(p, random_state=rng) + noise * X.std() * rng.standard_normal(X.shape) for _ in range(K)]


@pytest.mark.parametrize("score,alpha", [("angular", 1.0), ("euclidean", 1.0), ("angular", 0.3)])
def test_exact_copies_give_the_representation(score, alpha):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5)) @ rng.standard_normal((5, 5))
    bary = rg.shape_space.barycenter(rotated_noisy_copies(rng, X, 6, 0.0), alpha=alpha, score=score)
    assert bary.converged
    Xw = rg.ShapeMetric(alpha=alpha, score=score).prepare(X)
    Xw = Xw.coords * (1.0 if score == "angular" else Xw.norm)
    assert rg.ShapeMetric(score=score)(bary.coords, Xw) <= 1e-10 * (1 if score == "angular" else np.linalg.norm(X))


@pytest.mark.parametrize("alpha", [1.0])
def test_barycentre_of_noisy_rotated_copies_recovers_the_representation(alpha):
    """Averaging K copies with independent noise brings the mean closer to X than any copy,
    by about sqrt(K) (the noise averages out, the rotations are undone).  Not for alpha < 1:
    whitening a noisy copy distorts it the same way every time (a bias no average removes)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 6)) @ rng.standard_normal((6, 6))
    m = rg.ShapeMetric(alpha=alpha)
    for K in (4, 16):
        copies = rotated_noisy_copies(rng, X, K, 0.3)
        bary = rg.shape_space.barycenter(copies, alpha=alpha)
        # the mean lives in whitened coordinates: compare it with whitened X by plain Procrustes
        to_x = rg.ShapeMetric()(bary.coords, m.prepare(X).coords)
        copies_to_x = np.mean([m(c, X) for c in copies])
        assert to_x < 1.6 * copies_to_x / np.sqrt(K)


def test_objective_is_the_sum_of_squared_distances_and_the_mean_beats_every_input():
    rng = np.random.default_rng(2)
    reps = [rng.standard_normal((40, int(rng.integers(3, 7)))) for _ in range(5)]
    bary = rg.shape_space.barycenter(reps)
    m = rg.ShapeMetric()
    dist = np.array([m(X, bary.coords) for X in reps])
    assert bary.objective == pytest.approx(np.sum(dist**2), rel=1e-9)
    for X in reps:  # the Frechet mean has a smaller sum of squared distances than any input
        assert bary.objective <= sum(m(X, Y) ** 2 for Y in reps) + 1e-12


@pytest.mark.parametrize("score", ["angular", "euclidean"])
def test_tangent_norms_are_distances_to_the_mean(score):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 4))
    reps = rotated_noisy_copies(rng, X, 5, 0.5) + [rng.standard_normal((50, 6))]
    bary = rg.shape_space.barycenter(reps, score=score)
    V = rg.shape_space.tangent_embedding(reps, bary)
    m = rg.ShapeMetric(score=score)
    expected = [m(R, bary.coords) for R in reps]
    np.testing.assert_allclose(np.linalg.norm(V, axis=1), expected, rtol=1e-9)


@pytest.mark.parametrize("top,min_rho,max_median_error", [(0.3, 0.995, 0.01), (1.0, 0.99, 0.03), (3.0, 0.97, 0.12)])
def test_tangent_distances_rank_like_shape_distances_near_the_barycentre(top, min_rho, max_median_error):
    """Twelve rotated copies of X with noise levels spread from 0.05 to ``top``: the Spearman
    correlation of the 66 tangent-space distances with the shape distances (measured 0.998-0.9999
    at top 0.3, 0.998-0.999 at 1.0, 0.983-0.987 at 3.0 over three seeds) and the median relative
    error (0.2-0.4%, 1.4-1.6%, 7%).  The farther from the mean, the more curvature shows."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((100, 5)) @ rng.standard_normal((5, 5))
    reps = [X @ ortho_group.rvs(5, random_state=rng) + s * X.std() * rng.standard_normal(X.shape)
            for s in np.linspace(0.05, top, 12)]
    bary = rg.shape_space.barycenter(reps)
    tangent = pdist(rg.shape_space.tangent_embedding(reps, bary))
    m = rg.ShapeMetric()
    shape = np.array([m(reps[i], reps[j]) for i in range(12) for j in range(i + 1, 12)])
    assert spearmanr(tangent, shape).statistic > min_rho
    assert np.median(np.abs(tangent - shape) / shape) < max_median_error


def test_new_representations_embed_in_the_same_coordinates():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((30, 4))
    train = rotated_noisy_copies(rng, X, 5, 0.2)
    bary = rg.shape_space.barycenter(train)
    V = rg.shape_space.tangent_embedding(train + [X], bary)
    assert V.shape == (6, 30 * 4)
    wide = rg.shape_space.tangent_embedding([rng.standard_normal((30, 7))], bary)
    assert wide.shape == (1, 30 * 7)


def test_bad_input_and_iteration_cap():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((20, 3))
    with pytest.raises(ValueError, match="reps is empty"):
        rg.shape_space.barycenter([])
    with pytest.raises(ValueError, match="rows must be matched"):
        rg.shape_space.barycenter([X, X[:10]])
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]"):
        rg.shape_space.barycenter([X, X], alpha=2.0)
    with pytest.raises(ValueError, match="finite"):
        rg.shape_space.barycenter([X, np.full_like(X, np.nan)])
    bary = rg.shape_space.barycenter([X, X + rng.standard_normal(X.shape)])
    with pytest.raises(ValueError, match="rows must be matched"):
        rg.shape_space.tangent_embedding([X[:5]], bary)
    with pytest.raises(TypeError, match="Barycenter"):
        rg.shape_space.tangent_embedding([X], X)
    reps = [rng.standard_normal((20, 3)) for _ in range(4)]
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        rg.shape_space.barycenter(reps, max_iter=1, tol=0.0)
