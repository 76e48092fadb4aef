"""Arrays, layouts, choices, ranges and seeds: the checks every module uses."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .._backend import NUMPY, is_tensor


@dataclass(frozen=True)
class Layout:
    """How one input kind is laid out.

    Attributes
    ----------
    shape : str
        The axes, as error messages spell them.
    ndim : tuple of int
        Allowed numbers of dimensions.
    feature_axis : int
        The axis of units (features, channels): the axis that the invariances of
        :data:`repgeo._measure.INVARIANCES` act on.
    matched_axis : int or None
        The axis whose entries two compared inputs must share (matched samples,
        conditions, images or input points); ``None`` when inputs need not be
        matched (two systems' trajectories are compared by their dynamics).
    """

    shape: str
    ndim: tuple
    feature_axis: int
    matched_axis: int | None


#: The input kinds a measure may declare in ``MeasureInfo.input`` (DESIGN.md section 1).
LAYOUTS = {
    "matrix": Layout("(n_samples, n_features)", (2,), -1, 0),
    "trajectory": Layout("(n_time, n_features) or (n_trials, n_time, n_features)", (2, 3), -1, None),
    "stochastic": Layout("(n_samples, n_repeats, n_features)", (3,), -1, 0),
    "conv": Layout("(n_samples, height, width, channels)", (4,), -1, 0),
    "jacobian": Layout("(n_points, n_features, n_inputs)", (3,), 1, 0),
}


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    kind = type(value).__name__
    return f"{kind} of shape {tuple(shape)}" if shape is not None else kind


def _torch_to_numpy(tensor: Any, name: str) -> np.ndarray:
    """A CPU NumPy copy of a torch tensor; bfloat16 (which NumPy lacks) goes through float32 exactly."""
    t = tensor.detach().cpu()
    try:
        return t.numpy()
    except (TypeError, RuntimeError) as exc:
        if t.is_floating_point():  # bfloat16 and float8 values are all exact in float32
            return t.float().numpy()
        raise TypeError(f"{name} must hold real numbers; got a torch tensor of dtype {t.dtype} ({exc})") from exc


def as_float_array(
    value: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    layout: str | None = None,
    dtype: type = np.float64,
    allow_nonfinite: bool = False,
    xp: Any = None,
) -> Any:
    """Convert ``value`` to a finite floating array, checking its dimensions.

    Parameters
    ----------
    value : array_like
        The input.  Torch tensors are converted through ``numpy()`` after being
        detached and moved to the CPU, unless ``xp`` is a torch namespace.
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
    xp : namespace, optional
        A torch namespace of :mod:`repgeo._backend` keeps the data in torch:
        the result is a float64 tensor on that namespace's device (arrays and
        lists are moved there), checked there with the same messages.

    Returns
    -------
    ndarray or tensor
        A C-contiguous array of ``dtype`` (a float64 tensor with a torch ``xp``).

    Examples
    --------
    >>> as_float_array([[1, 2], [3, 4]], "X", ndim=2).dtype
    dtype('float64')
    """
    described = None
    if layout is not None:
        described, ndim = LAYOUTS[layout].shape, LAYOUTS[layout].ndim
    xp = NUMPY if xp is None else xp
    if xp.is_torch and is_tensor(value):
        arr = value.detach()
        if arr.is_complex():
            raise TypeError(f"{name} must hold real numbers; got complex dtype {arr.dtype}")
    else:
        arr = _array_of_numbers(value, name)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = described or " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(
                f"{name} must be {want}; got a {arr.ndim}-D array of shape {tuple(arr.shape)}"
            )
    if 0 in arr.shape:
        raise ValueError(f"{name} must not be empty; got shape {tuple(arr.shape)}")
    arr = xp.as_float64(arr, dtype)
    if not allow_nonfinite and not bool(xp.isfinite(arr).all()):
        n_nan = int(xp.isnan(arr).sum())
        n_inf = int(xp.isinf(arr).sum())
        raise ValueError(
            f"{name} must be finite; it has {n_nan} NaN and {n_inf} infinite entries"
        )
    return arr


def _array_of_numbers(value: Any, name: str) -> np.ndarray:
    """``value`` as a NumPy array of real numbers (tensors detached and brought to the CPU)."""
    if is_tensor(value):
        value = _torch_to_numpy(value, name)
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
    """Raise if no column of ``X`` varies beyond rounding (the centred data would be zero or noise).

    A column varies when its range exceeds ``rtol`` times its largest magnitude:
    below that, fewer than about 3.6 significant digits of its variation survive
    float64 rounding (``X + 1e16`` keeps only the rounding of ``X``'s variation),
    and every measure that centres the data would compare rounding noise.  The
    check runs on each column brought to unit scale by a power of two, so it
    neither overflows near the float maximum nor underflows at ``1e-300``.

    Examples
    --------
    >>> non_constant_columns(np.ones((5, 2)), "X")
    Traceback (most recent call last):
    ...
    ValueError: X is constant over samples (every column has zero variance); nothing to compare
    >>> non_constant_columns(np.arange(5.0)[:, None] + 1e16, "X")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X is constant to working precision: ...
    """
    high, low = X.max(axis=0), X.min(axis=0)
    top = np.maximum(high, -low)
    e = -np.frexp(top)[1]
    # each column at unit scale by its own power of two (exact); ldexp is monotone, so the scaled
    # column's range and largest magnitude come from its max and min alone (two passes, no copy)
    spread = np.ldexp(high, e) - np.ldexp(low, e)
    size = np.ldexp(top, e)
    if (spread > rtol * size).any():
        return
    if not spread.any():
        raise ValueError(
            f"{name} is constant over samples (every column has zero variance); nothing to compare"
        )
    rel = spread / np.where(size > 0, size, 1.0)
    j = int(np.argmax(rel))
    digits = max(float(np.log10(rel[j] / np.finfo(float).eps)), 0.0)
    raise ValueError(
        f"{name} is constant to working precision: no column varies by more than {rtol:g} of its largest "
        f"magnitude (at most {rel[j]:.2g}, column {j}), so only {digits:.1f} significant digits of the "
        "variation survive float64 rounding; subtract the offset (centre the data) before converting them "
        "to floating point"
    )


def norm_in_data_units(unit_norm: float, exponent: int, name: str, *, euclidean: bool) -> float:
    """The norm ``unit_norm * 2**exponent`` of data that were brought to unit scale.

    For a Euclidean score the norm must stay below half the float64 maximum,
    so that every distance to the data (at most the sum of two norms) is
    representable; otherwise a ``ValueError`` names the argument.  Scale-free
    scores accept any norm (``inf`` past the range).

    Examples
    --------
    >>> norm_in_data_units(0.75, 4, "X", euclidean=True)
    12.0
    >>> norm_in_data_units(0.75, 1024, "X", euclidean=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X has a norm of about 1.35e+308 after centring, ...
    """
    with np.errstate(over="ignore"):
        norm = float(np.ldexp(unit_norm, exponent))
    if euclidean and not norm <= np.finfo(float).max / 2:
        raise ValueError(
            f"{name} has a norm of about {_pow2_repr(unit_norm, exponent)} after centring, beyond half the "
            "largest float64, so Euclidean distances to it cannot be represented; rescale the data "
            "(the angular score is scale-free)"
        )
    return norm


def _pow2_repr(mantissa: float, exponent: int) -> str:
    """``mantissa * 2**exponent`` in decimal (``.3g``), also past float64's range (``9.3e+308``)."""
    with np.errstate(over="ignore"):
        value = float(np.ldexp(mantissa, exponent))
    if np.isfinite(value):
        return f"{value:.3g}"
    log10 = np.log10(mantissa) + exponent * np.log10(2.0)
    power = int(np.floor(log10))
    return f"{10 ** (log10 - power):.2g}e{power:+d}"


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


def check_names(requested: Any, name: str, available: Sequence[str], what: str) -> list[str]:
    """Require a non-empty list of distinct strings, each among ``available``.

    A wrong name is reported with its close matches and the valid names (the
    first 40 of them), so a misspelt layer is found at once.

    Examples
    --------
    >>> check_names(["fc2"], "layers", ["", "fc1", "relu", "fc3"], "modules of the model")
    Traceback (most recent call last):
    ...
    ValueError: layers: 'fc2' is not among the modules of the model (did you mean 'fc3', 'fc1'?); valid names: 'fc1', 'relu', 'fc3'
    """
    if isinstance(requested, str):
        requested = [requested]
    if not isinstance(requested, Iterable) or isinstance(requested, Mapping):
        raise TypeError(f"{name} must be a list of names; got {type(requested).__name__}")
    requested = list(requested)
    bad = [r for r in requested if not isinstance(r, str)]
    if not requested or bad:
        raise TypeError(f"{name} must be a non-empty list of strings; got {requested!r}")
    dup = sorted({r for r in requested if requested.count(r) > 1})
    if dup:
        raise ValueError(f"{name} names {dup[0]!r} more than once; each name must appear once")
    known = set(available)
    for r in requested:
        if r not in known:
            import difflib

            close = difflib.get_close_matches(r, [a for a in available if a], n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
            named = [a for a in available if a]
            more = f", ... ({len(named) - 40} more)" if len(named) > 40 else ""
            raise ValueError(
                f"{name}: {r!r} is not among the {what}{hint}; valid names: {', '.join(repr(a) for a in named[:40])}{more}"
            )
    return requested


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


