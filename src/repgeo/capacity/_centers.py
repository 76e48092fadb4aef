"""Center-correlation analysis: common low-rank structure of manifold centers.

The mean-field analysis removes from every manifold the ``K`` directions that
best explain the correlations between manifold centers (Cohen et al. 2020).
For a given ``K`` the directions minimise, over orthonormal ``V`` (a point on
the Stiefel manifold), the sum of squared cosines between the centers'
residuals ``x_mu - V V^T x_mu``.  The cost has many local minima, some of
them degenerate (one center's residual almost vanishes, and its cosines with
the others become arbitrary), so, as in the reference implementation, each
``K`` is solved from several random starts and the solution whose smallest
residual-to-center norm ratio (its *stability*) is largest is kept.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._linalg import to_unit_scale
from .._warnings import ConvergenceWarning
from ._stiefel import StiefelSolution, newton_polish, retract, stiefel_cg

__all__ = ["CenterConvergenceWarning", "CenterStructure", "center_structure", "residual_cosine_cost"]

#: two selected-K solutions whose stabilities differ by less than this (relative) are a near tie
_TIE_RTOL = 1e-3
#: two solutions whose projectors differ by less than this (Frobenius) are the same subspace
_SAME_SUBSPACE = 1e-4

#: gradient tolerance of the search over starts and K, relative to the cost's scale P^2 / 2; the selected
#: solution is then refined to the absolute tolerance _GTOL
_SEARCH_RTOL = 1e-5
_GTOL = 1e-6
_POLISH = 1e-11


class CenterConvergenceWarning(ConvergenceWarning):
    """The center-direction optimisation stopped before its gradient tolerance."""


@dataclass(frozen=True)
class CenterStructure:
    """Result of :func:`center_structure`.

    Attributes
    ----------
    correlation : float
        Mean absolute cosine between distinct centers (minus their mean), before
        any direction is removed.
    basis : ndarray, shape (N, K)
        Orthonormal common center directions (ambient coordinates).
    residual_correlations : ndarray, shape (max_k + 1,)
        Mean absolute residual cosine for ``K = 0, 1, ...`` (NaN where the
        search stopped early).
    max_k : int
        Largest ``K`` considered.
    stabilities : ndarray, shape (n_restarts,)
        Stability (smallest residual-to-center norm ratio) of every start's
        solution at the selected ``K`` (empty when ``K = 0``).
    grad_norm : float
        Riemannian gradient norm of the selected solution (0 when ``K = 0``).
    converged : bool
        Whether the selected solution reached the gradient tolerance.
    n_near_ties : int
        Solutions at the selected ``K`` that span a different subspace but whose
        stability is within 0.1% of the best (the selection is ambiguous when
        this is positive; such ties are broken by the lower cost).
    """

    correlation: float
    basis: np.ndarray
    residual_correlations: np.ndarray
    max_k: int
    stabilities: np.ndarray
    grad_norm: float
    converged: bool
    n_near_ties: int

    @property
    def n_components(self) -> int:
        """The number ``K`` of removed directions."""
        return int(self.basis.shape[1])


def _mean_abs_cos(X: np.ndarray) -> float:
    U = X / np.maximum(np.linalg.norm(X, axis=1), np.finfo(float).tiny)[:, None]  # a zero row stays zero
    C = U @ U.T
    P = X.shape[0]
    return float((np.abs(C).sum() - np.trace(np.abs(C))) / (P * (P - 1)))


def _batched_cost(V: np.ndarray, X: np.ndarray, C: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`residual_cosine_cost` for a stack ``V`` of shape (R, n, K) (``C = X X^T`` if known)."""
    C = X @ X.T if C is None else C
    c = X @ V
    c0 = np.diag(C) - np.einsum("rik,rik->ri", c, c)
    c0 = np.maximum(c0, 1e-12 * max(float(np.diag(C).max()), np.finfo(float).tiny))
    R = C - c @ c.transpose(0, 2, 1)
    W = R / (c0[:, :, None] * c0[:, None, :])
    cost = 0.5 * np.einsum("rij,rij->r", R, W)
    grad_c = 2.0 * ((W * W) @ c0[:, :, None]) * c - 2.0 * W @ c
    return cost, X.T @ grad_c


class _SearchCost:
    """:func:`_batched_cost` for the search over starts, through two matrix products per call.

    Expanding ``R = C - c c^T`` in ``q_mu = sum_nu R_{mu nu}^2 u_nu`` (``u = 1/c0``)
    gives ``q = (C o C) u - 2 rowsum(c o (C c_hat)) + rowsum(c o (c M))`` with
    ``c_hat = diag(u) c`` and ``M = c^T c_hat`` (K x K); then the cost is
    ``u . q / 2`` and ``W c = diag(u) (C c_hat - c M)``.  The work is two
    products with the fixed ``P x P`` matrices ``C o C`` and ``C`` for all
    starts at once instead of six passes over a ``(R, P, P)`` stack.  The
    expansion cancels where a residual is small next to its center: its
    rounding error is about ``eps (sum_mu C_{mu mu} u_mu)^2`` against a cost of
    at least ``P/2``, so starts where that exceeds ``1e-12 P^2`` (an average
    residual-to-center ratio below about 0.1) are evaluated by the direct
    formula instead.  Only the search uses this; the selection and the
    refinement use the direct formula.
    """

    def __init__(self, X: np.ndarray) -> None:
        self.X = X
        self.C = X @ X.T
        self.CC = self.C * self.C
        self.diag = np.diag(self.C).copy()
        self.floor = 1e-12 * max(float(self.diag.max()), np.finfo(float).tiny)
        P = X.shape[0]
        self.max_amplification = np.sqrt(1e-12 / np.finfo(float).eps) * P

    def __call__(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X, C = self.X, self.C
        R, r, K = V.shape
        P = X.shape[0]
        c = (X @ V.transpose(1, 0, 2).reshape(r, R * K)).reshape(P, R, K).transpose(1, 0, 2)
        c0 = np.maximum(self.diag - np.einsum("rik,rik->ri", c, c), self.floor)
        u = 1.0 / c0
        direct = u @ self.diag > self.max_amplification
        if direct.any():  # each start by one formula only
            if direct.all():
                return _batched_cost(V, X, C)
            cost, grad = np.empty(R), np.empty_like(V)
            cost[direct], grad[direct] = _batched_cost(V[direct], X, C)
            keep = ~direct
            cost[keep], grad[keep] = self._expanded(X, C, c[keep], u[keep])
            return cost, grad
        return self._expanded(X, C, c, u)

    def _expanded(self, X: np.ndarray, C: np.ndarray, c: np.ndarray, u: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        R, P, K = c.shape
        r = X.shape[1]
        c_hat = c * u[:, :, None]
        C_c_hat = (C @ c_hat.transpose(1, 0, 2).reshape(P, R * K)).reshape(P, R, K).transpose(1, 0, 2)
        M = c.transpose(0, 2, 1) @ c_hat
        cM = c @ M
        q = u @ self.CC + np.einsum("rmk,rmk->rm", c, cM - 2.0 * C_c_hat)
        cost = 0.5 * np.einsum("rm,rm->r", u, q)
        grad_c = 2.0 * (u * u * q)[:, :, None] * c - 2.0 * u[:, :, None] * (C_c_hat - cM)
        grad = (X.T @ grad_c.transpose(1, 0, 2).reshape(P, R * K)).reshape(r, R, K).transpose(1, 0, 2)
        return cost, grad


def residual_cosine_cost(V: np.ndarray, X: np.ndarray) -> tuple[float, np.ndarray]:
    """Cost ``1/2 sum_{mu,nu} cos^2(r_mu, r_nu)`` of residuals ``r = x - V V^T x`` and its gradient.

    With ``C = X X^T``, ``c = X V`` and ``c0 = diag(C) - |c|^2`` (squared residual
    norms), the cost is ``1/2 sum (C - c c^T)^2 / (c0 c0^T)`` and its Euclidean
    gradient is ``X^T (2 diag(Q c0) c - 2 W c)`` with ``W = (C - c c^T) / (c0 c0^T)``
    and ``Q = W^2``.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> residual_cosine_cost(np.array([[1.0], [0.0], [0.0]]), X)[0]
    1.0
    """
    cost, grad = _batched_cost(V[None], X)
    return float(cost[0]), grad[0]


def _default_max_k(s: np.ndarray) -> int:
    """The reference's rule: components below 95% cumulative variance, plus 11."""
    share = np.cumsum(s**2) / np.sum(s**2)
    return int(np.argmax(np.where(share < 0.95, share, 0.0))) + 11


def _stability(V: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Smallest ratio ``|x_mu - V V^T x_mu| / |x_mu|`` over the centers, per solution in the stack."""
    resid = X[None] - (X @ V) @ V.transpose(0, 2, 1)
    norms = np.linalg.norm(X, axis=1)
    ratio = np.linalg.norm(resid, axis=2) / np.where(norms > 0, norms, 1.0)
    return np.where(norms > 0, ratio, 1.0).min(axis=1)  # a center at the mean has nothing to lose


@dataclass(frozen=True)
class _Choice:
    V: np.ndarray
    stabilities: np.ndarray
    grad_norm: float
    converged: bool
    n_near_ties: int


def _solve_k(X: np.ndarray, V_prev: np.ndarray, gen: np.random.Generator, n_restarts: int) -> _Choice | None:
    """Best of ``n_restarts`` solutions with ``K = V_prev.shape[1] + 1`` directions (None if all fail).

    Each start is a random combination of the centers followed by the
    previous ``K - 1`` directions (the reference's starts), optimised to a
    relative gradient norm of ``_SEARCH_RTOL`` (the selected solution of the
    selected ``K`` is refined afterwards).  Converged solutions are preferred;
    among them the most stable one is kept, and among solutions within 0.1%
    of the best stability (a near tie) the one with the lowest cost.
    """
    P, n = X.shape
    S = gen.standard_normal((n_restarts, P))
    V0 = np.concatenate([(S @ X)[:, :, None], np.broadcast_to(V_prev, (n_restarts, *V_prev.shape))], axis=2)
    C = X @ X.T

    sol: StiefelSolution = stiefel_cg(_SearchCost(X), retract(V0), gtol=max(_GTOL, _SEARCH_RTOL * P * P / 2))
    finite = sol.status != "non_finite"
    if not finite.any():
        return None
    V, grad_norm, converged = sol.V, sol.grad_norm, sol.converged
    stab = _stability(V, X)
    pool = np.flatnonzero(converged) if converged.any() else np.flatnonzero(finite)
    # near ties in stability are broken by the lower cost, so that rounding-level changes of the data
    # (which reorder stabilities equal to 1e-4) cannot switch between different subspaces
    near = pool[stab[pool] >= stab[pool].max() * (1 - _TIE_RTOL)]
    best = near[int(np.argmin(_batched_cost(V[near], X, C)[0]))]  # the direct formula decides ties
    proj = V @ V.transpose(0, 2, 1)
    differs = np.linalg.norm(proj - proj[best], axis=(1, 2)) > _SAME_SUBSPACE
    ties = int(differs[near].sum())
    return _Choice(V[best], stab, float(grad_norm[best]), bool(converged[best]), ties)


def _refine(choice: _Choice, X: np.ndarray) -> _Choice:
    """Continue the selected solution: conjugate gradients to ``_GTOL``, then Newton steps towards ``_POLISH``.

    The cost can be nearly flat along some directions at its minimum, where a
    gradient norm of ``1e-6`` still leaves the directions -- and the frames
    built from them -- uncertain at the ``1e-3`` level; Newton steps pin them
    down to rounding, so that a 1-ulp change of the data changes nothing.
    """
    sol = stiefel_cg(lambda V: _batched_cost(V, X), choice.V[None], gtol=_GTOL)
    V, grad_norm = newton_polish(lambda W: _batched_cost(W, X), sol.V[0], gtol=_POLISH)[:2]
    grad_norm = min(grad_norm, float(sol.grad_norm[0]))
    return _Choice(V, choice.stabilities, grad_norm, grad_norm <= _GTOL, choice.n_near_ties)


def center_structure(
    centers: np.ndarray,
    *,
    n_components: int | None = None,
    max_k: int | None = None,
    min_k: int = 0,
    n_restarts: int = 30,
    rng: np.random.Generator | None = None,
) -> CenterStructure:
    """Find the common directions of manifold centers.

    ``centers`` is ``(P, N)``.  ``K`` is ``n_components`` when given, otherwise
    the ``K`` in ``[min_k, max_k]`` with the smallest mean absolute residual
    cosine (the search stops once the residual has risen three times in a
    row, checked from ``K = 4`` on; the reference's loop checks one step
    later, which can only extend its search).  ``max_k`` defaults to the
    reference's rule, capped at ``rank - 1`` (a residual must remain), which
    makes small ``P`` work.  Each ``K`` is solved from ``n_restarts`` random
    starts drawn from ``rng``; a :class:`CenterConvergenceWarning` is issued
    when the selected solution did not reach a Riemannian gradient norm of
    ``1e-6``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> res = center_structure(rng.standard_normal((5, 20)), n_components=1, rng=0)
    >>> res.basis.shape, res.converged
    ((20, 1), True)
    """
    gen = np.random.default_rng(rng)
    Xb, _ = to_unit_scale(centers - centers.mean(axis=0))  # the cost is scale-free; exact rescaling
    _, s, Vt = np.linalg.svd(Xb, full_matrices=False)
    rank = int((s > s[0] * 1e-10).sum()) if s[0] > 0 else 0
    basis = Vt[:rank].T
    X = Xb @ basis
    rho0 = _mean_abs_cos(X) if rank else 0.0
    cap = max(rank - 1, 0)
    max_k = min(_default_max_k(s[:rank]) if max_k is None else max_k, cap) if rank else 0
    if n_components is not None:
        if n_components > cap:
            raise ValueError(
                f"n_centers={n_components} exceeds the {cap} common center directions that can be "
                f"removed (the centers span {rank} dimensions and one residual must remain)"
            )
        max_k = min_k = n_components
    min_k = min(min_k, max_k)
    residual = np.full(max_k + 1, np.nan)
    residual[0] = rho0
    choices: list[_Choice | None] = [None]
    V = np.zeros((rank, 0))
    for k in range(1, max_k + 1):
        choice = _solve_k(X, V, gen, n_restarts)
        if choice is None:  # every start hit a non-finite cost: no larger K can be trusted either
            break
        choices.append(choice)
        V = choice.V
        residual[k] = _mean_abs_cos(X - (X @ V) @ V.T)
        if k >= 4 and residual[k] > residual[k - 1] > residual[k - 2] > residual[k - 3]:
            break
    search = residual[min_k : len(choices)]
    best = min_k + int(np.nanargmin(search)) if np.isfinite(search).any() else 0
    chosen = choices[best]
    if chosen is None:
        return CenterStructure(rho0, np.zeros((centers.shape[1], 0)), residual, max_k, np.zeros(0), 0.0, True, 0)
    chosen = _refine(chosen, X)
    if not chosen.converged:
        warnings.warn(
            f"the center-direction search for K={best} stopped at a Riemannian gradient norm of "
            f"{chosen.grad_norm:.2g} (tolerance 1e-6) in every start and after Newton steps; the removed "
            "directions may not be optimal",
            CenterConvergenceWarning, stacklevel=3)
    return CenterStructure(rho0, basis @ chosen.V, residual, max_k, chosen.stabilities, chosen.grad_norm,
                           chosen.converged, chosen.n_near_ties)
