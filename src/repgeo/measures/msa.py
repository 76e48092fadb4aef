"""Metric similarity analysis (MSA): compare the intrinsic geometry of representations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .._measure import Measure, MeasureInfo
from .._registry import register
from .._validation import check_choice, check_same_points
from ..riemann._msa import (
    ON_ILL_CONDITIONED,
    MetricField,
    MSAResult,
    check_options,
    compare_fields,
    evaluate_fields,
    metric_field,
)

__all__ = ["MSA"]

_MSA_REF = (
    "Cayco Gajic & Pellegrino (2026). Geometry-aware similarity metrics for neural "
    "representations on Riemannian and statistical manifolds. arXiv:2603.28764."
)


@register("msa_volume", weighting="volume_x")
@register("msa_thompson", spd="thompson")
@register("msa_bures", spd="bures")
@register("msa_log_euclidean", spd="log_euclidean")
@register("msa_airm", spd="airm")
@register("msa")
@dataclass(frozen=True)
class MSA(Measure):
    r"""Metric similarity analysis: a pointwise SPD distance between pullback metrics, averaged.

    Both representations are maps ``f1, f2: M -> R^n`` of the same input
    manifold, given by their Jacobians at the same points ``u_i`` (or by
    metric tensors there, ``field="metric"``).  Unit counts may differ.

    Parameters
    ----------
    spd : {"spectral_ratio", "airm", "log_euclidean", "bures", "thompson"}
        Pointwise distance between the metric tensors ``G1(u_i)``, ``G2(u_i)``.
        ``"spectral_ratio"`` (the paper's choice) is scale-blind and lies in
        ``[0, 1]``; the others are scale-aware and unbounded (see
        :mod:`repgeo.riemann`).
    weighting : {"uniform", "volume_x", "volume_geometric"}
        Integration measure over the points: equal weights (the points are a
        sample of the task distribution; the default), the Riemannian volume
        ``sqrt(det G1)`` of the first argument (**asymmetric**), or the
        geometric mean ``(det G1 det G2)^{1/4}`` (symmetric, but the weights
        depend on the pair, so the triangle inequality is not guaranteed).
        Fixed weights are passed to :meth:`evaluate`.
    field : {"jacobian", "metric"}
        Input layout: Jacobians ``(n_points, n_features, m)`` (the metric is
        ``J^T J``; whiten ``J`` first for a non-Euclidean ambient metric), or
        metric tensors ``(n_points, m, m)`` such as Fisher metrics from
        :func:`repgeo.riemann.fisher_softmax`.
    ridge : float >= 0, default 0
        Regularisation ``G + ridge * tr(G)/m * I`` for rank-deficient metrics.
    max_condition : float > 1, default 1e10
        A point where either metric is singular or has a larger condition
        number cannot be compared (see ``on_ill_conditioned``).  Up to this
        default the computation adds a relative error of about
        ``eps * sqrt(kappa1 kappa2) <= 2e-6`` to the generalised
        eigenvalues; above about 1e11 a pair is also dropped where
        ``8 m eps sqrt(kappa1 kappa2) > 1e-3``.  That is all the error for
        Jacobian input; metric tensors in float64 determine their
        eigenvalues only to about ``m eps (kappa1 + kappa2)`` relative (each
        entry's rounding is a backward error of ``eps |G|``), up to about
        ``1e-5`` at the default.  The computed condition numbers carry
        rounding errors, so a point within rounding of ``max_condition`` (or
        of the pair limit) can be kept by one backend (NumPy, torch, CPU,
        GPU) and dropped by another.
    on_ill_conditioned : {"raise", "drop"}, default "raise"
        What calling the measure (and :func:`repgeo.pairwise`) does when a
        point must be dropped: ``"raise"`` a ``ValueError`` naming the
        fraction, or ``"drop"`` it, average over the kept points and warn
        (:class:`repgeo.RepresentationWarning`).  Which points are dropped
        depends on the pair, so with ``"drop"`` the triangle inequality can
        fail and ``info.metric`` is False.  :meth:`evaluate` always drops and
        reports ``dropped_fraction``.

    Notes
    -----
    .. math:: d_{MSA}(f_1, f_2) = \sum_i w_i\, d\big(G_1(u_i), G_2(u_i)\big),
              \qquad G_k(u) = J_k(u)^T J_k(u),

    with normalised weights ``w_i`` over the kept points.  With
    ``spd="spectral_ratio"``, ``d = 1 - sqrt(lambda_min / lambda_max)`` of the
    generalised eigenvalues of ``(G1, G2)``.  Every pointwise distance is
    symmetric and satisfies the triangle inequality, so with uniform (or
    fixed) weights the average is a pseudometric on metric fields.  It stays
    one because calling the measure raises rather than drop a point (a
    pair-dependent mask can break the triangle inequality; see
    ``on_ill_conditioned``).  Metrics are held as ``G = s R^T R`` with
    ``s = tr(G)/m`` (so Jacobians of any magnitude, 1e-160 or 1e160, give
    the same value as at unit scale) and the generalised eigenvalues are
    ``s1/s2`` times the squared singular values of ``R1 R2^{-1}`` (thin QR
    of ``J``; ``J^T J`` is never formed).  MSA is invariant to orthogonal
    maps and permutations of units.  An offset of the underlying map,
    ``f + b``, leaves ``J`` unchanged, so MSA ignores it, but that is not an
    invariance of the input (adding a constant to ``J`` changes the value);
    the claimed invariances act on the unit axis of ``J``.  The spectral
    ratio is also blind to scale, and to
    any pointwise conformal factor ``G2(u) = c(u) G1(u)``: read
    :attr:`MSAResult.log_scale` or use ``spd="airm"`` for that.  On a 1-D
    input manifold the spectral ratio is identically 0 (a warning says so);
    use ``spd="airm"``, which equals ``|log(g1/g2)|`` there.

    Torch tensors (CPU or CUDA) are computed on with torch on their device,
    in float64, by the same algorithm and checks: :meth:`prepare` keeps the
    field there, the value is a float, and :meth:`evaluate` returns tensors.

    References
    ----------
    Cayco Gajic & Pellegrino (2026). Geometry-aware similarity metrics for
    neural representations on Riemannian and statistical manifolds.
    arXiv:2603.28764.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> J = rng.standard_normal((100, 20, 2))
    >>> Q = np.linalg.qr(rng.standard_normal((20, 20)))[0]
    >>> round(rg.MSA()(J, 3 * np.einsum("ij,pjm->pim", Q, J)), 6)
    0.0
    >>> W = np.broadcast_to(Q[:, :2], (100, 20, 2))   # a linear isometry u -> W u
    >>> round(rg.MSA()(W, W @ np.diag([2.0, 0.5])), 6)   # stretched: 1 - 0.5/2
    0.75
    >>> res = rg.MSA().evaluate(J, J * 2)
    >>> round(res.mean, 6), round(float(res.log_scale[0]), 6), res.dropped_fraction
    (0.0, -0.693147, 0.0)
    """

    spd: str = "spectral_ratio"
    weighting: str = "uniform"
    field: str = "jacobian"
    ridge: float = 0.0
    max_condition: float = 1e10
    on_ill_conditioned: str = "raise"

    def __post_init__(self) -> None:
        check_options(self.spd, self.weighting, self.ridge, self.max_condition)
        check_choice(self.field, "field", ("jacobian", "metric"))
        check_choice(self.on_ill_conditioned, "on_ill_conditioned", ON_ILL_CONDITIONED)

    @property
    def info(self) -> MeasureInfo:
        scale_blind = self.spd == "spectral_ratio"
        inv = {"orthogonal", "permutation"} if self.field == "jacobian" else set()
        if scale_blind:
            inv.add("isotropic_scaling")
        symmetric = self.weighting != "volume_x"
        return MeasureInfo(
            name="msa",
            kind="distance",
            metric=self.weighting == "uniform" and self.on_ill_conditioned == "raise",
            symmetric=symmetric,
            invariances=frozenset(inv),
            input="jacobian",
            identity_value=0.0,
            bounds=(0.0, 1.0) if scale_blind else (0.0, np.inf),
            references=(_MSA_REF,),
            backends=("numpy", "torch"),
        )

    def check_compatible(self, arrays: Sequence[Any], names: Sequence[str]) -> None:
        """Require the same points and chart dimension (unit counts may differ)."""
        shapes = [np.shape(a) for a in arrays]
        what = "Jacobians" if self.field == "jacobian" else "metric tensors"
        for shape, nm in zip(shapes[1:], names[1:]):
            if len(shape) == 3 and len(shapes[0]) == 3:
                check_same_points(shapes[0], shape, (names[0], nm), what)

    def prepare(self, X: Any, name: str = "X") -> MetricField:
        return metric_field(
            X, name, field=self.field, spd=self.spd, ridge=self.ridge, max_condition=self.max_condition
        )

    def compare(self, a: MetricField, b: MetricField) -> float:
        return compare_fields(
            a, b, spd=self.spd, weighting=self.weighting, on_ill_conditioned=self.on_ill_conditioned,
            max_condition=self.max_condition,
        )

    def evaluate(self, X: Any, Y: Any, weights: Any = None) -> MSAResult:
        """The full :class:`repgeo.riemann.MSAResult`: mean, spread, per-point values, dropped fraction.

        Parameters
        ----------
        X, Y : array_like
            Jacobian (or metric) fields at the same points.
        weights : array_like of shape (n_points,), optional
            Fixed non-negative weights; they replace ``weighting`` (and, being
            independent of the pair, keep the average symmetric and a pseudometric).
        """
        self.check_compatible([X, Y], ["X", "Y"])
        a, b = self.prepare(X, "X"), self.prepare(Y, "Y")
        return evaluate_fields(a, b, spd=self.spd, weighting=self.weighting, weights=weights)
