"""Shape metrics between stochastic responses (Duong, Zhou, Nassar, Berman, Williams & Linderman, ICLR 2023)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._measure import MeasureInfo
from .._registry import register
from .._validation import check_in_range
from ._alignment import group_step, polar_factors
from ._stochastic import (
    _DUONG,
    StochasticAlignment,
    _check_finite,
    _energy_value,
    _mean_of_means,
    _Stochastic,
    _StochasticMeasure,
)

__all__ = ["GaussianShapeMetric", "EnergyShapeMetric", "StochasticAlignment"]


@register("gaussian_shape_permutation", group="permutation")
@register("gaussian_shape")
@dataclass(frozen=True)
class GaussianShapeMetric(_StochasticMeasure):
    r"""Shape metric between Gaussian response distributions: means and covariances aligned together.

    Parameters
    ----------
    alpha : float in [0, 2], default 1.0
        Weight of the means against the covariances: 2 compares only the
        means (a deterministic shape metric), 1 is the 2-Wasserstein distance
        between Gaussians, 0 compares only the covariances (Bures).
    group : {"orthogonal", "permutation", "identity"}, default "orthogonal"
        The unit maps minimised over.
    center : bool, default True
        Subtract each network's grand mean over conditions (the minimum over
        translations); ``False`` is netrep's form.
    zero_pad : bool, default True
        Allow different unit counts (the narrower network is zero-padded).
    n_restarts : int >= 0, default 2
        Random draws tried after the deterministic starts (each gives two
        starts, ``G`` and ``G^T`` in the frames the networks define).
    seed : int >= 0, default 0
        Seed of the random starts (the value is deterministic).
    max_iter : int >= 1, default 1000
        Cap on the alternating iterations from each start (a
        ``ConvergenceWarning`` if the best start reached it).
    tol : float, default 1e-9
        Stop when an iteration lowers the objective by less than ``tol`` times its value.

    Notes
    -----
    Inputs are samples ``(n_conditions, n_repeats, n_units)`` (condition
    means and sample covariances, divisor ``n_repeats - 1``) or a pair
    ``(means, covariances)`` of shapes ``(K, n)`` and ``(K, n, n)``.  With
    ``BW`` the Bures-Wasserstein distance,

    .. math::
        d^2 = \min_{T \in G} \frac{1}{K} \sum_k \alpha \|\mu_k - \mu'_k T\|^2
              + (2 - \alpha)\, BW^2(\Sigma_k, T^T \Sigma'_k T).

    Writing ``Sigma_k = F_k F_k^T`` (factors from the samples' SVD, or from
    eigenvalues clipped at 0: no square root of a negative rounding error),
    ``BW(A, B) = min_Q ||F_A - F_B Q||`` over orthogonal ``Q``, so the
    objective is one least-squares problem in ``T`` and per-condition
    rotations ``Q_k``; it is minimised by alternating exact steps (polar
    factors for ``Q_k``, Procrustes or linear assignment for ``T``), which
    never increase it.  The problem is not convex: every deterministic start
    (Procrustes of the means; the eigenbases of the two second moments with
    signs fitted; for permutations, the assignment of units by their means
    and spreads) and the random ones is refined and the smallest value kept.
    All starts are equivariant and the set is closed under swapping the two
    networks (see ``repgeo.measures._alignment.starts``).  Guaranteed: the
    value is the objective at the returned map (an upper bound on the true
    minimum, the same function in :meth:`fit` and in held-out scoring); it is
    symmetric and keeps the declared invariances even when the search stops
    in a local minimum; exactly rotated (or permuted) copies give 0 when the
    second moment has distinct eigenvalues (distinct units, for
    permutations); singular covariances give finite values.  Not guaranteed:
    the global minimum, hence the triangle inequality, in general (it holds
    for the true minimum, a quotient metric).
    ``group="identity"`` is exact (closed form).  Precision: from samples,
    full relative precision; a covariance *matrix* with zero eigenvalues
    knows them only to ``eps ||Sigma||``, so its square root (and the value)
    to about ``1e-8`` relative.

    References
    ----------
    Duong, Zhou, Nassar, Berman, Williams & Linderman (2023). Representational
    dissimilarity metric spaces for stochastic neural networks. ICLR.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((6, 30, 4)) + rng.standard_normal((6, 1, 4))
    >>> Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    >>> round(rg.GaussianShapeMetric()(X, X @ Q + 3.0), 8)
    0.0
    """

    alpha: float = 1.0
    group: str = "orthogonal"
    center: bool = True
    zero_pad: bool = True
    n_restarts: int = 2
    seed: int = 0
    max_iter: int = 1000
    tol: float = 1e-9

    def __post_init__(self) -> None:
        check_in_range(self.alpha, "alpha", 0.0, 2.0)
        check_in_range(self.tol, "tol", 0.0, 1.0)
        self._check_common()

    @property
    def info(self) -> MeasureInfo:  # type: ignore[override]
        return MeasureInfo(
            name="gaussian_shape_metric", kind="distance", metric=True, symmetric=True,
            invariances=self._invariances(), input="stochastic", identity_value=0.0,
            bounds=(0.0, np.inf), references=(_DUONG,),
        )

    def _objective(self, a: _Stochastic, b: _Stochastic, T: np.ndarray, rotations: bool = False):
        """Mean over conditions of the weighted squared residuals at map ``T`` (optimal inner rotations)."""
        FB = T.T @ b.factors  # T^T F'_k
        Q = polar_factors(FB.transpose(0, 2, 1) @ a.factors)
        value = (self.alpha * np.sum((a.means - b.means @ T) ** 2)
                 + (2.0 - self.alpha) * np.sum((a.factors - FB @ Q) ** 2)) / a.means.shape[0]
        value = _check_finite(float(value), "the Gaussian shape objective")
        return (value, Q) if rotations else value

    def _refine(self, a: _Stochastic, b: _Stochastic, T: np.ndarray) -> tuple[float, np.ndarray]:
        value, Q = self._objective(a, b, T, rotations=True)
        for _ in range(self.max_iter):
            K, n, r = a.factors.shape  # sum_k F'_k Q_k F_k^T as one product
            cross = self.alpha * b.means.T @ a.means + (2.0 - self.alpha) * (
                (b.factors @ Q).transpose(1, 0, 2).reshape(n, K * r) @ a.factors.transpose(1, 0, 2).reshape(n, K * r).T)
            T_new = group_step(cross, self.group)
            new, Q = self._objective(a, b, T_new, rotations=True)
            if new > value:  # rounding: the exact steps never increase the objective
                return value, T, True
            done = value - new <= self.tol * value
            value, T = new, T_new
            if done:
                return value, T, True
        return value, T, False

    def _rounding(self, a: _Stochastic, b: _Stochastic) -> float:
        size = self.alpha * (np.sum(a.means**2) + np.sum(b.means**2)) + (2.0 - self.alpha) * (
            np.sum(a.factors**2) + np.sum(b.factors**2))
        return 1e-28 * size / a.means.shape[0]


@register("energy_shape")
@dataclass(frozen=True)
class EnergyShapeMetric(_StochasticMeasure):
    r"""Shape metric from the energy distance between response distributions, per condition.

    Parameters
    ----------
    group : {"orthogonal", "permutation", "identity"}, default "orthogonal"
    center, zero_pad, n_restarts, seed, max_iter :
        As in :class:`GaussianShapeMetric`.
    tol : float, default 1e-10
        Stop when an iteration lowers the objective by less than ``tol`` times its value.

    Notes
    -----
    Inputs are samples ``(n_conditions, n_repeats, n_units)`` (repeat counts
    may differ between the networks).  With ``x, x'`` independent responses
    of one network to condition ``k`` and ``y, y'`` of the other,

    .. math::
        d^2 = \min_{T \in G} \frac{1}{K} \sum_k \mathbb{E}\|x - yT\|
              - \tfrac12 \mathbb{E}\|x - x'\| - \tfrac12 \mathbb{E}\|y - y'\|,

    half the energy distance, with expectations over the empirical
    distributions (all pairs of repeats, including a repeat with itself).
    That makes each term the energy distance between empirical
    distributions, which is non-negative, so ``d`` is a metric on them for
    the true minimum (netrep drops the self-pairs in the last two terms,
    which can make the value negative before its clip at 0).  Only the first
    term depends on ``T``; it is a sum of norms, minimised by iteratively
    reweighted Procrustes (weights ``1 / ||x - yT||``, a majorise-minimise
    scheme that never increases it) from the same starts as
    :class:`GaussianShapeMetric`, keeping the best.  ``d`` has units of
    ``sqrt(length)``.  The three expectations cancel, so objective values
    within their rounding error (``64 eps`` times their size) are reported
    as 0: distances below about ``1e-7 sqrt(scale)`` read 0.

    References
    ----------
    Duong, Zhou, Nassar, Berman, Williams & Linderman (2023). Representational
    dissimilarity metric spaces for stochastic neural networks. ICLR.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((5, 20, 3)) + 2 * rng.standard_normal((5, 1, 3))
    >>> Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    >>> bool(rg.EnergyShapeMetric()(X, X @ Q) < 1e-7)
    True
    """

    group: str = "orthogonal"
    center: bool = True
    zero_pad: bool = True
    n_restarts: int = 2
    seed: int = 0
    max_iter: int = 200
    tol: float = 1e-10
    _energy = True

    def __post_init__(self) -> None:
        check_in_range(self.tol, "tol", 0.0, 1.0)
        self._check_common()

    @property
    def info(self) -> MeasureInfo:  # type: ignore[override]
        return MeasureInfo(
            name="energy_shape_metric", kind="distance", metric=True, symmetric=True,
            invariances=self._invariances(), input="stochastic", identity_value=0.0,
            bounds=(0.0, np.inf), references=(_DUONG,),
        )

    def _distances(self, a: _Stochastic, b: _Stochastic, T: np.ndarray) -> np.ndarray:
        """``||x_ki - y_kj T||`` for all conditions and pairs of repeats, ``(K, R_x, R_y)``."""
        x, y = a.samples, b.samples @ T
        K, R, n = x.shape
        out = np.empty((K, R, y.shape[1]))
        step = max(1, int(2**21 // (R * y.shape[1] * n)))  # conditions per block: bounded memory
        for k in range(0, K, step):
            diff = x[k:k + step, :, None, :] - y[k:k + step, None, :, :]
            out[k:k + step] = np.sqrt(np.einsum("krsn,krsn->krs", diff, diff))
        return out

    def _objective(self, a: _Stochastic, b: _Stochastic, T: np.ndarray) -> float:
        return _energy_value(_mean_of_means(list(self._distances(a, b, T))), a, b)

    def _refine(self, a: _Stochastic, b: _Stochastic, T: np.ndarray) -> tuple[float, np.ndarray]:
        D = self._distances(a, b, T)
        value = _check_finite(float(D.mean()), "the energy objective")
        if value == 0.0:  # every pair of samples coincides under T: nothing can be smaller
            return _energy_value(_mean_of_means(list(D)), a, b), T, True
        # samples are at unit scale: distances below 1e-150 are coincident points, and a floor there
        # keeps 1 / D (summed over repeats) inside float64's range
        floor = max(1e-12 * value, 1e-150)
        converged = False
        K, _, n = a.samples.shape
        for _ in range(self.max_iter):
            # weighted Procrustes: sum_k sum_ij y_kj^T x_ki / ||x_ki - y_kj T||, as one product
            weighted = (1.0 / np.maximum(D, floor)).transpose(0, 2, 1) @ a.samples  # (K, R_y, n)
            cross = b.samples.reshape(-1, n).T @ weighted.reshape(-1, n)
            T_new = group_step(cross, self.group)
            D_new = self._distances(a, b, T_new)
            new = _check_finite(float(D_new.mean()), "the energy objective")
            converged = new > value or value - new <= self.tol * value
            if new <= value:
                value, T, D = new, T_new, D_new
            if converged:
                break
        # the reported value: exactly rounded sums at the chosen map
        return _energy_value(_mean_of_means(list(D)), a, b), T, converged

    def _rounding(self, a: _Stochastic, b: _Stochastic) -> float:
        return 1e-15 * (a.within + b.within)
