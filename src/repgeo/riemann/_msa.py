"""Metric fields and their comparison averaged over the input manifold (the core of MSA)."""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import namespace
from .._result import Result
from .._validation import as_float_array, as_jacobians, as_metrics, check_choice, check_in_range, check_psd
from .._warnings import RepresentationWarning
from . import _kernels as K
from ._spd import SPD_DISTANCES

__all__ = ["MetricField", "MSAResult", "check_options", "metric_field", "compare_fields", "evaluate_fields"]

WEIGHTINGS = ("uniform", "volume_x", "volume_geometric")
ON_ILL_CONDITIONED = ("raise", "drop")


def check_options(spd: str, weighting: str, ridge: float, max_condition: float) -> None:
    """Validate the options shared by :class:`repgeo.MSA` and :func:`repgeo.riemann.compare_models`."""
    check_choice(spd, "spd", SPD_DISTANCES)
    check_choice(weighting, "weighting", WEIGHTINGS)
    check_in_range(ridge, "ridge", 0.0, np.inf, high_open=True)
    check_in_range(max_condition, "max_condition", 1.0, np.inf, low_open=True)


@dataclass(frozen=True, eq=False)
class MetricField:
    """A validated metric-tensor field in square-root form ``G = exp(log_size) R^T R``.

    The arrays are NumPy arrays, or torch tensors on the input's device when
    the field was prepared from a tensor.

    Attributes
    ----------
    name : str
        The argument name, for error messages.
    ok : ndarray of bool (n_points,)
        Points kept by the conditioning mask.
    log_size : ndarray (n_points,)
        ``log(tr G / m)`` of the (regularised) metric (0 at dropped points).
    R, R_inv : ndarray (n_points, m, m)
        Upper-triangular factor with ``tr(R^T R) = m`` and its inverse (the
        identity at dropped points).
    cond : ndarray (n_points,)
        ``cond(R) = sqrt(cond(G))`` (inf where singular).
    log_volume : ndarray (n_points,)
        ``log sqrt(det G)`` (0 at dropped points).
    aux : ndarray or None
        ``log(R^T R)`` (log-Euclidean) or ``(R^T R)^{1/2}`` (Bures).
    """

    name: str
    ok: np.ndarray
    log_size: np.ndarray
    R: np.ndarray
    R_inv: np.ndarray
    cond: np.ndarray
    log_volume: np.ndarray
    aux: np.ndarray | None = None


@dataclass(frozen=True, eq=False, repr=False)
class MSAResult(Result):
    """The full result of a metric similarity analysis.

    The array attributes are torch tensors on the inputs' device when the
    fields were prepared from tensors.

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

    _dims = dict.fromkeys(("per_point", "weights", "log_scale"), "point")
    _table = "point"


def metric_field(
    F: Any, name: str, *, field: str, spd: str, ridge: float = 0.0, max_condition: float = 1e10
) -> MetricField:
    """Validate a Jacobian or metric field and precompute what comparisons need.

    Each metric is scaled to mean eigenvalue 1 (the log scale is kept apart),
    a relative ridge ``G + ridge * tr(G)/m * I`` is added, and points whose
    metric is singular or has condition number above ``max_condition`` are
    marked as dropped.  Jacobians are factored by a thin QR (``J^T J`` is never
    formed); metric tensors must be positive semi-definite (``ValueError``
    naming the first indefinite point otherwise) and are Cholesky-factored.
    A torch tensor ``F`` gives a field of float64 tensors on its device.
    """
    xp = namespace(F)
    if field == "jacobian":
        Jn, log_s = K.normalise(as_jacobians(F, name, xp=xp), jacobian=True)
        R = K.qr_factor(Jn, ridge)
        sv = K.singular_values(R)
    else:
        G = as_metrics(F, name, single=False, xp=xp)
        check_psd(G, name)
        Gn, log_s = K.normalise(G, jacobian=False)
        Gn = Gn + ridge * xp.eye(G.shape[-1]) if ridge > 0 else Gn
        sv = xp.sqrt(xp.clip(K.eigvalsh(Gn), 0.0, None))
    m = sv.shape[-1]
    if m == 1 and spd == "spectral_ratio":
        warnings.warn(
            "the Jacobians live on a 1-D input manifold (m=1): the spectral ratio is identically 0 "
            "there; use spd='airm', which equals |log(g1/g2)| on 1-D manifolds",
            RepresentationWarning,
            stacklevel=4,
        )
    with xp.errstate(over="ignore"):
        ok = (sv[:, 0] > 0) & (sv[:, -1] ** 2 <= max_condition * sv[:, 0] ** 2)
    eye = xp.eye(m)
    R = xp.where(ok[:, None, None], R, eye) if field == "jacobian" else K.chol_factor(xp.where(ok[:, None, None], Gn, eye))
    if ridge > 0:
        log_s = log_s + math.log1p(ridge)
        R = R / math.sqrt(1.0 + ridge)
    log_s = xp.where(ok, log_s, 0.0)
    aux = None
    if spd in ("log_euclidean", "bures"):
        aux = K.log_and_root(R)[0 if spd == "log_euclidean" else 1]
    return MetricField(
        name, ok, log_s, R, K.tri_inv(R), xp.where(ok, K.condition(sv), math.inf),
        xp.where(ok, 0.5 * m * log_s + K.log_det_triangular(R), 0.0), aux,
    )


def _common(a: MetricField, b: MetricField) -> tuple[MetricField, MetricField]:
    """The two fields in one namespace: a NumPy field joins a torch one on its device."""
    xp = namespace(a.R, b.R)
    if xp.is_torch:
        a, b = (_to(xp, f) if not namespace(f.R).is_torch else f for f in (a, b))
    return a, b


def _to(xp: Any, f: MetricField) -> MetricField:
    arrays = {k.name: getattr(f, k.name) for k in dataclasses.fields(f) if k.name != "name"}
    return dataclasses.replace(f, **{k: None if v is None else xp.asarray(v) for k, v in arrays.items()})


def _kept(a: MetricField, b: MetricField) -> np.ndarray:
    """Points kept for this pair: both metrics kept and the pair resolvable in float64."""
    return a.ok & b.ok & K.resolvable(a.cond, b.cond, a.R.shape[-1])


def _pointwise(a: MetricField, b: MetricField, spd: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Pointwise distances at every point, and the pencil's singular values when computed."""
    xp = namespace(a.R)
    dlog = a.log_size - b.log_size
    if spd == "log_euclidean":
        return xp.matrix_norm(a.aux - b.aux + dlog[:, None, None] * xp.eye(a.R.shape[-1])), None
    if spd == "bures":
        d = K.bures_scaled(a.aux, a.log_size, b.aux, b.log_size)
        return K.check_representable(d, f"the metrics of {a.name} and {b.name}", "Bures distance"), None
    sv = K.pencil_sv(a.R, b.R_inv, spd)
    return K.from_pencil(sv, dlog, spd), sv


def _weights(a: MetricField, b: MetricField, kept: Any, weighting: str, given: Any) -> Any:
    xp, n = namespace(kept), kept.shape[0]
    if not kept.any():
        raise ValueError(
            f"every one of the {n} points has a singular metric or one with condition "
            f"number above max_condition in {a.name} or {b.name}; nothing is left to compare "
            "(raise ridge or max_condition)"
        )
    if given is not None:
        w = as_float_array(given, "weights", ndim=1, xp=xp)
        if w.shape[0] != n or w.min() < 0:
            raise ValueError(
                f"weights must be {n} non-negative numbers (one per point); got shape "
                f"{tuple(w.shape)} with minimum {float(w.min()):.3g}"
            )
    elif weighting == "uniform":
        w = xp.ones((n,))
    else:
        logw = a.log_volume if weighting == "volume_x" else 0.5 * (a.log_volume + b.log_volume)
        w = xp.exp(xp.where(kept, logw - logw[kept].max(), -math.inf))  # dropped points: weight 0, no overflow
    w = xp.where(kept, w, 0.0)
    if not w.sum() > 0:
        raise ValueError("weights sum to 0 over the kept points; at least one kept point needs weight > 0")
    return w / w.sum()


def _check_dropped(a: MetricField, b: MetricField, kept: Any, on_ill_conditioned: str, max_condition: float) -> None:
    if kept.all():
        return
    n, k = kept.shape[0], int((~kept).sum())
    pair = int((a.ok & b.ok & ~kept).sum())
    what = (
        f"{k} of {n} points ({k / n:.1%}) must be dropped: {int((~a.ok).sum())} metrics of {a.name} and "
        f"{int((~b.ok).sum())} of {b.name} are singular or have condition number above "
        f"max_condition={max_condition:g}" + (f", and {pair} pairs are too ill-conditioned together to resolve in float64" if pair else "")
    )
    if on_ill_conditioned == "raise":
        raise ValueError(
            f"{what}; a mask that depends on the pair breaks the triangle inequality, so MSA raises. "
            "Regularise with ridge > 0, change max_condition, or pass on_ill_conditioned='drop' to "
            "average over the kept points (then the measure is not a metric)"
        )
    warnings.warn(f"{what}; averaging over the kept points", RepresentationWarning, stacklevel=4)


def compare_fields(
    a: MetricField, b: MetricField, *, spd: str, weighting: str, on_ill_conditioned: str = "raise", max_condition: float = 1e10
) -> float:
    """The weighted mean of the pointwise distance (the MSA value); dropping points raises or warns."""
    a, b = _common(a, b)
    kept = _kept(a, b)
    w = _weights(a, b, kept, weighting, None)
    _check_dropped(a, b, kept, on_ill_conditioned, max_condition)
    d, _ = _pointwise(a, b, spd)
    return float(w[kept] @ d[kept])


def evaluate_fields(a: MetricField, b: MetricField, *, spd: str, weighting: str, weights: Any = None) -> MSAResult:
    """The whole :class:`MSAResult` (``weights``, when given, replace ``weighting``); drops are reported."""
    a, b = _common(a, b)
    xp = namespace(a.R)
    d, _ = _pointwise(a, b, spd)
    kept = _kept(a, b)
    w = _weights(a, b, kept, weighting, weights)
    mean = float(w[kept] @ d[kept])
    log_scale = xp.where(kept, (a.log_volume - b.log_volume) / a.R.shape[-1], math.nan)
    return MSAResult(
        mean=mean,
        std=math.sqrt(float(w[kept] @ (d[kept] - mean) ** 2)),
        per_point=xp.where(kept, d, math.nan),
        weights=w,
        log_scale=log_scale,
        dropped_fraction=1.0 - float(kept.sum()) / kept.shape[0],
        spd=spd,
        weighting="given" if weights is not None else weighting,
    )
