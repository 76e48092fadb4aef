"""Simulated (empirical) capacity by direct linear-separability tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog

from .._validation import check_positive_int, check_rng
from ._manifolds import as_manifolds, random_dichotomies

__all__ = ["SimulatedResult", "separable_fraction", "simulated"]


@dataclass(frozen=True)
class SimulatedResult:
    """Result of :func:`simulated`.

    ``capacity = P / n_critical`` where ``n_critical`` is the number of random
    projections at which half of the random manifold dichotomies are linearly
    separable (linear interpolation between the bracketing evaluations).
    ``n_features`` and ``fractions`` hold every evaluated point of the curve and
    ``fractions_se`` their binomial standard errors.  ``saturated`` is True when
    even the full space separates fewer than half of the dichotomies (then
    ``capacity`` is NaN: it is below ``P / N``).
    """

    capacity: float
    capacity_se: float
    n_critical: float
    n_critical_se: float
    n_features: np.ndarray
    fractions: np.ndarray
    fractions_se: np.ndarray
    n_trials: int
    saturated: bool


def _separable(points: np.ndarray, signs: np.ndarray) -> bool:
    """Is there ``w`` with ``sign_i <w, x_i> > 0`` for all points? (HiGHS LP).

    Solves ``max m  s.t.  sign_i <w, x_i> >= m, -1 <= w <= 1, m <= 1``, which is
    always feasible and bounded; the dichotomy is separable iff ``m* > 0``.
    """
    n, dim = points.shape
    A = np.hstack([-(signs[:, None] * points), np.ones((n, 1))])
    cost = np.zeros(dim + 1)
    cost[-1] = -1.0
    res = linprog(cost, A_ub=A, b_ub=np.zeros(n), bounds=[(-1, 1)] * dim + [(None, 1)], method="highs")
    if res.status != 0:
        raise RuntimeError(f"linprog failed on a separability test: {res.message}")
    return -res.fun > 1e-9 * max(float(np.abs(points).max()), 1e-300)


def separable_fraction(manifolds: Any, n_features: int, n_trials: int = 50, rng: Any = None,
                       *, center: bool = True) -> float:
    """Fraction of random manifold dichotomies separable after a random projection.

    Each trial draws a Gaussian projection to ``n_features`` dimensions and
    i.i.d. random labels ``y_mu = +-1`` per manifold (both signs present), then solves the LP
    feasibility problem ``y_mu <w, P x> >= 1`` for every point ``x`` of
    manifold ``mu`` (no bias term; the global mean is removed when ``center``).

    Examples
    --------
    >>> pts = np.random.default_rng(0).standard_normal((10, 1, 30))
    >>> separable_fraction(pts, 30, n_trials=5, rng=0, center=False)
    1.0
    """
    mans = as_manifolds(manifolds)
    n_features = check_positive_int(n_features, "n_features")
    n_trials = check_positive_int(n_trials, "n_trials")
    return _fraction(_stack(mans, center), n_features, n_trials, check_rng(rng))


def _stack(mans, center):
    X = np.concatenate(mans)
    if center:
        X = X - X.mean(axis=0)
    owner = np.repeat(np.arange(len(mans)), [len(m) for m in mans])
    return X, owner, len(mans)


def _fraction(data, n, n_trials, gen) -> float:
    X, owner, P = data
    hits = 0
    for _ in range(n_trials):
        proj = X @ gen.standard_normal((X.shape[1], n)) / np.sqrt(n)
        y = random_dichotomies(gen, 1, P)[0]
        hits += _separable(proj, y[owner])
    return hits / n_trials


def simulated(manifolds: Any, n_trials: int = 50, rng: Any = None, *, center: bool = True,
              n_max: int | None = None) -> SimulatedResult:
    """Capacity from simulated linear separability of random dichotomies.

    Parameters
    ----------
    manifolds : array (P, M, N) or list of (M_i, N) arrays
    n_trials : int, default 50
        Dichotomies (each with a fresh projection) per evaluated dimension.
    rng : None, int or numpy.random.Generator
    center : bool, default True
        Remove the global mean first (as the mean-field analysis does).
    n_max : int, optional
        Upper end of the search (default: ``min(N, total number of points)``).

    Notes
    -----
    Bisection over the projected dimension ``n`` in ``[1, n_max]`` finds the
    adjacent pair ``n_lo < n_hi`` with separable fractions ``p_lo < 1/2 <= p_hi``;
    ``n_c = n_lo + (1/2 - p_lo)(n_hi - n_lo)/(p_hi - p_lo)`` and ``alpha = P / n_c``.
    Standard errors propagate the binomial errors ``sqrt(p(1-p)/n_trials)`` of
    ``p_lo`` and ``p_hi`` through the interpolation (delta method).  For points
    in general position the fraction is Cover's function and the crossing is at
    ``n = P/2`` (``alpha = 2``).

    References
    ----------
    T. M. Cover, "Geometrical and statistical properties of systems of linear
    inequalities", IEEE Trans. Electron. Comput. EC-14, 326 (1965).
    U. Cohen et al., Nat. Commun. 11, 746 (2020), Methods ("simulated capacity").

    Examples
    --------
    >>> pts = np.random.default_rng(0).standard_normal((16, 1, 40))
    >>> res = simulated(pts, n_trials=20, rng=0, center=False)
    >>> 1.0 < res.capacity < 4.0
    True
    """
    mans = as_manifolds(manifolds)
    n_trials = check_positive_int(n_trials, "n_trials")
    gen = check_rng(rng)
    data = _stack(mans, center)
    P = len(mans)
    hi = min(mans[0].shape[1], len(data[0])) if n_max is None else check_positive_int(n_max, "n_max")
    curve: dict[int, float] = {}

    def frac(n):
        if n not in curve:
            curve[n] = _fraction(data, n, n_trials, gen)
        return curve[n]

    lo = 0
    curve[0] = 0.0
    saturated = frac(hi) < 0.5
    while not saturated and hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if frac(mid) >= 0.5 else (mid, hi)
    ns = np.array(sorted(k for k in curve if k > 0))
    ps = np.array([curve[k] for k in ns])
    ses = np.sqrt((ps * (1 - ps) + 0.25 / n_trials) / n_trials)
    if saturated:
        return SimulatedResult(np.nan, np.nan, np.nan, np.nan, ns, ps, ses, n_trials, True)
    p_lo, p_hi = curve[lo], curve[hi]
    var = lambda p: (p * (1 - p) + 0.25 / n_trials) / n_trials  # noqa: E731
    gap = p_hi - p_lo
    n_c = lo + (0.5 - p_lo) * (hi - lo) / gap
    d_lo = -(hi - lo) * (p_hi - 0.5) / gap**2
    d_hi = -(hi - lo) * (0.5 - p_lo) / gap**2
    n_c_se = float(np.sqrt(d_lo**2 * var(p_lo) * (lo > 0) + d_hi**2 * var(p_hi)))
    return SimulatedResult(P / n_c, P * n_c_se / n_c**2, float(n_c), n_c_se, ns, ps, ses, n_trials, False)
