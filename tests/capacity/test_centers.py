"""The center-direction search: a Stiefel solver that converges, restarts with stability selection."""

import numpy as np
import pytest

from repgeo.capacity import _centers, mean_field
from repgeo.capacity._centers import (
    CenterConvergenceWarning,
    center_structure,
    residual_cosine_cost,
)
from repgeo.capacity._stiefel import newton_polish, retract, stiefel_cg, tangent


def rayleigh(A):
    """Cost ``-tr(V^T A V)`` on a stack: minimised by the top eigenvectors of ``A`` (a closed form)."""
    def cost(V):
        AV = A @ V
        return -np.einsum("rij,rij->r", V, AV), -2.0 * AV
    return cost


def test_stiefel_cg_finds_the_top_eigenspace():
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((12, 12)))[0]
    A = Q @ np.diag(np.arange(12.0, 0.0, -1.0)) @ Q.T
    sol = stiefel_cg(rayleigh(A), retract(rng.standard_normal((5, 12, 3))))
    assert sol.converged.all() and (sol.grad_norm <= 1e-6).all()
    top = Q[:, :3]
    for V in sol.V:  # the subspace, not the basis, is determined
        np.testing.assert_allclose(V @ V.T, top @ top.T, atol=1e-6)
    np.testing.assert_allclose(sol.cost, -(12 + 11 + 10), rtol=1e-12)


def test_newton_polish_reaches_rounding_level():
    rng = np.random.default_rng(1)
    Q = np.linalg.qr(rng.standard_normal((8, 8)))[0]
    A = Q @ np.diag([5.0, 4.0, 1.0, 0.5, 0.4, 0.3, 0.2, 0.1]) @ Q.T
    start = retract((Q[:, :2] + 0.05 * rng.standard_normal((8, 2)))[None])[0]
    V, grad_norm, converged = newton_polish(rayleigh(A), start, gtol=1e-11)
    assert converged and grad_norm <= 1e-11
    np.testing.assert_allclose(V @ V.T, Q[:, :2] @ Q[:, :2].T, atol=1e-10)


def test_selected_directions_are_a_converged_minimum():
    """The reported gradient norm is recomputed independently from the analytic gradient."""
    rng = np.random.default_rng(16)
    u = np.linalg.qr(rng.standard_normal((200, 2)))[0]
    centers = 0.1 * rng.standard_normal((40, 200)) + rng.standard_normal((40, 2)) @ u.T * 3
    res = center_structure(centers, rng=0)
    assert res.n_components == 2 and res.converged and res.grad_norm <= 1e-6
    Xb = centers - centers.mean(0)
    Xb = Xb / 2.0 ** np.frexp(np.abs(Xb).max())[1]  # the function works at unit scale (cost is scale-free)
    V = res.basis
    _, g = residual_cosine_cost(V, Xb)
    assert np.linalg.norm(tangent(V[None], g[None])[0]) <= 1e-6 * 1.01
    # the stability selection kept the most stable start (refined afterwards, so equal to the search tolerance)
    stab = np.linalg.norm(Xb - Xb @ V @ V.T, axis=1) / np.linalg.norm(Xb, axis=1)
    assert stab.min() == pytest.approx(res.stabilities.max(), rel=1e-3)  # stabilities are from the search tolerance


def test_warns_when_the_search_cannot_converge(monkeypatch):
    """Capped iterations leave the selected solution short of the tolerance: a warning says so."""
    real_cg, real_newton = _centers.stiefel_cg, _centers.newton_polish
    monkeypatch.setattr(_centers, "stiefel_cg", lambda *a, **k: real_cg(*a, **{**k, "max_iter": 2}))
    monkeypatch.setattr(_centers, "newton_polish", lambda *a, **k: real_newton(*a, **{**k, "max_iter": 0}))
    centers = np.random.default_rng(2).standard_normal((12, 30))
    with pytest.warns(CenterConvergenceWarning, match="stopped at a Riemannian gradient norm"):
        res = center_structure(centers, n_components=2, rng=0)
    assert not res.converged and res.grad_norm > 1e-6


def test_restarts_are_seeded_and_reported():
    X = np.random.default_rng(3).standard_normal((8, 6, 20)) + 2 * np.random.default_rng(4).standard_normal((8, 1, 20))
    a, b = mean_field(X, n_t=20, rng=5), mean_field(X, n_t=20, rng=5)
    assert a.capacity == b.capacity and a.n_centers == b.n_centers
    assert a.center_converged and a.center_grad_norm <= 1e-6 and a.center_near_ties >= 0
    assert mean_field(X, n_t=20, rng=5, n_restarts=1).center_converged
    with pytest.raises(ValueError, match="n_restarts must be an integer >= 1"):
        mean_field(X, n_t=20, rng=5, n_restarts=0)


def test_search_cost_matches_the_direct_formula_on_both_paths():
    """The expanded cost of the search equals the direct one; starts near a center (where the
    expansion cancels) are routed to the direct formula, so the agreement holds there too."""
    rng = np.random.default_rng(21)
    for P, r, K in [(10, 9, 1), (10, 9, 3), (50, 49, 2), (30, 12, 5)]:
        X = rng.standard_normal((P, r)) * rng.uniform(0.1, 3.0, (P, 1))
        V = rng.standard_normal((30, r, K))
        for i in range(15):  # the first direction ever closer to a center: residuals down to 1e-5 of it
            V[i, :, 0] = X[i % P] + 10.0 ** (-i / 3) * np.linalg.norm(X[i % P]) * rng.standard_normal(r)
        V = retract(V)
        search = _centers._SearchCost(X)
        fast, fast_grad = search(V)
        direct, direct_grad = _centers._batched_cost(V, X)
        np.testing.assert_allclose(fast, direct, rtol=1e-9)
        scale = np.abs(direct_grad).max(axis=(1, 2))[:, None, None]
        assert (np.abs(fast_grad - direct_grad) <= 1e-7 * scale).all()
        c0 = np.diag(search.C) - np.einsum("rik,rik->ri", X @ V, X @ V)
        routed = (np.diag(search.C) / np.maximum(c0, search.floor)).sum(axis=1) > search.max_amplification
        assert routed.any() and not routed.all()  # both paths were exercised


def test_retract_is_the_q_factor_with_positive_diagonal():
    """Cholesky QR (with its second pass and Householder fallback) against numpy's Householder QR."""
    rng = np.random.default_rng(22)
    for K in (1, 2, 4):
        for scale in (1.0, 1e3, 1e6):
            V = rng.standard_normal((6, 20, K))
            V[:, :, -1] += scale * V[:, :, 0]  # condition number about scale
            Q = retract(V)
            Qh, Rh = np.linalg.qr(V)
            Qh = Qh * np.where(np.diagonal(Rh, axis1=1, axis2=2) < 0, -1.0, 1.0)[:, None, :]
            np.testing.assert_allclose(Q.transpose(0, 2, 1) @ Q, np.broadcast_to(np.eye(K), (6, K, K)), atol=1e-15)
            np.testing.assert_allclose(Q, Qh, atol=1e-15 * scale * 100)
    V = rng.standard_normal((2, 5, 2))
    V[0, :, 1] = 0.0  # rank deficient: the Householder fallback still returns a Q factor
    Q = retract(V)
    assert np.isfinite(Q).all()
    np.testing.assert_allclose(Q[1].T @ Q[1], np.eye(2), atol=1e-15)


def test_expanded_search_selects_what_the_direct_formula_selects(monkeypatch):
    """mean_field with the search on the direct cost formula gives the same result to 1e-10."""
    rng = np.random.default_rng(23)
    shared = rng.standard_normal((3, 60))
    centers = rng.standard_normal((20, 3)) @ shared * 2 + 0.5 * rng.standard_normal((20, 60))
    mans = centers[:, None, :] + 0.7 * rng.standard_normal((20, 10, 60))
    fast = mean_field(mans, n_t=100, rng=4)

    class Direct:
        def __init__(self, X):
            self.X = X

        def __call__(self, V):
            return _centers._batched_cost(V, self.X)

    monkeypatch.setattr(_centers, "_SearchCost", Direct)
    direct = mean_field(mans, n_t=100, rng=4)
    assert fast.n_centers == direct.n_centers
    for field in ("capacity", "radius", "dimension"):
        assert getattr(fast, field) == pytest.approx(getattr(direct, field), rel=1e-10), field
