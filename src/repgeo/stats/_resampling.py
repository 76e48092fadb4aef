"""Resampling over stimuli: bootstrap confidence intervals and split-half noise ceilings."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.stats

from .._linalg import to_unit_scale
from .._result import Result
from .._validation import as_float_array, check_choice, check_in_range, check_matched_rows, check_positive_int, check_rng
from ..measures.rsa import RSA
from ._permutation import _as_measure, _condensed_index, _scipy_rng

__all__ = ["BootstrapResult", "NoiseCeiling", "bootstrap_ci", "noise_ceiling", "spearman_brown"]


@dataclass(frozen=True, eq=False, repr=False)
class BootstrapResult(Result):
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


@dataclass(frozen=True, eq=False, repr=False)
class NoiseCeiling(Result):
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
    enter a resample as repeated rows.  For :class:`repgeo.RSA` a stimulus
    and its own copy would add a zero dissimilarity to both RDMs at the same
    place, pulling every RDM correlation up (the bias of naive stimulus
    bootstrap, Schuett et al. 2023): those pairs are left out, and each
    resample compares the RDM entries of the remaining pairs (repeated
    pairs of distinct stimuli count as often as they were drawn), taken
    from the RDMs of ``X`` and ``Y`` computed once.
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

    if isinstance(measure, RSA):
        n = X_arr.shape[0]
        rdm_x, rdm_y = measure.rdm_vector(X_arr, "X"), measure.rdm_vector(Y_arr, "Y")

        def evaluate(idx: np.ndarray) -> float:
            i, j = np.triu_indices(idx.size, 1)
            keep = idx[i] != idx[j]  # a stimulus against its own copy: no information, a shared zero
            where = _condensed_index(n, idx[i][keep], idx[j][keep])
            return measure.compare(
                measure.prepare_rdm(rdm_x[where], "X's resampled RDM"),
                measure.prepare_rdm(rdm_y[where], "Y's resampled RDM"),
            )
    else:

        def evaluate(idx: np.ndarray) -> float:
            return measure(X_arr[idx], Y_arr[idx])

    def statistic(idx: np.ndarray) -> float:
        idx = np.asarray(idx, dtype=np.intp)
        try:
            return evaluate(idx)
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
    unit, e = to_unit_scale(data)
    values = np.empty(n_splits)
    for k in range(n_splits):
        order = gen.permutation(R)
        # averaged at unit scale and scaled back (exact powers of two): no overflow near the float maximum
        first = np.ldexp(unit[:, order[:h]].mean(axis=1), e)
        second = np.ldexp(unit[:, order[h : 2 * h]].mean(axis=1), e)
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
