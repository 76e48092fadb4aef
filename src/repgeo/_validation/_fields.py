"""Jacobian and metric-tensor fields (MSA, riemann): stacked points, symmetry, definiteness."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._backend import NUMPY, namespace
from ._arrays import _pow2_repr, as_float_array


def as_jacobians(J: Any, name: str, *, xp: Any = None) -> Any:
    """A finite float64 Jacobian stack ``(n_points, n_features, m)`` (a tensor with a torch ``xp``)."""
    return as_float_array(J, name, layout="jacobian", xp=xp)


def metric_stack(G: Any, name: str, *, single: bool = True, xp: Any = None) -> Any:
    """``G`` as a float64 stack ``(n_points, m, m)`` of square matrices, not yet scanned.

    The conversion and shape checks of :func:`as_metrics` alone: entries may
    still be non-finite or asymmetric.  Callers that work through the stack
    in blocks screen each block with :func:`metric_scan` and call
    :func:`as_metrics` (which raises the full message) only when a block is
    not clean, so the data is read once.
    """
    xp = NUMPY if xp is None else xp
    G = as_float_array(G, name, ndim=(2, 3) if single else 3, allow_nonfinite=True, xp=xp)
    if G.ndim == 2:
        G = G[None]
    m = G.shape[1]
    if G.shape[-1] != m:
        raise ValueError(
            f"{name} must hold square (m, m) metric tensors; got trailing shape {tuple(G.shape[-2:])}"
        )
    return G


#: Scales at which :func:`metric_scan` can certify a matrix: ``G - G^T`` cannot overflow, and its
#: threshold lies far above the subnormals.
_SCAN_RANGE = (2.0**-900, 2.0**1020)


def metric_scan(g: Any, xp: Any = None, scale: Any = None) -> tuple[Any, Any]:
    """One quick pass over a block of square matrices: ``(scale, clean)`` per point.

    ``scale`` is the mean of the diagonal ``tr(G) / m`` unless given (the
    largest absolute entry, say); either is at most the largest absolute entry
    that :func:`as_metrics` compares against.  ``clean`` marks points that
    :func:`as_metrics` certainly accepts: ``scale`` in ``[2^-900, 2^1020]``
    and ``max (G - G^T) <= 0.5e-8 scale``.  That is half the tolerance of
    :func:`as_metrics`, whose halves-first difference exceeds half of this
    one only by rounding (far inside the margin at these scales).  A NaN or
    inf entry anywhere makes ``G - G^T`` NaN or inf (``inf - inf`` on the
    diagonal), so such points are never clean.  A point that is not clean may
    still be valid; callers then run :func:`as_metrics`.

    The block is first tested as a whole (its largest ``G - G^T`` against
    its smallest scale), which exact symmetry always passes; per-point maxima
    are taken only when that test fails.
    """
    xp = NUMPY if xp is None else xp
    n, m = g.shape[:2]
    if scale is None:
        scale = xp.einsum("pii->p", g) / m
    with xp.errstate(invalid="ignore", over="ignore"):
        D = g - g.swapaxes(-1, -2)  # antisymmetric: its largest entry is its largest absolute entry
        low, high = float(xp.amin(scale, axis=0)), float(xp.amax(scale, axis=0))
        if _SCAN_RANGE[0] <= low and high <= _SCAN_RANGE[1] and float(xp.amax(D.reshape(-1), axis=0)) <= 0.5e-8 * low:
            return scale, xp.ones((n,)) > 0
        asym = xp.amax(D.reshape(n, m * m), axis=1)  # NaN propagates
    return scale, (scale >= _SCAN_RANGE[0]) & (scale <= _SCAN_RANGE[1]) & (asym <= 0.5e-8 * scale)


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
    G = metric_stack(G, name, single=single, xp=xp)
    n, m = G.shape[:2]
    upper, lower = np.triu_indices(m, 1)
    upper, lower = xp.index(upper * m + lower), xp.index(lower * m + upper)  # flat indices of the two triangles
    amax, asym = xp.empty((n,)), xp.zeros((n,))
    for sl in xp.blocks(n, m):  # NaN/inf entries are reported below, with their counts, not warned about here
        g = G[sl].reshape(-1, m * m)
        amax[sl] = xp.maximum(xp.amax(g, axis=1), -xp.amin(g, axis=1))  # NaN and inf propagate
        clean = metric_scan(G[sl], xp, scale=amax[sl])[1]
        if m > 1 and not bool(clean.all()):  # the exact check, where the quick one cannot certify
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


