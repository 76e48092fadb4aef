"""Delay embedding and the choice of a truncation rank from singular values."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from scipy import integrate, optimize

from .._validation import check_delays, check_rank_spec, check_trajectory

__all__ = ["delay_embed", "select_rank", "optimal_hard_threshold"]


def delay_embed(X: Any, n_delays: int, delay_interval: int = 1) -> np.ndarray:
    r"""Hankel (time-delay) embedding of a trajectory, one trial at a time.

    Parameters
    ----------
    X : array_like of shape (n_time, n_features) or (n_trials, n_time, n_features)
    n_delays : int >= 1
        Number of delayed copies ``d`` stacked in each row.
    delay_interval : int >= 1
        Steps ``tau`` between the copies.

    Returns
    -------
    ndarray of shape (n_time', n_features * d) or (n_trials, n_time', n_features * d)
        ``n_time' = n_time - (d - 1) tau``; the trial axis is kept when ``X`` has one.

    Notes
    -----
    Row ``t`` holds the most recent state first (the layout of dsa-metric):

    .. math:: h_t = [x_{t + (d-1)\tau},\ x_{t + (d-2)\tau},\ \dots,\ x_{t + \tau},\ x_t],

    so the first ``n_features`` columns are the current state.  Rows never
    mix trials.

    Examples
    --------
    >>> import numpy as np
    >>> delay_embed(np.arange(5.0)[:, None], n_delays=3)
    array([[2., 1., 0.],
           [3., 2., 1.],
           [4., 3., 2.]])
    """
    arr = check_trajectory(X, "X")
    d, tau = check_delays(arr.shape[1], n_delays, delay_interval)
    kept = arr.shape[1] - (d - 1) * tau
    blocks = [arr[:, (d - 1 - k) * tau:(d - 1 - k) * tau + kept] for k in range(d)]
    out = np.concatenate(blocks, axis=-1)
    return out if np.ndim(X) == 3 else out[0]


def _marchenko_pastur_median(beta: float) -> float:
    """Median of the Marchenko-Pastur law with aspect ratio ``beta`` (variance 1)."""
    lo, hi = (1 - np.sqrt(beta)) ** 2, (1 + np.sqrt(beta)) ** 2

    def density(t: float) -> float:
        return np.sqrt(max((hi - t) * (t - lo), 0.0)) / (2 * np.pi * beta * t)

    def cdf_minus_half(x: float) -> float:
        return integrate.quad(density, lo, x, limit=200)[0] - 0.5

    return optimize.brentq(cdf_minus_half, lo, hi, xtol=1e-13)


@lru_cache(maxsize=256)
def _omega(beta: float) -> float:
    lam = np.sqrt(2 * (beta + 1) + 8 * beta / (beta + 1 + np.sqrt(beta**2 + 14 * beta + 1)))
    return float(lam / np.sqrt(_marchenko_pastur_median(beta)))


def optimal_hard_threshold(singular_values: Any, shape: tuple[int, int]) -> float:
    r"""Gavish-Donoho optimal hard threshold for singular values, noise level unknown.

    Parameters
    ----------
    singular_values : array_like
        All singular values of the ``shape`` matrix.
    shape : (int, int)
        The matrix's shape; ``beta = min(shape) / max(shape)``.

    Returns
    -------
    float
        ``tau = omega(beta) * median(singular_values)``; singular values above
        ``tau`` are kept.

    Notes
    -----
    .. math:: \omega(\beta) = \lambda_*(\beta) / \sqrt{\mu_\beta}, \qquad
              \lambda_*(\beta) = \sqrt{2(\beta + 1) + \frac{8\beta}{\beta + 1 + \sqrt{\beta^2 + 14\beta + 1}}},

    where ``mu_beta`` is the median of the Marchenko-Pastur distribution of
    ratio ``beta``, computed by quadrature (not the cubic approximation).
    ``omega(1) = 2.858``.  The rule assumes i.i.d. noise on a low-rank
    matrix; rows of a Hankel matrix are not independent, so for delay
    embeddings it is a heuristic (as in fastDSA).

    References
    ----------
    Gavish & Donoho (2014). The optimal hard threshold for singular values is
    4/sqrt(3). IEEE Trans. Inf. Theory 60(8), 5040-5053.

    Examples
    --------
    >>> round(optimal_hard_threshold([1.0, 1.0, 1.0], (3, 3)), 3)
    2.858
    """
    s = np.asarray(singular_values, dtype=float)
    m, n = sorted(int(v) for v in shape)
    return _omega(m / n) * float(np.median(s))


def select_rank(
    singular_values: np.ndarray,
    shape: tuple[int, int],
    *,
    rank: int | str | None = None,
    explained_variance: float | None = None,
    threshold: float | None = None,
    name: str = "X",
) -> int:
    """Number of leading singular vectors to keep under one rank rule.

    Parameters
    ----------
    singular_values : ndarray
        Descending singular values of a ``shape`` matrix.
    shape : (int, int)
    rank : int, "optimal" or None
        An explicit rank, the Gavish-Donoho hard threshold, or (``None``,
        with no other rule) every numerically non-zero singular value.
    explained_variance : float in (0, 1], optional
        The smallest rank whose singular values carry this fraction of
        ``sum(s**2)``.
    threshold : float >= 0, optional
        Keep singular values above it (at least one).
    name : str
        Names the data in errors.

    Returns
    -------
    int
        The rank, between 1 and the numerical rank (singular values above
        ``max(shape) * eps * s[0]``).

    Raises
    ------
    ValueError
        When an explicit ``rank`` exceeds the numerical rank.

    Examples
    --------
    >>> s = np.array([10.0, 5.0, 1.0, 0.1])
    >>> select_rank(s, (50, 4)), select_rank(s, (50, 4), explained_variance=0.99), select_rank(s, (50, 4), threshold=2)
    (4, 2, 2)
    """
    check_rank_spec(rank, explained_variance, threshold)
    s = np.asarray(singular_values, dtype=float)
    numerical = int(np.sum(s > max(shape) * np.finfo(float).eps * s[0])) if s[0] > 0 else 0
    if numerical == 0:
        raise ValueError(f"{name} has no non-zero singular value; there are no dynamics to fit")
    if isinstance(rank, str):  # "optimal"
        r = int(np.sum(s > optimal_hard_threshold(s, shape)))
    elif rank is not None:
        r = int(rank)
        if r > numerical:
            raise ValueError(
                f"rank={r} exceeds the numerical rank {numerical} of the delay-embedded {name} "
                f"(shape {tuple(shape)}); use rank <= {numerical}, more delays or more data"
            )
    elif explained_variance is not None:
        energy = np.cumsum(s**2) / np.sum(s**2)
        r = int(np.searchsorted(energy, explained_variance * (1 - 1e-15)) + 1)
    elif threshold is not None:
        r = int(np.sum(s > threshold))
    else:
        r = numerical
    return max(1, min(r, numerical))
