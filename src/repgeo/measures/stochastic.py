"""Shape metrics between stochastic responses (Duong, Zhou, Nassar, Berman, Williams & Linderman, ICLR 2023)."""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy.spatial.distance import cdist

from .._measure import Measure, MeasureInfo
from .._registry import register
from .._validation import as_stochastic, check_choice, check_in_range, check_positive_int, non_constant_columns
from .._warnings import ConvergenceWarning
from ._alignment import GROUPS, group_step, polar_factors, starts

__all__ = ["GaussianShapeMetric", "EnergyShapeMetric", "StochasticAlignment"]

_DUONG = ("Duong, Zhou, Nassar, Berman, Williams & Linderman (2023). Representational dissimilarity metric "
          "spaces for stochastic neural networks. ICLR.")


@dataclass(frozen=True)
class _Stochastic:
    """Responses in a power-of-two-scaled frame: true values are ``ldexp(array, exponent)``."""

    means: np.ndarray  # (K, n), centred over conditions when the measure centres
    factors: np.ndarray  # (K, n, r): F_k F_k^T = Sigma_k
    samples: np.ndarray | None  # (K, R, n) centred like the means (energy only)
    within: float  # energy only: mean over k of E||x - x'|| (V-statistic), scaled units
    exponent: int
    offset: np.ndarray  # (n,) subtracted grand mean, true units


def _prepare(X: Any, name: str, *, center: bool, energy: bool, offset: np.ndarray | None = None) -> _Stochastic:
    parsed = as_stochastic(X, name, samples_only=energy)
    if parsed[0] == "samples":
        S = parsed[1]
        K, R, n = S.shape
        non_constant_columns(S.reshape(K * R, n), name)
        _, e = np.frexp(np.abs(S).max())
        e = int(e)
        S = np.ldexp(S, -e)
        means = S.mean(axis=1)
        dev = S - means[:, None, :]
        # covariance factor from the SVD of the deviations: no square root of a (possibly singular) covariance
        _, s, Vt = np.linalg.svd(dev, full_matrices=False)
        s = np.where(s > max(R, n) * np.finfo(float).eps * s.max(), s, 0.0)
        factors = Vt.transpose(0, 2, 1) * (s[:, None, :] / np.sqrt(R - 1))
    else:
        means, covs = parsed[1], parsed[2]
        K, n = means.shape
        if not (np.ptp(means, axis=0).any() or np.abs(covs).max() > 0):
            raise ValueError(f"{name} is constant: equal means and zero covariances; nothing to compare")
        big = max(float(np.abs(means).max()), float(np.sqrt(np.abs(covs).max())), np.finfo(float).tiny)
        _, e = np.frexp(big)
        e = int(e)
        means = np.ldexp(means, -e)
        lam, V = np.linalg.eigh(np.ldexp(covs, -2 * e))
        factors = V * np.sqrt(np.maximum(lam, 0.0))[:, None, :]  # PSD-safe square root (rounding negatives -> 0)
        S = None
    true_offset = np.zeros(n) if not center else np.ldexp(means.mean(axis=0), e)
    if offset is not None:
        true_offset = offset
    shift = np.ldexp(true_offset, -e)
    means = means - shift
    within = 0.0
    if S is not None:
        S = S - shift
        within = _mean_of_means([cdist(x, x) for x in S]) if energy else 0.0
    return _Stochastic(means, factors, S if energy else None, within, e, true_offset)


def _key(p: _Stochastic) -> bytes:
    """A deterministic fingerprint that orders the two sides of a pair."""
    digest = hashlib.blake2b(p.means.tobytes(), digest_size=16)
    digest.update(p.factors.tobytes())
    return digest.digest()


def _mean_of_means(blocks: list[np.ndarray]) -> float:
    """Mean over conditions of the mean of each block, with exactly rounded sums.

    The energy objective is a difference of such means that cancel for aligned
    pairs; summing in an order-independent, exactly rounded way keeps the
    difference at the rounding of the individual distances (not of the sums).
    """
    return math.fsum(math.fsum(d.ravel().tolist()) / d.size for d in blocks) / len(blocks)


def _common(a: _Stochastic, b: _Stochastic) -> tuple[_Stochastic, _Stochastic, int]:
    """Both in one scaled frame and zero-padded to a common number of units (and factor width)."""
    e = max(a.exponent, b.exponent)
    n = max(a.means.shape[1], b.means.shape[1])
    r = max(a.factors.shape[2], b.factors.shape[2])

    def fit(p: _Stochastic) -> _Stochastic:
        k = p.exponent - e
        pad = n - p.means.shape[1]
        samples = None if p.samples is None else np.ldexp(np.pad(p.samples, ((0, 0), (0, 0), (0, pad))), k)
        return _Stochastic(
            np.ldexp(np.pad(p.means, ((0, 0), (0, pad))), k),
            np.ldexp(np.pad(p.factors, ((0, 0), (0, pad), (0, r - p.factors.shape[2]))), k),
            samples, float(np.ldexp(p.within, k)), e, p.offset,
        )

    return fit(a), fit(b), e


class _StochasticMeasure(Measure):
    """Shared parts: input checks, the multi-start fit, the fitted alignment."""

    group: str
    center: bool
    zero_pad: bool
    n_restarts: int
    seed: int
    max_iter: int
    _energy = False

    def _check_common(self) -> None:
        check_choice(self.group, "group", GROUPS)
        check_choice(self.center, "center", (True, False))
        check_choice(self.zero_pad, "zero_pad", (True, False))
        check_positive_int(self.n_restarts, "n_restarts", minimum=0)
        check_positive_int(self.seed, "seed", minimum=0)
        check_positive_int(self.max_iter, "max_iter")

    def _invariances(self) -> frozenset:
        inv = {"translation"} if self.center else set()
        inv |= {"orthogonal", "permutation"} if self.group == "orthogonal" else set()
        inv |= {"permutation"} if self.group == "permutation" else set()
        return frozenset(inv)

    def check_compatible(self, arrays: Sequence[Any], names: Sequence[str]) -> None:
        """Matched conditions (and units, unless ``zero_pad``)."""
        def shape(x):  # (conditions, units) of samples or of a (means, covariances) pair
            if isinstance(x, (tuple, list)) and len(x) == 2 and not self._energy:
                return np.shape(x[0])[:1] + np.shape(x[0])[-1:]
            s = np.shape(x)
            return (s[0], s[-1]) if len(s) == 3 else None

        shapes = [shape(x) for x in arrays]
        for s, nm in zip(shapes[1:], names[1:]):
            if s is None or shapes[0] is None:
                continue
            if s[0] != shapes[0][0]:
                raise ValueError(f"{names[0]} has {shapes[0][0]} conditions (rows) but {nm} has {s[0]}; "
                                 "rows must be matched conditions")
            if not self.zero_pad and s[1] != shapes[0][1]:
                raise ValueError(f"{names[0]} has {shapes[0][1]} units but {nm} has {s[1]}; unit counts must "
                                 "match when zero_pad=False")

    def prepare(self, X: Any, name: str = "X") -> _Stochastic:
        return _prepare(X, name, center=self.center, energy=self._energy)

    def _best_map(self, a: _Stochastic, b: _Stochastic) -> tuple[float, np.ndarray]:
        """Smallest objective over the starts (each refined) and its map, in the common frame.

        The objective is symmetric (``T`` for ``(a, b)`` is ``T^T`` for ``(b, a)``), but a local
        search is not: the pair is put in a canonical order first, so ``d(a, b) == d(b, a)``.
        """
        if _key(b) < _key(a):
            value, T = self._search(b, a)
            return value, T.T
        return self._search(a, b)

    def _search(self, a: _Stochastic, b: _Stochastic) -> tuple[float, np.ndarray]:
        n = a.means.shape[1]
        if self.group == "identity":
            return self._objective(a, b, np.eye(n)), np.eye(n)
        rng = np.random.default_rng(self.seed)
        alpha = getattr(self, "alpha", 1.0)
        best = (np.inf, np.eye(n), True)
        samples = None if a.samples is None else (a.samples, b.samples)
        for T in starts(a.means, b.means, a.factors, b.factors, alpha, self.group, self.n_restarts, rng, samples):
            value, T, converged = self._refine(a, b, T)
            if value < best[0]:
                best = (value, T, converged)
            if best[0] <= self._rounding(a, b):  # an exact alignment: nothing left to improve
                break
        if not best[2]:
            warnings.warn(
                f"{type(self).__name__}: the best alignment stopped at max_iter={self.max_iter} before "
                "converging; raise max_iter", ConvergenceWarning, stacklevel=4,
            )
        return best[0], best[1]

    def _distance(self, value: float, e: int) -> float:
        """The distance from the objective in the scaled frame (squared units, or length for energy)."""
        value = max(value, 0.0)
        with np.errstate(over="ignore", under="ignore"):
            out = float(np.sqrt(np.ldexp(value, e)) if self._energy else np.ldexp(np.sqrt(value), e))
        if not np.isfinite(out):
            raise ValueError("the distance between X and Y exceeds float64's range; rescale X and Y")
        return out

    def compare(self, a: _Stochastic, b: _Stochastic) -> float:
        a, b, e = _common(a, b)
        return self._distance(self._best_map(a, b)[0], e)

    def fit(self, X: Any, Y: Any) -> "StochasticAlignment":
        """Fit the unit map on ``(X, Y)``; the result scores held-out conditions with the same objective."""
        pa, pb = self.prepare(X, "X"), self.prepare(Y, "Y")
        self.check_compatible([X, Y], ["X", "Y"])
        a, b, e = _common(pa, pb)
        value, T = self._best_map(a, b)
        return StochasticAlignment(self, T, pa.offset, pb.offset, self._distance(value, e))

def _check_finite(value: float, what: str) -> float:
    if not np.isfinite(value):
        raise FloatingPointError(f"{what} became {value} during the alignment; the inputs are too ill-conditioned")
    return value


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
        floor = 1e-12 * max(value, np.finfo(float).tiny)
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


def _energy_value(cross: float, a: _Stochastic, b: _Stochastic) -> float:
    """``cross - (within_a + within_b) / 2``, set to 0 inside its rounding error.

    The three means are summed exactly (:func:`math.fsum`) but each distance
    carries rounding, so a difference below ``64 eps`` times their size is
    indistinguishable from 0 and is reported as 0 (the alternative is
    rounding noise of about ``1e-8 sqrt(scale)`` after the square root).
    """
    value = _check_finite(cross - 0.5 * (a.within + b.within), "the energy objective")
    return 0.0 if value <= 64 * np.finfo(float).eps * (cross + 0.5 * (a.within + b.within)) else value


@dataclass(frozen=True, eq=False)
class StochasticAlignment:
    """A fitted unit map between two stochastic networks, for held-out conditions.

    Attributes
    ----------
    measure : GaussianShapeMetric or EnergyShapeMetric
        The measure whose objective is evaluated.
    T : ndarray of shape (n, n)
        Unit map (row convention: ``y @ T``), on the zero-padded common width.
    offset_x, offset_y : ndarray
        Training grand means subtracted from held-out responses (zeros when not centring).
    distance : float
        The training distance.
    """

    measure: Any
    T: np.ndarray
    offset_x: np.ndarray
    offset_y: np.ndarray
    distance: float

    def __call__(self, X: Any, Y: Any) -> float:
        """The measure's distance between held-out conditions at the fitted map (inner rotations re-optimised)."""
        m = self.measure
        pa = _prepare(X, "X", center=False, energy=m._energy, offset=self.offset_x)
        pb = _prepare(Y, "Y", center=False, energy=m._energy, offset=self.offset_y)
        for p, off, nm in ((pa, self.offset_x, "X"), (pb, self.offset_y, "Y")):
            if p.means.shape[1] != off.size:
                raise ValueError(f"{nm} has {p.means.shape[1]} units but the fit saw {off.size}")
        m.check_compatible([X, Y], ["X", "Y"])
        a, b, e = _common(pa, pb)
        if a.means.shape[1] != self.T.shape[0]:
            raise ValueError(f"X and Y pad to {a.means.shape[1]} units but the fitted map has {self.T.shape[0]}")
        return m._distance(m._objective(a, b, self.T), e)
