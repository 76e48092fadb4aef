"""Input normalisation for manifold analyses.

A set of manifolds is held internally as a list of ``(M_i, N)`` float64
arrays: one array per manifold, rows are points, columns are units (the
library's ``(n_samples, n_features)`` convention).  Users may pass a
``(P, M, N)`` array, a list of ``(M_i, N)`` arrays with ragged ``M_i``, or
build the list from one response matrix and labels with :func:`from_labels`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._linalg import power_of_two_exponent
from .._validation import as_float_array, as_labels, check_positive_int

__all__ = [
    "StackedManifolds",
    "as_manifolds",
    "check_components_within_rank",
    "from_labels",
    "pad_stack",
    "random_dichotomies",
    "stack_manifolds",
    "rescale_manifolds",
]


def as_manifolds(manifolds: Any, name: str = "manifolds", *, min_manifolds: int = 2) -> list[np.ndarray]:
    """Validate manifolds and return them as a list of ``(M_i, N)`` arrays.

    Raises ``ValueError`` when there are fewer than ``min_manifolds``
    manifolds, when a manifold has no point, when the ambient dimensions
    differ, or when an entry is NaN/inf.

    Examples
    --------
    >>> [m.shape for m in as_manifolds(np.zeros((3, 4, 5)))]
    [(4, 5), (4, 5), (4, 5)]
    >>> as_manifolds([np.ones((2, 3)), np.ones((2, 4))])
    Traceback (most recent call last):
    ...
    ValueError: manifolds[1] has ambient dimension N=4 but manifolds[0] has N=3; all manifolds must live in the same space
    """
    if isinstance(manifolds, np.ndarray) or hasattr(manifolds, "detach"):
        arr = as_float_array(manifolds, name, ndim=3)
        out = list(arr)
    else:
        if isinstance(manifolds, (str, bytes)) or not hasattr(manifolds, "__len__"):
            raise TypeError(
                f"{name} must be a (P, M, N) array or a list of (M_i, N) arrays; "
                f"got {type(manifolds).__name__}"
            )
        out = [as_float_array(m, f"{name}[{i}]", ndim=2) for i, m in enumerate(manifolds)]
    if len(out) < min_manifolds:
        raise ValueError(
            f"{name} has P={len(out)} manifold{'s' if len(out) != 1 else ''}; "
            f"at least {min_manifolds} are required"
        )
    n_dim = out[0].shape[1]
    for i, m in enumerate(out):
        if m.shape[1] != n_dim:
            raise ValueError(
                f"{name}[{i}] has ambient dimension N={m.shape[1]} but {name}[0] has N={n_dim}; "
                "all manifolds must live in the same space"
            )
    return out


def check_components_within_rank(n_components: int, axes: list[tuple[np.ndarray, np.ndarray]],
                                 name: str = "n_components") -> None:
    """Require ``n_components`` principal axes to exist in every manifold.

    ``axes`` holds ``(singular values, right singular vectors)`` of each
    manifold's centered points; axes beyond a manifold's rank are arbitrary
    directions of its null space, so asking for them is an error.

    Examples
    --------
    >>> m = np.random.default_rng(0).standard_normal((3, 10))
    >>> check_components_within_rank(3, [np.linalg.svd(m - m.mean(0), full_matrices=False)[1:]])
    Traceback (most recent call last):
    ...
    ValueError: n_components=3 exceeds the rank 2 of manifold 0 (its centered points span 2 dimensions); n_components must be at most 2
    """
    ranks = [int((sv > max(sv.max(initial=0.0), 1e-300) * 1e-10).sum()) for sv, _ in axes]
    low = int(np.argmin(ranks))
    if n_components > ranks[low]:
        raise ValueError(
            f"{name}={n_components} exceeds the rank {ranks[low]} of manifold {low} (its centered points "
            f"span {ranks[low]} dimension{'s' if ranks[low] != 1 else ''}); {name} must be at most {ranks[low]}"
        )


def from_labels(X: Any, labels: Any, *, min_points: int = 1) -> list[np.ndarray]:
    """Split one response matrix into class manifolds.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Responses (rows are stimuli, columns are units).
    labels : array_like, shape (n_samples,)
        Manifold label of each row (category, object identity, latent bin...):
        all numbers or all strings; NaN or ``None`` raises ``ValueError``
        (drop unlabelled rows first).
    min_points : int, default 1
        Labels with fewer rows are dropped.

    Returns
    -------
    list of ndarray
        One ``(M_i, n_features)`` array per label, in sorted label order.

    Examples
    --------
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> [m.shape for m in from_labels(X, [0, 1, 0, 1, 1, 2])]
    [(2, 2), (3, 2), (1, 2)]
    """
    X = as_float_array(X, "X", layout="matrix")
    labels = as_labels(labels, "labels", X.shape[0])
    min_points = check_positive_int(min_points, "min_points")
    out = []
    for lab in np.unique(labels):
        rows = X[labels == lab]
        if rows.shape[0] >= min_points:
            out.append(rows)
    return out


def rescale_manifolds(manifolds: list[np.ndarray]) -> list[np.ndarray]:
    """All manifolds multiplied by one power of two that brings the largest entry into ``[0.5, 1)``.

    Capacity, radius, dimension and the alignments are scale-free, and the
    rescaling is exact, so the analyses see the same digits at any scale and
    never under- or overflow (data at ``1e-300`` or ``1e300`` included).

    Examples
    --------
    >>> [float(m.max()) for m in rescale_manifolds([np.full((1, 2), 3e300), np.full((1, 2), 1e300)])]
    [0.5599..., 0.1866...]
    """
    e = max(power_of_two_exponent(m) for m in manifolds) if any(m.any() for m in manifolds) else 0
    return [np.ldexp(m, -e) for m in manifolds]


@dataclass(frozen=True)
class StackedManifolds:
    """All points of a set of manifolds in one matrix.

    ``points`` is ``(n_points, N)``; ``owner[i]`` is the manifold of row ``i``
    and ``sizes[mu]`` the number of points of manifold ``mu``.
    """

    points: np.ndarray
    owner: np.ndarray
    sizes: np.ndarray

    @property
    def n_manifolds(self) -> int:
        """The number ``P`` of manifolds."""
        return int(self.sizes.size)

    def split(self) -> list[np.ndarray]:
        """The points of each manifold, as views of ``points``."""
        return np.split(self.points, np.cumsum(self.sizes)[:-1])

    def centers(self) -> np.ndarray:
        """Each manifold's mean point, shape (P, N)."""
        return np.stack([m.mean(axis=0) for m in self.split()])


def stack_manifolds(manifolds: list[np.ndarray], *, center: bool) -> StackedManifolds:
    """Stack manifolds into one point matrix, removing the global mean of all points when ``center``.

    Examples
    --------
    >>> st = stack_manifolds([np.ones((2, 3)), np.zeros((1, 3))], center=True)
    >>> st.owner.tolist(), st.n_manifolds, st.points.shape
    ([0, 0, 1], 2, (3, 3))
    """
    points = np.concatenate(manifolds)
    if center:
        points = points - points.mean(axis=0)
    sizes = np.array([len(m) for m in manifolds])
    return StackedManifolds(points, np.repeat(np.arange(sizes.size), sizes), sizes)


def pad_stack(arrays: list[np.ndarray], shape: tuple[int, int] | None = None) -> np.ndarray:
    """Stack 2-D arrays into one 3-D array, zero-padding ragged shapes.

    Examples
    --------
    >>> pad_stack([np.ones((1, 2)), np.ones((2, 1))]).shape
    (2, 2, 2)
    """
    rows = shape[0] if shape else max(a.shape[0] for a in arrays)
    cols = shape[1] if shape else max(a.shape[1] for a in arrays)
    out = np.zeros((len(arrays), rows, cols))
    for k, a in enumerate(arrays):
        out[k, : a.shape[0], : a.shape[1]] = a
    return out


def random_dichotomies(gen: np.random.Generator, n: int, P: int) -> np.ndarray:
    """``n`` i.i.d. +-1 labellings of ``P`` manifolds, each with both signs present.

    The one-sided labellings are excluded because, once the global mean is
    removed, no linear read-out without bias can separate them.

    Examples
    --------
    >>> Y = random_dichotomies(np.random.default_rng(0), 100, 2)
    >>> bool((Y.sum(axis=1) == 0).all())
    True
    """
    Y = gen.choice([-1.0, 1.0], size=(n, P))
    bad = np.abs(Y.sum(axis=1)) == P
    for _ in range(200):  # a row is redrawn with probability 2^(1-P) <= 1/2: 200 rounds never run out
        if not bad.any():
            return Y
        Y[bad] = gen.choice([-1.0, 1.0], size=(int(bad.sum()), P))
        bad = np.abs(Y.sum(axis=1)) == P
    raise RuntimeError("random_dichotomies: 200 rounds of rejection sampling left one-sided labellings")
