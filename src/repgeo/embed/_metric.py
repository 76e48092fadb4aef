"""Metric MDS by SMACOF (scikit-learn) from a precomputed distance matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial.distance import pdist, squareform

from .._linalg import to_unit_scale
from .._result import Result
from .._validation import (
    check_distance_matrix,
    check_positive_int,
)
from ._classical import _distortion, classical_mds

__all__ = ["MetricEmbedding", "metric_mds"]


@dataclass(frozen=True, eq=False, repr=False)
class MetricEmbedding(Result):
    """Coordinates from metric MDS (SMACOF stress minimisation).

    Attributes
    ----------
    coords : ndarray of shape (K, n_components)
    stress : float
        Kruskal's stress-1, ``sqrt(sum (d_ij - D_ij)^2 / sum D_ij^2)`` over pairs.
    n_iter : int
        SMACOF iterations run.
    rank_correlation : float
        As in :class:`Embedding`.
    """

    coords: np.ndarray
    stress: float
    n_iter: int
    rank_correlation: float


def metric_mds(D: Any, n_components: int = 2, *, max_iter: int = 300, eps: float = 1e-6) -> MetricEmbedding:
    r"""Metric MDS of a distance matrix: scikit-learn's SMACOF, started from classical MDS.

    Parameters
    ----------
    D : array of shape (K, K)
        Symmetric distances with a zero diagonal, used as precomputed dissimilarities.
    n_components : int, default 2
    max_iter : int, default 300
        Iteration cap of SMACOF.
    eps : float, default 1e-6
        Relative stress decrease at which SMACOF stops.

    Notes
    -----
    Minimises the raw stress ``sum_{i<j} (||x_i - x_j|| - D_ij)^2`` by
    majorisation (de Leeuw 1977) from the classical MDS solution, so the
    result is deterministic and no worse in stress than the classical one.

    References
    ----------
    de Leeuw (1977). Applications of convex analysis to multidimensional scaling.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.spatial.distance import pdist, squareform
    >>> pts = np.random.default_rng(0).standard_normal((30, 2))
    >>> emb = metric_mds(squareform(pdist(pts)))
    >>> bool(emb.stress < 1e-3)
    True
    """
    from sklearn.manifold import smacof  # scikit-learn is a dependency; imported on use

    D = check_distance_matrix(D, "D")
    max_iter = check_positive_int(max_iter, "max_iter")
    n_components = check_positive_int(n_components, "n_components")
    if n_components >= D.shape[0]:
        raise ValueError(f"n_components must be < the number of points K={D.shape[0]}; got {n_components}")
    if not D.any():  # every point in one place: SMACOF would divide 0 by 0
        return MetricEmbedding(np.zeros((D.shape[0], n_components)), 0.0, 0, float("nan"))
    unit, e = to_unit_scale(D)  # exact power-of-two rescaling: SMACOF works on numbers near 1
    start = classical_mds(unit, n_components)
    coords, _, n_iter = smacof(
        unit, metric=True, n_components=n_components, init=start.coords, n_init=1,
        max_iter=max_iter, eps=eps, return_n_iter=True, normalized_stress=False,
    )
    if not np.isfinite(coords).all():
        raise ValueError("metric MDS diverged (non-finite coordinates); check D for extreme values")
    original, embedded = squareform(unit, checks=False), pdist(coords)
    denom = float(np.sum(original**2))
    stress = float(np.sqrt(np.sum((embedded - original) ** 2) / denom)) if denom > 0 else 0.0
    return MetricEmbedding(np.ldexp(coords, e), stress, int(n_iter), _distortion(original, embedded))
