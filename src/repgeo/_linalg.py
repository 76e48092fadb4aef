"""Small numerical helpers shared by several modules."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["angular_from_cosine", "euclidean_from_inner", "nuclear_norms"]


def angular_from_cosine(cos: np.ndarray | float) -> np.ndarray:
    """``arccos`` of a cosine, clipped to ``[-1, 1]`` against rounding.

    Examples
    --------
    >>> float(angular_from_cosine(1 + 1e-15))
    0.0
    """
    return np.arccos(np.clip(cos, -1.0, 1.0))


def euclidean_from_inner(sq_a: np.ndarray, sq_b: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """``sqrt(|a|^2 + |b|^2 - 2 <a, b>)``, clipped at zero against rounding.

    Examples
    --------
    >>> float(euclidean_from_inner(np.float64(2.0), np.float64(2.0), np.float64(2.0)))
    0.0
    """
    return np.sqrt(np.maximum(sq_a + sq_b - 2.0 * inner, 0.0))


def nuclear_norms(mats: Sequence[np.ndarray]) -> np.ndarray:
    """Nuclear norms (sums of singular values) of many matrices.

    Matrices of equal shape go through one batched LAPACK call, which
    computes each exactly as a lone call would, so batching never changes a
    value.

    Examples
    --------
    >>> nuclear_norms([np.diag([3.0, -4.0]), np.ones((1, 2))])
    array([7.        , 1.41421356])
    """
    out = np.empty(len(mats))
    groups: dict[tuple, list[int]] = {}
    for k, mat in enumerate(mats):
        groups.setdefault(mat.shape, []).append(k)
    for shape, where in groups.items():
        if 0 in shape:
            out[where] = 0.0
            continue
        stack = np.stack([mats[k] for k in where])
        out[where] = np.linalg.svd(stack, compute_uv=False).sum(axis=-1)
    return out
