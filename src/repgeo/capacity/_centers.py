"""Center-correlation analysis: common low-rank structure of manifold centers.

The mean-field analysis removes from every manifold the ``K`` directions that
best explain the correlations between manifold centers (Cohen et al. 2020).
For a given ``K`` the directions minimise, over orthonormal ``V`` (a point on
the Stiefel manifold), the sum of squared cosines between the centers'
residuals ``x_mu - V V^T x_mu``.  No maintained SciPy-stack library offers
Stiefel optimisation (the reference uses pymanopt with autograd), so a small
deterministic Riemannian gradient descent with the analytic gradient, a QR
retraction and Armijo backtracking is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CenterStructure", "center_structure", "residual_cosine_cost"]


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
    """

    correlation: float
    basis: np.ndarray
    residual_correlations: np.ndarray
    max_k: int

    @property
    def n_components(self) -> int:
        """The number ``K`` of removed directions."""
        return int(self.basis.shape[1])


def _mean_abs_cos(X: np.ndarray) -> float:
    norms = np.maximum(np.linalg.norm(X, axis=1), np.finfo(float).tiny)
    C = (X @ X.T) / np.outer(norms, norms)
    P = X.shape[0]
    return float((np.abs(C).sum() - np.trace(np.abs(C))) / (P * (P - 1)))


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
    C = X @ X.T
    c = X @ V
    c0 = np.diag(C) - np.einsum("ij,ij->i", c, c)
    c0 = np.maximum(c0, 1e-12 * max(float(np.diag(C).max()), 1e-150))
    R = C - c @ c.T
    W = R / np.outer(c0, c0)
    Q = W * W
    cost = 0.5 * float((R * W).sum())
    grad_c = 2.0 * (Q @ c0)[:, None] * c - 2.0 * W @ c
    return cost, X.T @ grad_c


def _retract(V: np.ndarray) -> np.ndarray:
    Q, R = np.linalg.qr(V)
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


def _stiefel_descent(V: np.ndarray, X: np.ndarray, max_iter: int = 500, gtol: float = 1e-7) -> np.ndarray:
    """Riemannian gradient descent with Barzilai-Borwein steps and a non-monotone
    Armijo safeguard (Zhang-Hager style, as in Wen & Yin's Stiefel solver)."""
    f, g = residual_cosine_cost(V, X)
    history = [f]
    step = 1e-2 / max(np.linalg.norm(g), 1e-300)
    prev = None
    for _ in range(max_iter):
        rgrad = g - V @ ((V.T @ g + g.T @ V) / 2.0)
        gnorm2 = float((rgrad * rgrad).sum())
        if gnorm2 <= (gtol * (1.0 + abs(f))) ** 2:
            break
        if prev is not None:
            dV, dG = V - prev[0], rgrad - prev[1]
            sy = abs(float((dV * dG).sum()))
            if sy > 0:
                step = float((dV * dV).sum()) / sy
        ref = max(history[-5:])
        while True:
            V_new = _retract(V - step * rgrad)
            f_new, g_new = residual_cosine_cost(V_new, X)
            if f_new <= ref - 1e-4 * step * gnorm2 or step < 1e-14:
                break
            step /= 2.0
        prev = (V, rgrad)
        V, f, g = V_new, f_new, g_new
        history.append(f)
    return V


def _default_max_k(s: np.ndarray) -> int:
    """The reference's rule: components below 95% cumulative variance, plus 11."""
    share = np.cumsum(s**2) / np.sum(s**2)
    return int(np.argmax(np.where(share < 0.95, share, 0.0))) + 11


def center_structure(
    centers: np.ndarray, *, n_components: int | None = None, max_k: int | None = None, min_k: int = 0
) -> CenterStructure:
    """Find the common directions of manifold centers.

    ``centers`` is ``(P, N)``.  ``K`` is ``n_components`` when given, otherwise
    the ``K`` in ``[min_k, max_k]`` with the smallest mean absolute residual
    cosine (the search stops once the residual has risen three times in a
    row, checked from ``K = 4`` on; the reference's loop checks one step
    later, which can only extend its search).  ``max_k`` defaults to the reference's rule, capped at
    ``rank - 1`` (a residual must remain), which makes small ``P`` work.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> res = center_structure(rng.standard_normal((5, 20)), n_components=1)
    >>> res.basis.shape
    (20, 1)
    """
    Xb = centers - centers.mean(axis=0)
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
    solutions = [np.zeros((rank, 0))]
    V = solutions[0]
    for k in range(1, max_k + 1):
        # deterministic start: previous solution plus the top residual direction
        resid = X - (X @ V) @ V.T
        top = np.linalg.svd(resid, full_matrices=False)[2][:1].T
        V = _stiefel_descent(_retract(np.hstack([V, top])), X)
        solutions.append(V)
        residual[k] = _mean_abs_cos(X - (X @ V) @ V.T)
        if k >= 4 and residual[k] > residual[k - 1] > residual[k - 2] > residual[k - 3]:
            break
    search = residual[min_k:]
    best = min_k + int(np.nanargmin(search)) if np.isfinite(search).any() else 0
    return CenterStructure(rho0, basis @ solutions[best], residual, max_k)
