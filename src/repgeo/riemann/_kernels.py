"""Batched kernels on stacks of small matrices, shared by the SPD distances and MSA.

Every metric is held in square-root form ``G = s R^T R``: a per-point scale
``s = tr(G) / m``, kept as ``log s`` so that Jacobians of size 1e-160 or 1e160
neither underflow nor overflow, and an upper-triangular ``R`` with
``tr(R^T R) = m`` (thin QR of ``J / sqrt(s)``, or Cholesky of ``G / s``).  The
generalised eigenvalues of ``(G1, G2)`` are ``s1 / s2`` times the squared
singular values of ``R1 R2^{-1}``.  Never forming ``J^T J`` or
``L2^{-1} G1 L2^{-T}`` keeps the relative error of every eigenvalue near
``eps * cond(R1) * cond(R2) = eps * sqrt(kappa1 kappa2)`` instead of
``eps * kappa1 * kappa2`` (which is above 1 for two metrics of condition 1e9).

Inputs are validated float64 stacks; no Python loop over points.  A 2 x 2
closed form replaces LAPACK where its per-matrix overhead dominates.
"""

from __future__ import annotations

import numpy as np

from .._linalg import blocks

EPS = np.finfo(float).eps
#: Largest tolerated worst-case relative error of the generalised eigenvalues.
RESOLUTION = 1e-3
#: Largest error the fast (``eigvalsh``) tier of :func:`pencil_sv` may add to a pointwise
#: distance (absolute; relative for ``kind="eigenvalues"``).  Points whose bound exceeds it take
#: the SVD tier, so both tiers agree to this tolerance at any conditioning.
FAST_TOLERANCE = 1e-10


def log_det_triangular(R: np.ndarray) -> np.ndarray:
    """``log |det R|`` of triangular matrices, batched."""
    return np.log(np.abs(np.diagonal(R, axis1=1, axis2=2))).sum(axis=-1)


def normalise(A: np.ndarray, jacobian: bool, amax: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(A / c, log s)`` with ``G / s`` of mean eigenvalue 1 (``G = J^T J`` or ``A``); zero points give ``(0, 0)``.

    ``amax``, the largest absolute entry per point, is reused when the caller has it.
    """
    a = np.abs(A).max(axis=(-2, -1)) if amax is None else amax
    a = np.where(a > 0, a, 1.0)
    if jacobian:
        An = A / a[:, None, None]
        t = np.einsum("pia,pia->p", An, An) / A.shape[-1]
        t = np.where(t > 0, t, 1.0)
        return An / np.sqrt(t)[:, None, None], 2.0 * np.log(a) + np.log(t)
    # metrics: the trace from the diagonal alone, then one pass over the stack
    t = (np.diagonal(A, axis1=1, axis2=2) / a[:, None]).sum(axis=-1) / A.shape[-1]
    t = np.where(t > 0, t, 1.0)
    return A * (1.0 / (a * t))[:, None, None], np.log(a) + np.log(t)


def qr_factor(Jn: np.ndarray, ridge: float) -> np.ndarray:
    """``R`` with ``R^T R = Jn^T Jn + ridge I`` (thin QR; zero rows pad a short ``Jn``)."""
    p, m = Jn.shape[1:]
    blocks = [Jn]
    if ridge > 0:
        blocks.append(np.broadcast_to(np.sqrt(ridge) * np.eye(m), (Jn.shape[0], m, m)))
    elif p < m:
        blocks.append(np.zeros((Jn.shape[0], m - p, m)))
    return np.linalg.qr(np.concatenate(blocks, axis=1) if len(blocks) > 1 else Jn, mode="r")


def chol_factor(G: np.ndarray) -> np.ndarray:
    """Upper ``R`` with ``R^T R = G`` (NaN or ``LinAlgError`` if ``G`` is not positive definite)."""
    if G.shape[-1] == 2:  # closed form: LAPACK's per-matrix overhead dominates at m = 2
        with np.errstate(invalid="ignore", divide="ignore"):
            r11 = np.sqrt(G[:, 0, 0])
            r12 = G[:, 1, 0] / r11  # the lower triangle, as LAPACK reads it
            r22 = np.sqrt(G[:, 1, 1] - r12 * r12)
        R = np.zeros_like(G)
        R[:, 0, 0], R[:, 0, 1], R[:, 1, 1] = r11, r12, r22
        return R
    return np.linalg.cholesky(G).swapaxes(-1, -2)


def tri_inv(R: np.ndarray) -> np.ndarray:
    """Inverse of upper-triangular ``R`` (nonsingular), batched."""
    if R.shape[-1] == 2:
        W = np.zeros_like(R)
        W[:, 0, 0], W[:, 1, 1] = 1 / R[:, 0, 0], 1 / R[:, 1, 1]
        W[:, 0, 1] = -R[:, 0, 1] / (R[:, 0, 0] * R[:, 1, 1])
        return W
    return np.linalg.inv(R)


def singular_values(M: np.ndarray) -> np.ndarray:
    """Ascending singular values; for 2 x 2, ``sigma_min = |det| / sigma_max`` (accurate for triangular ``M``)."""
    if M.shape[-1] == 2:
        a, b, c, d = M[:, 0, 0], M[:, 0, 1], M[:, 1, 0], M[:, 1, 1]
        hi = 0.5 * (np.hypot(a + d, c - b) + np.hypot(a - d, b + c))
        lo = np.divide(np.abs(a * d - b * c), hi, out=np.zeros_like(hi), where=hi > 0)
        return np.stack([np.minimum(lo, hi), hi], axis=-1)
    return np.linalg.svd(M, compute_uv=False)[..., ::-1]


def condition(sv: np.ndarray) -> np.ndarray:
    """``sigma_max / sigma_min`` of ascending singular values (inf where singular)."""
    return np.divide(sv[:, -1], sv[:, 0], out=np.full(sv.shape[0], np.inf), where=sv[:, 0] > 0)


def resolvable(cond1: np.ndarray, cond2: np.ndarray, m: int) -> np.ndarray:
    """Whether the worst-case relative eigenvalue error ``8 m eps cond(R1) cond(R2)`` is below :data:`RESOLUTION`."""
    with np.errstate(over="ignore", invalid="ignore"):
        return 8 * m * EPS * cond1 * cond2 <= RESOLUTION


def resolvable_pencil(sv: np.ndarray, R2_inv: np.ndarray) -> np.ndarray:
    """The same criterion from the pencil itself: ``8 m eps ||R1|| ||R2^{-1}|| / sigma_min(R1 R2^{-1})``.

    ``||R1||_F = sqrt(m)`` after normalisation; this bounds the relative error
    of ``sigma_min`` without a singular value decomposition of each factor.
    """
    m = sv.shape[-1]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        err = 8 * m * EPS * np.sqrt(m) * np.linalg.norm(R2_inv, axis=(-2, -1)) / sv[:, 0]
    return err <= RESOLUTION


def pencil_sv(R1: np.ndarray, R2_inv: np.ndarray, kind: str = "eigenvalues") -> np.ndarray:
    """Ascending singular values of ``M = R1 R2^{-1}``: the square roots of the normalised pencil's eigenvalues.

    Two tiers.  The fast tier takes the eigenvalues ``w`` of ``M^T M`` by
    ``eigvalsh``; it is backward stable, so each ``w_i`` is within
    ``8 m eps w_max`` of the exact value and its relative error is at most
    ``e_i = 8 m eps w_max / w_i``.  A point keeps the fast result when the
    error this bound carries into ``kind`` is at most :data:`FAST_TOLERANCE`
    (see :func:`fast_error`); the others get the singular values of ``M`` by
    an SVD (relative error ``~ m eps`` whatever the conditioning).  ``m = 2``
    uses the closed form of :func:`singular_values` throughout.
    """
    m = R1.shape[-1]
    if m == 2:
        return singular_values(R1 @ R2_inv)
    sv = np.empty(R1.shape[:2])
    for sl in blocks(len(R1), m):
        M = R1[sl] @ R2_inv[sl]
        w = eigvalsh(M.swapaxes(-1, -2) @ M)
        slow = ~(fast_error(w, kind) <= FAST_TOLERANCE)
        sv[sl] = np.sqrt(np.clip(w, 0.0, None))
        if slow.any():
            sv[sl][slow] = singular_values(M[slow])
    return sv


def fast_error(w: np.ndarray, kind: str) -> np.ndarray:
    """Bound on the error that eigenvalues ``w`` of ``M^T M`` from ``eigvalsh`` carry into ``kind``.

    With ``e = 8 m eps w_max / w_min`` the bound on the relative error of the
    smallest eigenvalue (the largest of the ``e_i``): the spectral ratio
    ``1 - sqrt(w_min / w_max)`` moves by at most ``sqrt(w_min / w_max) e / 2``;
    AIRM (``||log lambda||``) by ``sqrt(m) e``; Thompson (``max |log lambda|``)
    by ``e``; ``"eigenvalues"`` asks for relative accuracy ``e`` of each one.
    ``inf`` where ``w_min <= 0``.
    """
    m = w.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e = np.where(w[:, 0] > 0, 8 * m * EPS * w[:, -1] / w[:, 0], np.inf)
        if kind == "spectral_ratio":
            return 0.5 * e * np.sqrt(np.clip(w[:, 0] / w[:, -1], 0.0, None))
        return np.sqrt(m) * e if kind == "airm" else e


def from_pencil(sv: np.ndarray, dlog: np.ndarray, kind: str) -> np.ndarray:
    """Distances that depend only on the generalised eigenvalues ``exp(dlog) sv^2``."""
    if kind == "spectral_ratio":
        return 1.0 - sv[:, 0] / sv[:, -1]
    log_lam = dlog[:, None] + 2.0 * np.log(sv)
    if kind == "airm":
        return np.linalg.norm(log_lam, axis=-1)
    return np.abs(log_lam).max(axis=-1)  # thompson


def log_and_root(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log(R^T R)`` and ``(R^T R)^{1/2}`` from the SVD of ``R`` (no squaring of small singular values)."""
    _, S, Vt = np.linalg.svd(R)
    V = Vt.swapaxes(-1, -2)
    with np.errstate(divide="ignore"):
        log_s = 2.0 * np.log(S)
    return (V * log_s[:, None, :]) @ Vt, (V * S[:, None, :]) @ Vt


def psd_root(Gn: np.ndarray) -> np.ndarray:
    """Principal square root of PSD matrices (negative rounding eigenvalues clipped to 0)."""
    w, V = np.linalg.eigh(Gn)
    return (V * np.sqrt(np.clip(w, 0.0, None))[:, None, :]) @ V.swapaxes(-1, -2)


def bures_scaled(N1: np.ndarray, log_s1: np.ndarray, N2: np.ndarray, log_s2: np.ndarray) -> np.ndarray:
    """Bures-Wasserstein distance between ``s1 N1^2`` and ``s2 N2^2`` (``N`` the normalised roots).

    Computed as the Procrustes residual ``min_U ||G1^{1/2} - G2^{1/2} U||_F``
    with ``U`` the polar factor of ``N2 N1`` (scale-free): the trace formula
    loses half the digits near 0.  The common scale is factored out, so
    neither tiny nor huge metrics underflow or overflow.
    """
    P, _, Vt = np.linalg.svd(N2 @ N1)
    h1, h2 = 0.5 * log_s1, 0.5 * log_s2
    top = np.maximum(h1, h2)
    D = np.exp(h1 - top)[:, None, None] * N1 - np.exp(h2 - top)[:, None, None] * (N2 @ (P @ Vt))
    with np.errstate(over="ignore"):
        return np.exp(top) * np.linalg.norm(D, axis=(-2, -1))


def eigvalsh(S: np.ndarray) -> np.ndarray:
    """Ascending eigenvalues of a stack of symmetric matrices (closed form for 2 x 2)."""
    if S.shape[-1] == 2:
        mid = 0.5 * (S[:, 0, 0] + S[:, 1, 1])
        rad = np.hypot(0.5 * (S[:, 0, 0] - S[:, 1, 1]), S[:, 0, 1])
        return np.stack([mid - rad, mid + rad], axis=-1)
    return np.linalg.eigvalsh(S)
