import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform

from repgeo.embed import classical_mds


def test_recovers_euclidean_configurations():
    pts = np.random.default_rng(0).standard_normal((20, 3))
    emb = classical_mds(squareform(pdist(pts)), n_components=3)
    np.testing.assert_allclose(pdist(emb.coords), pdist(pts), rtol=1e-9)
    assert emb.negative_mass < 1e-10 and emb.explained == pytest.approx(1.0)
    assert emb.rank_correlation == pytest.approx(1.0)


def test_matches_scikit_learn_classical_mds_when_available():
    manifold = pytest.importorskip("sklearn.manifold")
    if not hasattr(manifold, "ClassicalMDS"):
        pytest.skip("scikit-learn < 1.8 has no ClassicalMDS")
    pts = np.random.default_rng(1).standard_normal((15, 4))
    D = squareform(pdist(pts, "cityblock"))  # not Euclidean: negative eigenvalues appear
    ours = classical_mds(D, n_components=2)
    theirs = manifold.ClassicalMDS(n_components=2, metric="precomputed").fit(D)
    np.testing.assert_allclose(np.abs(ours.coords), np.abs(theirs.embedding_), rtol=1e-8, atol=1e-10)
    assert ours.negative_mass > 0


def test_bad_distance_matrices():
    with pytest.raises(ValueError, match="square"):
        classical_mds(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="symmetric"):
        classical_mds(np.array([[0, 1.0, 2], [1, 0, 1], [3, 1, 0]]))
    with pytest.raises(ValueError, match="zero diagonal"):
        classical_mds(np.ones((3, 3)))
    with pytest.raises(ValueError, match="n_components must be <"):
        classical_mds(squareform(pdist(np.eye(3))), n_components=3)


def test_scale_and_equidistant_points():
    pts = np.random.default_rng(2).standard_normal((10, 3))
    D = squareform(pdist(pts))
    small, big = classical_mds(D), classical_mds(1e100 * D)  # D**2 alone would overflow above ~1e154
    np.testing.assert_allclose(pdist(big.coords), 1e100 * pdist(small.coords), rtol=1e-9)  # up to axis signs
    np.testing.assert_allclose(big.eigenvalues[:3], 1e200 * small.eigenvalues[:3], rtol=1e-9)
    assert big.rank_correlation == pytest.approx(small.rank_correlation)
    simplex = classical_mds(1.0 - np.eye(4))  # all distances equal: no order to keep
    assert np.isnan(simplex.rank_correlation) and simplex.negative_mass < 1e-12
