"""A batched Riemannian trust-region method on O(n) for ``max <A, C B C^T> + <L, C>``.

Written here because no maintained library solves this problem (SciPy has
no optimiser on the orthogonal group, pymanopt would be a heavy dependency
and runs one start at a time).  Every start is a "task" with its own
matrices (a task may solve the swapped problem ``(B, A)``), preconditioner,
point, trust radius and state; all tasks advance together through stacked
NumPy operations, so the Python overhead of an iteration is paid once for
all starts.  Reference: Absil, Baker & Gallivan (2007), Trust-region methods
on Riemannian manifolds, Found. Comput. Math. 7, 303-330 (Algorithms 1-2,
with the preconditioned truncated CG of Steihaug and Toint).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import schur

__all__ = ["Tasks", "preconditioner", "solve"]


def _t(X: np.ndarray) -> np.ndarray:
    return np.swapaxes(X, -1, -2)


def _dot(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return np.einsum("kij,kij->k", X, Y)


@dataclass
class Tasks:
    """Stacked per-task data: ``A, B`` (and ``P, Q``) define
    ``phi(C) = 1/2 ||A - C B C^T||^2 + 1/2 ||P - C Q||^2``; ``U, D`` the preconditioner
    (see :func:`preconditioner`).

    ``phi`` is evaluated as a residual, not as ``const - <A, C B C^T>``, so that
    its changes keep their relative precision when the distance is near zero.
    """

    A: np.ndarray
    B: np.ndarray
    P: np.ndarray | None
    Q: np.ndarray | None
    U: np.ndarray
    D: np.ndarray

    def take(self, idx: np.ndarray) -> "Tasks":
        inputs = (None, None) if self.P is None else (self.P[idx], self.Q[idx])
        return Tasks(self.A[idx], self.B[idx], *inputs, self.U[idx], self.D[idx])

    def value(self, C: np.ndarray) -> np.ndarray:
        R = self.A - C @ self.B @ _t(C)
        v = 0.5 * _dot(R, R)
        if self.P is not None:
            E = self.P - C @ self.Q
            v = v + 0.5 * _dot(E, E)
        return v

    def local(self, C: np.ndarray):
        """Riemannian gradient ``g`` in the Lie algebra at ``C`` and what the Hessian needs.

        With ``M = C^T A C`` and ``N = C^T P Q^T``: ``g = skew(B^T M - M B^T - N)`` and
        ``H[W] = 1/2 skew(S W + W S - 2 M W B^T - 2 B^T W M)``, ``S = M B^T + B^T M + N``.
        """
        M = _t(C) @ self.A @ C
        Bt = _t(self.B)
        MB, BM = M @ Bt, Bt @ M
        G, S = BM - MB, MB + BM
        if self.P is not None:
            N = (_t(C) @ self.P) @ _t(self.Q)
            G, S = G - N, S + N
        return 0.5 * (G - _t(G)), (M, S)


def _hess(tasks: Tasks, cache, W: np.ndarray) -> np.ndarray:
    M, S = cache
    Bt = _t(tasks.B)
    X = S @ W + W @ S - 2.0 * (M @ W @ Bt + Bt @ W @ M)
    return 0.25 * (X - _t(X))


def _precondition(tasks: Tasks, R: np.ndarray) -> np.ndarray:
    U = tasks.U
    Uh = _t(U).conj()
    Y = (U @ ((Uh @ R @ U) / tasks.D) @ Uh).real
    return 0.5 * (Y - _t(Y))


def preconditioner(B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(U, D)`` of the approximate inverse Hessian ``W -> U ((U^* W U) / D) U^*``.

    Near a good alignment ``M ~ B`` and the Hessian is close to
    ``W -> ad_B^* ad_B W``, whose diagonal in the complex Schur basis ``U`` of
    ``B`` is ``|t_i - t_j|^2``.  The weights are shifted by 1% of their
    largest value (repeated eigenvalues give flat directions) and normalised
    to mean one.  The map is symmetric positive definite on skew matrices and
    moves with ``B``'s coordinates.
    """
    T, U = schur(B.astype(complex), output="complex")
    t = np.diag(T)
    D = np.abs(t[:, None] - t[None, :]) ** 2
    top = float(D.max())
    D = D + (1e-2 * top if top > 0 else 1.0)
    return U, D / D.mean()


def _truncated_cg(tasks: Tasks, cache, g: np.ndarray, radius: np.ndarray, max_inner: int):
    """Steihaug-Toint truncated CG, batched: ``min <g, e> + 1/2 <e, H e>`` in each preconditioned ball."""
    K = len(g)
    eta, h_eta = np.zeros_like(g), np.zeros_like(g)
    r = g.copy()
    z = _precondition(tasks, r)
    d = -z
    rz = _dot(r, z)
    g_norm = np.sqrt(_dot(g, g))
    target = g_norm * np.minimum(np.sqrt(g_norm), 0.1)  # superlinear inner stop (theta = 0.5, kappa = 0.1)
    e_pe, e_pd, d_pd = np.zeros(K), np.zeros(K), rz.copy()
    live = np.ones(K, bool)
    for _ in range(max_inner):
        idx = np.flatnonzero(live)
        if idx.size == 0:
            break
        sub = tasks.take(idx) if idx.size < K else tasks
        sub_cache = tuple(c[idx] for c in cache) if idx.size < K else cache
        di = d[idx]
        hd = _hess(sub, sub_cache, di)
        dhd = _dot(di, hd)
        curved = dhd > 0
        alpha = rz[idx] / np.where(curved, dhd, 1.0) * curved  # 0 where there is no positive curvature
        e_pe_new = e_pe[idx] + 2.0 * alpha * e_pd[idx] + alpha * alpha * d_pd[idx]
        out = ~curved | (e_pe_new >= radius[idx] ** 2)
        if out.any():  # to the boundary along d
            o = idx[out]
            tau = (-e_pd[o] + np.sqrt(e_pd[o] ** 2 + d_pd[o] * (radius[o] ** 2 - e_pe[o]))) / d_pd[o]
            eta[o] += tau[:, None, None] * d[o]
            h_eta[o] += tau[:, None, None] * hd[out]
            live[o] = False
        inside = ~out
        if not inside.any():
            continue
        i = idx[inside]
        a = alpha[inside][:, None, None]
        eta[i] += a * d[i]
        h_eta[i] += a * hd[inside]
        r[i] += a * hd[inside]
        small = np.sqrt(_dot(r[i], r[i])) <= target[i]
        live[i[small]] = False
        go = i[~small]
        if go.size == 0:
            continue
        z_go = _precondition(tasks.take(go), r[go])
        rz_new = _dot(r[go], z_go)
        beta = rz_new / rz[go]
        al = alpha[inside][~small]
        e_pd[go] = beta * (e_pd[go] + al * d_pd[go])
        d_pd[go] = rz_new + beta * beta * d_pd[go]
        e_pe[go] = e_pe_new[inside][~small]
        rz[go] = rz_new
        d[go] = -z_go + beta[:, None, None] * d[go]
    return eta, h_eta


def _cayley(W: np.ndarray) -> np.ndarray:
    eye = np.eye(W.shape[-1])
    return np.linalg.solve(eye - 0.5 * W, eye + 0.5 * W)


def solve(tasks: Tasks, C: np.ndarray, scale: float, tol: float, max_iter: int):
    """Riemannian trust region from every start ``C[k]`` at once.

    Returns ``(C, phi, relative gradient norm, converged)`` per task.  A task
    stops when its gradient norm relative to ``scale`` is below ``tol``, when
    its model promises less than ``1e-15 * phi`` (nothing left at double
    precision), or when its radius collapses; ``max_iter`` caps the
    iterations.  A non-finite objective raises ``FloatingPointError``.
    """
    K, n, _ = C.shape
    C = C.copy()
    max_inner = max(1, n * (n - 1) // 2)
    radius_max = np.pi
    radius = np.full(K, radius_max / 8)
    f = tasks.value(C)
    g_rel = np.full(K, np.inf)
    converged = np.zeros(K, bool)
    active = np.ones(K, bool)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        sub = tasks.take(idx)
        g, cache = sub.local(C[idx])
        g_rel[idx] = np.sqrt(_dot(g, g)) / scale
        if not np.all(np.isfinite(g_rel[idx])):
            raise FloatingPointError("align_vector_fields: the gradient is not finite; the inputs are ill-scaled")
        done = g_rel[idx] <= tol
        converged[idx[done]] = True
        active[idx[done]] = False
        if done.all():
            continue
        left = ~done
        idx, g = idx[left], g[left]
        sub, cache = sub.take(np.flatnonzero(left)), tuple(c[left] for c in cache)
        eta, h_eta = _truncated_cg(sub, cache, g, radius[idx], max_inner)
        model = -(_dot(g, eta) + 0.5 * _dot(eta, h_eta))
        done = model <= 1e-15 * f[idx]
        converged[idx[done]] = True
        active[idx[done]] = False
        keep = ~done
        if not keep.any():
            continue
        i = idx[keep]
        C_new = C[i] @ _cayley(eta[keep])
        f_new = sub.take(np.flatnonzero(keep)).value(C_new)
        if not np.all(np.isfinite(f_new)):
            raise FloatingPointError("align_vector_fields: the objective is not finite; the inputs are ill-scaled")
        rho = (f[i] - f_new) / model[keep]
        radius[i] = np.where(rho < 0.25, 0.25 * radius[i], np.where(rho > 0.75, np.minimum(2 * radius[i], radius_max),
                                                                      radius[i]))
        accept = rho > 0.1
        C[i[accept]] = C_new[accept]
        f[i[accept]] = f_new[accept]
        active[i[radius[i] < 1e-14]] = False
    return C, f, g_rel, converged
