"""Trajectories (dynamics, DSA): time series, delays, rank rules, inputs."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ._arrays import _describe, as_float_array, check_choice, check_in_range, check_positive_int


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


def check_length(values: Any, name: str, n: int, meaning: str) -> list:
    """``values`` as a list of exactly ``n`` items (one per ``meaning``).

    Examples
    --------
    >>> check_length(["a", "b"], "labels", 3, "row of the matrix")
    Traceback (most recent call last):
    ...
    ValueError: labels must have one entry per row of the matrix (3); got 2
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence with one entry per {meaning}; got {_describe(values)}")
    out = list(values)
    if len(out) != n:
        raise ValueError(f"{name} must have one entry per {meaning} ({n}); got {len(out)}")
    return out


def check_drawable(values: np.ndarray, name: str) -> np.ndarray:
    """Finite entries of ``values`` must lie within +-1e300, a range a figure can scale without overflow.

    Examples
    --------
    >>> check_drawable(np.array([0.0, 1e308]), "matrix")
    Traceback (most recent call last):
    ...
    ValueError: matrix spans 0 to 1e+308, too wide a range to draw in float64; rescale it
    """
    finite = values[np.isfinite(values)]
    if finite.size and (np.abs(finite).max() > 1e300):  # axis limits, margins and aspect ratios need headroom
        raise ValueError(f"{name} spans {finite.min():.3g} to {finite.max():.3g}, too wide a range to draw in "
                         "float64; rescale it")
    return values
