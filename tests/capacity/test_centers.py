"""The center-direction search: a Stiefel solver that converges, restarts with stability selection."""

import numpy as np
import pytest

from repgeo.capacity import mean_field
from repgeo.capacity import _centers
from repgeo.capacity._centers import CenterConvergenceWarning, center_structure, residual_cosine_cost
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
