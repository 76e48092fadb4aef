"""Classical multidimensional scaling (Torgerson) and the embedding it returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
from scipy.spatial.distance import pdist, squareform
from scipy.stats import spearmanr

from .._result import Result
from .._validation import (
    as_float_array,
    check_positive_int,
)

__all__ = ["Embedding", "classical_mds"]


@dataclass(frozen=True, eq=False, repr=False)
class Embedding(Result):
    """Coordinates whose Euclidean distances approximate a distance matrix.

    Attributes
    ----------
    coords : ndarray of shape (K, n_components)
    eigenvalues : ndarray of shape (K,)
        All eigenvalues of the double-centred matrix, in decreasing order.
        Negative ones measure how far the distances are from Euclidean.
    explained : float
        Share of the positive eigenvalue mass captured by the kept components.
    negative_mass : float
        ``sum |negative eigenvalues| / sum |eigenvalues|`` (0 for exactly
        Euclidean distances).
    rank_correlation : float
        Spearman correlation between the original and the embedded distances
        (a distortion summary; 1 means the order of distances is kept).  NaN
        when all distances are equal (no order to keep), or with fewer than
        three points.
    """

    coords: np.ndarray
    eigenvalues: np.ndarray
    explained: float
    negative_mass: float
    rank_correlation: float

    _dims = {"coords": ("point", "component"), "eigenvalues": "eigenvalue"}


def classical_mds(D: Any, n_components: int = 2) -> Embedding:
    r"""Classical (Torgerson) multidimensional scaling of a distance matrix.

    Parameters
    ----------
    D : array of shape (K, K)
        Symmetric distances with a zero diagonal (e.g. from :func:`repgeo.pairwise`).
    n_components : int, default 2

    Notes
    -----
    With ``J = I - 11^T / K``, ``B = -J (D \circ D) J / 2 = V \Lambda V^T`` and
    the coordinates are ``V_k \Lambda_k^{1/2}`` for the ``k`` largest positive
    eigenvalues.  For distances that are Euclidean this recovers the points up
    to a rigid motion.  (scikit-learn >= 1.8 has ``ClassicalMDS``; this
    function also reports the whole spectrum and the distortion, and works
    with older scikit-learn releases.)

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    >>> from scipy.spatial.distance import pdist, squareform
    >>> emb = classical_mds(squareform(pdist(pts)))
    >>> bool(np.allclose(squareform(pdist(emb.coords)), squareform(pdist(pts))))
    True
    """
    D = as_float_array(D, "D", ndim=2)
    K = D.shape[0]
    if D.shape != (K, K):
        raise ValueError(f"D must be a square distance matrix; got shape {D.shape}")
    if not np.allclose(D, D.T, rtol=1e-10, atol=1e-12 * max(1.0, float(np.abs(D).max()))):
        raise ValueError("D must be symmetric; embed the symmetrised (D + D.T) / 2 if that is what you mean")
    if np.any(D < 0) or np.any(np.abs(np.diag(D)) > 0):
        raise ValueError("D must hold non-negative distances with a zero diagonal")
    n_components = check_positive_int(n_components, "n_components")
    if n_components >= K:
        raise ValueError(f"n_components must be < the number of points K={K}; got {n_components}")
    e = _unit_exponent(D, "D")
    D_unit = np.ldexp(D, -e)
    J = np.eye(K) - 1.0 / K
    B = -0.5 * J @ (D_unit**2) @ J
    eigenvalues, vectors = scipy.linalg.eigh((B + B.T) / 2)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, vectors = eigenvalues[order], vectors[:, order]
    kept = np.clip(eigenvalues[:n_components], 0.0, None)
    coords = np.ldexp(vectors[:, :n_components] * np.sqrt(kept), e)
    positive = eigenvalues[eigenvalues > 0].sum()
    total = np.abs(eigenvalues).sum()
    negative = np.abs(eigenvalues[eigenvalues < 0]).sum()
    eigenvalues = np.ldexp(eigenvalues, 2 * e)
    original, embedded = squareform(D, checks=False), pdist(coords)
    varies = K > 2 and np.ptp(original) > 0 and np.ptp(embedded) > 0
    rho = spearmanr(original, embedded).statistic if varies else np.nan
    return Embedding(
        coords=coords,
        eigenvalues=eigenvalues,
        explained=float(kept.sum() / positive) if positive > 0 else 0.0,
        negative_mass=float(negative / total) if total > 0 else 0.0,
        rank_correlation=float(rho),
    )


def _unit_exponent(D: np.ndarray, name: str) -> int:
    """The power of two that brings ``D`` to unit scale, refusing distances whose squares (the
    eigenvalues) float64 cannot hold."""
    _, e = np.frexp(np.abs(D).max())  # exact power-of-two rescaling: D**2 cannot overflow
    if 2 * int(e) > 1020:
        raise ValueError(
            f"{name} has distances up to {np.abs(D).max():.3g}; the eigenvalues (squared distances) would "
            f"overflow float64 above about 1e153: divide {name} by a constant (the embedding scales with it)"
        )
    return int(e)


def _distortion(original: np.ndarray, embedded: np.ndarray) -> float:
    """Spearman correlation of two vectors of distances; NaN when either has no order."""
    varies = original.size > 2 and np.ptp(original) > 0 and np.ptp(embedded) > 0
    return float(spearmanr(original, embedded).statistic) if varies else float("nan")
