"""Metric fields and their comparison averaged over the input manifold (the core of MSA)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import as_float_array
from ..measures.shape import RepresentationWarning
from .._validation import as_jacobians, as_metrics
from ._kernels import bures_from, eigen_function, eigvalsh, from_eigenvalues, inv_cholesky, psd_sqrt, whitened_eigvalsh

__all__ = ["MetricField", "MSAResult", "metric_field", "compare_fields", "evaluate_fields"]

WEIGHTINGS = ("uniform", "volume_x", "volume_geometric")


@dataclass(frozen=True, eq=False)
class MetricField:
    """A validated metric-tensor field, ready for comparisons.

    Attributes
    ----------
    G : ndarray (n_points, m, m)
        Metric tensors (regularised; the identity at dropped points).
    ok : ndarray of bool (n_points,)
        Points kept by the conditioning mask.
    log_volume : ndarray (n_points,)
        ``log sqrt(det G)`` (0 at dropped points).
    inv_chol : ndarray (n_points, m, m)
        ``L^{-1}`` with ``G = L L^T``.
    aux : ndarray or None
        ``log G`` (log-Euclidean) or ``G^{1/2}`` (Bures).
    """

    G: np.ndarray
    ok: np.ndarray
    log_volume: np.ndarray
    inv_chol: np.ndarray
    aux: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class MSAResult:
    """The full result of a metric similarity analysis.

    Attributes
    ----------
    mean : float
        Weighted mean of the pointwise distance over kept points (the MSA value).
    std : float
        Weighted standard deviation of the pointwise distance over kept points.
    per_point : ndarray
        Pointwise distances (NaN at dropped points), in the layout of the points.
    weights : ndarray
        Normalised weights (sum 1 over kept points, 0 at dropped points).
    log_scale : ndarray
        Pointwise ``mean(log lambda) / 2`` of the generalised eigenvalues: the
        log of the local length ratio of the first map to the second, the
        conformal factor that the spectral ratio ignores (NaN at dropped points).
    dropped_fraction : float
        Fraction of points dropped because a metric was singular or worse
        conditioned than ``max_condition``.
    spd : str
        The pointwise distance.
    weighting : str
        ``"uniform"``, ``"volume_x"``, ``"volume_geometric"`` or ``"given"``.
    """

    mean: float
    std: float
    per_point: np.ndarray
    weights: np.ndarray
    log_scale: np.ndarray
    dropped_fraction: float
    spd: str
    weighting: str


def metric_field(
    F: Any, name: str, *, field: str, spd: str, ridge: float = 0.0, max_condition: float = 1e10
) -> MetricField:
    """Validate a Jacobian or metric field and precompute what comparisons need.

    A relative ridge ``G + ridge * tr(G)/m * I`` is added first; then points
    whose metric is not positive definite or whose condition number exceeds
    ``max_condition`` are marked as dropped.
    """
    if field == "jacobian":
        J = as_jacobians(F, name)
        G = np.einsum("pia,pib->pab", J, J, optimize=True)
    else:
        G = as_metrics(F, name, single=False)
    m = G.shape[-1]
    if m == 1 and spd == "spectral_ratio":
        warnings.warn(
            f"{name} lives on a 1-D input manifold (m=1): the spectral ratio is identically 0 there; "
            "use spd='airm', which equals |log(g1/g2)| on 1-D manifolds",
            RepresentationWarning,
            stacklevel=4,
        )
    if ridge > 0:
        G = G + (ridge * np.trace(G, axis1=1, axis2=2) / m)[:, None, None] * np.eye(m)
    G = 0.5 * (G + G.swapaxes(-1, -2))
    w = eigvalsh(G)
    ok = (w[:, 0] > 0) & (w[:, -1] <= max_condition * np.where(w[:, 0] > 0, w[:, 0], 1.0))
    G = np.where(ok[:, None, None], G, np.eye(m))
    log_volume = np.where(ok, 0.5 * np.log(np.where(ok[:, None], w, 1.0)).sum(axis=1), 0.0)
    aux = None
    if spd == "log_euclidean":
        aux = eigen_function(G, np.log)
    elif spd == "bures":
        aux = psd_sqrt(G)
    return MetricField(G, ok, log_volume, inv_cholesky(G, name), aux)


def _generalized(a: MetricField, b: MetricField) -> np.ndarray:
    # clipped at the smallest normal number: rounding can push the smallest
    # eigenvalue of a barely-kept (condition ~ max_condition) metric below 0
    return np.maximum(whitened_eigvalsh(a.G, b.inv_chol), np.finfo(float).tiny)


def _pointwise(a: MetricField, b: MetricField, spd: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Pointwise distances at every point, and the generalised eigenvalues when computed."""
    if spd == "log_euclidean":
        return np.linalg.norm(a.aux - b.aux, axis=(-2, -1)), None
    if spd == "bures":
        return bures_from(a.aux, b.aux), None
    lam = _generalized(a, b)
    return from_eigenvalues(lam, spd), lam


def _weights(a: MetricField, b: MetricField, weighting: str, given: Any) -> np.ndarray:
    kept = a.ok & b.ok
    if not kept.any():
        raise ValueError(
            f"every one of the {kept.size} points has a singular metric or one with condition "
            "number above max_condition in X or Y; nothing is left to compare (raise ridge or "
            "max_condition)"
        )
    if given is not None:
        w = as_float_array(given, "weights", ndim=1)
        if w.shape[0] != kept.size or w.min() < 0:
            raise ValueError(
                f"weights must be {kept.size} non-negative numbers (one per point); got shape "
                f"{w.shape} with minimum {w.min():.3g}"
            )
    elif weighting == "uniform":
        w = np.ones(kept.size)
    else:
        logw = a.log_volume if weighting == "volume_x" else 0.5 * (a.log_volume + b.log_volume)
        w = np.exp(logw - logw[kept].max())
    w = np.where(kept, w, 0.0)
    if not w.sum() > 0:
        raise ValueError("weights sum to 0 over the kept points; at least one kept point needs weight > 0")
    return w / w.sum()


def compare_fields(a: MetricField, b: MetricField, *, spd: str, weighting: str) -> float:
    """The weighted mean of the pointwise distance (the MSA value)."""
    d, _ = _pointwise(a, b, spd)
    w = _weights(a, b, weighting, None)
    kept = a.ok & b.ok
    return float(w[kept] @ d[kept])


def evaluate_fields(a: MetricField, b: MetricField, *, spd: str, weighting: str, weights: Any = None) -> MSAResult:
    """The whole :class:`MSAResult` (``weights``, when given, replace ``weighting``)."""
    d, lam = _pointwise(a, b, spd)
    w = _weights(a, b, weighting, weights)
    kept = a.ok & b.ok
    mean = float(w[kept] @ d[kept])
    if lam is None:
        lam = _generalized(a, b)
    log_scale = np.where(kept, 0.5 * np.log(np.where(kept[:, None], lam, 1.0)).mean(axis=1), np.nan)
    return MSAResult(
        mean=mean,
        std=float(np.sqrt(w[kept] @ (d[kept] - mean) ** 2)),
        per_point=np.where(kept, d, np.nan),
        weights=w,
        log_scale=log_scale,
        dropped_fraction=float(1.0 - kept.mean()),
        spd=spd,
        weighting="given" if weights is not None else weighting,
    )
