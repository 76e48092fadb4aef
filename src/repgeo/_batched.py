"""Batched cross-products and nuclear norms, on NumPy arrays or torch tensors alike.

The shape metrics spend their pair work here: the cross-products
``A_i^T B_j`` of prepared coordinates and the sums of their singular values.
Each function follows its arguments' backend (:func:`repgeo._backend.namespace`):
tensors are computed on in float64 on their device, arrays with NumPy, and
an array paired with a tensor joins the tensor's device.  Results that are
one number per pair come back as NumPy arrays on the host.

Examples
--------
>>> import numpy as np
>>> nuclear_norms([np.diag([3.0, -4.0]), np.ones((1, 2))])
array([7.        , 1.41421356])
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np

from ._backend import namespace

__all__ = ["nuclear_norms", "cross_products", "block_views", "CHUNK_BYTES"]

_NOT_FINITE = "cross-products of prepared representations are not finite (an overflow upstream)"


def nuclear_norms(mats: Sequence[Any]) -> np.ndarray:
    """Nuclear norms (sums of singular values) of many matrices, as a NumPy array.

    Matrices of equal shape go through one batched SVD call (LAPACK, or
    torch on the tensors' device), which computes each exactly as a lone
    call would, so batching never changes a value.  Non-finite entries raise
    ``ValueError`` before any SVD runs (LAPACK's SVD can spin forever on
    inf or NaN).

    Examples
    --------
    >>> nuclear_norms([np.diag([3.0, -4.0]), np.ones((1, 2))])
    array([7.        , 1.41421356])
    """
    xp = namespace(*mats)
    out = np.empty(len(mats))
    groups: dict[tuple, list[int]] = {}
    for k, mat in enumerate(mats):
        groups.setdefault(tuple(mat.shape), []).append(k)
    for shape, where in groups.items():
        if 0 in shape:
            out[where] = 0.0
            continue
        out[where] = stack_nuclear_norms(xp.stack([xp.asarray(mats[k]) for k in where]), xp)
    return out


def stack_nuclear_norms(stack: Any, xp: Any) -> np.ndarray:
    """Nuclear norms of a ``(..., m, k)`` stack in ``xp``'s backend, on the host (``ValueError`` if not finite)."""
    if not bool(xp.isfinite(stack).all()):
        raise ValueError(_NOT_FINITE)
    return xp.to_numpy(xp.svdvals(stack).sum(axis=-1))


#: Bytes of cross-products one chunk of :func:`cross_products` holds (keeps a tile's memory bounded).
CHUNK_BYTES = 32 << 20


def cross_products(lefts: Sequence[Any], rights: Sequence[Any]) -> Iterator[tuple]:
    """All cross-products ``lefts[i].T @ rights[j]`` from one GEMM per chunk of rows.

    Yields ``(rows, cross, left_widths, right_widths)`` per chunk: ``rows`` is
    the slice of ``lefts`` it covers and ``cross`` the stacked product
    ``[L_i]^T [R_j]`` of shape ``(sum of left widths, sum of right widths)``,
    whose block ``(i, j)`` is ``lefts[i].T @ rights[j]``.  A chunk holds at
    most about :data:`CHUNK_BYTES` (at least one left matrix), so memory
    grows with the block, not with the number of pairs.  ``cross`` is a
    float64 array, or a float64 tensor on the tensors' device when any input
    is a tensor; the widths are NumPy integer arrays.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A, B = rng.standard_normal((5, 2)), rng.standard_normal((5, 3))
    >>> [(rows, c.shape) for rows, c, _, _ in cross_products([A, B], [B])]
    [(slice(0, 2, None), (5, 3))]
    >>> bool(np.allclose(next(cross_products([A], [B]))[1], A.T @ B))
    True
    """
    xp = namespace(*lefts, *rights)
    right = xp.concatenate([xp.as_float64(b) for b in rights], axis=1)
    right_widths = np.array([b.shape[1] for b in rights])
    left_widths = np.array([a.shape[1] for a in lefts])
    budget = max(1, CHUNK_BYTES // (8 * 2 * max(1, right.shape[1])))  # columns of lefts per chunk
    start = 0
    while start < len(lefts):
        stop, cols = start + 1, left_widths[start]
        while stop < len(lefts) and cols + left_widths[stop] <= budget:
            cols += left_widths[stop]
            stop += 1
        left = xp.concatenate([xp.as_float64(a) for a in lefts[start:stop]], axis=1)
        yield slice(start, stop), left.T @ right, left_widths[start:stop], right_widths
        start = stop


def block_views(cross: Any, left_widths: np.ndarray, right_widths: np.ndarray) -> list:
    """The blocks of a stacked cross-product, row-major: block ``(i, j)`` at ``i * len(right_widths) + j``.

    Examples
    --------
    >>> [v.shape for v in block_views(np.zeros((3, 3)), np.array([1, 2]), np.array([3]))]
    [(1, 3), (2, 3)]
    """
    lo = np.concatenate([[0], np.cumsum(left_widths)]).tolist()
    co = np.concatenate([[0], np.cumsum(right_widths)]).tolist()
    return [cross[lo[i] : lo[i + 1], co[j] : co[j + 1]] for i in range(len(left_widths)) for j in range(len(right_widths))]
