"""Procrustes analysis over vector fields: ``min_C ||A - C B C^T||_F`` over the orthogonal group.

No maintained library solves this problem (a quadratic objective on O(n),
non-convex, with many local minima), so it is written here: a Riemannian
trust-region method with a preconditioned truncated conjugate-gradient
inner solver (Absil, Baker & Gallivan 2007), the exact gradient and Hessian
in the Lie algebra of skew-symmetric matrices, a Cayley retraction, and
deterministic starting points in both components of O(n).  Starting points
come from frames built from each matrix alone (real Schur vectors in two
eigenvalue orders, eigenvectors of the symmetric part, the identity), with
the column signs chosen by a greedy search in each component; their
results do not depend on the coordinates the matrices are written in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy.linalg import schur
from scipy.linalg.lapack import dtrexc
from scipy.optimize import linear_sum_assignment

from .._validation import as_float_array, check_positive_int, check_rng

__all__ = ["VectorFieldAlignment", "align_vector_fields", "eigenvalue_wasserstein"]


@dataclass(frozen=True, eq=False)
class VectorFieldAlignment:
    """The best orthogonal alignment found for two linear vector fields.

    Attributes
    ----------
    rotation : ndarray of shape (n, n)
        Orthogonal ``C`` (determinant ``determinant``) minimising
        ``||A - C B C^T||_F`` (plus ``||P - C Q||_F^2`` with inputs).
    angular : float
        ``arccos`` of the cosine between ``A`` and ``C B C^T``, in ``[0, pi]``
        (radians), computed from the residual so that small angles keep
        their digits.
    euclidean : float
        ``||A - C B C^T||_F`` (with inputs, the root of the summed squares).
    cosine : float
        ``<A, C B C^T> / (||A|| ||B||)``.
    determinant : int
        ``+1`` or ``-1``: the component of O(n) holding the best ``C``.
    n_starts : int
        Starting points optimised.
    gradient_norm : float
        Riemannian gradient norm at ``C``, relative to ``||A_0|| ||B_0||``
        (traceless parts).
    converged : bool
        The trust-region method met its tolerance from the winning start.
    """

    rotation: np.ndarray
    angular: float
    euclidean: float
    cosine: float
    determinant: int
    n_starts: int
    gradient_norm: float
    converged: bool


# ----------------------------------------------------------------------------- objective in the Lie algebra


def _skew(X: np.ndarray) -> np.ndarray:
    return 0.5 * (X - X.T)


def _cayley(W: np.ndarray) -> np.ndarray:
    eye = np.eye(len(W))
    return np.linalg.solve(eye - 0.5 * W, eye + 0.5 * W)


class _Problem:
    """Minimise ``phi(C) = -<A, C B C^T> - <L, C>`` (``L = P Q^T``) near ``C`` along ``C e^W``.

    With ``M = C^T A C`` and ``N = C^T L``, the Riemannian gradient and Hessian
    (bi-invariant metric, skew ``W``) are ``g = skew(B^T M - M B^T - N)`` and
    ``H[W] = 1/2 skew(S W + W S - 2 M W B^T - 2 B^T W M)`` with
    ``S = M B^T + B^T M + N``.
    """

    def __init__(self, A: np.ndarray, B: np.ndarray, L: np.ndarray | None) -> None:
        self.A, self.B, self.L = A, B, L

    def value(self, C: np.ndarray) -> float:
        v = -float(np.vdot(self.A, C @ self.B @ C.T))
        return v - float(np.vdot(self.L, C)) if self.L is not None else v

    def local(self, C: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
        A, B = self.A, self.B
        M = C.T @ A @ C
        MB, BM = M @ B.T, B.T @ M
        G = BM - MB
        S = MB + BM
        if self.L is not None:
            N = C.T @ self.L
            G = G - N
            S = S + N
        g = _skew(G)

        def hess(W: np.ndarray) -> np.ndarray:
            X = S @ W + W @ S - 2.0 * (M @ W @ B.T + B.T @ W @ M)
            return 0.25 * (X - X.T)

        return g, hess


def _preconditioner(B: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Approximate inverse Hessian ``(ad_B^* ad_B + delta)^{-1}``, diagonal in B's complex Schur basis.

    Near a good alignment ``M ~ B`` and the Hessian is close to
    ``W -> ad_B^* ad_B W``; in the Schur basis of ``B`` its diagonal is
    ``|t_i - t_j|^2``.  The weights are shifted by 1% of their largest value
    (repeated eigenvalues give flat directions) and normalised to mean one.
    """
    T, U = schur(B.astype(complex), output="complex")
    t = np.diag(T)
    D = np.abs(t[:, None] - t[None, :]) ** 2
    top = float(D.max())
    D = D + (1e-2 * top if top > 0 else 1.0)
    D = D / D.mean()
    Uh = U.conj().T

    def apply(R: np.ndarray) -> np.ndarray:
        Y = (U @ ((Uh @ R @ U) / D) @ Uh).real
        return 0.5 * (Y - Y.T)

    return apply


def _truncated_cg(g, hess, precond, radius, max_inner):
    """Steihaug-Toint truncated CG for ``min <g, e> + 1/2 <e, H e>`` in the preconditioned ball."""
    eta = np.zeros_like(g)
    h_eta = np.zeros_like(g)
    r = g.copy()
    z = precond(r)
    d = -z
    rz = float(np.vdot(r, z))
    g_norm = float(np.sqrt(np.vdot(g, g)))
    e_pe, e_pd, d_pd = 0.0, 0.0, rz
    for _ in range(max_inner):
        hd = hess(d)
        dhd = float(np.vdot(d, hd))
        alpha = rz / dhd if dhd > 0 else np.inf
        e_pe_new = e_pe + 2.0 * alpha * e_pd + alpha * alpha * d_pd
        if dhd <= 0 or e_pe_new >= radius * radius:  # to the boundary along d
            tau = (-e_pd + np.sqrt(e_pd * e_pd + d_pd * (radius * radius - e_pe))) / d_pd
            return eta + tau * d, h_eta + tau * hd
        eta = eta + alpha * d
        h_eta = h_eta + alpha * hd
        r = r + alpha * hd
        r_norm = float(np.sqrt(np.vdot(r, r)))
        if r_norm <= g_norm * min(np.sqrt(g_norm), 0.1):  # superlinear inner stop (theta = 0.5, kappa = 0.1)
            break
        z = precond(r)
        rz_new = float(np.vdot(r, z))
        beta = rz_new / rz
        e_pd = beta * (e_pd + alpha * d_pd)
        d_pd = rz_new + beta * beta * d_pd
        e_pe, rz = e_pe_new, rz_new
        d = -z + beta * d
    return eta, h_eta


def _trust_region(problem: _Problem, C: np.ndarray, precond, scale: float, tol: float, max_iter: int):
    """Riemannian trust-region from ``C``; returns ``(C, phi, relative gradient norm, converged)``."""
    n = len(C)
    max_inner = max(1, n * (n - 1) // 2)
    radius_max = np.pi
    radius = radius_max / 8
    f = problem.value(C)
    converged = False
    g_rel = np.inf
    for _ in range(max_iter):
        g, hess = problem.local(C)
        g_rel = float(np.sqrt(np.vdot(g, g))) / scale
        if not np.isfinite(g_rel):
            raise FloatingPointError("align_vector_fields: the gradient is not finite; the inputs are ill-scaled")
        if g_rel <= tol:
            converged = True
            break
        eta, h_eta = _truncated_cg(g, hess, precond, radius, max_inner)
        model = -(float(np.vdot(g, eta)) + 0.5 * float(np.vdot(eta, h_eta)))
        if model <= 1e-15 * scale:  # what is left changes the cosine by less than ~1e-15
            converged = True
            break
        C_new = C @ _cayley(eta)
        f_new = problem.value(C_new)
        rho = (f - f_new) / model
        if rho < 0.25:
            radius *= 0.25
        elif rho > 0.75:
            radius = min(2.0 * radius, radius_max)
        if rho > 0.1:
            C, f = C_new, f_new
        if radius < 1e-14:
            break
    return C, f, g_rel, converged


def _multistart(tasks: list, scale: float, tol: float, max_iter: int):
    """Screen every start to a loose tolerance, then refine the few whose values lie near the best.

    ``tasks`` holds ``(problem, preconditioner, C0, transposed)``; a
    transposed task solves the swapped problem ``(B, A)`` from ``C0^T`` (same
    objective values, another preconditioner, so other paths to other local
    optima).  Most of a start's cost is its final, quadratically convergent
    phase, so screening first is several times cheaper than refining every
    start; a start is refined when its screened value is within
    ``1e-3 * scale`` of the best, at most ``_REFINED`` of them.
    """
    screened = []
    for problem, precond, C0, transposed in tasks:
        C, f, _, _ = _trust_region(problem, C0.T if transposed else C0, precond, scale, _SCREEN_TOL, max_iter)
        screened.append((f, C, problem, precond, transposed))
    screened.sort(key=lambda item: item[0])
    f_best = screened[0][0]
    best = None
    for f, C, problem, precond, transposed in screened[:_REFINED]:  # noqa: B007
        if f > f_best + 1e-3 * scale:
            break
        C, f, g_rel, converged = _trust_region(problem, C, precond, scale, tol, max_iter)
        if best is None or f < best[1]:
            best = (C.T if transposed else C, f, g_rel, converged)
    return best


_SCREEN_TOL = 1e-3
_REFINED = 5


# ----------------------------------------------------------------------------- starting points


def _blocks(T: np.ndarray) -> list[tuple[int, int]]:
    n, out, i = len(T), [], 0
    while i < n:
        size = 2 if i + 1 < n and T[i + 1, i] != 0.0 else 1
        out.append((i, size))
        i += size
    return out


def _block_eig(T: np.ndarray, i: int, size: int) -> complex:
    if size == 1:
        return complex(T[i, i])
    ev = np.linalg.eigvals(T[i:i + 2, i:i + 2])
    return complex(ev[np.argmax(ev.imag)])


_ORDERS = {
    "modulus": lambda lam: (-abs(lam), -abs(lam.imag), -lam.real),
    "angle": lambda lam: (-abs(np.angle(lam)), -abs(lam), -lam.real),
}


def _ordered_schur(A: np.ndarray, order: str) -> tuple[np.ndarray, np.ndarray]:
    """Real Schur form ``A = Z T Z^T`` with its diagonal blocks sorted by ``order`` (via LAPACK trexc)."""
    T, Z = schur(A, output="real")
    key = _ORDERS[order]
    pos = 0
    for _ in range(len(A)):
        rest = [b for b in _blocks(T) if b[0] >= pos]
        if not rest:
            break
        start, _size = min(rest, key=lambda b: key(_block_eig(T, *b)))
        if start != pos:
            T_new, Z_new, info = dtrexc(T, Z, start + 1, pos + 1)
            if info != 0:  # a swap too ill-conditioned to perform: keep the order reached so far
                break
            T, Z = T_new, Z_new
        pos += 2 if pos + 1 < len(A) and T[pos + 1, pos] != 0.0 else 1
    return T, Z


def _canonical(Z: np.ndarray, A: np.ndarray, pairs: list[int]) -> np.ndarray:
    """Remove a frame's arbitrary choices using ``A`` itself, so that the frame of ``Q A Q^T`` is ``Q Z``.

    Inside each 2-D invariant plane (columns ``k, k+1`` for ``k`` in ``pairs``)
    a normal block is unchanged by rotations, so LAPACK's choice of basis
    there is arbitrary: the plane is rotated to diagonalise the symmetric
    part of ``A`` (larger eigenvalue first).  Then column signs are fixed by
    ``(Z^T A Z)[k, k+1] >= 0`` (up to the one global sign that no alignment
    can see).
    """
    Z = Z.copy()
    S = A + A.T
    for k in pairs:
        plane = Z[:, k:k + 2]
        _, R = np.linalg.eigh(plane.T @ S @ plane)
        Z[:, k:k + 2] = plane @ R[:, ::-1]
    T = Z.T @ A @ Z
    signs = np.concatenate([[1.0], np.cumprod(np.where(np.diag(T, 1) < 0, -1.0, 1.0))])
    return Z * signs


def _frames(A: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Orthogonal frames built from ``A`` alone (equivariant: a frame of ``Q A Q^T`` is ``Q`` times one of ``A``).

    Real Schur vectors with eigenvalues sorted by modulus and by angle, and
    eigenvectors of the symmetric and of the skew-symmetric part; with the
    eigenvalue each column of the first frame carries (see
    :func:`_position_eigenvalues`).
    """
    out, lam = [], None
    for M, order in ((A, "modulus"), (A, "angle"), (A - A.T, "modulus")):
        T, Z = _ordered_schur(M, order)
        pairs = [k for k, size in _blocks(T) if size == 2]
        out.append(_canonical(Z, A, pairs))
        if lam is None:
            lam = _position_eigenvalues(out[0], A, pairs)
    out.insert(2, _canonical(np.linalg.eigh(A + A.T)[1][:, ::-1], A, []))
    return out, lam


def _position_eigenvalues(Z: np.ndarray, A: np.ndarray, pairs: list[int]) -> np.ndarray:
    """The eigenvalue each column of a canonical real Schur frame carries.

    A 2-D block (columns ``k, k+1`` for ``k`` in ``pairs``) carries
    ``lambda`` and its conjugate; which column gets the one with positive
    imaginary part follows the block's sense of rotation, so that swapping
    the two columns (a reflection of the plane) swaps them.
    """
    T = Z.T @ A @ Z
    lam = np.diag(T).astype(complex)
    for k in pairs:
        ev = np.linalg.eigvals(T[k:k + 2, k:k + 2])
        up = complex(ev[0].real, abs(ev[0].imag))
        lam[k], lam[k + 1] = (up, up.conjugate()) if T[k + 1, k] >= T[k, k + 1] else (up.conjugate(), up)
    return lam


def _greedy_signs(W: np.ndarray, lin: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Local search over signs ``d`` for ``max d^T W d + lin^T d`` (single flips)."""
    Ws = W + W.T
    diag = np.diag(Ws)
    for _ in range(4 * len(d) + 4):
        gains = -2.0 * d * (Ws @ d - diag * d) - 2.0 * lin * d
        i = int(np.argmax(gains))
        if gains[i] <= 1e-15 * (np.abs(W).sum() + np.abs(lin).sum()):
            break
        d[i] = -d[i]
    return d


def _padded_frames(A: np.ndarray, n: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Frames of the unpadded ``A``, extended by the identity on the zero-padded coordinates
    (the padded matrix has repeated zero eigenvalues, whose eigenvectors no frame could fix), and the
    eigenvalues carried by the columns of the first (Schur, by modulus) frame."""
    k = len(A)
    frames, lam = _frames(A)
    lam = np.concatenate([lam, np.zeros(n - k)])
    pad = [np.block([[Z, np.zeros((k, n - k))], [np.zeros((n - k, k)), np.eye(n - k)]]) for Z in frames]
    return pad, lam


def _matched(frame_b: np.ndarray, lam_a: np.ndarray, lam_b: np.ndarray) -> np.ndarray:
    """B's Schur frame with its columns reordered so that column i carries the eigenvalue matched to A's
    column i (linear assignment on ``|lambda_i - mu_j|^2``): for normal matrices this is the optimum of
    Hoffman and Wielandt, in general a start near the eigenvalue-matching alignment."""
    cost = np.abs(lam_a[:, None] - lam_b[None, :]) ** 2
    _, cols = linear_sum_assignment(cost)
    return frame_b[:, cols]


def _starts(A0, B0, P, Q, n_random, rng, frames_a, frames_b) -> list[np.ndarray]:
    """Starts in both components of O(n): ``Z_A D Z_B^T`` over frame pairs with greedy signs ``D``,
    then ``n_random`` starts ``Z_A G Z_B^T`` with Haar-random ``G`` (in the first frames, so that they
    too move with the coordinates)."""
    out = []
    for ZA, ZB in zip(frames_a, frames_b):
        TA, TB = ZA.T @ A0 @ ZA, ZB.T @ B0 @ ZB
        W = TA * TB
        lin = np.einsum("ij,ij->i", ZA.T @ P, ZB.T @ Q) if P is not None else np.zeros(len(W))
        d = _greedy_signs(W, lin, np.ones(len(W)))
        Ws = W + W.T
        gains = -2.0 * d * (Ws @ d - np.diag(Ws) * d) - 2.0 * lin * d
        flipped = d.copy()
        flipped[int(np.argmax(gains))] *= -1  # the best start in the other component
        out += [(ZA * d) @ ZB.T, (ZA * flipped) @ ZB.T]
    for _ in range(n_random):
        G, R = np.linalg.qr(rng.standard_normal(A0.shape))
        out.append(frames_a[0] @ (G * np.sign(np.diag(R))) @ frames_b[0].T)
    unique: list[np.ndarray] = []
    for C in out:
        if not any(np.abs(C - U).max() < 1e-12 for U in unique):
            unique.append(C)
    return unique


# ----------------------------------------------------------------------------- public functions


def _frobenius(X: np.ndarray) -> float:
    top = float(np.abs(X).max()) if X.size else 0.0
    if top == 0.0:
        return 0.0
    e = int(np.frexp(top)[1])
    return float(np.ldexp(np.linalg.norm(np.ldexp(X, -e)), e))


def _square(X: Any, name: str) -> np.ndarray:
    arr = as_float_array(X, name, ndim=2)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square (n, n) matrix; got shape {arr.shape}")
    return arr


def _pad(X: np.ndarray, n: int, axis: tuple[int, ...]) -> np.ndarray:
    width = [(0, n - X.shape[a]) if a in axis else (0, 0) for a in range(X.ndim)]
    return np.pad(X, width)


def align_vector_fields(
    A: Any,
    B: Any,
    *,
    input_a: Any = None,
    input_b: Any = None,
    n_random_starts: int = 0,
    rng: Any = 0,
    tol: float = 1e-9,
    max_iter: int = 200,
) -> VectorFieldAlignment:
    r"""Procrustes analysis over vector fields: the orthogonal ``C`` minimising ``||A - C B C^T||_F``.

    Parameters
    ----------
    A, B : array_like of shape (n, n) and (m, m)
        Linear dynamics ``x -> A x`` and ``y -> B y``.  A smaller matrix is
        zero-padded to the larger size.
    input_a, input_b : array_like of shape (n, k), optional
        Input matrices of driven systems ``x -> A x + P u``; with them the
        objective adds ``||P - C Q||_F^2`` (the input coordinates are shared,
        the state coordinates are aligned).
    n_random_starts : int >= 0, default 0
        Haar-random starting points added to the deterministic ones.
    rng : None, int or Generator, default 0
        Draws the random starting points.
    tol : float, default 1e-9
        Stop when the Riemannian gradient norm relative to ``||A_0|| ||B_0||``
        falls below it (or when no decrease is left at double precision).
    max_iter : int, default 200
        Trust-region iterations per start.

    Returns
    -------
    VectorFieldAlignment

    Notes
    -----
    Minimising ``||A - C B C^T||^2 = ||A||^2 + ||B||^2 - 2 <A, C B C^T>`` is
    maximising ``<A_0, C B_0 C^T>`` over traceless parts (the identity part
    is constant), after scaling both to unit norm.  The problem is
    non-convex with many local optima; each start is refined to a local
    optimum by a Riemannian trust-region method on O(n) with exact gradient
    and Hessian, and the best is kept.  The starts are ``Z_A D Z_B^T`` for
    frames ``Z`` computed from each matrix alone -- real Schur vectors with
    eigenvalues sorted by modulus and by angle, eigenvectors of the
    symmetric and of the skew-symmetric part, column signs fixed by the
    matrix -- and sign matrices ``D`` chosen greedily for each determinant,
    so both components of O(n) are searched; each start is also run on the
    swapped problem ``(B, A)``, whose preconditioner differs.  The starts
    move with the coordinates (a frame of ``Q A Q^T`` is ``Q`` times a frame
    of ``A``), so the result does not depend on the orthogonal basis ``A``
    and ``B`` are written in, even where the optimum found is only local.
    Nothing certifies a global optimum: the value is an upper bound on the
    true minimum (random restarts, ``n_random_starts``, occasionally find a
    lower one; see the notes of :class:`repgeo.DSA`).

    References
    ----------
    Ostrow, Eisen, Kozachkov & Fiete (2023). Beyond geometry: comparing the
    temporal structure of computation in neural circuits with dynamical
    similarity analysis. NeurIPS.  Absil, Baker & Gallivan (2007).
    Trust-region methods on Riemannian manifolds. Found. Comput. Math. 7.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((5, 5))
    >>> Q = np.linalg.qr(rng.standard_normal((5, 5)))[0]
    >>> res = align_vector_fields(A, Q @ A @ Q.T)
    >>> bool(res.euclidean < 1e-8), bool(np.allclose(res.rotation @ Q @ A @ Q.T @ res.rotation.T, A))
    (True, True)
    """
    A, B = _square(A, "A"), _square(B, "B")
    n = max(len(A), len(B))
    sizes = (len(A), len(B))
    A, B = _pad(A, n, (0, 1)), _pad(B, n, (0, 1))
    P = Q = None
    if (input_a is None) != (input_b is None):
        raise ValueError("give both input_a and input_b, or neither")
    if input_a is not None:
        P = as_float_array(input_a, "input_a", ndim=2)
        Q = as_float_array(input_b, "input_b", ndim=2)
        if P.shape[1] != Q.shape[1]:
            raise ValueError(
                f"input_a has {P.shape[1]} input columns but input_b has {Q.shape[1]}; the inputs must be shared"
            )
        if P.shape[0] > n or Q.shape[0] > n:
            raise ValueError(f"input_a and input_b must have at most n={n} rows; got {P.shape[0]} and {Q.shape[0]}")
        P, Q = _pad(P, n, (0,)), _pad(Q, n, (0,))
    n_random_starts = check_positive_int(n_random_starts, "n_random_starts", minimum=0)
    max_iter = check_positive_int(max_iter, "max_iter")
    gen = check_rng(rng)

    na = np.hypot(_frobenius(A), _frobenius(P)) if P is not None else _frobenius(A)
    nb = np.hypot(_frobenius(B), _frobenius(Q)) if Q is not None else _frobenius(B)
    for norm, nm in ((na, "A"), (nb, "B")):
        if norm == 0.0:
            raise ValueError(f"{nm} is zero; the angle between vector fields is undefined")
    Au, Bu = A / na, B / nb  # unit scale: the optimal C does not depend on it
    Pu = P / na if P is not None else None
    Qu = Q / nb if Q is not None else None
    eye = np.eye(n)
    A0 = Au - np.trace(Au) / n * eye
    B0 = Bu - np.trace(Bu) / n * eye
    L = Pu @ Qu.T if P is not None else None
    problem = _Problem(A0, B0, L)
    swapped = _Problem(B0, A0, L.T if L is not None else None)
    scale = max(_frobenius(A0) * _frobenius(B0) + (_frobenius(L) if L is not None else 0.0), np.finfo(float).tiny)
    if n > 1:
        frames_a, lam_a = _padded_frames(Au[: sizes[0], : sizes[0]], n)
        frames_b, lam_b = _padded_frames(Bu[: sizes[1], : sizes[1]], n)
        frames_a.append(frames_a[0])
        frames_b.append(_matched(frames_b[0], lam_a, lam_b))
        starts = _starts(A0, B0, Pu, Qu, n_random_starts, gen, frames_a, frames_b)
    else:
        starts = [eye]
    if n == 1:
        best = (eye, problem.value(eye), 0.0, True)
    else:
        pa, pb = _preconditioner(A0), _preconditioner(B0)
        tasks = [(problem, pb, C0, False) for C0 in starts] + [(swapped, pa, C0, True) for C0 in starts]
        best = _multistart(tasks, scale, tol, max_iter)
    C, _, g_rel, converged = best
    C = _reorthogonalise(C)
    n_starts = 2 * len(starts) if n > 1 else 1
    return _alignment(A, B, P, Q, na, nb, Au, Bu, Pu, Qu, C, n_starts, g_rel, converged)


def _reorthogonalise(C: np.ndarray) -> np.ndarray:
    U, _, Vt = np.linalg.svd(C)
    return U @ Vt


def _alignment(A, B, P, Q, na, nb, Au, Bu, Pu, Qu, C, n_starts, g_rel, converged) -> VectorFieldAlignment:
    """Distances from the residual of the final alignment (full relative precision near zero)."""
    aligned = C @ Bu @ C.T
    res2 = float(np.sum((Au - aligned) ** 2))
    if P is not None:
        res2 += float(np.sum((Pu - C @ Qu) ** 2))
    r = np.sqrt(res2)
    angle = 2.0 * np.arcsin(min(r / 2.0, 1.0))
    e = int(np.frexp(max(na, nb))[1])  # exact power-of-two scaling: no overflow
    sa, sb = np.ldexp(na, -e), np.ldexp(nb, -e)
    diff2 = float(np.sum((sa * Au - sb * aligned) ** 2))
    if P is not None:
        diff2 += float(np.sum((sa * Pu - sb * C @ Qu) ** 2))
    euclid = float(np.ldexp(np.sqrt(diff2), e))
    det = 1 if np.linalg.det(C) > 0 else -1
    return VectorFieldAlignment(C, float(angle), euclid, float(1.0 - res2 / 2.0), det, n_starts, g_rel, converged)


def eigenvalue_wasserstein(A: Any, B: Any) -> float:
    r"""2-Wasserstein distance between the eigenvalue sets of two square matrices.

    Parameters
    ----------
    A, B : array_like of shape (n, n) and (m, m)
        The smaller matrix's eigenvalue list is padded with zeros (its
        eigenvalues after zero-padding the matrix).

    Returns
    -------
    float
        ``sqrt(min_pi (1/n) sum_i |lambda_i - mu_pi(i)|^2)`` over permutations
        (uniform weights on ``n`` points each; the optimal plan is then a
        permutation, found by :func:`scipy.optimize.linear_sum_assignment`).

    Notes
    -----
    Eigenvalues are points of the complex plane.  dsa-metric 2.0.2 (its
    ``score_method="wasserstein"``) returns the square of this value.  The
    eigenvalues are invariant to any invertible change of coordinates, so
    this distance is too.

    References
    ----------
    Redman et al. (2024). Identifying equivalent training dynamics. NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> eigenvalue_wasserstein(np.diag([1.0, 2.0]), np.diag([3.0, 2.0]))
    1.0
    """
    A, B = _square(A, "A"), _square(B, "B")
    n = max(len(A), len(B))
    la = np.concatenate([np.linalg.eigvals(A), np.zeros(n - len(A))])
    lb = np.concatenate([np.linalg.eigvals(B), np.zeros(n - len(B))])
    return spectral_wasserstein(la, lb)


def spectral_wasserstein(la: np.ndarray, lb: np.ndarray) -> float:
    """:func:`eigenvalue_wasserstein` on two equally long eigenvalue lists."""
    cost = np.abs(la[:, None] - lb[None, :]) ** 2
    rows, cols = linear_sum_assignment(cost)
    return float(np.sqrt(cost[rows, cols].mean()))
