r"""Batched distances between symmetric positive-definite (SPD) matrices.

Every function takes two stacks ``(n_points, m, m)`` (or two single ``(m, m)``
matrices) and returns one distance per point.  The work is done on whole
stacks by NumPy's batched LAPACK routines (``cholesky``, ``inv``,
``eigvalsh``, ``eigh``); there is no Python loop over points.  Eigen-work is
in float64: the spectral ratio is a ratio of extreme eigenvalues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .._validation import check_choice
from .._validation import as_metrics
from ._kernels import bures_from, eigen_function, from_eigenvalues, inv_cholesky, not_pd, psd_sqrt, whitened_eigvalsh

__all__ = [
    "SPD_DISTANCES",
    "AIRMSplit",
    "airm",
    "airm_split",
    "bures",
    "generalized_eigvalsh",
    "log_euclidean",
    "spd_distance",
    "spectral_ratio",
    "thompson",
]

#: Names accepted by :func:`spd_distance` and :class:`repgeo.MSA`.
SPD_DISTANCES = ("spectral_ratio", "airm", "log_euclidean", "bures", "thompson")

def _pair(G1: Any, G2: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    single = np.ndim(G1) == 2 and np.ndim(G2) == 2
    A, B = as_metrics(G1, "G1"), as_metrics(G2, "G2")
    if A.shape != B.shape:
        raise ValueError(
            f"G1 has shape {A.shape} but G2 has {B.shape}; metric tensors must be paired point by point"
        )
    return A, B, single


def _out(values: np.ndarray, single: bool) -> np.ndarray | float:
    return float(values[0]) if single else values


# ----------------------------------------------------------------------------- public


def generalized_eigvalsh(G1: Any, G2: Any) -> np.ndarray:
    r"""Generalised eigenvalues of ``G1 v = lambda G2 v``, ascending, batched.

    Computed as the eigenvalues of ``L^{-1} G1 L^{-T}`` with ``G2 = L L^T``
    (``G2`` must be positive definite).

    Parameters
    ----------
    G1, G2 : array_like of shape (n_points, m, m) or (m, m)

    Returns
    -------
    ndarray of shape (n_points, m) or (m,)

    Examples
    --------
    >>> import numpy as np
    >>> generalized_eigvalsh(np.diag([4.0, 1.0]), np.eye(2))
    array([1., 4.])
    """
    A, B, single = _pair(G1, G2)
    lam = whitened_eigvalsh(A, inv_cholesky(B, "G2"))
    return lam[0] if single else lam


def _pencil(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Generalised eigenvalues of two positive-definite stacks (``G1`` checked through them)."""
    lam = whitened_eigvalsh(A, inv_cholesky(B, "G2"))
    bad = lam[:, 0] <= 0
    if bad.any():
        raise not_pd("G1", int(bad.sum()), A.shape[0])
    return lam


def _eigen_distance(kind: str) -> Callable[[Any, Any], Any]:
    def distance(G1: Any, G2: Any) -> np.ndarray | float:
        A, B, single = _pair(G1, G2)
        return _out(from_eigenvalues(_pencil(A, B), kind), single)

    return distance


_spectral_ratio = _eigen_distance("spectral_ratio")
_airm = _eigen_distance("airm")
_thompson = _eigen_distance("thompson")


def spectral_ratio(G1: Any, G2: Any) -> np.ndarray | float:
    r"""Spectral-ratio distance ``d_SR = 1 - sqrt(lambda_min / lambda_max)``.

    Parameters
    ----------
    G1, G2 : array_like of shape (n_points, m, m) or (m, m)
        Positive-definite metric tensors, paired point by point.

    Returns
    -------
    ndarray of shape (n_points,), or float for single matrices
        Values in ``[0, 1)``.

    Notes
    -----
    With ``lambda_1 <= ... <= lambda_m`` the generalised eigenvalues of
    ``G1 v = lambda G2 v``,

    .. math:: d_{SR}(G_1, G_2) = 1 - \sqrt{\lambda_1 / \lambda_m}
              = 1 - e^{-h/2}, \qquad h = \log(\lambda_m / \lambda_1),

    where ``h`` is Hilbert's projective metric on the SPD cone.  ``d_SR`` is
    symmetric, blind to scale (``d(G, cG) = 0``), invariant under congruence
    ``G -> S^T G S`` applied to both (a change of chart) and under inversion,
    and satisfies the triangle inequality (``1 - e^{-t/2}`` is increasing and
    concave with value 0 at 0): a pseudometric on SPD matrices, a metric on
    rays ``{cG}``.  ``sqrt(lambda_m / lambda_1)`` is the dilatation of the
    local correspondence between the two representation manifolds, so
    ``d_SR = 0`` exactly where it is conformal.  For ``m = 1`` it is
    identically 0; use :func:`airm`, which then equals ``|log(g1 / g2)|``.

    References
    ----------
    Cayco Gajic & Pellegrino (2026). Geometry-aware similarity metrics for
    neural representations on Riemannian and statistical manifolds. arXiv:2603.28764.

    Examples
    --------
    >>> import numpy as np
    >>> float(spectral_ratio(np.diag([4.0, 1.0]), np.eye(2)))
    0.5
    >>> float(spectral_ratio(np.diag([4.0, 1.0]), 7 * np.diag([4.0, 1.0])))
    0.0
    """
    return _spectral_ratio(G1, G2)


def airm(G1: Any, G2: Any) -> np.ndarray | float:
    r"""Affine-invariant Riemannian distance ``||log(G2^{-1/2} G1 G2^{-1/2})||_F``.

    Notes
    -----
    .. math:: d_{AI}(G_1, G_2) = \Big(\sum_i \log^2 \lambda_i\Big)^{1/2}

    over the generalised eigenvalues of ``G1 v = lambda G2 v``.  Scale-aware
    (``d(G, cG) = sqrt(m) |log c|``) and unbounded; see :func:`airm_split`.

    References
    ----------
    Pennec, Fillard & Ayache (2006). A Riemannian framework for tensor computing. IJCV.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(airm(np.eye(2), np.e**2 * np.eye(2))), 6)
    2.828427
    """
    return _airm(G1, G2)


def thompson(G1: Any, G2: Any) -> np.ndarray | float:
    r"""Thompson's part metric ``max_i |log lambda_i|`` of the generalised eigenvalues.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(thompson(np.diag([np.e, 1 / np.e**2]), np.eye(2))), 6)
    2.0
    """
    return _thompson(G1, G2)


def log_euclidean(G1: Any, G2: Any) -> np.ndarray | float:
    r"""Log-Euclidean distance ``||log G1 - log G2||_F`` (matrix logarithms).

    References
    ----------
    Arsigny, Fillard, Pennec & Ayache (2007). Geometric means in a novel vector
    space structure on symmetric positive-definite matrices. SIAM J. Matrix Anal. Appl.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(log_euclidean(np.eye(3), np.e * np.eye(3))), 6)
    1.732051
    """
    A, B, single = _pair(G1, G2)
    inv_cholesky(A, "G1"), inv_cholesky(B, "G2")
    diff = eigen_function(A, np.log) - eigen_function(B, np.log)
    return _out(np.linalg.norm(diff, axis=(-2, -1)), single)


def bures(G1: Any, G2: Any) -> np.ndarray | float:
    r"""Bures-Wasserstein distance; accepts positive semi-definite matrices.

    Notes
    -----
    .. math:: d_B(G_1, G_2)^2 = \operatorname{tr} G_1 + \operatorname{tr} G_2
              - 2 \operatorname{tr}\big(G_1^{1/2} G_2 G_1^{1/2}\big)^{1/2}
              = \min_{U \in O(m)} \|G_1^{1/2} - G_2^{1/2} U\|_F^2,

    evaluated in the second (Procrustes) form, accurate near 0.

    References
    ----------
    Bhatia, Jain & Lim (2019). On the Bures-Wasserstein distance between
    positive definite matrices. Expositiones Mathematicae.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(bures(np.eye(2), 4 * np.eye(2))), 6)
    1.414214
    """
    A, B, single = _pair(G1, G2)
    return _out(bures_from(psd_sqrt(A), psd_sqrt(B)), single)


_DISPATCH = {
    "spectral_ratio": spectral_ratio,
    "airm": airm,
    "log_euclidean": log_euclidean,
    "bures": bures,
    "thompson": thompson,
}


def spd_distance(G1: Any, G2: Any, kind: str = "spectral_ratio") -> np.ndarray | float:
    """One of :data:`SPD_DISTANCES`, chosen by name, between paired metric tensors.

    Examples
    --------
    >>> import numpy as np
    >>> float(spd_distance(np.diag([9.0, 1.0]), np.eye(2), "spectral_ratio"))
    0.6666666666666667
    """
    check_choice(kind, "kind", SPD_DISTANCES)
    return _DISPATCH[kind](G1, G2)


@dataclass(frozen=True, eq=False)
class AIRMSplit:
    """The affine-invariant distance split into a scale part and a shape part.

    Attributes
    ----------
    log_scale : ndarray
        ``mean_i(log lambda_i) / 2``: the log of the geometric-mean length
        ratio ``|df1| / |df2|`` (0 when the two metrics have the same volume).
    shape : ndarray
        ``||log lambda - mean(log lambda)||_2``: the scale-free anisotropy.
    distance : ndarray
        The affine-invariant distance, ``sqrt(m (2 log_scale)^2 + shape^2)``.
    """

    log_scale: np.ndarray
    shape: np.ndarray
    distance: np.ndarray


def airm_split(G1: Any, G2: Any) -> AIRMSplit:
    r"""Split the affine-invariant distance into scale and shape parts.

    Notes
    -----
    With ``l_i = log lambda_i`` and ``lbar`` their mean,
    ``d_AI^2 = m lbar^2 + ||l - lbar||^2``.  The spectral ratio sees only the
    shape part (it is a function of ``l_max - l_min``); ``log_scale = lbar / 2``
    is what it misses (a pointwise conformal factor).

    Examples
    --------
    >>> import numpy as np
    >>> s = airm_split(4 * np.eye(2), np.eye(2))
    >>> round(float(s.log_scale[0]), 6), float(s.shape[0])
    (0.693147, 0.0)
    """
    A, B, _ = _pair(G1, G2)
    log_lam = np.log(_pencil(A, B))
    mean = log_lam.mean(axis=-1)
    shape = np.linalg.norm(log_lam - mean[:, None], axis=-1)
    return AIRMSplit(0.5 * mean, shape, np.linalg.norm(log_lam, axis=-1))
