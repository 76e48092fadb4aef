"""Input checks specific to Jacobian and metric-tensor fields.

They build on :mod:`repgeo._validation` (which owns the generic checks) and
add the rules of this package: square symmetric metric stacks, matched point
counts and chart dimensions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_float_array


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
