"""The shared machinery of the stochastic shape metrics: prepared responses, the multi-start fit, held-out scoring."""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy.spatial.distance import cdist

from .._measure import Measure
from .._validation import as_stochastic, check_choice, check_positive_int, non_constant_columns
from .._warnings import ConvergenceWarning
from ._alignment import GROUPS, starts

__all__ = ["StochasticAlignment"]

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
        return self.fit_prepared(pa, pb)

    def fit_prepared(self, pa: _Stochastic, pb: _Stochastic) -> "StochasticAlignment":
        """:meth:`fit` from two prepared training sets (``prepare`` output, already checked compatible),
        so that all-pairs held-out runs prepare each network's training data once."""
        a, b, e = _common(pa, pb)
        value, T = self._best_map(a, b)
        return StochasticAlignment(self, T, pa.offset, pb.offset, self._distance(value, e))

def _check_finite(value: float, what: str) -> float:
    if not np.isfinite(value):
        raise FloatingPointError(f"{what} became {value} during the alignment; the inputs are too ill-conditioned")
    return value


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
