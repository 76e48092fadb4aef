"""Inference over stimuli: permutation tests, bootstrap intervals, noise ceilings, Mantel tests.

Each function resamples the stimuli (the rows that two representations share)
and calls :func:`scipy.stats.permutation_test` or :func:`scipy.stats.bootstrap`
underneath; every one takes ``rng`` (None, an int or a Generator), so the
same seed gives the same output.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import scipy.stats

from ._linalg import to_unit_scale
from ._measure import Measure
from ._registry import get_measure
from ._validation import (
    as_float_array,
    check_choice,
    check_distance_matrix,
    check_in_range,
    check_matched_rows,
    check_positive_int,
    check_rng,
)
from .measures.kernel import AngularCKA, LinearCKA, _LinearPrepared
from .measures.rsa import RSA, _Prepared as _RSAPrepared

__all__ = [
    "BootstrapResult",
    "NoiseCeiling",
    "PermutationResult",
    "bootstrap_ci",
    "mantel",
    "noise_ceiling",
    "permutation_test",
    "spearman_brown",
]

_ALTERNATIVES = ("greater", "less", "two-sided")


@dataclass(frozen=True, eq=False)
class PermutationResult:
    """Outcome of a permutation test.

    Attributes
    ----------
    statistic : float
        The measure on the data as given.
    pvalue : float
        ``(1 + #{null at least as extreme}) / (1 + n_permutations)`` for a
        random test; the exact proportion when every permutation was enumerated.
    null_distribution : ndarray
        The statistic under each permutation.
    alternative : str
        ``"greater"``, ``"less"`` or ``"two-sided"``.
    """

    statistic: float
    pvalue: float
    null_distribution: np.ndarray
    alternative: str


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """A bootstrap confidence interval of a measure over resampled stimuli.

    Attributes
    ----------
    statistic : float
        The measure on the data as given.
    low, high : float
        The confidence interval's ends.
    confidence_level : float
    standard_error : float
        Standard deviation of the bootstrap distribution.
    bootstrap_distribution : ndarray
    """

    statistic: float
    low: float
    high: float
    confidence_level: float
    standard_error: float
    bootstrap_distribution: np.ndarray


@dataclass(frozen=True, eq=False)
class NoiseCeiling:
    """Split-half reliability of repeated measurements, Spearman-Brown corrected.

    Attributes
    ----------
    split_half : float
        Mean over splits of the similarity between the two half-averages.
    ceiling : float
        ``spearman_brown(split_half)``: the predicted reliability of the
        average over ``2 * repeats_per_half`` repeats.
    split_values : ndarray of shape (n_splits,)
    repeats_per_half : int
    """

    split_half: float
    ceiling: float
    split_values: np.ndarray
    repeats_per_half: int


def _scipy_rng(fn: Callable, rng: np.random.Generator) -> dict:
    """scipy >= 1.15 takes ``rng=``; older releases take the Generator as ``random_state=``."""
    return {"rng": rng} if "rng" in inspect.signature(fn).parameters else {"random_state": rng}


def _as_measure(measure: Any) -> Measure:
    if isinstance(measure, str):
        return get_measure(measure)
    if not isinstance(measure, Measure):
        raise TypeError(f"measure must be a repgeo.Measure or a registry name; got {type(measure).__name__}")
    return measure


def _permuted(measure: Measure, prepared: Any, idx: np.ndarray) -> Any:
    """``measure.prepare(Y[idx])`` from ``prepare(Y)`` where the prepared form permutes with the rows.

    Linear and angular CKA keep centred features and their row norms (a row
    permutation permutes both; the norm is unchanged); RSA keeps the RDM's
    upper triangle (a permutation of stimuli permutes its entries).  Other
    measures return None and are prepared again.
    """
    if isinstance(measure, (LinearCKA, AngularCKA)) and isinstance(prepared, _LinearPrepared):
        return _LinearPrepared(prepared.feats[idx], prepared.row_sq[idx], prepared.norm)
    if isinstance(measure, RSA) and isinstance(prepared, _RSAPrepared):
        n = len(idx)
        i, j = np.triu_indices(n, 1)
        a, b = np.minimum(idx[i], idx[j]), np.maximum(idx[i], idx[j])
        condensed = n * a - a * (a + 1) // 2 + (b - a - 1)  # scipy's squareform order
        return _RSAPrepared(prepared.vector[condensed], prepared.ties)
    return None


def permutation_test(
    X: Any,
    Y: Any,
    measure: Any,
    n_permutations: int = 999,
    *,
    alternative: str | None = None,
    rng: Any = None,
) -> PermutationResult:
    r"""Is ``X`` related to ``Y`` under a measure?  A test that permutes the stimuli.

    Parameters
    ----------
    X, Y : arrays with matched first axes (stimuli)
    measure : Measure or str
        An instance or a registry name (``"linear_cka"``, ``"procrustes"``, ...).
    n_permutations : int, default 999
        Random permutations of ``Y``'s stimuli; all ``n!`` are enumerated
        (an exact test) when there are no more than this.
    alternative : {"greater", "less", "two-sided"}, optional
        Default: ``"greater"`` for a similarity, ``"less"`` for a distance
        (related representations are close).
    rng : None, int or Generator

    Notes
    -----
    Under the null hypothesis that the pairing of ``X``'s rows with ``Y``'s
    is exchangeable, the statistic ``s = m(X, Y)`` is compared with
    ``s_k = m(X, Y[\pi_k])``; for random permutations
    ``p = (1 + \#\{s_k \succeq s\}) / (1 + B)`` (Phipson & Smyth 2010), an
    exact-level p-value.  ``X`` is prepared once; so is ``Y`` for linear
    CKA, angular CKA and RSA, whose prepared forms permute with the rows.

    References
    ----------
    Phipson & Smyth (2010). Permutation p-values should never be zero.
    Statistical Applications in Genetics and Molecular Biology 9(1).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 5)); Y = X @ rng.standard_normal((5, 3))
    >>> res = permutation_test(X, Y, "linear_cka", n_permutations=99, rng=0)
    >>> round(res.pvalue, 2), res.alternative
    (0.01, 'greater')
    """
    measure = _as_measure(measure)
    n_permutations = check_positive_int(n_permutations, "n_permutations")
    if alternative is None:
        alternative = "greater" if measure.info.kind == "similarity" else "less"
    check_choice(alternative, "alternative", _ALTERNATIVES)
    a = measure.prepare(X, "X")
    b = measure.prepare(Y, "Y")
    measure.check_compatible([X, Y], ["X", "Y"])
    Y_arr = np.asarray(Y)

    def statistic(idx: np.ndarray) -> float:
        idx = np.asarray(idx, dtype=np.intp)
        moved = _permuted(measure, b, idx)
        return measure.compare(a, moved if moved is not None else measure.prepare(Y_arr[idx], "Y"))

    observed = measure.compare(a, b)
    res = scipy.stats.permutation_test(
        (np.arange(Y_arr.shape[0]),),
        statistic,
        permutation_type="pairings",
        n_resamples=n_permutations,
        alternative=alternative,
        vectorized=False,
        **_scipy_rng(scipy.stats.permutation_test, check_rng(rng)),
    )
    return PermutationResult(float(observed), float(res.pvalue), np.asarray(res.null_distribution, float), alternative)


def bootstrap_ci(
    X: Any,
    Y: Any,
    measure: Any,
    n_resamples: int = 999,
    *,
    confidence_level: float = 0.95,
    method: str = "BCa",
    rng: Any = None,
) -> BootstrapResult:
    r"""Bootstrap confidence interval of ``measure(X, Y)``, resampling stimuli.

    Parameters
    ----------
    X, Y : arrays with matched first axes (stimuli)
    measure : Measure or str
    n_resamples : int, default 999
    confidence_level : float in (0, 1), default 0.95
    method : {"BCa", "percentile", "basic"}, default "BCa"
        As :func:`scipy.stats.bootstrap`.
    rng : None, int or Generator

    Notes
    -----
    Each resample draws ``n`` stimuli with replacement, ``I = (i_1..i_n)``,
    and evaluates ``m(X[I], Y[I])``; the interval is the chosen quantile
    construction over the resamples (BCa: Efron 1987, bias- and
    skew-corrected, with a jackknife over stimuli).  Duplicated stimuli
    enter a resample as repeated rows; for RSA they add zero-distance
    pairs, a known bias of naive stimulus bootstrap (Schuett et al. 2023).
    Where BCa is undefined (every resample gives nearly the same value, so
    its acceleration is 0/0) the percentile interval is returned.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 4)); Y = X + rng.standard_normal((60, 4))
    >>> ci = bootstrap_ci(X, Y, "linear_cka", n_resamples=200, rng=0)
    >>> bool(ci.low < ci.statistic < ci.high)
    True
    """
    measure = _as_measure(measure)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=2)
    check_in_range(confidence_level, "confidence_level", 0.0, 1.0, low_open=True, high_open=True)
    check_choice(method, "method", ("BCa", "percentile", "basic"))
    observed = measure(X, Y)  # validates both inputs
    X_arr, Y_arr = np.asarray(X), np.asarray(Y)
    check_matched_rows([X_arr, Y_arr], ["X", "Y"])

    def statistic(idx: np.ndarray) -> float:
        idx = np.asarray(idx, dtype=np.intp)
        try:
            return measure(X_arr[idx], Y_arr[idx])
        except ValueError as exc:
            raise ValueError(
                f"a bootstrap resample of the stimuli of X and Y ({np.unique(idx).size} distinct of {idx.size}) "
                f"is degenerate for {measure!r}: {exc}. With few stimuli some resamples repeat too few rows; "
                "use more stimuli"
            ) from exc

    # a (nearly) constant bootstrap distribution makes BCa divide 0 by 0: handled below
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
        res = scipy.stats.bootstrap(
            (np.arange(X_arr.shape[0]),),
            statistic,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            method=method,
            vectorized=False,
            **_scipy_rng(scipy.stats.bootstrap, check_rng(rng)),
        )
    dist = np.asarray(res.bootstrap_distribution, float)
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(low) and np.isfinite(high)):  # BCa undefined: the percentile interval
        low, high = (float(q) for q in np.quantile(dist, [(1 - confidence_level) / 2, (1 + confidence_level) / 2]))
    return BootstrapResult(float(observed), low, high, float(confidence_level), float(np.std(dist, ddof=1)), dist)


def spearman_brown(r: Any, factor: float = 2.0) -> Any:
    r"""Spearman-Brown prophecy: reliability of a measurement ``factor`` times as long.

    .. math:: r_k = \frac{k r}{1 + (k - 1) r}

    Examples
    --------
    >>> spearman_brown(0.5)
    0.6666666666666666
    """
    r = np.asarray(r, dtype=float)
    out = factor * r / (1.0 + (factor - 1.0) * r)
    return float(out) if out.ndim == 0 else out


def noise_ceiling(data: Any, measure: Any, n_splits: int = 100, *, rng: Any = None) -> NoiseCeiling:
    r"""Split-half noise ceiling of repeated measurements, Spearman-Brown corrected.

    Parameters
    ----------
    data : array of shape (n_stimuli, n_repeats, n_features)
        Repeated measurements of each stimulus (the ``stochastic`` layout).
    measure : Measure or str
        A similarity between two ``(n_stimuli, n_features)`` representations
        (e.g. ``"rsa"``, ``"linear_cka"``).
    n_splits : int, default 100
        Random splits of the repeats into two halves.
    rng : None, int or Generator

    Notes
    -----
    Each split permutes the ``R`` repeats, averages the first ``h = R // 2``
    and the next ``h`` (one repeat is left out when ``R`` is odd) and takes
    ``r = m(mean_1, mean_2)``.  With ``bar r`` the mean over splits, the
    ceiling is ``2 bar r / (1 + bar r)`` (Spearman 1910; Brown 1910): the
    reliability predicted for the average of ``2h`` repeats.  The correction
    is exact in expectation for a correlation of signal plus independent
    noise; for other similarities it is the customary approximation.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> signal = rng.standard_normal((30, 1, 8))
    >>> data = signal + 0.5 * rng.standard_normal((30, 6, 8))
    >>> nc = noise_ceiling(data, "rsa", n_splits=20, rng=0)
    >>> bool(0 < nc.split_half < nc.ceiling < 1)
    True
    """
    measure = _as_measure(measure)
    if measure.info.kind != "similarity":
        raise ValueError(
            f"measure must be a similarity (Spearman-Brown corrects a correlation); got {measure.info.name!r}, "
            f"a {measure.info.kind}"
        )
    data = as_float_array(data, "data", ndim=3)
    n_splits = check_positive_int(n_splits, "n_splits")
    R = data.shape[1]
    if R < 2:
        raise ValueError(f"data must hold at least 2 repeats per stimulus (axis 1); got {R}")
    h = R // 2
    gen = check_rng(rng)
    values = np.empty(n_splits)
    for k in range(n_splits):
        order = gen.permutation(R)
        first, second = data[:, order[:h]].mean(axis=1), data[:, order[h : 2 * h]].mean(axis=1)
        try:
            values[k] = measure(first, second)
        except ValueError as exc:
            raise ValueError(
                f"data: the two half-averages ({h} repeats each, shape {first.shape}) cannot be compared by "
                f"{measure!r}: {exc}"
            ) from exc
    split_half = float(values.mean())
    if split_half <= -1.0:
        raise ValueError(
            "data gives perfectly anti-correlated split halves (mean r = -1): the Spearman-Brown ceiling is undefined"
        )
    return NoiseCeiling(split_half, spearman_brown(split_half), values, h)


def mantel(
    D1: Any,
    D2: Any,
    *,
    method: str = "pearson",
    n_permutations: int = 999,
    alternative: str = "greater",
    rng: Any = None,
) -> PermutationResult:
    r"""Mantel test: correlation of two distance matrices over the same objects.

    Parameters
    ----------
    D1, D2 : arrays of shape (n, n)
        Symmetric, non-negative, zero diagonal, ``n >= 3``.
    method : {"pearson", "spearman"}, default "pearson"
    n_permutations : int, default 999
        Random relabellings of ``D2``'s objects (all ``n!`` when no more).
    alternative : {"greater", "less", "two-sided"}, default "greater"
    rng : None, int or Generator

    Notes
    -----
    The statistic is the correlation ``r`` of the upper triangles
    ``{D1_ij}_{i<j}`` and ``{D2_ij}_{i<j}`` (ranked first for Spearman).  The
    null distribution permutes the objects of ``D2``, rows and columns
    together, ``D2_{\pi(i)\pi(j)}`` (Mantel 1967), which keeps the
    dependence among distances that share an object; a permutation only
    reorders the triangle's entries, so each null value is one inner product
    of standardised vectors.

    References
    ----------
    Mantel (1967). The detection of disease clustering and a generalized
    regression approach. Cancer Research 27(2).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.spatial.distance import pdist, squareform
    >>> pts = np.random.default_rng(0).standard_normal((12, 3))
    >>> res = mantel(squareform(pdist(pts)), squareform(pdist(2 * pts + 1)), n_permutations=99, rng=0)
    >>> round(res.statistic, 6), round(res.pvalue, 2)
    (1.0, 0.01)
    """
    D1 = check_distance_matrix(D1, "D1")
    D2 = check_distance_matrix(D2, "D2", n=D1.shape[0])
    check_choice(method, "method", ("pearson", "spearman"))
    check_choice(alternative, "alternative", _ALTERNATIVES)
    n_permutations = check_positive_int(n_permutations, "n_permutations")
    n = D1.shape[0]
    if n < 3:
        raise ValueError(f"D1 must compare at least 3 objects (a correlation needs >= 3 distances); got {n}")
    i, j = np.triu_indices(n, 1)
    z = []
    for D, name in ((D1, "D1"), (D2, "D2")):
        v = to_unit_scale(D[i, j])[0]  # exact: sums of squares cannot overflow
        if method == "spearman":
            v = scipy.stats.rankdata(v)
        v = v - v.mean()
        size = np.linalg.norm(v)
        if not size > 1e-12:
            raise ValueError(f"{name} has all off-diagonal distances equal; its correlation is undefined")
        z.append(v / size)
    z1, Z2 = z[0], np.zeros((n, n))
    Z2[i, j] = z[1]
    flat = (Z2 + Z2.T).ravel()

    def statistic(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.intp)
        return flat[idx[..., i] * n + idx[..., j]] @ z1

    res = scipy.stats.permutation_test(
        (np.arange(n),),
        statistic,
        permutation_type="pairings",
        n_resamples=n_permutations,
        alternative=alternative,
        vectorized=True,
        **_scipy_rng(scipy.stats.permutation_test, check_rng(rng)),
    )
    r = float(np.clip(z1 @ z[1], -1.0, 1.0))
    return PermutationResult(r, float(res.pvalue), np.clip(np.asarray(res.null_distribution, float), -1, 1), alternative)
