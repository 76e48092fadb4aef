"""Input checks at the library boundary.

This module holds every input check of the library. Each error names the
argument, the rule it breaks and the value that was received, e.g.
``ValueError: X has 40 rows but Y has 50; rows must be matched samples``.
Measures call these helpers in ``prepare`` and trust prepared inputs in
``compare``.
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

__all__ = [
    "as_float_array",
    "check_matrix",
    "check_matched_rows",
    "check_choice",
    "check_in_range",
    "check_positive_int",
    "check_rng",
    "non_constant_columns",
    "as_jacobians",
    "as_metrics",
    "check_same_points",
    "check_psd",
    "check_shape",
    "check_trajectory",
    "check_delays",
    "check_rank_spec",
    "check_inputs_match",
]

#: Minimum ndim-dependent layouts understood by ``as_float_array``.
_LAYOUTS = {
    "matrix": ("(n_samples, n_features)", 2),
    "trajectory": ("(n_time, n_features) or (n_trials, n_time, n_features)", (2, 3)),
    "stochastic": ("(n_samples, n_repeats, n_features)", 3),
    "conv": ("(n_samples, height, width, channels)", 4),
    "jacobian": ("(n_points, n_features, n_inputs)", 3),
}


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    kind = type(value).__name__
    return f"{kind} of shape {tuple(shape)}" if shape is not None else kind


def as_float_array(
    value: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    layout: str | None = None,
    dtype: type = np.float64,
    allow_nonfinite: bool = False,
) -> np.ndarray:
    """Convert ``value`` to a finite floating array, checking its dimensions.

    Parameters
    ----------
    value : array_like
        The input.  Torch tensors are converted through ``numpy()`` after being
        detached and moved to the CPU.
    name : str
        The argument name used in error messages.
    ndim : int or tuple of int, optional
        Accepted numbers of dimensions.
    layout : str, optional
        One of the input kinds of :class:`repgeo.MeasureInfo` (``"matrix"``,
        ``"trajectory"``, ...); sets ``ndim`` and the shape named in errors.
    dtype : numpy dtype, default float64
    allow_nonfinite : bool, default False
        If False, NaN or infinite entries raise ``ValueError``.

    Returns
    -------
    ndarray
        A C-contiguous array of ``dtype``.

    Examples
    --------
    >>> as_float_array([[1, 2], [3, 4]], "X", ndim=2).dtype
    dtype('float64')
    """
    described = None
    if layout is not None:
        described, ndim = _LAYOUTS[layout]
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of numbers; got {_describe(value)}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and similar
        raise TypeError(f"{name} must be an array of numbers; got {_describe(value)} ({exc})") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must hold real numbers; got complex dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = described or " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(
                f"{name} must be {want}; got a {arr.ndim}-D array of shape {arr.shape}"
            )
    if 0 in arr.shape:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not allow_nonfinite and not np.isfinite(arr).all():
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        raise ValueError(
            f"{name} must be finite; it has {n_nan} NaN and {n_inf} infinite entries"
        )
    return arr


def check_matrix(X: Any, name: str = "X", *, min_samples: int = 3) -> np.ndarray:
    """Validate a ``(n_samples, n_features)`` representation.

    Raises ``ValueError`` when ``X`` is not 2-D, has fewer than ``min_samples``
    rows, or holds NaN/inf.

    Examples
    --------
    >>> check_matrix(np.ones((2, 3)), "X")
    Traceback (most recent call last):
    ...
    ValueError: X has 2 rows; at least 3 samples are required
    """
    arr = as_float_array(X, name, layout="matrix")
    if arr.shape[0] < min_samples:
        raise ValueError(
            f"{name} has {arr.shape[0]} rows; at least {min_samples} samples are required"
        )
    return arr


def check_matched_rows(arrays: Sequence[Any], names: Sequence[str]) -> None:
    """Require that every array has as many rows (samples) as the first.

    Examples
    --------
    >>> check_matched_rows([np.zeros((40, 5)), np.zeros((50, 5))], ["X", "Y"])
    Traceback (most recent call last):
    ...
    ValueError: X has 40 rows (shape (40, 5)) but Y has 50 (shape (50, 5)); rows must be matched samples
    """
    if not arrays:
        return
    first = np.shape(arrays[0])
    for arr, nm in zip(arrays[1:], names[1:]):
        shape = np.shape(arr)
        if not shape or not first or shape[0] != first[0]:
            raise ValueError(
                f"{names[0]} has {first[0] if first else 0} rows (shape {tuple(first)}) but "
                f"{nm} has {shape[0] if shape else 0} (shape {tuple(shape)}); "
                "rows must be matched samples"
            )


def non_constant_columns(X: np.ndarray, name: str, *, rtol: float = 1e-12) -> None:
    """Raise if every column of ``X`` is constant (the centred data is zero).

    Examples
    --------
    >>> non_constant_columns(np.ones((5, 2)), "X")
    Traceback (most recent call last):
    ...
    ValueError: X is constant over samples (every column has zero variance); nothing to compare
    """
    spread = np.ptp(X, axis=0)
    if not (spread > rtol * float(np.abs(X).max())).any():
        raise ValueError(
            f"{name} is constant over samples (every column has zero variance); nothing to compare"
        )


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """Require ``value`` to be one of ``choices``.

    Examples
    --------
    >>> check_choice("cosine", "compare", ["pearson", "spearman"])
    Traceback (most recent call last):
    ...
    ValueError: compare must be one of 'pearson', 'spearman'; got 'cosine'
    """
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_in_range(
    value: Any, name: str, low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> float:
    """Require a real number in an interval (closed unless marked open).

    Examples
    --------
    >>> check_in_range(1.5, "alpha", 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: alpha must be in [0, 1]; got 1.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number; got {value!r}")
    below = value <= low if low_open else value < low
    above = value >= high if high_open else value > high
    if below or above:
        lb = "(" if low_open else "["
        rb = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {lb}{low:g}, {high:g}{rb}; got {value!r}")
    return float(value)


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Require an integer ``>= minimum``.

    Examples
    --------
    >>> check_positive_int(0, "n_jobs")
    Traceback (most recent call last):
    ...
    ValueError: n_jobs must be an integer >= 1; got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_rng(rng: Any) -> np.random.Generator:
    """Turn ``None``, an int or a Generator into a ``numpy.random.Generator``.

    Examples
    --------
    >>> bool(check_rng(0).integers(10) == check_rng(0).integers(10))
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be None, an int or a numpy.random.Generator; got {type(rng).__name__}")


# ----------------------------------------------------------------------------- Jacobian and metric fields


def as_jacobians(J: Any, name: str) -> np.ndarray:
    """A finite float64 Jacobian stack ``(n_points, n_features, m)``."""
    return as_float_array(J, name, layout="jacobian")


def as_metrics(G: Any, name: str, *, single: bool = True) -> np.ndarray:
    """A finite float64 stack of symmetric matrices ``(n_points, m, m)``.

    A single ``(m, m)`` matrix is accepted when ``single`` and returned with a
    leading axis of length 1.  The stack is symmetrised, ``(G + G^T) / 2``,
    after checking that it is symmetric up to rounding.
    """
    G = as_float_array(G, name, ndim=(2, 3) if single else 3)
    if G.ndim == 2:
        G = G[None]
    if G.shape[-1] != G.shape[-2]:
        raise ValueError(
            f"{name} must hold square (m, m) metric tensors; got trailing shape {G.shape[-2:]}"
        )
    sym = 0.5 * (G + G.swapaxes(-1, -2))
    asym = 2.0 * float(np.abs(G - sym).max())
    scale = max(float(np.abs(sym).max()), np.finfo(float).tiny)
    if asym > 1e-8 * scale:
        raise ValueError(
            f"{name} must hold symmetric matrices; the largest asymmetry |G - G^T| is {asym:.3g} "
            f"(relative {asym / scale:.3g})"
        )
    return sym


def check_same_points(a: tuple, b: tuple, names: tuple[str, str], what: str) -> None:
    """Require shapes ``a`` and ``b`` to share the point count (axis 0) and chart dimension (last axis)."""
    na, nb = names
    if a[0] != b[0]:
        raise ValueError(
            f"{na} has {a[0]} points but {nb} has {b[0]}; {what} must be "
            "evaluated at the same input points"
        )
    if a[-1] != b[-1]:
        raise ValueError(
            f"{na} has chart dimension m={a[-1]} but {nb} has m={b[-1]}; {what} "
            "must be taken with respect to the same input coordinates"
        )


def check_psd(G: np.ndarray, name: str, *, rtol: float = 1e-10, definite: bool = False) -> None:
    """Require a symmetric stack ``(n_points, m, m)`` to be positive semi-definite up to rounding.

    A matrix fails when its smallest eigenvalue is below ``-rtol`` times its
    largest absolute eigenvalue; the error names the first failing point
    (``definite`` only changes the wording: singular matrices are not caught).

    Examples
    --------
    >>> check_psd(np.array([[[1.0, 0.0], [0.0, -5.0]]]), "G")
    Traceback (most recent call last):
    ...
    ValueError: G must be positive semi-definite; at point 0 the smallest eigenvalue is -5 (the largest in magnitude is 5); 1 of 1 matrices are indefinite
    """
    a = np.abs(G).max(axis=(-2, -1))
    w = np.linalg.eigvalsh(G / np.where(a > 0, a, 1.0)[:, None, None])
    top = np.abs(w).max(axis=-1)
    bad = w[:, 0] < -rtol * top
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be positive {'' if definite else 'semi-'}definite; at point {i} the smallest eigenvalue "
            f"is {w[i, 0] * a[i]:.3g} (the largest in magnitude is {top[i] * a[i]:.3g}); "
            f"{int(bad.sum())} of {len(G)} matrices are indefinite"
        )


def check_shape(value: np.ndarray, name: str, shapes: Sequence[tuple], meaning: str) -> np.ndarray:
    """Require ``value.shape`` to be one of ``shapes`` (described by ``meaning``).

    Examples
    --------
    >>> check_shape(np.ones(2), "sigma", [(), (3,)], "a scalar or one value per point")
    Traceback (most recent call last):
    ...
    ValueError: sigma must have shape () or (3,) (a scalar or one value per point); got shape (2,)
    """
    if tuple(value.shape) not in [tuple(s) for s in shapes]:
        listed = " or ".join(str(tuple(s)) for s in shapes)
        raise ValueError(f"{name} must have shape {listed} ({meaning}); got shape {tuple(value.shape)}")
    return value


# ----------------------------------------------------------------------------- trajectories (dynamics)


def check_trajectory(X: Any, name: str = "X") -> np.ndarray:
    """A finite float64 trajectory array as ``(n_trials, n_time, n_features)``.

    A 2-D ``(n_time, n_features)`` array is one trial and gains a leading
    axis of length 1.

    Examples
    --------
    >>> check_trajectory(np.zeros((5, 2)), "X").shape
    (1, 5, 2)
    >>> check_trajectory(np.zeros(5), "X")
    Traceback (most recent call last):
    ...
    ValueError: X must be (n_time, n_features) or (n_trials, n_time, n_features); got a 1-D array of shape (5,)
    """
    arr = as_float_array(X, name, layout="trajectory")
    return arr[None] if arr.ndim == 2 else arr


def check_delays(n_time: int, n_delays: Any, delay_interval: Any, name: str = "X") -> tuple[int, int]:
    """Validate delay-embedding parameters against the number of time points.

    The embedding keeps ``n_time - (n_delays - 1) * delay_interval`` rows per
    trial; at least two are needed for one step of dynamics.

    Examples
    --------
    >>> check_delays(9, 5, 2)
    Traceback (most recent call last):
    ...
    ValueError: X has 9 time points per trial; n_delays=5 with delay_interval=2 needs n_time >= (n_delays - 1) * delay_interval + 2 = 10 (two embedded rows make one step of dynamics)
    """
    n_delays = check_positive_int(n_delays, "n_delays")
    delay_interval = check_positive_int(delay_interval, "delay_interval")
    need = (n_delays - 1) * delay_interval + 2
    if n_time < need:
        raise ValueError(
            f"{name} has {n_time} time points per trial; n_delays={n_delays} with "
            f"delay_interval={delay_interval} needs n_time >= (n_delays - 1) * delay_interval + 2 = {need} "
            "(two embedded rows make one step of dynamics)"
        )
    return n_delays, delay_interval


def check_rank_spec(rank: Any, explained_variance: Any, threshold: Any) -> None:
    """At most one rank rule; each well formed.

    ``rank`` is ``None`` (all numerically non-zero singular values), a
    positive integer or ``"optimal"`` (Gavish-Donoho hard threshold);
    ``explained_variance`` lies in ``(0, 1]``; ``threshold`` is a finite
    non-negative singular value.

    Examples
    --------
    >>> check_rank_spec(3, 0.9, None)
    Traceback (most recent call last):
    ...
    ValueError: give at most one of rank, explained_variance and threshold; got rank=3, explained_variance=0.9
    """
    given = {k: v for k, v in (("rank", rank), ("explained_variance", explained_variance), ("threshold", threshold))
             if v is not None}
    if len(given) > 1:
        listed = ", ".join(f"{k}={v!r}" for k, v in given.items())
        raise ValueError(f"give at most one of rank, explained_variance and threshold; got {listed}")
    if isinstance(rank, str):
        check_choice(rank, "rank", ["optimal"])
    elif rank is not None:
        check_positive_int(rank, "rank")
    if explained_variance is not None:
        check_in_range(explained_variance, "explained_variance", 0.0, 1.0, low_open=True)
    if threshold is not None:
        check_in_range(threshold, "threshold", 0.0, np.inf, high_open=True)


def check_inputs_match(states: np.ndarray, inputs: np.ndarray, names: tuple[str, str]) -> None:
    """States and inputs must share trials and time points (3-D arrays from :func:`check_trajectory`).

    Examples
    --------
    >>> check_inputs_match(np.zeros((2, 50, 3)), np.zeros((2, 40, 1)), ("X", "U"))
    Traceback (most recent call last):
    ...
    ValueError: X has 2 trials of 50 time points but U has 2 trials of 40; inputs must be sampled with the states
    """
    if states.shape[:2] != inputs.shape[:2]:
        raise ValueError(
            f"{names[0]} has {states.shape[0]} trials of {states.shape[1]} time points but {names[1]} has "
            f"{inputs.shape[0]} trials of {inputs.shape[1]}; inputs must be sampled with the states"
        )
