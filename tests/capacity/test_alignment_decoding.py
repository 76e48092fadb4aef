"""Alignment families and decodability."""

import numpy as np
import pytest

from repgeo.capacity import alignment, decodability, spectral_alignment, subspace_alignment


def test_subspace_alignment_identical_and_random():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.standard_normal((200, 3)))[0].T
    shared = [rng.standard_normal((30, 3)) @ basis + rng.standard_normal(200) * 3 for _ in range(4)]
    res = subspace_alignment(shared, n_components=3)
    assert res.mean_axes > 0.95  # same 3-D subspace
    # principal subspaces of isotropic clouds are uniformly random: E |U_a^T U_b|_F^2 / k = k / N exactly;
    # pairs within one data set share subspaces, so the SE comes from the spread over fresh data sets
    rand = [subspace_alignment(rng.standard_normal((6, 30, 200)), n_components=3) for _ in range(20)]
    vals = np.array([r.mean_axes for r in rand])
    assert abs(vals.mean() - rand[0].chance_axes) < 4 * vals.std(ddof=1) / np.sqrt(len(vals))
    # centers: plain |cos| of centers after removing the global mean
    mans = rng.standard_normal((6, 30, 200))
    C = mans.mean(1) - mans.reshape(-1, 200).mean(0)
    C /= np.linalg.norm(C, axis=1, keepdims=True)
    off = ~np.eye(6, dtype=bool)
    assert subspace_alignment(mans).mean_centers == pytest.approx(np.abs(C @ C.T)[off].mean())


def test_spectral_error_matches_empirical_ridge():
    """Predicted ridge error vs an empirical ridge fit on fresh training sets."""
    rng = np.random.default_rng(1)
    n, dim = 1000, 30
    scales = 1.0 / np.arange(1, dim + 1)
    X = rng.standard_normal((n, dim)) * scales
    y = X @ rng.standard_normal(dim)
    ridge, p = 1e-3, 40
    pred = spectral_alignment(X, y, n_train=(p,), ridge=ridge).predicted_error[0]
    errs = []
    Xc, yc = X - X.mean(0), y - y.mean()
    for _ in range(200):
        idx = rng.choice(n, p, replace=False)
        # kernel ridge with k(x, x') = x . x' (kernel eigenvalues = covariance eigenvalues)
        alpha = np.linalg.solve(Xc[idx] @ Xc[idx].T + ridge * np.eye(p), yc[idx])
        f = Xc @ Xc[idx].T @ alpha
        errs.append(np.mean((f - yc) ** 2))
    errs = np.array(errs)
    assert abs(pred - errs.mean()) < 0.25 * errs.mean()  # theory is asymptotic in p, n


def test_alignment_dispatch_and_bad_method():
    X = np.random.default_rng(2).standard_normal((4, 8, 40))
    assert alignment(X, "spectral").cumulative_power[-1] == pytest.approx(1.0)
    assert np.isfinite(alignment(X, "glue", n_t=20, rng=0).center_alignment)
    with pytest.raises(ValueError, match="method must be one of"):
        alignment(X, "cka")


def test_decodability_separable_vs_overlapping():
    rng = np.random.default_rng(3)
    far = rng.standard_normal((6, 20, 30)) + 10 * np.eye(30)[:6, None, :]
    a = decodability(far, n_dichotomies=10, rng=0)
    # identically distributed manifolds: held-out points are independent of the fit and the test labels are
    # balanced, so the expected accuracy is exactly 0.5 over data sets; accuracy_se only covers the spread over
    # dichotomies of one data set, so the bound uses the spread over fresh data sets
    near = [decodability(rng.standard_normal((6, 20, 30)), n_dichotomies=5, rng=s, shots=()) for s in range(12)]
    accs = np.array([b.accuracy for b in near])
    assert a.accuracy - accs.mean() > 4 * np.hypot(a.accuracy_se, accs.std(ddof=1) / np.sqrt(len(accs)))
    assert abs(accs.mean() - 0.5) < 4 * accs.std(ddof=1) / np.sqrt(len(accs))
    with pytest.raises(ValueError, match="max\\(shots\\)"):
        decodability(far, shots=(25,))


def test_subspace_alignment_rejects_components_beyond_rank():
    rng = np.random.default_rng(5)
    shape = rng.standard_normal((3, 50))  # 3 points: centered rank 2
    mans = [shape + rng.standard_normal(50) * 5 for _ in range(3)]
    assert subspace_alignment(mans, n_components=2).mean_axes == pytest.approx(1.0)  # same 2-D shape
    with pytest.raises(ValueError, match="n_components=3 exceeds the rank 2 of manifold 0"):
        subspace_alignment(mans, n_components=3)
    with pytest.raises(ValueError, match="n_components=5 exceeds the rank 2"):
        subspace_alignment(rng.standard_normal((4, 3, 50)), n_components=5)


@pytest.mark.parametrize("sizes", [(20, 20), (20, 20, 20, 20), (5, 30, 12), (10,) * 8])
def test_subspace_center_chance_level_on_random_points(sizes):
    """Random points sit at the center chance level, which accounts for the removed global mean."""
    rng = np.random.default_rng(len(sizes))
    n_dim = 200
    runs = [subspace_alignment([rng.standard_normal((m, n_dim)) for m in sizes], n_components=2) for _ in range(40)]
    vals = np.array([r.mean_centers for r in runs])
    chance = runs[0].chance_centers
    if len(sizes) == 2:  # two mean-removed centers are exactly opposite
        assert chance == 1.0 and np.allclose(vals, 1.0)
    else:
        assert abs(vals.mean() - chance) < 4 * vals.std(ddof=1) / np.sqrt(len(vals)), (vals.mean(), chance)


def test_spectral_ridgeless_limit():
    """ridge = 0 is the limit of small ridges; p > rank gives the OLS variance inflation p / (p - r)."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((200, 5)) / np.arange(1, 6)
    y = X[:, 0] + 0.1 * rng.standard_normal(200)
    ps = (3, 4, 10, 50)
    at0 = spectral_alignment(X, y, n_train=ps, ridge=0.0)
    small = spectral_alignment(X, y, n_train=ps, ridge=1e-9)
    np.testing.assert_allclose(at0.predicted_error, small.predicted_error, rtol=1e-4)
    outside = at0.cumulative_power[-1] - at0.cumulative_power[4]  # target power off the rank-5 span (fraction)
    total = np.sum(((y - y.mean()) ** 2)) / 200
    np.testing.assert_allclose(at0.predicted_error[2:], outside * total / (1 - 5 / np.array([10, 50])), rtol=1e-8)
    assert spectral_alignment(X, y, n_train=(5,), ridge=0.0).predicted_error[0] == np.inf
