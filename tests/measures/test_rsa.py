"""RSA: RDMs against SciPy, comparisons against scipy.stats and a brute-force Kendall tau-a."""

import itertools

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import pdist, squareform

import repgeo as rg


def tau_a_brute_force(a, b):
    s = 0.0
    for i, j in itertools.combinations(range(len(a)), 2):
        s += np.sign(a[i] - a[j]) * np.sign(b[i] - b[j])
    n = len(a)
    return s / (n * (n - 1) / 2)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "correlation", "cosine"])
def test_rdm_matches_scipy(metric):
    X = np.random.default_rng(0).standard_normal((12, 5))
    assert np.allclose(rg.rdm(X, metric), squareform(pdist(X, metric)))
    assert np.allclose(rg.rdm(X, metric, condensed=True), pdist(X, metric))


@pytest.mark.parametrize("metric", ["euclidean", "correlation"])
def test_comparisons_match_scipy_stats(metric):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((15, 6))
    Y = X @ rng.standard_normal((6, 4)) + rng.standard_normal((15, 4))
    a, b = pdist(X, metric), pdist(Y, metric)
    assert rg.RSA(rdm=metric, compare="pearson")(X, Y) == pytest.approx(stats.pearsonr(a, b).statistic, abs=1e-12)
    assert rg.RSA(rdm=metric, compare="spearman")(X, Y) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)
    cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    assert rg.RSA(rdm=metric, compare="cosine")(X, Y) == pytest.approx(cosine, abs=1e-12)
    assert rg.RSA(rdm=metric, compare="kendall_tau_a")(X, Y) == pytest.approx(tau_a_brute_force(a, b), abs=1e-12)


def test_kendall_tau_a_with_ties_differs_from_tau_b():
    rng = np.random.default_rng(2)
    # offsets by multiples of 1/8 keep every distance exact, so the brute force sees true ties
    X = rng.integers(0, 2, size=(10, 3)).astype(float) + 0.125 * np.arange(10)[:, None] * np.array([1, 0, 0])
    Y = rng.integers(0, 3, size=(10, 2)).astype(float)
    a, b = pdist(X, "sqeuclidean"), pdist(Y, "sqeuclidean")
    assert len(np.unique(b)) < len(b)  # ties present
    tau_a = rg.RSA(rdm="sqeuclidean", compare="kendall_tau_a")(X, Y)
    assert tau_a == pytest.approx(tau_a_brute_force(a, b), abs=1e-12)
    assert abs(tau_a) < abs(stats.kendalltau(a, b).statistic)


def test_rdm_errors_name_the_row():
    X = np.random.default_rng(3).standard_normal((6, 4))
    X[2] = 1.0
    with pytest.raises(ValueError, match="X row 2 is constant"):
        rg.rdm(X, "correlation")
    X[2] = 0.0
    with pytest.raises(ValueError, match="X row 2 is all zero"):
        rg.rdm(X, "cosine")
    with pytest.raises(ValueError, match="at least 3"):
        rg.rdm(np.random.default_rng(4).standard_normal((6, 2)), "correlation")
    with pytest.raises(ValueError, match="metric must be one of"):
        rg.rdm(X, "mahalanobis")


def test_constant_rdm_raises():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])  # equilateral triangle
    with pytest.raises(ValueError, match="RDM of X is constant"):
        rg.RSA(rdm="euclidean", compare="pearson")(X, np.random.default_rng(5).standard_normal((3, 2)))


def test_repr_keeps_the_public_keyword():
    m = rg.RSA(rdm="cosine", compare="kendall_tau_a")
    assert repr(m) == "RSA(rdm='cosine', compare='kendall_tau_a')"
    assert m.comparison == "kendall_tau_a"
    with pytest.raises(ValueError, match="compare must be one of"):
        rg.RSA(compare="bures")


def test_rank_comparisons_ignore_rounding_ties():
    """Duplicated stimuli give exactly tied distances; rounding must not break the ties, or the
    value changes with the data's scale (it did: -0.1164, -0.1117, -0.1175 for c = 1, 3, 0.3)."""
    rng = np.random.default_rng(30)
    B = rng.standard_normal((6, 5))
    X = B[[0, 0, 1, 1, 2, 2, 3, 3, 4, 5]]
    Y = rng.standard_normal((10, 4))
    for compare in ("spearman", "kendall_tau_a"):
        m = rg.RSA(rdm="correlation", compare=compare)
        values = [m(c * X, Y) for c in (1.0, 3.0, 0.3, 7.1)]
        assert np.ptp(values) < 1e-12, values


def test_kendall_identity_is_computed_with_ties():
    X = np.random.default_rng(31).integers(0, 3, size=(8, 2)).astype(float)
    m = rg.RSA(rdm="euclidean", compare="kendall_tau_a")
    assert m.info.identity_value is None
    self_value = m(X, X)
    assert self_value < 1.0  # tied distances: tau-a of an RDM with itself is 1 - ties / pairs
    D = rg.pairwise([X, X + 1.0, 2 * X], m)
    np.testing.assert_allclose(np.diag(D), self_value)
    assert D[0, 1] == pytest.approx(self_value)
