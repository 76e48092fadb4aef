"""Batched non-negative least squares for many right-hand sides.

The capacity analyses solve thousands of small NNLS problems
``min_{z >= 0} ||A_p z - b||^2`` in which one matrix ``A_p`` (a manifold) is
shared by many right-hand sides ``b`` (Gaussian draws).  ``scipy.optimize.nnls``
solves one problem per call (about 150 us for a 51 x 50 problem), which makes
the 10,000 solves of a 50-manifold analysis take seconds.  No library offers a
batched NNLS with a shared Gram matrix, so this module writes one by hand: a
primal-dual active-set (semismooth Newton) iteration run in lock-step over all
problems, where each step solves the equality-constrained problems on the
current passive sets with one batched LAPACK call (draws are sorted by passive
set size and solved in chunks padded to the chunk's largest size).  Every
returned solution satisfies the KKT conditions to a tolerance; any problem
that has not converged after ``max_iter`` steps (cycling, a singular passive
Gram block) is handed to ``scipy.optimize.nnls``, so results are always those
of an exact solver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

__all__ = ["BatchedSolution", "batched_nnls"]

_CHUNK = 512


def _solve_passive(At: np.ndarray, G: np.ndarray | None, C: np.ndarray, owner: np.ndarray,
                   passive: np.ndarray) -> np.ndarray:
    """Solve ``(A_P^T A_P) z_P = c_P`` with ``z`` zero off the passive set, per draw.

    ``At`` is the stack of transposed matrices, shape (P, m, d).  Each draw's
    system is gathered from its manifold's Gram matrix when the stack ``G``
    of Gram matrices ``A^T A`` (P, m, m) is given, else formed from the
    gathered passive columns."""
    n, m = passive.shape
    z = np.zeros((n, m))
    sizes = passive.sum(axis=1)
    order = np.argsort(sizes, kind="stable")
    # passive columns first, in index order, for every draw
    cols_all = np.argsort(~passive, axis=1, kind="stable")
    for start in range(0, n, _CHUNK):
        rows = order[start : start + _CHUNK]
        k = int(sizes[rows].max())
        if k == 0:
            continue
        cols = cols_all[rows, :k]
        valid = np.arange(k) < sizes[rows][:, None]
        if G is not None:
            flat = (owner[rows][:, None, None] * m + cols[:, :, None]) * m + cols[:, None, :]
            M = np.take(G.reshape(-1), flat)  # G[owner, cols, cols^T]; a flat take is faster than fancy indexing
        else:
            Ak = At[owner[rows][:, None], cols]  # (rows, k, d): passive columns of A
            M = Ak @ Ak.transpose(0, 2, 1)
        both = valid[:, :, None] & valid[:, None, :]
        M = np.where(both, M, np.eye(k))
        rhs = np.where(valid, C[rows[:, None], cols], 0.0)
        try:
            sol = np.linalg.solve(M, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:
            sol = np.full((rows.size, k), np.nan)
        sub = np.zeros((rows.size, m))
        np.put_along_axis(sub, cols, np.where(valid, sol, 0.0), axis=1)
        z[rows] = sub
    return z


def _gram_times(A: np.ndarray, G: np.ndarray | None, z: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """``A^T A z`` with ``A = A[owner[b]]`` for every row ``b`` (``G``: the Gram matrices, if formed); ``owner`` is sorted."""
    out = np.empty_like(z)
    cuts = np.flatnonzero(np.diff(owner)) + 1
    for rows in np.split(np.arange(owner.size), cuts):
        if rows.size:
            g = owner[rows[0]]
            out[rows] = z[rows] @ G[g] if G is not None else (z[rows] @ A[g].T) @ A[g]
    return out


def _initial_passive(A: np.ndarray, C: np.ndarray, G: np.ndarray | None, n_steps: int = 15) -> np.ndarray:
    """Guess passive sets with a few accelerated projected-gradient steps (``G``: the Gram matrices, if formed)."""
    At = A.transpose(0, 2, 1)

    def gram_times(y: np.ndarray) -> np.ndarray:
        return G @ y if G is not None else At @ (A @ y)

    lipschitz = np.linalg.norm(A, ord=2, axis=(1, 2)) ** 2
    step = 1.0 / np.maximum(lipschitz, 1e-300)[:, None, None]
    z = y = np.zeros_like(C)
    for k in range(n_steps):
        z_new = np.maximum(y - step * (gram_times(y) - C), 0.0)
        y = z_new + (k / (k + 3.0)) * (z_new - z)
        z = z_new
    return z > 0


@dataclass(frozen=True)
class BatchedSolution:
    """Solutions ``z`` of shape (P, m, n) and how many problems went to ``scipy.optimize.nnls``."""

    z: np.ndarray
    n_fallback: int


def batched_nnls(A: np.ndarray, B: np.ndarray, *, max_iter: int = 12, rtol: float = 1e-10) -> BatchedSolution:
    """Solve ``min_{z >= 0} ||A[p] z - B[p][:, j]||`` for every ``p`` and ``j``.

    Parameters
    ----------
    A : ndarray, shape (P, d, m)
        One matrix per group; zero-padded rows or columns are allowed (a zero
        column gets ``z = 0``).
    B : ndarray, shape (P, d, n)
        ``n`` right-hand sides per group.
    max_iter : int
        Active-set steps before unconverged problems go to ``scipy.optimize.nnls``.
    rtol : float
        Relative KKT tolerance.

    Returns
    -------
    BatchedSolution
        ``z`` of shape (P, m, n) and ``n_fallback``, the number of problems
        solved by ``scipy.optimize.nnls``.

    Examples
    --------
    >>> A = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> B = np.array([[[1.0, -1.0], [-2.0, 3.0]]])
    >>> batched_nnls(A, B).z[0]
    array([[1., 0.],
           [0., 3.]])
    """
    P, d, m = A.shape
    n = B.shape[2]
    At = np.ascontiguousarray(A.transpose(0, 2, 1))
    C = At @ B
    Cm = C.transpose(0, 2, 1).reshape(P * n, m)
    owner = np.repeat(np.arange(P), n)
    tol = rtol * (np.abs(Cm).max(axis=1, keepdims=True) + 1.0)
    G = At @ A if m <= 2 * d else None  # the Gram matrices, when no larger than twice the matrices
    passive = _initial_passive(A, C, G).transpose(0, 2, 1).reshape(P * n, m)
    Z = np.zeros((P * n, m))
    # a passive set larger than the rank bound d makes a singular system: such
    # problems (many points in few dimensions) go straight to the exact fallback
    fits = passive.sum(axis=1) <= d
    todo = np.flatnonzero(fits)
    hard = [np.flatnonzero(~fits)]
    for _ in range(max_iter):
        if todo.size == 0:
            break
        z = _solve_passive(At, G, Cm[todo], owner[todo], passive[todo])
        w = _gram_times(A, G, z, owner[todo]) - Cm[todo]
        p = passive[todo]
        with np.errstate(invalid="ignore"):
            done = np.where(p, z >= 0, w >= -tol[todo]).all(axis=1) & np.isfinite(z).all(axis=1)
            passive[todo] = np.where(p, z > 0, w < -tol[todo])
        Z[todo[done]] = z[done]
        todo = todo[~done]
        too_big = passive[todo].sum(axis=1) > d
        hard.append(todo[too_big])
        todo = todo[~too_big]
    todo = np.sort(np.concatenate([todo, *hard]))
    for b in todo:  # exact fallback
        g = owner[b]
        Z[b] = nnls(A[g], B[g, :, b % n])[0]
    return BatchedSolution(Z.reshape(P, n, m).transpose(0, 2, 1), int(todo.size))
