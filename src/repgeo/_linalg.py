"""Small numerical helpers shared by several modules."""

from __future__ import annotations

import numpy as np

__all__ = [
    "inv_upper_triangular",
    "angular_from_cosine",
    "distances_from_residual",
    "euclidean_from_cosine",
    "frobenius_norm",
    "power_of_two_exponent",
    "to_unit_scale",
    "centre_columns",
    "procrustes_align",
    "NEAR_IDENTICAL",
]


def angular_from_cosine(cos: np.ndarray | float) -> np.ndarray:
    """``arccos`` of a cosine, clipped to ``[-1, 1]`` against rounding.

    Examples
    --------
    >>> float(angular_from_cosine(1 + 1e-15))
    0.0
    """
    return np.arccos(np.clip(cos, -1.0, 1.0))


def power_of_two_exponent(x: np.ndarray | float) -> int:
    """The exponent ``e`` with ``max |x| * 2**-e`` in ``[0.5, 1)``; 0 when ``x`` is all zero.

    Multiplying by ``2**-e`` (``np.ldexp(x, -e)``) changes no digit of any entry
    (short of the subnormal range), so data at ``1e-300`` or ``1e300`` can be
    brought to unit scale before arithmetic that would under- or overflow.

    Examples
    --------
    >>> power_of_two_exponent(np.array([3.0, -5.0]))
    3
    >>> power_of_two_exponent(np.zeros(2))
    0
    """
    x = np.asarray(x)
    top = float(max(-x.min(), x.max())) if x.size else 0.0  # max |x| without a temporary copy
    if top == 0.0 or not np.isfinite(top):
        return 0
    return int(np.frexp(top)[1])


def to_unit_scale(x: np.ndarray) -> tuple[np.ndarray, int]:
    """``x * 2**-e`` with its largest entry in ``[0.5, 1)``, and ``e`` (exact rescaling).

    Examples
    --------
    >>> bool(to_unit_scale(np.array([3e200, -4e200]))[0].max() < 1)
    True
    """
    e = power_of_two_exponent(x)
    return np.ldexp(x, -e), e


def frobenius_norm(x: np.ndarray) -> float:
    """Frobenius norm computed after scaling by the largest entry (no overflow at 1e160).

    Examples
    --------
    >>> bool(np.isclose(frobenius_norm(np.array([3e200, 4e200])), 5e200))
    True
    """
    e = power_of_two_exponent(x)
    unit = x if e == 0 else np.ldexp(x, -e)  # already at unit scale (e == 0): no copy
    return float(np.ldexp(np.linalg.norm(unit), e))


def euclidean_from_cosine(norm_a: np.ndarray, norm_b: np.ndarray, cos: np.ndarray) -> np.ndarray:
    """``||a - b||`` from the norms and the cosine, without overflow or underflow.

    ``sqrt(|a|^2 + |b|^2 - 2 |a| |b| cos)`` is evaluated after dividing both
    norms by the larger one, so data at scales like ``1e-160`` or ``1e160``
    keep their digits; the result is clipped at zero against rounding.

    Examples
    --------
    >>> bool(np.isclose(euclidean_from_cosine(np.float64(3e200), np.float64(4e200), np.float64(0.0)), 5e200))
    True
    """
    _, e = np.frexp(np.maximum(norm_a, norm_b))  # scale by a power of two: exact
    a, b = np.ldexp(norm_a, -e), np.ldexp(norm_b, -e)
    return np.ldexp(np.sqrt(np.maximum(a * a + b * b - 2.0 * a * b * cos, 0.0)), e)


#: Above this cosine, ``arccos`` and ``sqrt(2 - 2 cos)`` lose half their digits; measures
#: recompute such near-identical pairs from the residual of the actual alignment.
NEAR_IDENTICAL = 1.0 - 1e-4


def distances_from_residual(A: np.ndarray, B: np.ndarray, norm_a: float, norm_b: float) -> tuple[float, float]:
    """Angular and Euclidean distances between unit-norm ``A`` and aligned unit-norm ``B``.

    ``A`` and ``B`` have unit Frobenius norm and are already optimally aligned;
    ``norm_a``, ``norm_b`` are the original norms.  The angle is
    ``2 arcsin(||A - B|| / 2)`` and the Euclidean distance
    ``||norm_a A - norm_b B||``: both keep full relative precision when the
    two are nearly identical, where ``arccos`` of the cosine does not.

    Examples
    --------
    >>> A = np.array([[1.0, 0.0]]); B = np.array([[np.cos(1e-9), np.sin(1e-9)]])
    >>> angle, _ = distances_from_residual(A, B, 1.0, 1.0)
    >>> bool(abs(angle - 1e-9) < 1e-20)
    True
    """
    angle = 2.0 * np.arcsin(min(float(np.linalg.norm(A - B)) / 2.0, 1.0))
    _, e = np.frexp(max(norm_a, norm_b))  # exact power-of-two scaling: no overflow
    diff = np.ldexp(norm_a, -e) * A - np.ldexp(norm_b, -e) * B
    return angle, float(np.ldexp(np.linalg.norm(diff), e))


def centre_columns(X: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """Column-centred ``X`` at unit scale: ``(C, e, mean)`` with ``X - mean = C * 2**e``.

    Each column is brought to unit scale by its own power of two before its
    mean is taken (exact), so nothing overflows near the float maximum and no
    column loses digits to another's scale -- a constant column at ``1e308``
    next to columns of order 1 leaves those columns their full precision, and
    centres to exactly zero.
    The centred columns then share one power of two ``e``, chosen so that the
    largest entry of ``C`` lies in ``[0.5, 1)``.

    Examples
    --------
    >>> C, e, mean = centre_columns(np.array([[1.7e308, 1.0], [1.7e308, 3.0]]))
    >>> C, e, mean
    (array([[ 0. , -0.5],
           [ 0. ,  0.5]]), 1, array([1.7e+308, 2.0e+000]))
    """
    top = _largest_magnitudes(X)
    col_e = np.where(top > 0, np.frexp(top)[1], 0)
    C = np.ldexp(X, -col_e)  # one working copy, updated in place below
    # centred through differences from the first row: exact for a constant column (whose plain
    # mean may be off by an ulp, a spurious variation of eps * offset), and accurate to the
    # column's variation rather than to its offset
    first = C[0].copy()
    C -= first
    shift = C.mean(axis=0)
    C -= shift
    mean_s = first + shift
    ctop = _largest_magnitudes(C)
    if not ctop.any():
        return C, 0, np.ldexp(mean_s, col_e)
    col_c = np.where(ctop > 0, np.frexp(ctop)[1] + col_e, np.iinfo(np.int32).min)
    e = int(col_c.max())
    with np.errstate(under="ignore"):  # columns far below the largest may become subnormal: negligible
        np.ldexp(C, col_e - e, out=C)
    return C, e, np.ldexp(mean_s, col_e)


def _largest_magnitudes(X: np.ndarray) -> np.ndarray:
    """``np.abs(X).max(axis=0)`` from the column maxima and minima (no temporary copy of ``X``)."""
    return np.maximum(X.max(axis=0), -X.min(axis=0))


def procrustes_align(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``A`` and ``B Q`` zero-padded to a common width, with ``Q`` the best orthogonal map.

    ``Q`` maximises ``tr(A^T B Q)``: with ``A^T B = U S V^T`` (after padding),
    ``Q = V U^T``, so ``A^T B Q`` is symmetric positive semi-definite.

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> Ap, BQ = procrustes_align(A, A[:, ::-1])
    >>> bool(np.allclose(Ap, BQ))
    True
    """
    r = max(A.shape[1], B.shape[1])
    Ap = np.pad(A, ((0, 0), (0, r - A.shape[1])))
    Bp = np.pad(B, ((0, 0), (0, r - B.shape[1])))
    U, _, Vt = np.linalg.svd(Ap.T @ Bp)
    return Ap, Bp @ (Vt.T @ U.T)


#: Bytes per block of points in :func:`blocks`: small enough that a block's temporaries stay in cache.
BLOCK_BYTES = 1 << 20


def blocks(n: int, m: int) -> list[slice]:
    """Slices that cut ``n`` points of ``m x m`` matrices into blocks of about :data:`BLOCK_BYTES`.

    Elementwise passes and small batched LAPACK calls over a whole stack of
    1e5 matrices are memory-bound; on blocks that fit in cache they run 2-3x
    faster (``benchmarks/bench_msa.py``).

    Examples
    --------
    >>> [(s.start, s.stop) for s in blocks(5000, 16)]
    [(0, 512), (512, 1024), (1024, 1536), (1536, 2048), (2048, 2560), (2560, 3072), (3072, 3584), (3584, 4096), (4096, 4608), (4608, 5000)]
    """
    step = max(64, BLOCK_BYTES // (8 * m * m))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def inv_upper_triangular(R: np.ndarray) -> np.ndarray:
    """Inverses of a stack of nonsingular upper-triangular matrices ``(n, m, m)``, by back substitution.

    ``numpy.linalg.inv`` factors each matrix by LU and pays LAPACK's
    per-matrix overhead; back substitution (``W[i, i] = 1 / R[i, i]``,
    ``W[i, i+1:] = -R[i, i+1:] W[i+1:, i+1:] / R[i, i]``, rows from the bottom,
    as LAPACK's ``trtri``) vectorised over the points is 3-40x faster for
    ``m <= 24`` on cache-sized blocks.  Up to ``m = 5`` each step is an
    elementwise pass with the points last; above, a row is one batched
    vector-matrix product.  ``R`` given as the transpose of a C-contiguous
    lower-triangular stack (``cholesky(G).swapaxes(-1, -2)``) is solved as
    that stack, by forward substitution, and the result is a transposed view.

    Examples
    --------
    >>> R = np.array([[[2.0, 1.0], [0.0, 4.0]]])
    >>> inv_upper_triangular(R)
    array([[[ 0.5  , -0.125],
            [ 0.   ,  0.25 ]]])
    """
    n, m, _ = R.shape
    if m > 5:
        L = R.swapaxes(1, 2)
        if L.flags.c_contiguous:  # rows of L are contiguous: forward substitution on L
            return _inv_lower_rows(L).swapaxes(1, 2)
        return _inv_upper_rows(R)
    d = 1.0 / np.diagonal(R, axis1=1, axis2=2)
    Rt, dt = R.transpose(1, 2, 0), d.T  # points last: every update is a contiguous pass
    W = np.zeros((m, m, n))
    for i in range(m - 1, -1, -1):
        W[i, i] = dt[i]
        if i < m - 1:
            acc = Rt[i, i + 1][None, :] * W[i + 1, i + 1 :]  # row k of W is zero left of column k
            for k in range(i + 2, m):
                acc[k - i - 1 :] += Rt[i, k][None, :] * W[k, k:]
            W[i, i + 1 :] = -acc * dt[i]
    return np.ascontiguousarray(W.transpose(2, 0, 1))


def _inv_upper_rows(R: np.ndarray) -> np.ndarray:
    """Back substitution, one batched vector-matrix product per row (``R`` upper, ``m > 1``)."""
    d = 1.0 / np.diagonal(R, axis1=1, axis2=2)
    W = np.zeros_like(R)
    m = R.shape[-1]
    for i in range(m - 1, -1, -1):
        W[:, i, i] = d[:, i]
        if i < m - 1:
            W[:, i, i + 1 :] = (R[:, i, None, i + 1 :] @ W[:, i + 1 :, i + 1 :])[:, 0] * -d[:, i, None]
    return W


def _inv_lower_rows(L: np.ndarray) -> np.ndarray:
    """Forward substitution, one batched vector-matrix product per row (``L`` lower, C-contiguous)."""
    d = 1.0 / np.diagonal(L, axis1=1, axis2=2)
    V = np.zeros_like(L)
    V[:, 0, 0] = d[:, 0]
    for i in range(1, L.shape[-1]):
        V[:, i, i] = d[:, i]
        V[:, i, :i] = (L[:, i, None, :i] @ V[:, :i, :i])[:, 0] * -d[:, i, None]
    return V
