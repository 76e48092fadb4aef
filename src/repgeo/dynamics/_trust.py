"""A batched Riemannian trust-region method on O(n) for ``max <A, C B C^T> + <L, C>``.

Written here because no maintained library solves this problem (SciPy has
no optimiser on the orthogonal group, pymanopt would be a heavy dependency
and runs one start at a time).  Every start is a "task" with its own
matrices (a task may solve the swapped problem ``(B, A)``), preconditioner,
point, trust radius and state; all tasks advance together through stacked
NumPy operations, so the Python overhead of an iteration is paid once for
all starts.  The inner CG works on the ``n(n-1)/2`` upper-triangle
coordinates of skew matrices; its Hessian-vector product is five batched
``n x n`` products (optionally in single precision), its preconditioner one
dense ``n(n-1)/2`` product per task (single precision).  Reference: Absil,
Baker & Gallivan (2007), Trust-region methods on Riemannian manifolds,
Found. Comput. Math. 7, 303-330 (Algorithms 1-2, with the preconditioned
truncated CG of Steihaug and Toint).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

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
    ``phi(C) = 1/2 ||A - C B C^T||^2 + 1/2 ||P - C Q||^2``; task ``k`` is
    preconditioned by ``ops[which[k]]`` (see :func:`preconditioner`).

    ``phi`` is evaluated as a residual, not as ``const - <A, C B C^T>``, so that
    its changes keep their relative precision when the distance is near zero.
    """

    A: np.ndarray
    B: np.ndarray
    P: np.ndarray | None
    Q: np.ndarray | None
    which: np.ndarray
    ops: tuple
    split: int | None = field(init=False)

    def __post_init__(self) -> None:
        # with at most two preconditioners and the tasks of the first before those of the second, the
        # preconditioner is applied to two contiguous slices
        first = int(np.count_nonzero(self.which == 0))
        grouped = len(self.ops) <= 2 and bool(np.all(self.which[:first] == 0))
        self.split = first if grouped else None

    def take(self, idx: np.ndarray) -> "Tasks":
        inputs = (None, None) if self.P is None else (self.P[idx], self.Q[idx])
        return Tasks(self.A[idx], self.B[idx], *inputs, self.which[idx], self.ops)

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
        For skew ``W`` this is ``Z - Z^T`` with ``Z = (S + S^T)/4 W - (M/2 W B^T + B^T W M/2)``
        (``W S = -(S^T W)^T``, and likewise for the other terms): five ``n x n`` products.  The cache
        holds ``M/2``, ``(S + S^T)/4`` and ``B^T``.
        """
        M = _t(C) @ self.A @ C
        Bt = _t(self.B)
        MB, BM = M @ Bt, Bt @ M
        G, S = BM - MB, MB + BM
        if self.P is not None:
            N = (_t(C) @ self.P) @ _t(self.Q)
            G, S = G - N, S + N
        return 0.5 * (G - _t(G)), (0.5 * M, 0.25 * (S + _t(S)), Bt)


def _hess(tasks: Tasks, cache, W: np.ndarray) -> np.ndarray:
    """The Hessian applied to skew matrices ``W`` (stacked), from :meth:`Tasks.local`'s cache."""
    Mh, S4, Bt = cache
    Z = S4 @ W - (Mh @ (W @ Bt) + Bt @ (W @ Mh))
    return Z - _t(Z)


@lru_cache(maxsize=64)
def _upper(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n, 1)


@lru_cache(maxsize=64)
def _flat_index(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the upper (``a < b``) and the mirrored lower entries in a row-major ``n x n`` matrix."""
    a, b = _upper(n)
    return a * n + b, b * n + a


# The inner CG works on skew matrices through their upper triangles (``n(n-1)/2`` coordinates, where
# ``<X, Y>_F = 2 x . y``): half the arithmetic of full matrices, and the preconditioner is one product.


def _flat(X: np.ndarray) -> np.ndarray:
    up, _ = _flat_index(X.shape[-1])
    return np.take(X.reshape(len(X), -1), up, axis=1)


@lru_cache(maxsize=64)
def _gather_index(n: int, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """For each entry of a row-major ``n x n`` skew matrix: the upper-triangle coordinate it reads and the
    sign it takes (0 on the diagonal, which reads an arbitrary coordinate)."""
    up, lo = _flat_index(n)
    source, sign = np.zeros(n * n, dtype=np.intp), np.zeros(n * n, dtype=dtype)
    source[up] = source[lo] = np.arange(len(up))
    sign[up], sign[lo] = 1.0, -1.0
    return source, sign


def _full(x: np.ndarray, n: int, dtype=float) -> np.ndarray:
    """The skew matrices whose upper triangles are the rows of ``x`` (one gather and one product)."""
    if x.shape[1] == 0:  # n = 1: the only skew matrix is 0
        return np.zeros((len(x), n, n), dtype=dtype)
    source, sign = _gather_index(n, np.dtype(dtype).type)
    out = np.take(x.astype(dtype, copy=False), source, axis=1)
    out *= sign  # the diagonal becomes a signed zero: x is finite here (the solver checks for NaN)
    return out.reshape(len(x), n, n)


def _fdot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Frobenius inner products of the skew matrices whose upper triangles are the rows of ``x`` and ``y``."""
    return 2.0 * np.einsum("ki,ki->k", x, y)


def _hdot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Half of :func:`_fdot` (one operation fewer in the inner loop)."""
    return np.einsum("ki,ki->k", x, y)


def _hess_flat(tasks: Tasks, cache, d: np.ndarray, n: int) -> np.ndarray:
    up, lo = _flat_index(n)
    Mh, S4, Bt = cache
    D = _full(d, n, Mh.dtype)
    Z = (S4 @ D - (Mh @ (D @ Bt) + Bt @ (D @ Mh))).reshape(len(d), -1)
    return np.take(Z, up, axis=1) - np.take(Z, lo, axis=1)  # take: half the time of fancy indexing


def _precondition(tasks: Tasks, r: np.ndarray) -> np.ndarray:
    # single precision: the preconditioner only steers the inner CG (the gradient, the Hessian and the
    # acceptance test stay double), and the dense product is most of an iteration's work at rank 30
    v = r.astype(np.float32)
    if tasks.split is not None:  # tasks grouped by preconditioner: contiguous slices, no masks
        w = np.empty(r.shape)
        k = tasks.split
        if k:
            w[:k] = v[:k] @ tasks.ops[0]
        if k < len(r):
            w[k:] = v[k:] @ tasks.ops[1]
        return w
    w = np.empty(r.shape)
    for k, op in enumerate(tasks.ops):
        sel = tasks.which == k
        if sel.any():
            w[sel] = v[sel] @ op
    return w


def preconditioner(B: np.ndarray) -> np.ndarray:
    """The approximate inverse Hessian ``W -> Re U ((U^* W U) / D) U^*`` as a matrix on the upper
    triangles of skew matrices.

    Near a good alignment ``M ~ B`` and the Hessian is close to
    ``W -> ad_B^* ad_B W``, whose diagonal in the complex Schur basis ``U`` of
    ``B`` is ``|t_i - t_j|^2 = D_ij``.  The weights are shifted by 1% of their
    largest value (repeated eigenvalues give flat directions) and normalised
    to mean one.  The map is symmetric positive definite on skew matrices and
    moves with ``B``'s coordinates.  Formed once as an ``n(n-1)/2`` square
    matrix (columns: its action on the basis ``e_a e_b^T - e_b e_a^T``), it
    costs one small matrix product per use instead of four complex ones (in
    single precision: it only steers the inner CG).
    """
    T, U = schur(B.astype(complex), output="complex")
    t = np.diag(T)
    D = np.abs(t[:, None] - t[None, :]) ** 2
    top = float(D.max())
    D = (D + (1e-2 * top if top > 0 else 1.0)) / np.mean(D + (1e-2 * top if top > 0 else 1.0))
    n = len(B)
    # entry (a<b, c<d): Re sum_ij (conj(U_ai) U_bj - conj(U_bi) U_aj) U_ci conj(U_dj) / D_ij
    # = K[(a, c), (b, d)] - K[(b, c), (a, d)] with K = Re(P D^-1 P^H), P[(a, c), i] = conj(U_ai) U_ci:
    # two real n^2 x n x n^2 products instead of n(n-1)/2 complex n x n ones
    P = (U.conj()[:, None, :] * U[None, :, :]).reshape(n * n, n)
    E = 1.0 / D
    K = P.real @ E @ P.real.T + P.imag @ E @ P.imag.T
    a, b = _upper(n)
    c, d = a[None, :], b[None, :]
    a, b = a[:, None], b[:, None]
    Y = K[a * n + c, b * n + d] - K[b * n + c, a * n + d]
    return np.ascontiguousarray(Y, dtype=np.float32)


def _truncated_cg(tasks: Tasks, cache, g: np.ndarray, radius: np.ndarray, max_inner: int, n: int):
    """Steihaug-Toint truncated CG, batched: ``min <g, e> + 1/2 <e, H e>`` in each preconditioned ball.

    Vectors are upper triangles of skew matrices (see :func:`_flat`); the
    inner products here are halves of the Frobenius ones, and so are the
    squared radius and target they are compared with.  The state of the
    tasks still iterating is kept compact: it is gathered again only when
    some of them finish, not at every iteration.
    """
    eta_out, h_eta_out = np.zeros_like(g), np.zeros_like(g)
    ids = np.arange(len(g))
    eta, h_eta = np.zeros_like(g), np.zeros_like(g)
    r = g.copy()
    z = _precondition(tasks, r)
    d = -z
    rz = _hdot(r, z)
    g_norm = np.sqrt(_fdot(g, g))
    target2 = 0.5 * (g_norm * np.minimum(np.sqrt(g_norm), 0.1)) ** 2  # superlinear inner stop (theta = 0.5, kappa = 0.1)
    rad2 = 0.5 * radius**2
    e_pe, e_pd, d_pd = np.zeros(len(g)), np.zeros(len(g)), rz.copy()
    for _ in range(max_inner):
        hd = _hess_flat(tasks, cache, d, n)
        dhd = _hdot(d, hd)
        curved = dhd > 0
        alpha = rz / np.where(curved, dhd, 1.0) * curved  # 0 where there is no positive curvature
        e_pe_new = e_pe + 2.0 * alpha * e_pd + alpha * alpha * d_pd
        out = ~curved | (e_pe_new >= rad2)
        step = np.where(out, 0.0, alpha)[:, None]
        eta += step * d
        h_eta += step * hd
        r += step * hd
        finished = out | (_hdot(r, r) <= target2)
        if out.any():  # to the boundary along d (from the point before this step)
            tau = (-e_pd[out] + np.sqrt(e_pd[out] ** 2 + d_pd[out] * (rad2[out] - e_pe[out]))) / d_pd[out]
            eta[out] += tau[:, None] * d[out]
            h_eta[out] += tau[:, None] * hd[out]
        if finished.any():
            eta_out[ids[finished]] = eta[finished]
            h_eta_out[ids[finished]] = h_eta[finished]
            keep = ~finished
            if not keep.any():
                return eta_out, h_eta_out
            ids, tasks, cache = ids[keep], tasks.take(keep), tuple(c[keep] for c in cache)
            eta, h_eta, r, d = eta[keep], h_eta[keep], r[keep], d[keep]
            rz, alpha, e_pe_new, e_pd, d_pd = rz[keep], alpha[keep], e_pe_new[keep], e_pd[keep], d_pd[keep]
            target2, rad2 = target2[keep], rad2[keep]
        z = _precondition(tasks, r)
        rz_new = _hdot(r, z)
        beta = rz_new / rz
        e_pd = beta * (e_pd + alpha * d_pd)
        d_pd = rz_new + beta * beta * d_pd
        e_pe, rz = e_pe_new, rz_new
        d = beta[:, None] * d - z
    eta_out[ids], h_eta_out[ids] = eta, h_eta
    return eta_out, h_eta_out


def _cayley(W: np.ndarray) -> np.ndarray:
    eye = np.eye(W.shape[-1])
    return np.linalg.solve(eye - 0.5 * W, eye + 0.5 * W)


def solve(tasks: Tasks, C: np.ndarray, scale: float, tol: float, max_iter: int, single: bool = False):
    """Riemannian trust region from every start ``C[k]`` at once.

    Returns ``(C, phi, relative gradient norm, converged)`` per task.  A task
    stops when its gradient norm relative to ``scale`` is below ``tol``, when
    its model promises less than ``1e-15 * phi`` (nothing left at double
    precision), or when its radius collapses; ``max_iter`` caps the
    iterations.  A non-finite objective raises ``FloatingPointError``.
    With ``single``, the inner CG's Hessian products run in single
    precision (for loose ``tol`` only: they limit the gradient reduction one
    step can reach to about ``1e-6``).
    """
    K, n, _ = C.shape
    max_inner = max(1, n * (n - 1) // 2)
    radius_max = np.pi
    C_out, f_out = C.copy(), tasks.value(C)
    g_out, conv_out = np.full(K, np.inf), np.zeros(K, bool)
    # compact state of the tasks still running, gathered again only when some stop
    ids, C, f, radius = np.arange(K), C_out.copy(), f_out.copy(), np.full(K, radius_max / 8)
    for _ in range(max_iter):
        g, cache = tasks.local(C)
        if single:
            cache = tuple(c.astype(np.float32) for c in cache)
        g = _flat(g)
        g_rel = np.sqrt(_fdot(g, g)) / scale
        if not np.all(np.isfinite(g_rel)):
            raise FloatingPointError("align_vector_fields: the gradient is not finite; the inputs are ill-scaled")
        g_out[ids] = g_rel
        converged = g_rel <= tol
        eta, h_eta = np.zeros_like(g), np.zeros_like(g)
        running = ~converged
        if running.any():
            sub = tasks if running.all() else tasks.take(running)
            sub_cache = cache if running.all() else tuple(c[running] for c in cache)
            eta[running], h_eta[running] = _truncated_cg(sub, sub_cache, g[running], radius[running], max_inner, n)
        model = -(_fdot(g, eta) + 0.5 * _fdot(eta, h_eta))
        converged |= model <= 1e-15 * f  # no decrease left at double precision
        stepping = ~converged
        if stepping.any():
            C_new = C[stepping] @ _cayley(_full(eta[stepping], n))
            f_new = (tasks if stepping.all() else tasks.take(stepping)).value(C_new)
            if not np.all(np.isfinite(f_new)):
                raise FloatingPointError("align_vector_fields: the objective is not finite; the inputs are ill-scaled")
            rho = (f[stepping] - f_new) / model[stepping]
            rad = radius[stepping]
            radius[stepping] = np.where(rho < 0.25, 0.25 * rad, np.where(rho > 0.75, np.minimum(2 * rad, radius_max), rad))
            accept = np.flatnonzero(stepping)[rho > 0.1]
            C[accept] = C_new[rho > 0.1]
            f[accept] = f_new[rho > 0.1]
        stop = converged | (radius < 1e-14)
        C_out[ids], f_out[ids] = C, f
        conv_out[ids] = converged
        if stop.all():
            break
        if stop.any():
            keep = ~stop
            ids, C, f, radius, tasks = ids[keep], C[keep], f[keep], radius[keep], tasks.take(keep)
    return C_out, f_out, g_out, conv_out
