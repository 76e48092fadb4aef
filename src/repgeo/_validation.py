"""Input checks at the library boundary.

This module holds every input check of the library. Each error names the
argument, the rule it breaks and the value that was received, e.g.
``ValueError: X has 40 rows but Y has 50; rows must be matched samples``.
Measures call these helpers in ``prepare`` and trust prepared inputs in
``compare``.
"""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ._backend import NUMPY, is_tensor, namespace

__all__ = [
    "LAYOUTS",
    "Layout",
    "as_float_array",
    "as_labels",
    "check_matrix",
    "check_matched_rows",
    "check_choice",
    "check_names",
    "check_in_range",
    "check_positive_int",
    "check_rng",
    "non_constant_columns",
    "norm_in_data_units",
    "as_jacobians",
    "as_metrics",
    "check_same_points",
    "check_psd",
    "check_shape",
    "as_stochastic",
    "as_labelled",
    "check_symmetric_matrix",
    "check_distance_matrix",
    "check_trajectory",
    "check_delays",
    "check_rank_spec",
    "check_inputs_match",
]

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
    top = np.abs(X).max(axis=0)
    unit = np.ldexp(X, -np.frexp(top)[1])  # each column at unit scale by its own power of two: exact
    spread = np.ptp(unit, axis=0)
    size = np.abs(unit).max(axis=0)
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


# ----------------------------------------------------------------------------- Jacobian and metric fields


def as_jacobians(J: Any, name: str, *, xp: Any = None) -> Any:
    """A finite float64 Jacobian stack ``(n_points, n_features, m)`` (a tensor with a torch ``xp``)."""
    return as_float_array(J, name, layout="jacobian", xp=xp)


def as_metrics(
    G: Any, name: str, *, single: bool = True, with_scale: bool = False, symmetrise: bool = True, xp: Any = None
) -> Any:
    """A finite float64 stack of symmetric matrices ``(n_points, m, m)``.

    A single ``(m, m)`` matrix is accepted when ``single`` and returned with a
    leading axis of length 1.  Each matrix must be symmetric up to rounding
    (``|G - G^T| <= 1e-8 max|G|``, per point).  With ``symmetrise`` the stack
    is returned as ``(G + G^T) / 2``; without, as given, for callers that read
    only the lower triangle (Cholesky, ``eigvalsh``, ``eigh``).  With
    ``with_scale``, returns ``(G, amax)`` with ``amax`` the largest absolute
    entry of each matrix, which the numerical kernels reuse.  The checks run
    over cache-sized blocks of points and read only the two triangles.  A
    torch ``xp`` keeps the stack in torch on its device (see :func:`as_float_array`).
    """
    xp = NUMPY if xp is None else xp
    G = as_float_array(G, name, ndim=(2, 3) if single else 3, allow_nonfinite=True, xp=xp)
    if G.ndim == 2:
        G = G[None]
    n, m = G.shape[:2]
    if G.shape[-1] != m:
        raise ValueError(
            f"{name} must hold square (m, m) metric tensors; got trailing shape {tuple(G.shape[-2:])}"
        )
    upper, lower = np.triu_indices(m, 1)
    upper, lower = xp.index(upper * m + lower), xp.index(lower * m + upper)  # flat indices of the two triangles
    amax, asym = xp.empty((n,)), xp.zeros((n,))
    for sl in xp.blocks(n, m):  # NaN/inf entries are reported below, with their counts, not warned about here
        g = G[sl].reshape(-1, m * m)
        amax[sl] = xp.maximum(xp.amax(g, axis=1), -xp.amin(g, axis=1))  # NaN and inf propagate
        if m > 1:
            # halves first: no overflow near the float maximum
            with xp.errstate(invalid="ignore"):
                asym[sl] = xp.amax(xp.abs(0.5 * g[:, upper] - 0.5 * g[:, lower]), axis=1)  # |G - G^T| / 2
    if not bool(xp.isfinite(amax).all()):
        as_float_array(G, name, xp=xp)  # raises the standard message, with the counts
    bad = xp.to_numpy(asym > 0.5e-8 * amax)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        a_i, s_i = float(amax[i]), float(asym[i])
        raise ValueError(
            f"{name} must hold symmetric matrices; at point {i} the largest asymmetry |G - G^T| is "
            f"{_pow2_repr(s_i, 1)} (relative {2.0 * (s_i / a_i):.3g}); {int(bad.sum())} of {n} "
            "matrices are asymmetric"
        )
    if symmetrise:
        G = 0.5 * G + 0.5 * G.swapaxes(-1, -2)  # halves first: no overflow near the float maximum
    return (G, amax) if with_scale else G


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


def check_psd(G: Any, name: str, *, rtol: float = 1e-10, definite: bool = False, offset: int = 0) -> None:
    """Require a symmetric stack ``(n_points, m, m)`` to be positive semi-definite up to rounding.

    A matrix fails when its smallest eigenvalue is below ``-rtol`` times its
    largest absolute eigenvalue; the error names the first failing point
    (``definite`` only changes the wording: singular matrices are not caught).
    ``offset`` is the index of ``G[0]`` in the caller's stack, for the message.

    Examples
    --------
    >>> check_psd(np.array([[[1.0, 0.0], [0.0, -5.0]]]), "G")
    Traceback (most recent call last):
    ...
    ValueError: G must be positive semi-definite; at point 0 the smallest eigenvalue is -5 (the largest in magnitude is 5); 1 of 1 matrices are indefinite
    """
    xp = namespace(G)
    a = xp.amax(xp.abs(G), axis=(-2, -1))
    w = xp.eigvalsh(G / xp.where(a > 0, a, 1.0)[:, None, None])
    top = xp.amax(xp.abs(w), axis=-1)
    bad = xp.to_numpy(w[:, 0] < -rtol * top)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        w_i, a_i, top_i = float(w[i, 0]), float(a[i]), float(top[i])
        raise ValueError(
            f"{name} must be positive {'' if definite else 'semi-'}definite; at point {offset + i} the smallest eigenvalue "
            f"is {w_i * a_i:.3g} (the largest in magnitude is {top_i * a_i:.3g}); "
            f"{int(bad.sum())} of {len(G)} matrices" + (f" from point {offset}" if offset else "") + " are indefinite"
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


def as_labels(labels: Any, name: str, n_rows: int, rows_of: str = "X") -> np.ndarray:
    """A 1-D array of class labels, one per row of ``rows_of``, with no missing entry.

    Labels are all numbers or all strings.  NaN and ``None`` raise
    ``ValueError`` (rows would silently fall out of every class, since NaN
    equals nothing); strings mixed with numbers raise ``TypeError`` (NumPy would
    either fail to sort them or silently turn ``1`` into ``"1"``).

    Examples
    --------
    >>> as_labels([0, 1, 1], "labels", 3)
    array([0, 1, 1])
    >>> as_labels([0.0, float("nan"), 1.0], "labels", 3)
    Traceback (most recent call last):
    ...
    ValueError: labels has 1 NaN entry (first at row 1); every row needs a label (drop unlabelled rows first)
    >>> as_labels(["a", 1, "b"], "labels", 3)
    Traceback (most recent call last):
    ...
    TypeError: labels must be all numbers or all strings; got a mix of int and str
    """
    if hasattr(labels, "detach") and hasattr(labels, "cpu"):  # a torch tensor
        labels = labels.detach().cpu().numpy()
    if isinstance(labels, (str, bytes)) or labels is None:
        raise TypeError(f"{name} must be a 1-D sequence of labels; got {_describe(labels)}")
    raw = labels if isinstance(labels, np.ndarray) and labels.dtype != object else np.asarray(labels, dtype=object)
    if raw.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per row of {rows_of}); got shape {raw.shape}")
    check_matched_rows([np.empty((n_rows, 0)), raw], [rows_of, name])
    if raw.dtype == object:
        missing = np.flatnonzero([v is None for v in raw])
        if missing.size:
            raise ValueError(
                f"{name} has {missing.size} None entr{'y' if missing.size == 1 else 'ies'} (first at row "
                f"{missing[0]}); every row needs a label (drop unlabelled rows first)"
            )
        kinds = {"str" if isinstance(v, (str, np.str_)) else "number" if isinstance(v, (numbers.Number, np.number))
                 else type(v).__name__ for v in raw}
        if len(kinds) > 1 or not kinds <= {"str", "number"}:
            found = sorted({type(v).__name__ for v in raw})
            raise TypeError(f"{name} must be all numbers or all strings; got a mix of {' and '.join(found)}")
        raw = np.asarray(raw.tolist())
    if not (np.issubdtype(raw.dtype, np.number) or np.issubdtype(raw.dtype, np.bool_)
            or np.issubdtype(raw.dtype, np.str_)):
        raise TypeError(f"{name} must hold numbers or strings; got dtype {raw.dtype}")
    if np.issubdtype(raw.dtype, np.inexact):
        nan = np.flatnonzero(np.isnan(raw))
        if nan.size:
            raise ValueError(
                f"{name} has {nan.size} NaN entr{'y' if nan.size == 1 else 'ies'} (first at row {nan[0]}); "
                "every row needs a label (drop unlabelled rows first)"
            )
    return raw
def as_stochastic(value: Any, name: str, *, samples_only: bool = False) -> tuple:
    """Validate stochastic responses: samples ``(n_conditions, n_repeats, n_units)`` or ``(means, covariances)``.

    Returns ``("samples", X)`` or ``("gaussian", means, covs)`` with float64
    arrays; covariances are symmetrised after checking symmetry and positive
    semi-definiteness.  Samples need at least 2 repeats per condition.

    Examples
    --------
    >>> as_stochastic(np.zeros((4, 1, 3)), "X")
    Traceback (most recent call last):
    ...
    ValueError: X has 1 repeat per condition (shape (4, 1, 3)); at least 2 repeats are required to estimate the spread
    """
    if isinstance(value, (tuple, list)) and len(value) == 2 and not samples_only:
        means = as_float_array(value[0], f"{name}[0] (means)", ndim=2)
        covs = as_float_array(value[1], f"{name}[1] (covariances)", ndim=3)
        K, n = means.shape
        if covs.shape != (K, n, n):
            raise ValueError(
                f"{name}[1] (covariances) must have shape (n_conditions, n_units, n_units) = {(K, n, n)} to match "
                f"means of shape {means.shape}; got {covs.shape}"
            )
        sym = 0.5 * (covs + covs.swapaxes(-1, -2))
        asym = float(np.abs(covs - sym).max())
        scale = max(float(np.abs(sym).max()), np.finfo(float).tiny)
        if asym > 1e-8 * scale:
            raise ValueError(f"{name}[1] (covariances) must be symmetric; the largest asymmetry is {asym:.3g}")
        check_psd(sym, f"{name}[1] (covariances)", rtol=1e-10)
        return ("gaussian", means, sym)
    if isinstance(value, (tuple, list)) and not samples_only:
        raise TypeError(f"{name} must be an array of samples or a (means, covariances) pair; got a "
                        f"{type(value).__name__} of length {len(value)}")
    X = as_float_array(value, name, layout="stochastic")
    if X.shape[1] < 2:
        raise ValueError(
            f"{name} has {X.shape[1]} repeat per condition (shape {X.shape}); at least 2 repeats are required "
            "to estimate the spread"
        )
    return ("samples", X)
def as_labelled(reps: Any, name: str, *, minimum: int = 1) -> tuple[list[str], list[Any]]:
    """Labels and arrays of a sequence or dict of representations, in order.

    Dict keys become the labels (as strings, which must be distinct); a
    sequence is labelled ``"0"``, ``"1"``, ...

    Examples
    --------
    >>> as_labelled([np.zeros((3, 2))], "reps", minimum=2)
    Traceback (most recent call last):
    ...
    ValueError: reps must hold at least 2 representations; got 1
    """
    if isinstance(reps, Mapping):
        labels = [str(k) for k in reps]
        if len(set(labels)) < len(labels):
            dup = sorted({lab for lab in labels if labels.count(lab) > 1})
            raise ValueError(f"{name} has keys that are equal as strings ({dup}); labels must be distinct")
        arrays = list(reps.values())
    elif isinstance(reps, (np.ndarray, str, bytes)) or not isinstance(reps, Iterable) or hasattr(reps, "detach"):
        raise TypeError(f"{name} must be a sequence or dict of arrays (one per representation); got {_describe(reps)}")
    else:
        arrays = list(reps)
        labels = [str(i) for i in range(len(arrays))]
    if len(arrays) < minimum:
        raise ValueError(f"{name} must hold at least {minimum} representations; got {len(arrays)}")
    return labels, arrays


def check_existing_path(path: Any, name: str) -> "Path":
    """Require that ``path`` names an existing file or directory; return it as a ``Path``.

    Examples
    --------
    >>> check_existing_path("/no/such/file.npy", "reps[0]")
    Traceback (most recent call last):
    ...
    ValueError: reps[0] is the path '/no/such/file.npy', which does not exist
    """
    from pathlib import Path

    out = Path(path)
    if not out.exists():
        raise ValueError(f"{name} is the path {str(out)!r}, which does not exist")
    return out


def check_memory_budget(value: Any, name: str = "max_memory") -> int:
    """Require a memory budget in bytes: ``None`` (a quarter of this machine's RAM) or an integer >= 1.

    Examples
    --------
    >>> check_memory_budget(0)
    Traceback (most recent call last):
    ...
    ValueError: max_memory must be None or a number of bytes >= 1; got 0
    """
    if value is None:
        try:
            return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")) // 4
        except (ValueError, OSError, AttributeError):  # no sysconf (Windows): a conservative 2 GiB
            return 2 << 30
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 1 or not np.isfinite(value):
        raise ValueError(f"{name} must be None or a number of bytes >= 1; got {value!r}")
    return int(value)


def check_symmetric_matrix(V: np.ndarray, name: str, n: int, meaning: str) -> np.ndarray:
    """Require a symmetric ``(n, n)`` matrix (up to rounding) and return its symmetric part.

    Examples
    --------
    >>> check_symmetric_matrix(np.triu(np.ones((2, 2))), "V", 2, "a tangent vector")
    Traceback (most recent call last):
    ...
    ValueError: V must be symmetric (a tangent vector); the largest asymmetry |V - V^T| is 1
    """
    if V.shape != (n, n):
        raise ValueError(f"{name} must be a symmetric ({n}, {n}) matrix ({meaning}); got shape {V.shape}")
    asym = float(np.abs(V - V.T).max())
    if asym > 1e-8 * max(float(np.abs(V).max()), np.finfo(float).tiny):
        raise ValueError(f"{name} must be symmetric ({meaning}); the largest asymmetry |V - V^T| is {asym:.3g}")
    return 0.5 * (V + V.T)


def check_distance_matrix(D: Any, name: str, *, n: int | None = None, shape: tuple | None = None) -> np.ndarray:
    """Require a finite distance matrix: square ``(n, n)``, symmetric, non-negative, zero diagonal.

    With ``shape`` a rectangular ``(L, K)`` block of distances is checked
    instead (finite and non-negative only).  Returns a float64 array (the
    symmetric part for a square matrix).

    Examples
    --------
    >>> check_distance_matrix([[0, 1], [2, 0]], "D1")
    Traceback (most recent call last):
    ...
    ValueError: D1 must be symmetric (a distance matrix); the largest asymmetry |D1 - D1^T| is 1
    """
    D = as_float_array(D, name, ndim=2)
    if shape is not None:
        if D.shape != tuple(shape):
            raise ValueError(f"{name} must have shape {tuple(shape)}; got {D.shape}")
    else:
        k = D.shape[0] if n is None else n
        if D.shape != (k, k):
            raise ValueError(f"{name} must be a square ({k}, {k}) distance matrix; got shape {D.shape}")
        top = float(np.abs(D).max())
        e = int(np.frexp(top)[1]) if top > 0 else 0
        unit = np.ldexp(D, -e)  # exact: differences cannot overflow at 1e308
        asym = float(np.abs(unit - unit.T).max())
        if asym > 1e-10 * max(float(np.abs(unit).max()), np.finfo(float).tiny):
            raise ValueError(
                f"{name} must be symmetric (a distance matrix); the largest asymmetry |{name} - {name}^T| is "
                f"{np.ldexp(asym, e):.3g}"
            )
        if np.any(np.diag(D) != 0):
            raise ValueError(f"{name} must have a zero diagonal (a distance matrix); got max |diag| {np.abs(np.diag(D)).max():.3g}")
        D = np.ldexp(0.5 * (unit + unit.T), e)
    if np.any(D < 0):
        raise ValueError(f"{name} must hold non-negative distances; its smallest entry is {D.min():.3g}")
    return D


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
