"""Many networks as points of shape space: the Procrustes barycentre and tangent-space coordinates.

With ``K`` representations of the same stimuli, :func:`barycenter` finds their
Fréchet (Procrustes) mean by alternating alignment, and
:func:`tangent_embedding` turns every network into one vector in the tangent
space at that mean -- a ``K x d`` design matrix for any off-the-shelf method
(regression, clustering, PCA), whose Euclidean distances approximate the
shape distances near the mean (Williams et al. 2021).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ._linalg import angular_from_cosine
from ._validation import check_matched_rows, check_positive_int, check_in_range
from ._warnings import ConvergenceWarning
from .measures._alignment import polar_factors
from .measures.shape import ShapeMetric

__all__ = ["Barycenter", "barycenter", "tangent_embedding"]


@dataclass(frozen=True, eq=False)
class Barycenter:
    """The Procrustes barycentre of a set of representations.

    Attributes
    ----------
    coords : ndarray of shape (n_samples, width)
        The mean shape (unit Frobenius norm for the angular score), in the
        whitened coordinates of :class:`repgeo.ShapeMetric`: with
        ``alpha < 1`` compare it with other prepared coordinates
        (``ShapeMetric(alpha).prepare(X).coords``) by plain Procrustes
        (``alpha=1``), not by whitening it again.
    aligned : ndarray of shape (K, n_samples, width)
        Each input, prepared and optimally rotated onto ``coords``.
    measure : ShapeMetric
        The shape metric whose geometry is used (``alpha``, ``score``).
    n_iter : int
        Alternations performed.
    converged : bool
        Whether the relative change of the objective fell below ``tol``.
    objective : float
        ``sum_i d(X_i, coords)^2`` in the measure's geometry (angles for the
        angular score) at the returned mean.
    """

    coords: np.ndarray
    aligned: np.ndarray
    measure: ShapeMetric
    n_iter: int
    converged: bool
    objective: float


def _prepared(reps: Sequence[Any], measure: ShapeMetric) -> list[np.ndarray]:
    if isinstance(reps, np.ndarray) and reps.ndim != 3:
        raise ValueError(f"reps must be a sequence of (n_samples, n_features) arrays; got an array of shape {reps.shape}")
    reps = list(reps)
    if not reps:
        raise ValueError("reps is empty; at least one representation is required")
    names = [f"reps[{i}]" for i in range(len(reps))]
    check_matched_rows(reps, names)
    out = []
    for X, name in zip(reps, names):
        p = measure.prepare(X, name)
        out.append(p.coords * (1.0 if measure.score == "angular" else p.norm))
    return out


def _pad(coords: list[np.ndarray], width: int) -> np.ndarray:
    return np.stack([np.pad(c, ((0, 0), (0, width - c.shape[1]))) for c in coords])


def _align(stack: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Each ``stack[i] @ R_i`` with ``R_i`` the best rotation onto ``mean`` (one batched SVD)."""
    return stack @ polar_factors(stack.transpose(0, 2, 1) @ mean)


def _objective(aligned: np.ndarray, mean: np.ndarray, angular: bool) -> float:
    if angular:
        return float(np.sum(angular_from_cosine(np.einsum("kij,ij->k", aligned, mean)) ** 2))
    return float(np.sum((aligned - mean) ** 2))


def barycenter(
    reps: Sequence[Any],
    alpha: float = 1.0,
    *,
    score: str = "angular",
    max_iter: int = 200,
    tol: float = 1e-12,
) -> Barycenter:
    r"""Procrustes (Fréchet) mean of representations by alternating alignment.

    Parameters
    ----------
    reps : sequence of array_like, each (n_samples, n_features_i)
        Representations of the same stimuli (widths may differ).
    alpha : float in [0, 1], default 1.0
        Partial whitening, as in :class:`repgeo.ShapeMetric`.
    score : {"angular", "euclidean"}, default "angular"
        Geometry: the unit sphere (mean of unit-norm shapes) or the data's
        own units.
    max_iter : int, default 200
        Cap on the alternations (a ``ConvergenceWarning`` if reached).
    tol : float, default 1e-12
        Stop when the objective changes by less than ``tol`` times its value.

    Returns
    -------
    Barycenter

    Notes
    -----
    Each representation is prepared as by :class:`repgeo.ShapeMetric` (centred,
    partially whitened; unit norm for the angular score) and zero-padded to
    the largest width.  Starting from the first representation, the
    algorithm alternates (generalised Procrustes analysis):

    1. rotate every ``A_i`` onto the current mean ``M``:
       ``R_i = polar(A_i^T M)``;
    2. ``M = mean_i A_i R_i`` (Euclidean), or that mean scaled to unit norm
       (angular: it maximises ``sum_i <A_i R_i, M>`` on the sphere).

    Both steps never increase ``sum_i ||A_i R_i - M||^2`` (for the angular
    score, never decrease ``sum_i <A_i R_i, M>``), so the iteration
    converges; it stops when the objective ``sum_i d(A_i, M)^2`` changes by
    less than ``tol`` relative.  The mean is defined up to a rotation.

    References
    ----------
    Gower (1975). Generalized Procrustes analysis. Psychometrika 40, 33-51.
    Williams, Kunz, Kornblith & Linderman (2021). Generalized shape metrics on
    neural representations. NeurIPS.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 4))
    >>> copies = [X @ np.linalg.qr(rng.standard_normal((4, 4)))[0] for _ in range(5)]
    >>> bary = rg.shape_space.barycenter(copies)
    >>> round(rg.ShapeMetric()(bary.coords, X), 6), bary.converged
    (0.0, True)
    """
    check_in_range(alpha, "alpha", 0.0, 1.0)
    check_positive_int(max_iter, "max_iter")
    check_in_range(tol, "tol", 0.0, 1.0)
    measure = ShapeMetric(alpha=alpha, score=score)
    angular = score == "angular"
    coords = _prepared(reps, measure)
    stack = _pad(coords, max(c.shape[1] for c in coords))
    mean = stack[0]
    aligned = _align(stack, mean)
    value = _objective(aligned, mean, angular)
    # rounding level of the objective: (64 eps)^2 per network, in units of its squared norm
    floor = (64 * np.finfo(float).eps) ** 2 * (len(coords) if angular else float(np.sum(stack**2)))
    converged = value <= floor
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        if converged:
            n_iter -= 1
            break
        mean = aligned.mean(axis=0)
        if angular:
            mean = mean / np.linalg.norm(mean)
        aligned = _align(stack, mean)
        new = _objective(aligned, mean, angular)
        if not np.isfinite(new):
            raise FloatingPointError(f"the barycentre objective became {new} at iteration {n_iter}")
        converged = abs(value - new) <= tol * value + floor
        value = new
        if converged:
            break
    if not converged:
        warnings.warn(f"barycenter stopped at max_iter={max_iter} before converging", ConvergenceWarning, stacklevel=2)
    return Barycenter(mean, aligned, measure, n_iter, bool(converged), value)


def tangent_embedding(reps: Sequence[Any], barycenter: Barycenter) -> np.ndarray:
    r"""Each representation as a vector in the tangent space at a barycentre.

    Parameters
    ----------
    reps : sequence of array_like, each (n_samples, n_features_i)
        Representations (those the barycentre was fitted on, or new ones).
    barycenter : Barycenter
        From :func:`barycenter`; its measure prepares ``reps``.

    Returns
    -------
    ndarray of shape (K, n_samples * width)
        Row ``i`` is the log map of ``A_i``, aligned to the mean ``M``:
        ``A_i R_i - M`` (Euclidean score) or, on the sphere,
        ``theta_i u_i / ||u_i||`` with ``u_i = A_i R_i - <A_i R_i, M> M`` and
        ``theta_i = arccos <A_i R_i, M>`` (angular score).

    Notes
    -----
    ``||row_i||`` equals the shape distance from ``A_i`` to the mean exactly;
    distances between rows approximate the shape distances between the
    networks, well near the mean (the tangent space is flat, shape space is
    curved).  This is netrep's ``euclidean_tangent_space`` (with the sign
    ``A_i R_i - M``) plus the spherical log map for the angular score.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(1)
    >>> X = rng.standard_normal((40, 3))
    >>> reps = [X + 0.1 * rng.standard_normal(X.shape) for _ in range(6)]
    >>> bary = rg.shape_space.barycenter(reps)
    >>> V = rg.shape_space.tangent_embedding(reps, bary)
    >>> V.shape
    (6, 120)
    >>> bool(np.isclose(np.linalg.norm(V[0]), rg.ShapeMetric()(reps[0], bary.coords)))
    True
    """
    if not isinstance(barycenter, Barycenter):
        raise TypeError(f"barycenter must be a Barycenter from repgeo.shape_space.barycenter; got {type(barycenter).__name__}")
    M = barycenter.coords
    coords = _prepared(reps, barycenter.measure)
    if coords[0].shape[0] != M.shape[0]:
        raise ValueError(f"reps have {coords[0].shape[0]} rows but the barycentre has {M.shape[0]}; rows must be matched samples")
    width = max(M.shape[1], *(c.shape[1] for c in coords))
    M = np.pad(M, ((0, 0), (0, width - M.shape[1])))
    aligned = _align(_pad(coords, width), M)
    if barycenter.measure.score == "euclidean":
        return (aligned - M).reshape(len(coords), -1)
    cos = np.einsum("kij,ij->k", aligned, M)
    u = aligned - cos[:, None, None] * M
    norms = np.linalg.norm(u, axis=(1, 2))
    # theta / ||u|| -> 1 as the point approaches the mean; the residual form keeps the digits there
    theta = 2.0 * np.arcsin(np.minimum(np.linalg.norm(aligned - M, axis=(1, 2)) / 2.0, 1.0))
    scale = np.divide(theta, norms, out=np.ones_like(theta), where=norms > 0)
    return (u * scale[:, None, None]).reshape(len(coords), -1)
