"""Pullback and Fisher metrics against independent formulas; local-regression Jacobians."""

import numpy as np
import pytest

from repgeo import riemann as rr

from charts import sphere


@pytest.fixture
def rng():
    return np.random.default_rng(21)


def test_pullback_euclidean_and_ambient(rng):
    J = rng.standard_normal((15, 6, 3))
    G = rr.pullback_metric(J)
    np.testing.assert_allclose(G, [j.T @ j for j in J], atol=1e-12)
    C = rng.standard_normal((6, 6))  # ambient A = C^T C is the same as whitening J -> C J
    np.testing.assert_allclose(rr.pullback_metric(J, ambient=C.T @ C), rr.pullback_metric(C @ J), rtol=1e-10)
    Cs = rng.standard_normal((15, 6, 6))
    A = np.einsum("pji,pjk->pik", Cs, Cs)
    np.testing.assert_allclose(
        rr.pullback_metric(J, ambient=A), rr.pullback_metric(np.einsum("pij,pjm->pim", Cs, J)), rtol=1e-9
    )
    assert rr.pullback_metric(J[0]).shape == (3, 3)
    with pytest.raises(ValueError, match="ambient must be"):
        rr.pullback_metric(J, ambient=np.eye(5))
    with pytest.raises(ValueError, match="J must be"):
        rr.pullback_metric(np.ones(4))


def test_fisher_softmax_is_expected_outer_score(rng):
    n, c, m = 10, 4, 2
    z = rng.standard_normal((n, c))
    J = rng.standard_normal((n, c, m))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = np.zeros((n, m, m))
    for y in range(c):  # E_y[grad log p_y grad log p_y^T], grad log p_y = J^T (e_y - p)
        score = np.einsum("pca,pc->pa", J, np.eye(c)[y] - p)
        expected += p[:, y, None, None] * score[:, :, None] * score[:, None, :]
    np.testing.assert_allclose(rr.fisher_softmax(z, J), expected, atol=1e-12)
    with pytest.raises(ValueError, match="logits has shape"):
        rr.fisher_softmax(z[:, :3], J)


def test_fisher_gaussian_is_hessian_of_kl():
    A = np.array([[1.0, 0.5], [-0.3, 2.0], [0.7, 0.1]])
    mu = lambda u: A @ u + np.sin(u).sum()  # noqa: E731
    s = lambda u: np.exp(0.3 * u[0] - 0.2 * u[1])  # noqa: E731
    u0 = np.array([0.4, -0.7])
    n = 3

    def kl(d):
        m0, m1, s0, s1 = mu(u0), mu(u0 + d), s(u0), s(u0 + d)
        return n * np.log(s1 / s0) + (n * s0**2 + np.sum((m0 - m1) ** 2)) / (2 * s1**2) - n / 2

    h = 1e-4
    E = np.eye(2) * h
    hess = np.array(
        [[(kl(E[a] + E[b]) - kl(E[a] - E[b]) - kl(-E[a] + E[b]) + kl(-E[a] - E[b])) / (4 * h * h) for b in range(2)] for a in range(2)]
    )
    J = (A + np.cos(u0)[None, :])[None]
    grad_s = (s(u0) * np.array([0.3, -0.2]))[None]
    g = rr.fisher_gaussian(J, s(u0), grad_s)[0]
    np.testing.assert_allclose(g, hess, rtol=1e-5)
    # constant noise: the Euclidean pullback scaled by 1/sigma^2
    np.testing.assert_allclose(rr.fisher_gaussian(J, 2.0)[0], J[0].T @ J[0] / 4, rtol=1e-12)
    with pytest.raises(ValueError, match="sigma must be positive"):
        rr.fisher_gaussian(J, 0.0)


def test_local_jacobians_exact_for_affine_maps(rng):
    U = rng.uniform(-1, 1, (300, 3))
    A = rng.standard_normal((7, 3))
    J = rr.local_jacobians(U, U @ A.T + 1.0, n_neighbors=8)
    np.testing.assert_allclose(J, np.broadcast_to(A, J.shape), atol=1e-10)
    P = rng.uniform(-1, 1, (5, 3))
    np.testing.assert_allclose(rr.local_jacobians(U, U @ A.T, P, n_neighbors=8), np.broadcast_to(A, (5, 7, 3)), atol=1e-10)


def test_local_jacobians_close_to_autodiff_on_the_sphere(rng):
    # msa.md test 11: 3000 samples with known chart coordinates, k = 30
    th = np.arccos(rng.uniform(-0.9, 0.9, 3000))
    ph = rng.uniform(0, 2 * np.pi, 3000)
    U = np.c_[th, ph]
    X, J_true = sphere(U)
    J_est = rr.local_jacobians(U, X, n_neighbors=30)
    d = rr.spectral_ratio(rr.pullback_metric(J_est), rr.pullback_metric(J_true))
    assert np.median(d) < 0.04 and np.quantile(d, 0.95) < 0.15  # measured 0.012 and 0.086


def test_local_jacobians_bad_input(rng):
    U = rng.uniform(size=(50, 2))
    X = rng.standard_normal((50, 4))
    with pytest.raises(ValueError, match="n_neighbors must be an integer >= 3"):
        rr.local_jacobians(U, X, n_neighbors=2)
    with pytest.raises(ValueError, match="at most the 50 samples"):
        rr.local_jacobians(U, X, n_neighbors=51)
    with pytest.raises(ValueError, match="rows must be matched"):
        rr.local_jacobians(U, X[:40])
    with pytest.raises(ValueError, match="same chart"):
        rr.local_jacobians(U, X, np.zeros((3, 3)))
    line = np.c_[np.linspace(0, 1, 50), np.zeros(50)]
    with pytest.raises(ValueError, match="do not span"):
        rr.local_jacobians(line, X, n_neighbors=5)
    assert np.isfinite(rr.local_jacobians(line, X, n_neighbors=5, ridge=1e-3)).all()
