"""Riemannian conjugate gradient on the Stiefel manifold, many starts in lock-step.

The center step of the mean-field analysis minimises a smooth cost over
orthonormal ``V`` (``n x K``, ``V^T V = I``) from several starting points.  No
maintained SciPy-stack library optimises on the Stiefel manifold (the
reference uses pymanopt 0.2 with autograd, whose current releases changed
their API), so this module writes the standard method by hand: the
Riemannian gradient is the tangent projection ``G - V sym(V^T G)`` of the
Euclidean one, directions follow the Hestenes-Stiefel rule (clipped at zero,
reset to steepest descent when not a descent direction), the vector transport
is the tangent projection and the retraction the Q factor of a QR
decomposition with a positive diagonal.  The step length comes from a secant
line search (the first trial is twice the last accepted step, the second the
secant estimate of the minimiser along the line from the slopes at 0 and at
the first trial) with a backtracking fallback; a step is accepted on the
Armijo condition or, once cost differences drop below rounding, on the
approximate Wolfe condition of Hager and Zhang (2005).
All starts advance together so that each iteration is a few batched LAPACK
calls; a start stops once its Riemannian gradient norm is below ``gtol`` (or
its line search fails, or a non-finite value appears), and every loop is
capped.  :func:`newton_polish` finishes a start whose line search can no
longer resolve the decrease (Newton steps on a finite-difference Hessian,
accepted when they reduce the gradient norm).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["StiefelSolution", "newton_polish", "retract", "stiefel_cg", "tangent"]

#: cost and Euclidean gradient of a stack of points, (R, n, K) -> ((R,), (R, n, K))
CostFunction = Callable[[np.ndarray], "tuple[np.ndarray, np.ndarray]"]


@dataclass(frozen=True)
class StiefelSolution:
    """End points of :func:`stiefel_cg`, one per start.

    ``status`` is ``"converged"`` (gradient norm below ``gtol``),
    ``"max_iter"``, ``"line_search"`` (no step decreased the cost) or
    ``"non_finite"`` (a cost or gradient was NaN/inf; ``V`` is the last finite
    point).
    """

    V: np.ndarray
    cost: np.ndarray
    grad_norm: np.ndarray
    status: np.ndarray
    n_iter: np.ndarray

    @property
    def converged(self) -> np.ndarray:
        """Which starts reached the gradient tolerance."""
        return self.status == "converged"


def tangent(V: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Projection of ``G`` onto the tangent space at ``V``: ``G - V sym(V^T G)``."""
    VtG = V.transpose(0, 2, 1) @ G
    return G - V @ ((VtG + VtG.transpose(0, 2, 1)) / 2.0)


def retract(V: np.ndarray) -> np.ndarray:
    """Q factor of ``V`` (a stack) with a non-negative diagonal of R.

    Computed as ``V L^{-T}`` from the Cholesky factor ``L`` of ``V^T V``
    (Cholesky QR; one column is just normalised), repeated once when the
    result is not orthonormal to rounding (its error grows with the square
    of ``cond(V)``; two passes are accurate up to ``cond(V)`` of about
    ``1e7``), and Householder QR where the Cholesky factorisation fails.
    The conjugate-gradient steps ``V + alpha d`` with tangent ``d`` have
    ``V^T V = I + alpha^2 d^T d``, so one pass usually suffices.
    """
    if V.shape[2] == 1:
        norm = np.sqrt(np.einsum("rij,rij->r", V, V))
        if (norm > 0).all() and np.isfinite(norm).all():
            return V / norm[:, None, None]
    else:
        Q, G = V, V.transpose(0, 2, 1) @ V
        eye = np.eye(V.shape[2])
        for _ in range(2):
            try:
                L = np.linalg.cholesky(G)
            except np.linalg.LinAlgError:  # rank deficient or non-finite: Householder below
                break
            if not (np.diagonal(L, axis1=1, axis2=2) > 0).all():
                break
            Q = Q @ np.linalg.inv(L).transpose(0, 2, 1)
            G = Q.transpose(0, 2, 1) @ Q
            if np.abs(G - eye).max() <= 4 * np.finfo(float).eps:
                return Q
    Q, R = np.linalg.qr(V)
    signs = np.where(np.diagonal(R, axis1=1, axis2=2) < 0, -1.0, 1.0)
    return Q * signs[:, None, :]


def _inner(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    return np.einsum("rij,rij->r", A, B)


# status codes inside the loop (strings in the result)
_RUNNING, _CONVERGED, _MAX_ITER, _LINE_SEARCH, _NON_FINITE = range(5)
_STATUS = np.array(["running", "converged", "max_iter", "line_search", "non_finite"])


def stiefel_cg(
    cost: CostFunction,
    V0: np.ndarray,
    *,
    gtol: float = 1e-6,
    max_iter: int = 1000,
    max_backtracks: int = 30,
    armijo: float = 1e-4,
) -> StiefelSolution:
    """Minimise ``cost`` over the Stiefel manifold from every start in ``V0`` (shape (R, n, K)).

    Examples
    --------
    >>> A = np.diag([3.0, 2.0, 1.0])
    >>> def f(V):
    ...     return -np.einsum("rij,ik,rkj->r", V, A, V), -2 * A @ V
    >>> sol = stiefel_cg(f, retract(np.ones((1, 3, 1)) + np.eye(3)[None, :, :1]))
    >>> bool(sol.converged[0]), round(float(abs(sol.V[0, 0, 0])), 6)
    (True, 1.0)
    """
    V = retract(np.asarray(V0, dtype=float))
    n_starts = V.shape[0]
    f, egrad = cost(V)
    g = tangent(V, egrad)
    d = -g
    gnorm = np.sqrt(_inner(g, g))
    step = np.full(n_starts, np.nan)  # length of the last accepted step
    status = np.where(np.isfinite(f) & np.isfinite(g).all(axis=(1, 2)), _RUNNING, _NON_FINITE)
    n_iter = np.zeros(n_starts, dtype=int)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(max_iter):
            status[(status == _RUNNING) & (gnorm <= gtol)] = _CONVERGED
            active = np.flatnonzero(status == _RUNNING)
            if active.size == 0:
                break
            n_iter[active] += 1
            Va, fa, ga, da = V[active], f[active], g[active], d[active]
            slope = _inner(ga, da)
            reset = ~(slope < 0)
            if reset.any():
                da[reset] = -ga[reset]
                slope[reset] = -_inner(ga[reset], ga[reset])
            dnorm = np.sqrt(_inner(da, da))
            last = step[active]
            alpha = np.where(np.isfinite(last), 2.0 * last, 1.0) / dnorm
            V_new, f_new, eg_new, d_old, ok = _line_search(cost, Va, fa, da, slope, alpha, armijo, max_backtracks)
            g_new = tangent(V_new, eg_new)
            finite = np.isfinite(f_new) & np.isfinite(g_new).all(axis=(1, 2))
            status[active[~ok & finite]] = _LINE_SEARCH
            status[active[~finite]] = _NON_FINITE
            moved = ok & finite
            if not moved.all():
                V_new, f_new, g_new, d_old, ga = V_new[moved], f_new[moved], g_new[moved], d_old[moved], ga[moved]
            idx = active[moved]
            # Hestenes-Stiefel direction, with the previous quantities transported by projection
            y = g_new - tangent(V_new, ga)
            denom = _inner(y, d_old)
            beta = np.where(denom != 0, _inner(g_new, y) / denom, 0.0)
            beta = np.where(np.isfinite(beta) & (beta > 0), beta, 0.0)
            V[idx], f[idx], g[idx] = V_new, f_new, g_new
            gnorm[idx] = np.sqrt(_inner(g_new, g_new))
            d[idx] = -g_new + beta[:, None, None] * d_old
            step[idx] = (alpha * dnorm)[moved]
    status[status == _RUNNING] = _MAX_ITER
    return StiefelSolution(V, f, np.sqrt(_inner(g, g)), _STATUS[status], n_iter)


def _accept(f: np.ndarray, slope: np.ndarray, alpha: np.ndarray, f_new: np.ndarray, slope_new: np.ndarray,
            armijo: float) -> np.ndarray:
    """Sufficient decrease (Armijo), or -- when the decrease is below the cost's rounding -- a cost no
    higher than rounding allows and a slope that shrank by half (the approximate Wolfe test of Hager
    and Zhang, which keeps converging after cost differences stop resolving the decrease)."""
    armijo_ok = f_new <= f + armijo * alpha * slope
    approx = (f_new <= f + 1e-12 * np.abs(f)) & (np.abs(slope_new) <= 0.5 * np.abs(slope))
    return (armijo_ok | approx) & np.isfinite(f_new) & np.isfinite(slope_new)


def _evaluate(cost: CostFunction, V: np.ndarray, d: np.ndarray, alpha: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Point ``retract(V + alpha d)``, its cost, Euclidean gradient, the transported ``d`` and the slope.

    The slope ``<grad f, P d>`` needs no projection of the gradient (the
    tangent projection ``P`` is orthogonal)."""
    V_new = retract(V + alpha[:, None, None] * d)
    f_new, eg_new = cost(V_new)
    d_new = tangent(V_new, d)
    return V_new, f_new, eg_new, d_new, _inner(eg_new, d_new)


def _line_search(cost: CostFunction, V: np.ndarray, f: np.ndarray, d: np.ndarray, slope: np.ndarray,
                 alpha: np.ndarray, armijo: float, max_backtracks: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A secant line search along ``retract(V + alpha d)`` with a backtracking fallback.

    The first trial is ``alpha``; the slope there and at 0 give the secant
    estimate of the minimiser along the line, which is tried next (an almost
    exact line search keeps the conjugate directions conjugate).  The better
    acceptable trial is kept; when neither is acceptable the step is
    shrunk by safeguarded quadratic interpolation.  Returns the new points,
    their costs, Euclidean gradients and transported directions, and which
    starts found an acceptable step (the others keep a rejected trial).
    Runs under the caller's ``np.errstate``.
    """
    V_new, f_new, eg_new, d_new, s_new = _evaluate(cost, V, d, alpha)
    f1 = f_new.copy()
    secant = alpha * slope / (slope - s_new)
    use = np.isfinite(secant) & (s_new > slope) & (secant > 0)
    a_new = alpha.copy()
    ok = _accept(f, slope, alpha, f_new, s_new, armijo)
    if use.any():
        rows = np.flatnonzero(use)
        a2 = np.clip(secant[rows], 1e-3 * alpha[rows], 1e3 * alpha[rows])
        V2, f2, eg2, d2, s2 = _evaluate(cost, V[rows], d[rows], a2)
        ok2 = _accept(f[rows], slope[rows], a2, f2, s2, armijo)
        take = ok2 & (~ok[rows] | (f2 <= f1[rows]))
        r = rows[take]
        V_new[r], f_new[r], eg_new[r], d_new[r], s_new[r], a_new[r] = (
            V2[take], f2[take], eg2[take], d2[take], s2[take], a2[take])
        ok[r] = True
    for _ in range(max_backtracks):
        bad = np.flatnonzero(~ok)
        if bad.size == 0:
            break
        a, excess = a_new[bad], f_new[bad] - f[bad] - slope[bad] * a_new[bad]
        quad = -slope[bad] * a * a / (2.0 * excess)
        quad = np.where(np.isnan(quad), 0.5 * a, np.where(quad == np.inf, 0.5 * a, np.where(quad == -np.inf, 0.1 * a, quad)))
        a = np.clip(quad, 0.1 * a, 0.5 * a)
        V_try, f_try, eg_try, d_try, s_try = _evaluate(cost, V[bad], d[bad], a)
        V_new[bad], f_new[bad], eg_new[bad], d_new[bad], s_new[bad], a_new[bad] = V_try, f_try, eg_try, d_try, s_try, a
        ok[bad] = _accept(f[bad], slope[bad], a, f_try, s_try, armijo)
    alpha[:] = a_new
    return V_new, f_new, eg_new, d_new, ok


def _tangent_basis(V: np.ndarray) -> np.ndarray:
    """An orthonormal basis (Frobenius inner product) of the tangent space at ``V`` (n x K), shape (d, n, K)."""
    n, K = V.shape
    Q = np.linalg.qr(V, mode="complete")[0]
    V_perp = Q[:, K:]
    out = []
    for i in range(K):
        for j in range(i + 1, K):
            A = np.zeros((K, K))
            A[i, j], A[j, i] = 1.0 / np.sqrt(2.0), -1.0 / np.sqrt(2.0)
            out.append(V @ A)
    for a in range(n - K):
        for j in range(K):
            E = np.zeros((n, K))
            E[:, j] = V_perp[:, a]
            out.append(E)
    return np.array(out).reshape(-1, n, K)


def _riemannian_hessian(cost: CostFunction, V: np.ndarray, egrad: np.ndarray, basis: np.ndarray,
                        h: float = 1e-5) -> np.ndarray:
    """The Riemannian Hessian in ``basis``: ``<B_i, P_V(D egrad[B_j] - B_j sym(V^T egrad))>``.

    The directional derivatives of the Euclidean gradient are central
    differences (the cost is evaluated off the manifold, where its formula
    extends smoothly), all ``2 d`` of them in one batched call.
    """
    _, eg = cost(np.concatenate([V + h * basis, V - h * basis]))
    d = len(basis)
    D = (eg[:d] - eg[d:]) / (2.0 * h)
    sym = (V.T @ egrad + egrad.T @ V) / 2.0
    Hcols = tangent(np.broadcast_to(V, basis.shape), D - basis @ sym)
    H = np.einsum("inj,mnj->im", basis, Hcols)
    return (H + H.T) / 2.0


def newton_polish(cost: CostFunction, V: np.ndarray, *, gtol: float = 1e-6, max_iter: int = 30) -> tuple[np.ndarray, float, bool]:
    """Riemannian Newton steps from ``V`` (n x K) until the gradient norm is below ``gtol``.

    Near a minimum the cost stops resolving the decrease of a line search
    long before the gradient vanishes (a decrease of ``|g|^2 / (2 L)`` is
    below the cost's rounding when the curvature ``L`` is large), so these
    steps are accepted when they reduce the gradient norm.  The Hessian's
    eigenvalues are floored at ``1e-8`` times the largest in magnitude (flipped
    when negative), so every step is a descent direction.  Returns the point,
    its gradient norm and whether it reached ``gtol``.
    """
    f, eg = cost(V[None])
    g = tangent(V[None], eg)[0]
    gnorm = float(np.sqrt((g * g).sum()))
    for _ in range(max_iter):
        if not np.isfinite(gnorm) or gnorm <= gtol:
            break
        basis = _tangent_basis(V)
        H = _riemannian_hessian(cost, V, eg[0], basis)
        w, U = np.linalg.eigh(H)
        w = np.maximum(np.abs(w), 1e-8 * max(np.abs(w).max(), np.finfo(float).tiny))
        coords = np.einsum("inj,nj->i", basis, g)
        step = -np.einsum("i,inj->nj", U @ ((U.T @ coords) / w), basis)
        for _ in range(10):
            V_new = retract((V + step)[None])[0]
            f_new, eg_new = cost(V_new[None])
            g_new = tangent(V_new[None], eg_new)[0]
            gnorm_new = float(np.sqrt((g_new * g_new).sum()))
            if np.isfinite(gnorm_new) and gnorm_new < gnorm and f_new[0] <= f[0] + 1e-12 * abs(f[0]):
                break
            step = step / 2.0
        else:
            break
        V, f, eg, g, gnorm = V_new, f_new, eg_new, g_new, gnorm_new
    return V, gnorm, bool(gnorm <= gtol)
