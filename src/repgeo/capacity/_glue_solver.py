"""The GLUE anchor problems of many draws, solved on one shared Gram matrix.

Each draw ``d`` has a Gaussian vector ``t_d`` and labels ``y_d`` and asks for
``z* = argmin_z |z - t|^2  s.t.  y_mu <z, x> <= -kappa`` for every point ``x``
of every manifold ``mu`` (the sign-flipped form of ``y <z, x> >= kappa``; the
two are equivalent because ``t`` and ``-t`` are equally likely).  With the
points as the columns of a factor ``B`` (``B^T B = G``, the Gram matrix of all
points) and ``D = diag(y)`` per point, its dual is the non-negative quadratic
program

``min_{lambda >= 0}  1/2 lambda^T D G D lambda - lambda^T (D B^T t + kappa 1)``,

with ``t - z* = B D lambda*`` and ``F = |B D lambda*|^2``.  A dichotomy's
sign flips only conjugate ``G`` by ``D``, so every draw shares ``G``: on a
passive set ``P`` the stationarity condition is ``G_PP v_P = (B^T t)_P +
kappa y_P`` with ``v = D lambda``.

:func:`solve_draws` runs a primal-dual active-set (semismooth Newton) iteration
in lock-step over all draws (one batched LAPACK call per chunk of draws of
similar passive-set size, starting from a few accelerated projected-gradient
steps); a draw that has not met the KKT conditions after ``max_iter`` steps is
handed to an exact per-draw solver (``scipy.optimize.nnls`` at ``kappa = 0``,
the Lawson-Hanson active-set method for the quadratic program otherwise), so
results are always those of an exact solver.  :func:`solve_draws_per_draw` is
that exact solver alone, the baseline of ``benchmarks/bench_glue.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

__all__ = ["DrawSolution", "lawson_hanson_qp", "solve_draws", "solve_draws_per_draw"]

#: relative KKT tolerance of the active-set iteration
_RTOL = 1e-10
#: largest number of gathered Gram entries per batched solve (memory bound of a chunk)
_CHUNK_ENTRIES = 4_000_000


@dataclass(frozen=True)
class DrawSolution:
    """Dual solutions ``lam`` (n_draws, n_points), costs ``F`` and how many draws needed the exact fallback."""

    lam: np.ndarray
    F: np.ndarray
    n_fallback: int


def lawson_hanson_qp(Q: np.ndarray, q: np.ndarray, *, max_iter: int | None = None) -> np.ndarray:
    """``argmin_{x >= 0} 1/2 x^T Q x + q^T x`` for positive semi-definite ``Q`` (Lawson-Hanson active set).

    The NNLS algorithm of Lawson and Hanson (1974, ch. 23) written for the
    normal equations, so that it also takes the linear term of a margin.  The
    iteration count is capped at ``3 n`` outer steps (each adds one index).

    Examples
    --------
    >>> lawson_hanson_qp(np.eye(2), np.array([-1.0, 2.0]))
    array([1., 0.])
    """
    n = len(q)
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    scale = max(float(np.abs(Q).max()), float(np.abs(q).max()), np.finfo(float).tiny)
    tol = 1e-12 * scale * n
    for _ in range(max_iter or 3 * n):
        w = -(Q @ x + q)
        candidates = np.flatnonzero(~passive & (w > tol))
        if candidates.size == 0:
            break
        passive[candidates[np.argmax(w[candidates])]] = True
        for _ in range(3 * n):
            idx = np.flatnonzero(passive)
            s = np.zeros(n)
            s[idx] = np.linalg.lstsq(Q[np.ix_(idx, idx)], -q[idx], rcond=None)[0]
            if (s[idx] > 0).all():
                x = s
                break
            neg = idx[s[idx] <= 0]
            gap = x[neg] - s[neg]  # >= 0; zero only for an index just added with s = 0 (no move possible)
            step = float(np.min(np.where(gap > 0, x[neg] / np.where(gap > 0, gap, 1.0), 0.0)))
            x = x + step * (s - x)
            passive &= x > tol / scale
            x[~passive] = 0.0
    return x


def _exact(B: np.ndarray, y_points: np.ndarray, t: np.ndarray, kappa: float, G: np.ndarray) -> np.ndarray:
    """One draw by an exact solver: ``scipy.optimize.nnls`` at ``kappa = 0``, Lawson-Hanson otherwise."""
    if kappa == 0.0:
        return nnls(B * y_points, t)[0]
    Q = G * np.outer(y_points, y_points)
    return lawson_hanson_qp(Q, -(y_points * (B.T @ t)) - kappa)


def solve_draws_per_draw(B: np.ndarray, owner: np.ndarray, T: np.ndarray, Y: np.ndarray,
                         kappa: float = 0.0) -> DrawSolution:
    """Every draw by the exact per-draw solver (no shared work): the reference path."""
    G = B.T @ B if kappa else None
    lam = np.array([_exact(B, Y[d, owner], T[d], kappa, G) for d in range(len(T))])
    return DrawSolution(lam, _costs(B, Y[:, owner], lam), len(T))


def _costs(B: np.ndarray, signs: np.ndarray, lam: np.ndarray) -> np.ndarray:
    return (((lam * signs) @ B.T) ** 2).sum(axis=1)


def _initial_passive(B: np.ndarray, signs: np.ndarray, rhs: np.ndarray, n_steps: int = 25,
                     keep: float = 0.3) -> np.ndarray:
    """Passive-set guesses: the largest entries of a few accelerated projected-gradient steps on the duals.

    The gradient steps switch on far more points than the solution uses (it
    has at most ``rank`` of them and usually far fewer); only the ``keep``
    share with the largest weights is kept, and the active-set iteration adds
    what is missing (a small passive set keeps the first solves cheap).
    """
    u = np.ones(B.shape[0])
    for _ in range(30):  # power iteration for |B|_2^2, the gradient's Lipschitz constant
        u = B @ (B.T @ u)
        u /= max(float(np.linalg.norm(u)), np.finfo(float).tiny)
    lipschitz = 1.1 * float(np.linalg.norm(B.T @ u)) ** 2  # a margin over the power-iteration estimate
    step = 1.0 / max(lipschitz, np.finfo(float).tiny)
    lam = mom = np.zeros_like(rhs)
    for k in range(n_steps):
        grad = signs * (((mom * signs) @ B.T) @ B) - signs * rhs  # D G D lam - D (B^T t + kappa y)
        new = np.maximum(mom - step * grad, 0.0)
        mom = new + (k / (k + 3.0)) * (new - lam)
        lam = new
    n_keep = np.ceil(keep * (lam > 0).sum(axis=1)).astype(int)
    rank_in_row = np.argsort(np.argsort(-lam, axis=1, kind="stable"), axis=1, kind="stable")
    return (lam > 0) & (rank_in_row < n_keep[:, None])


def _solve_passive(G: np.ndarray, rhs: np.ndarray, passive: np.ndarray) -> np.ndarray:
    """``v`` with ``G_PP v_P = rhs_P`` on each row's passive set and ``v = 0`` elsewhere (NaN if singular)."""
    n_draws, n = passive.shape
    v = np.zeros((n_draws, n))
    sizes = passive.sum(axis=1)
    order = np.argsort(sizes, kind="stable")
    cols_all = np.argsort(~passive, axis=1, kind="stable")  # passive columns first
    start = 0
    while start < n_draws:
        k = int(sizes[order[start]])
        if k == 0:
            start += 1
            continue
        chunk = max(1, _CHUNK_ENTRIES // (k * k))
        rows = order[start : start + chunk]
        k = int(sizes[rows].max())
        cols = cols_all[rows, :k]
        valid = np.arange(k) < sizes[rows][:, None]
        M = G[cols[:, :, None], cols[:, None, :]]
        M = np.where(valid[:, :, None] & valid[:, None, :], M, np.eye(k))
        b = np.where(valid, np.take_along_axis(rhs[rows], cols, axis=1), 0.0)
        try:
            sol = np.linalg.solve(M, b[..., None])[..., 0]
        except np.linalg.LinAlgError:  # some block is singular: solve the chunk's blocks one by one
            sol = np.array([_solve_or_nan(m, r) for m, r in zip(M, b)])
        sub = np.zeros((rows.size, n))
        np.put_along_axis(sub, cols, np.where(valid, sol, 0.0), axis=1)
        v[rows] = sub
        start += rows.size
    return v


def _solve_or_nan(M: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(M, b)
    except np.linalg.LinAlgError:
        return np.full_like(b, np.nan)


def solve_draws(B: np.ndarray, owner: np.ndarray, T: np.ndarray, Y: np.ndarray, kappa: float = 0.0,
                *, max_iter: int = 20) -> DrawSolution:
    """Solve the anchor problems of all draws (rows of ``T`` and ``Y``) on the shared Gram matrix.

    ``B`` is the (rank, n_points) factor, ``owner[i]`` the manifold of point
    ``i``.  Returns the dual solutions, ``F = |B D lambda|^2`` per draw and
    the number of draws solved by the exact per-draw fallback.

    Examples
    --------
    >>> B = np.eye(2); owner = np.array([0, 1])
    >>> sol = solve_draws(B, owner, np.array([[1.0, 1.0]]), np.array([[1.0, -1.0]]))
    >>> sol.lam, sol.F
    (array([[1., 0.]]), array([1.]))
    """
    signs = Y[:, owner]
    rank = B.shape[0]
    G = B.T @ B
    rhs = T @ B + kappa * signs  # (B^T t)_i + kappa y_i: the passive system's right-hand side in v = D lam
    tol = _RTOL * (np.abs(rhs).max(axis=1, keepdims=True) + kappa + 1e-300) * max(float(np.abs(G).max()), 1.0)
    passive = _initial_passive(B, signs, rhs)
    lam = np.zeros_like(rhs)
    todo = np.flatnonzero(passive.sum(axis=1) <= rank)
    hard = [np.flatnonzero(passive.sum(axis=1) > rank)]  # more passive points than dimensions: singular
    for _ in range(max_iter):
        if todo.size == 0:
            break
        v = _solve_passive(G, rhs[todo], passive[todo])
        lam_t = v * signs[todo]
        w = signs[todo] * ((v @ B.T) @ B - rhs[todo])  # the dual gradient D (G v - B^T t) - kappa
        p = passive[todo]
        with np.errstate(invalid="ignore"):
            done = np.where(p, lam_t >= 0, w >= -tol[todo]).all(axis=1) & np.isfinite(v).all(axis=1)
            violated = ~p & (w < -tol[todo])
        # add at most as many violators as the passive set holds (the most violated first), so that a
        # small passive set grows geometrically instead of jumping to half of all points
        # and never more than ``rank`` in all: a larger passive block is singular (when ``t`` lies inside
        # the cone -- a non-separable dichotomy -- every basic solution has at most ``rank`` points)
        kept = p & (lam_t > 0)
        room = np.minimum(np.maximum(p.sum(axis=1), 8), rank - kept.sum(axis=1))
        order = np.argsort(np.argsort(np.where(violated, w, np.inf), axis=1, kind="stable"), axis=1, kind="stable")
        passive[todo] = kept | (violated & (order < room[:, None]))
        lam[todo[done]] = np.maximum(lam_t[done], 0.0)
        todo = todo[~done]
    fallback = np.sort(np.concatenate([todo, *hard]))
    for d in fallback:
        lam[d] = _exact(B, signs[d], T[d], kappa, G)
    return DrawSolution(lam, _costs(B, signs, lam), int(fallback.size))
