"""Collections of inputs: labels, stochastic responses, labelled representations, paths, budgets, distance matrices."""

from __future__ import annotations

import numbers
import os
from typing import Any, Iterable, Mapping

import numpy as np

from pathlib import Path

from ._arrays import _describe, as_float_array, check_matched_rows
from ._fields import check_psd


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


