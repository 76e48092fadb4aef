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
That is the error the computation adds; metric tensors given in float64
carry their own, up to ``m eps (kappa1 + kappa2)`` relative (the backward
error of rounding their entries), which only Jacobian input avoids.

Inputs are validated float64 stacks, NumPy arrays or torch tensors (on any
device): every kernel computes with the namespace of its arguments
(:mod:`repgeo._backend`), so both libraries run the same algorithm.  No
Python loop over points.  A 2 x 2 closed form replaces LAPACK where its
per-matrix overhead dominates.

Where the time goes (NumPy, one thread, 1e5 points; ``benchmarks/bench_msa.py``):
the spectral ratio of two metric stacks costs about 4.2 us per point at
``m = 8`` and 13 us at ``m = 16``, of which LAPACK's ``eigvalsh`` of the
whitened pencil is 2.6 us and 8.1 us (the floor of any path that calls it per
matrix) and the two Cholesky factorisations 0.55 us and 1.45 us; the one
screening pass over the input, the scaling, the triangular inverse and the
products take the rest.  The stacks are worked through in cache-sized blocks
and read once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import namespace

EPS = float(np.finfo(float).eps)
#: Largest tolerated worst-case relative error of the generalised eigenvalues.
RESOLUTION = 1e-3
#: Largest error the fast (``eigvalsh``) tier of :func:`pencil_sv` may add to a pointwise
#: distance (absolute; relative for ``kind="eigenvalues"``).  Points whose bound exceeds it take
#: the SVD tier, so both tiers agree to this tolerance at any conditioning.
FAST_TOLERANCE = 1e-10

Array = Any  # an ndarray or a torch tensor


def log_det_triangular(R: Array) -> Array:
    """``log |det R|`` of triangular matrices, batched."""
    xp = namespace(R)
    return xp.log(xp.abs(xp.diagonal(R))).sum(axis=-1)


def normalise(A: Array, jacobian: bool, amax: Array | None = None) -> tuple[Array, Array]:
    """``(A / c, log s)`` with ``G / s`` of mean eigenvalue 1 (``G = J^T J`` or ``A``); zero points give ``(0, 0)``.

    ``amax``, the largest absolute entry per point, is reused when the caller has it.
    """
    xp = namespace(A)
    a = xp.amax(xp.abs(A), axis=(-2, -1)) if amax is None else amax
    a = xp.where(a > 0, a, 1.0)
    if jacobian:
        An = A / a[:, None, None]
        t = xp.einsum("pia,pia->p", An, An) / A.shape[-1]
        t = xp.where(t > 0, t, 1.0)
        return An / xp.sqrt(t)[:, None, None], 2.0 * xp.log(a) + xp.log(t)
    # metrics: the trace from the diagonal alone, then one pass over the stack
    t = (xp.diagonal(A) / a[:, None]).sum(axis=-1) / A.shape[-1]
    t = xp.where(t > 0, t, 1.0)
    with xp.errstate(over="ignore", invalid="ignore"):  # the subnormal points are redone below
        inv = 1.0 / (a * t)
        out = A * inv[:, None, None]
    tiny = ~xp.isfinite(inv)  # subnormal matrices: 1 / (a t) overflows, so divide in two steps
    if bool(tiny.any()):
        out[tiny] = A[tiny] / a[tiny][:, None, None] / t[tiny][:, None, None]
    return out, xp.log(a) + xp.log(t)


def scale_by(G: Array, scale: Array) -> tuple[Array, Array]:
    """``(G / scale, log scale)`` per point, for scales known to lie well inside float64's range.

    :func:`normalise` with ``scale`` the mean eigenvalue ``tr(G) / m`` already
    computed (one pass over the stack, no overflow guard needed).
    """
    xp = namespace(G)
    return G * (1.0 / scale)[:, None, None], xp.log(scale)


def qr_factor(Jn: Array, ridge: float) -> Array:
    """``R`` with ``R^T R = Jn^T Jn + ridge I`` (thin QR; zero rows pad a short ``Jn``)."""
    xp = namespace(Jn)
    p, m = Jn.shape[1:]
    parts = [Jn]
    if ridge > 0:
        parts.append(xp.broadcast_to(math.sqrt(ridge) * xp.eye(m), (Jn.shape[0], m, m)))
    elif p < m:
        parts.append(xp.zeros((Jn.shape[0], m - p, m)))
    return xp.qr_r(xp.concatenate(parts, axis=1) if len(parts) > 1 else Jn)


def chol_factor(G: Array) -> Array:
    """Upper ``R`` with ``R^T R = G``.

    Where ``G`` is not positive definite: NaN entries (2 x 2 and torch) or
    ``numpy.linalg.LinAlgError`` (NumPy raises for the whole stack).
    """
    xp = namespace(G)
    if G.shape[-1] == 2:  # closed form: LAPACK's per-matrix overhead dominates at m = 2
        with xp.errstate(invalid="ignore", divide="ignore"):
            r11 = xp.sqrt(G[:, 0, 0])
            r12 = G[:, 1, 0] / r11  # the lower triangle, as LAPACK reads it
            r22 = xp.sqrt(G[:, 1, 1] - r12 * r12)
        R = xp.zeros_like(G)
        R[:, 0, 0], R[:, 0, 1], R[:, 1, 1] = r11, r12, r22
        return R
    return xp.cholesky(G).swapaxes(-1, -2)


def tri_inv(R: Array) -> Array:
    """Inverse of upper-triangular ``R`` (nonsingular), batched."""
    xp = namespace(R)
    if R.shape[-1] == 2:
        W = xp.zeros_like(R)
        W[:, 0, 0], W[:, 1, 1] = 1 / R[:, 0, 0], 1 / R[:, 1, 1]
        W[:, 0, 1] = -R[:, 0, 1] / (R[:, 0, 0] * R[:, 1, 1])
        return W
    return xp.inv_upper(R)


def singular_values(M: Array) -> Array:
    """Ascending singular values; for 2 x 2, ``sigma_min = |det| / sigma_max`` (accurate for triangular ``M``)."""
    xp = namespace(M)
    if M.shape[-1] == 2:
        a, b, c, d = M[:, 0, 0], M[:, 0, 1], M[:, 1, 0], M[:, 1, 1]
        hi = 0.5 * (xp.hypot(a + d, c - b) + xp.hypot(a - d, b + c))
        lo = xp.divide_or(xp.abs(a * d - b * c), hi, 0.0)
        return xp.stack([xp.minimum(lo, hi), hi], axis=-1)
    return xp.svdvals_ascending(M)


def condition(sv: Array) -> Array:
    """``sigma_max / sigma_min`` of ascending singular values (inf where singular)."""
    xp = namespace(sv)
    with xp.errstate(over="ignore"):  # a condition number past float64's range is inf
        return xp.divide_or(sv[:, -1], sv[:, 0], math.inf)


def resolvable(cond1: Array, cond2: Array, m: int) -> Array:
    """Whether the worst-case relative eigenvalue error ``8 m eps cond(R1) cond(R2)`` is below :data:`RESOLUTION`."""
    with namespace(cond1).errstate(over="ignore", invalid="ignore"):
        return 8 * m * EPS * cond1 * cond2 <= RESOLUTION


def resolvable_pencil(sv: Array, R2_inv: Array) -> Array:
    """The same criterion from the pencil itself: ``8 m eps ||R1|| ||R2^{-1}|| / sigma_min(R1 R2^{-1})``.

    ``||R1||_F = sqrt(m)`` after normalisation; this bounds the relative error
    of ``sigma_min`` without a singular value decomposition of each factor.
    """
    xp = namespace(sv)
    m = sv.shape[-1]
    with xp.errstate(over="ignore", divide="ignore", invalid="ignore"):
        err = 8 * m * EPS * math.sqrt(m) * xp.matrix_norm(R2_inv) / sv[:, 0]
    return err <= RESOLUTION


def pencil_sv(R1: Array, R2_inv: Array, kind: str = "eigenvalues") -> Array:
    """Ascending singular values of ``M = R1 R2^{-1}``: the square roots of the normalised pencil's eigenvalues.

    Two tiers.  The fast tier takes the eigenvalues ``w`` of ``M^T M`` (or of
    ``M M^T``, the same numbers, when ``M`` comes out transposed) by
    ``eigvalsh``; it is backward stable, so each ``w_i`` is within
    ``8 m eps w_max`` of the exact value and its relative error is at most
    ``e_i = 8 m eps w_max / w_i``.  A point keeps the fast result when the
    error this bound carries into ``kind`` is at most :data:`FAST_TOLERANCE`
    (see :func:`fast_error`); the others get the singular values of ``M`` by
    an SVD (relative error ``~ m eps`` whatever the conditioning).  ``m = 2``
    uses the closed form of :func:`singular_values` throughout.
    """
    xp = namespace(R1, R2_inv)
    m = R1.shape[-1]
    if m == 2:
        return singular_values(R1 @ R2_inv)
    sv = xp.empty(tuple(R1.shape[:2]))
    for sl in xp.blocks(len(R1), m):
        M = xp.matmul(R1[sl], R2_inv[sl])
        w = eigvalsh(xp.sv_square(M))  # M^T M, or M M^T: the same eigenvalues
        slow = ~(fast_error(w, kind) <= FAST_TOLERANCE)
        sv[sl] = xp.sqrt(xp.clip(w, 0.0, None))
        if slow.any():
            sv[sl][slow] = singular_values(M[slow])
    return sv


def fast_error(w: Array, kind: str) -> Array:
    """Bound on the error that eigenvalues ``w`` of ``M^T M`` from ``eigvalsh`` carry into ``kind``.

    With ``e = 8 m eps w_max / w_min`` the bound on the relative error of the
    smallest eigenvalue (the largest of the ``e_i``): the spectral ratio
    ``1 - sqrt(w_min / w_max)`` moves by at most ``sqrt(w_min / w_max) e / 2``;
    AIRM (``||log lambda||``) by ``sqrt(m) e``; Thompson (``max |log lambda|``)
    by ``e``; ``"eigenvalues"`` asks for relative accuracy ``e`` of each one.
    ``inf`` where ``w_min <= 0``.
    """
    xp = namespace(w)
    m = w.shape[-1]
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e = xp.where(w[:, 0] > 0, 8 * m * EPS * w[:, -1] / w[:, 0], math.inf)
        if kind == "spectral_ratio":
            return 0.5 * e * xp.sqrt(xp.clip(w[:, 0] / w[:, -1], 0.0, None))
        return math.sqrt(m) * e if kind == "airm" else e


def from_pencil(sv: Array, dlog: Array, kind: str) -> Array:
    """Distances that depend only on the generalised eigenvalues ``exp(dlog) sv^2``."""
    xp = namespace(sv)
    if kind == "spectral_ratio":
        return 1.0 - sv[:, 0] / sv[:, -1]
    log_lam = dlog[:, None] + 2.0 * xp.log(sv)
    if kind == "airm":
        return xp.vector_norm(log_lam, axis=-1)
    return xp.amax(xp.abs(log_lam), axis=-1)  # thompson


def log_and_root(R: Array) -> tuple[Array, Array]:
    """``log(R^T R)`` and ``(R^T R)^{1/2}`` from the SVD of ``R`` (no squaring of small singular values)."""
    xp = namespace(R)
    _, S, Vt = xp.svd(R)
    V = Vt.swapaxes(-1, -2)
    with xp.errstate(divide="ignore"):
        log_s = 2.0 * xp.log(S)
    return (V * log_s[:, None, :]) @ Vt, (V * S[:, None, :]) @ Vt


def psd_root(Gn: Array) -> Array:
    """Principal square root of PSD matrices (negative rounding eigenvalues clipped to 0)."""
    xp = namespace(Gn)
    w, V = xp.eigh(Gn)
    return (V * xp.sqrt(xp.clip(w, 0.0, None))[:, None, :]) @ V.swapaxes(-1, -2)


def bures_scaled(N1: Array, log_s1: Array, N2: Array, log_s2: Array) -> Array:
    """Bures-Wasserstein distance between ``s1 N1^2`` and ``s2 N2^2`` (``N`` the normalised roots).

    Computed as the Procrustes residual ``min_U ||G1^{1/2} - G2^{1/2} U||_F``
    with ``U`` the polar factor of ``N2 N1`` (scale-free): the trace formula
    loses half the digits near 0.  The common scale is factored out, so
    neither tiny nor huge metrics underflow or overflow.
    """
    xp = namespace(N1, N2)
    P, _, Vt = xp.svd(N2 @ N1)
    h1, h2 = 0.5 * log_s1, 0.5 * log_s2
    top = xp.maximum(h1, h2)
    D = xp.exp(h1 - top)[:, None, None] * N1 - xp.exp(h2 - top)[:, None, None] * (N2 @ (P @ Vt))
    with xp.errstate(over="ignore", divide="ignore"):  # inf past float64's range; the callers raise
        return xp.exp(top + xp.log(xp.matrix_norm(D)))


def check_representable(d: Array, names: str, what: str) -> Array:
    """``d`` if finite, else a ``ValueError`` naming the first point where ``what`` leaves float64's range."""
    bad = namespace(d).to_numpy(~namespace(d).isfinite(d))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"the {what} between {names} exceeds float64's range at point {i} ({int(bad.sum())} of "
            f"{bad.size} points); rescale them"
        )
    return d


def eigvalsh(S: Array) -> Array:
    """Ascending eigenvalues of a stack of symmetric matrices (closed form for 2 x 2)."""
    xp = namespace(S)
    if S.shape[-1] == 2:
        mid = 0.5 * (S[:, 0, 0] + S[:, 1, 1])
        rad = xp.hypot(0.5 * (S[:, 0, 0] - S[:, 1, 1]), S[:, 0, 1])
        return xp.stack([mid - rad, mid + rad], axis=-1)
    return xp.eigvalsh(S)
