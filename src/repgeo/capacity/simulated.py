"""Simulated (empirical) capacity by direct linear-separability tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog, minimize, nnls
from scipy.special import log_ndtr, ndtr

from .._result import Result
from .._validation import check_in_range, check_positive_int, check_rng
from ._glue_solver import lawson_hanson_qp
from ._manifolds import StackedManifolds, as_manifolds, random_dichotomies, rescale_manifolds, stack_manifolds

__all__ = ["SimulatedResult", "separable_fraction", "simulated"]


@dataclass(frozen=True, repr=False)
class SimulatedResult(Result):
    """Result of :func:`simulated`.

    ``capacity = P / n_critical`` where ``n_critical`` is the number of random
    projections at which half of the random manifold dichotomies are linearly
    separable (a probit curve fitted to the evaluations around the crossing).
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

    _dims = dict.fromkeys(("n_features", "fractions", "fractions_se"), "evaluation")
    _table = "evaluation"


def _separable(points: np.ndarray, signs: np.ndarray, margin: float = 0.0) -> bool:
    """Is there a unit ``w`` with ``sign_i <w, x_i> > margin`` for all points?

    First the HiGHS LP ``max m  s.t.  sign_i <w, x_i> >= m, -1 <= w <= 1,
    m <= 1`` (always feasible and bounded; the dichotomy is separable iff
    ``m* > 0``); for ``margin > 0`` and a separable dichotomy, then the
    hard-margin problem ``min |w|^2  s.t.  sign_i <w, x_i> >= 1`` through its
    dual, the non-negative quadratic program
    ``min_{l >= 0} 1/2 l^T Q l - 1^T l`` with ``Q`` the Gram matrix of the
    signed points: the geometric margin is ``1 / |w*| = 1 / sqrt(1^T l*)``.
    """
    n, dim = points.shape
    A = np.hstack([-(signs[:, None] * points), np.ones((n, 1))])
    cost = np.zeros(dim + 1)
    cost[-1] = -1.0
    res = linprog(cost, A_ub=A, b_ub=np.zeros(n), bounds=[(-1, 1)] * dim + [(None, 1)], method="highs")
    if res.status != 0:
        raise RuntimeError(f"linprog failed on a separability test: {res.message}")
    if not -res.fun > 1e-9 * max(float(np.abs(points).max()), 1e-300):
        return False
    if margin <= 0:
        return True
    return _hard_margin(signs[:, None] * points) > margin


def _hard_margin(signed: np.ndarray) -> float:
    """Geometric margin ``max_{|w| = 1} min_i <w, a_i>`` of separable rows ``a_i`` (hard-margin SVM, no bias).

    The dual ``min_{l >= 0} 1/2 |A^T l|^2 - 1^T l`` is an NNLS problem
    ``min_{l >= 0} |A^T l - b|^2`` when some ``b`` has ``A b = 1`` (rows
    linearly independent: fewer points than dimensions), solved by
    ``scipy.optimize.nnls``; otherwise the Lawson-Hanson quadratic program.
    """
    Q = signed @ signed.T
    b, *_ = np.linalg.lstsq(signed, np.ones(len(signed)), rcond=None)
    if np.abs(signed @ b - 1.0).max() < 1e-9:
        dual = nnls(signed.T, b)[0]
    else:
        dual = lawson_hanson_qp(Q, -np.ones(len(signed)))
    return 1.0 / np.sqrt(max(float(dual.sum()), np.finfo(float).tiny))


def separable_fraction(manifolds: Any, n_features: int, n_trials: int = 50, rng: Any = None,
                       *, center: bool = True, kappa: float = 0.0) -> float:
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
    mans = rescale_manifolds(as_manifolds(manifolds))
    n_features = check_positive_int(n_features, "n_features")
    n_trials = check_positive_int(n_trials, "n_trials")
    kappa = check_in_range(kappa, "kappa", 0.0, 1e6)
    return _fraction(stack_manifolds(mans, center=center), n_features, n_trials, check_rng(rng), kappa)


def _center_unit(data: StackedManifolds) -> float:
    """Root-mean-square norm of the manifold centers: the unit of the margin."""
    return float(np.sqrt((data.centers() ** 2).sum(axis=1).mean()))


def _fraction(data: StackedManifolds, n: int, n_trials: int, gen: np.random.Generator, kappa: float = 0.0) -> float:
    """Share of ``n_trials`` random dichotomies separable after a fresh Gaussian projection to ``n`` dims.

    A margin ``kappa`` in the theory's units is the geometric margin
    ``kappa * ell / sqrt(n)`` for centers of root-mean-square norm ``ell``
    (fields ``w . x / |w|`` of unit-variance coordinates; Gardner 1988).
    """
    X = data.points
    margin = kappa * _center_unit(data) / np.sqrt(n)
    if kappa > 0 and margin == 0:
        raise ValueError("kappa > 0 needs manifold centers away from the origin; every center is at the origin")
    hits = 0
    for _ in range(n_trials):
        proj = X @ gen.standard_normal((X.shape[1], n)) / np.sqrt(n)
        y = random_dichotomies(gen, 1, data.n_manifolds)[0]
        hits += _separable(proj, y[data.owner], margin)
    return hits / n_trials


def simulated(manifolds: Any, n_trials: int = 50, rng: Any = None, *, kappa: float = 0.0, center: bool = True,
              n_max: int | None = None, window: int = 3) -> SimulatedResult:
    """Capacity from simulated linear separability of random dichotomies.

    Parameters
    ----------
    manifolds : array (P, M, N) or list of (M_i, N) arrays
    n_trials : int, default 50
        Dichotomies (each with a fresh projection) per evaluated dimension.
    rng : None, int or numpy.random.Generator
    kappa : float, default 0
        Margin in the theory's units, relative to the root-mean-square center
        norm (as in :func:`glue`): a dichotomy counts as separable in ``n``
        dimensions when some unit ``w`` has ``y_mu <w, x> > kappa ell / sqrt(n)``
        for every projected point ``x``.  Points then cross at
        ``alpha_0(kappa)``.
    center : bool, default True
        Remove the global mean first (as the mean-field analysis does).
        Labels are i.i.d. signs (both present); the read-out has no bias.
    n_max : int, optional
        Upper end of the search (default: ``min(N, total number of points)``).
    window : int, default 3
        After the bisection, every ``n`` within ``window`` of the bracket is
        evaluated too, so the fit sees the whole transition.

    Notes
    -----
    Bisection over the projected dimension ``n`` in ``[1, n_max]`` finds the
    adjacent pair ``n_lo < n_hi`` with separable fractions ``p_lo < 1/2 <= p_hi``;
    the fractions at ``n_lo - window ... n_hi + window`` are measured too, and a
    probit curve ``p(n) = Phi((n - n_c) / s)`` is fitted to all evaluations by
    binomial maximum likelihood; ``alpha = P / n_c``.  The standard error of
    ``n_c`` comes from the Fisher information of the fit and is propagated to
    ``alpha`` by the delta method (interpolating between the two bracketing
    points alone underestimates the spread: the bracket itself is chosen by
    noisy fractions).  For points
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
    mans = rescale_manifolds(as_manifolds(manifolds))
    n_trials = check_positive_int(n_trials, "n_trials")
    kappa = check_in_range(kappa, "kappa", 0.0, 1e6)
    gen = check_rng(rng)
    data = stack_manifolds(mans, center=center)
    P = data.n_manifolds
    n_dim = mans[0].shape[1]
    if n_max is not None and check_positive_int(n_max, "n_max") > n_dim:
        raise ValueError(
            f"n_max={n_max} exceeds the ambient dimension N={n_dim}; a projection to more dimensions than the "
            "data span separates no further dichotomy, so n_max must be at most N"
        )
    # at kappa = 0, beyond the rank of the points a projection keeps every dichotomy's separability (the
    # curve is flat there); with a margin the required geometric margin kappa ell / sqrt(n) still shrinks
    rank = _rank(data.points)
    if rank == 0:
        raise ValueError("manifolds are all the same point (every centered point is zero); capacity is undefined")
    hi = min(rank if kappa == 0 else n_dim, n_dim if n_max is None else n_max)
    curve: dict[int, float] = {}

    def frac(n: int) -> float:
        if n not in curve:
            curve[n] = _fraction(data, n, n_trials, gen, kappa)
        return curve[n]

    lo = 0
    curve[0] = 0.0
    saturated = frac(hi) < 0.5
    n_top = hi
    while not saturated and hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if frac(mid) >= 0.5 else (mid, hi)
    if not saturated:
        for n in range(max(1, lo - window), min(n_top, hi + window) + 1):
            frac(n)
    ns = np.array(sorted(k for k in curve if k > 0))
    ps = np.array([curve[k] for k in ns])
    ses = np.sqrt((ps * (1 - ps) + 0.25 / n_trials) / n_trials)
    if saturated:
        return SimulatedResult(np.nan, np.nan, np.nan, np.nan, ns, ps, ses, n_trials, True)
    n_c, n_c_se = _probit_crossing(ns, ps * n_trials, n_trials, start=(lo + hi) / 2)
    if not (np.isfinite(n_c) and np.isfinite(n_c_se) and lo <= n_c <= hi):
        # the fit left the bracket (too few trials for a smooth curve): interpolate within it instead
        n_c, n_c_se = _bracket_crossing(lo, hi, curve[lo], curve[hi], n_trials)
    return SimulatedResult(P / n_c, P * n_c_se / n_c**2, float(n_c), n_c_se, ns, ps, ses, n_trials, False)


def _rank(points: np.ndarray) -> int:
    """Numerical rank of the stacked points."""
    sv = np.linalg.svd(points, compute_uv=False)
    return int((sv > sv[0] * 1e-10).sum()) if sv[0] > 0 else 0


def _bracket_crossing(lo: int, hi: int, p_lo: float, p_hi: float, n_trials: int) -> tuple[float, float]:
    """Linear interpolation to ``p = 1/2`` between the bracketing evaluations, with the bracket as its error.

    The standard error is the larger of half the bracket and the spread that
    the binomial errors of the two fractions induce in the crossing.
    """
    span = max(p_hi - p_lo, 1.0 / n_trials)
    n_c = lo + (hi - lo) * min(max((0.5 - p_lo) / span, 0.0), 1.0)
    se_p = np.sqrt(0.25 / n_trials)
    return float(n_c), float(max((hi - lo) / 2.0, (hi - lo) * np.sqrt(2.0) * se_p / span))


def _probit_crossing(ns: np.ndarray, hits: np.ndarray, n_trials: int, start: float) -> tuple[float, float]:
    """Binomial maximum-likelihood fit of ``p(n) = Phi((n - c) / s)``; returns ``c`` and its SE.

    The standard error comes from the expected Fisher information of the two
    parameters.  Fitting every evaluation near the crossing uses all the
    trials there, and its error accounts for them, unlike interpolating
    between the two bracketing points found by a noisy bisection.
    """
    misses = n_trials - hits

    def nll(theta: np.ndarray) -> float:
        z = (ns - theta[0]) / np.exp(theta[1])
        return -float(np.sum(hits * log_ndtr(z) + misses * log_ndtr(-z)))

    fit = minimize(nll, x0=[start, np.log(max(1.0, 0.1 * start))], method="Nelder-Mead",
                   options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 2000})
    c, scale = float(fit.x[0]), float(np.exp(fit.x[1]))
    z = (ns - c) / scale
    p = np.clip(ndtr(z), 1e-12, 1 - 1e-12)
    weight = n_trials * np.exp(-z * z) / (2 * np.pi) / (p * (1 - p))  # n phi(z)^2 / (p (1 - p))
    grad = np.stack([-np.ones_like(z), -z]) / scale  # dz/dc, dz/ds
    info = (grad * weight) @ grad.T
    cov = np.linalg.pinv(info)
    return c, float(np.sqrt(max(cov[0, 0], 0.0)))
