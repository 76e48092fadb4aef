"""Manifold frames and anchor points of the mean-field analysis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._manifolds import pad_stack
from ._nnls import batched_nnls

__all__ = ["AnchorPoints", "anchor_points", "manifold_frames"]

#: anchors closer than this to the draw count as interior (as in the reference)
_INTERIOR_EPS = 1e-8


def manifold_frames(manifolds: list[np.ndarray], basis: np.ndarray, *, padded: bool) -> list[np.ndarray]:
    """Center-normalised manifolds in a low-dimensional frame, plus a row of ones.

    Each manifold (global mean already removed) loses its components along
    ``basis``, is centered on its own center ``c`` and divided by ``|c|``.
    ``padded=True`` writes the points in a ``min(M, N)``-dimensional frame (a
    thin QR, as the reference does, although the centered rank is at most
    ``M - 1``); ``padded=False`` uses the frame of the centered points' rank.
    Returns arrays ``S`` of shape ``(D + 1, M)`` whose last row is all ones.
    """
    frames = []
    for i, X in enumerate(manifolds):
        Xr = X - (X @ basis) @ basis.T
        c = Xr.mean(axis=0)
        norm = np.linalg.norm(c)
        if norm <= 1e-12 * max(np.abs(Xr).max(), 1e-300):
            raise ValueError(
                f"manifolds[{i}] has its center at the origin after removing the global mean "
                "and the common center directions; capacity is undefined"
            )
        Xn = (Xr - c) / norm
        if padded:
            Sr = np.linalg.qr(Xn.T, mode="r") if Xn.shape[1] > Xn.shape[0] else Xn.T
        else:
            U, s, _ = np.linalg.svd(Xn, full_matrices=False)
            rank = int((s > max(s[0], 1.0) * 1e-10).sum()) if s.size and s[0] > 0 else 0
            Sr = (U[:, :rank] * s[:rank]).T
        frames.append(np.vstack([_canonical_signs(Sr), np.ones((1, X.shape[0]))]))
    return frames


def _canonical_signs(Sr: np.ndarray) -> np.ndarray:
    """Each frame row with its largest-magnitude entry positive.

    A frame is determined only up to the sign of each axis, and the QR and SVD
    routines pick signs from rounding-level details (a Householder sign follows
    the sign of an entry that may be 1e-17): with the Gaussian draws fixed,
    a mirrored axis gives other anchors and another Monte Carlo estimate, so
    a 1-ulp change of the data could move results by a standard error.
    """
    if Sr.size == 0:
        return Sr
    # magnitudes to 8 significant digits, so that entries equal up to rounding tie and the first of
    # them decides (the last rows of a QR frame hold +-r pairs: the centered points sum to zero)
    top = np.maximum(np.abs(Sr).max(axis=1, keepdims=True), np.finfo(float).tiny)
    lead = Sr[np.arange(len(Sr)), np.argmax(np.round(np.abs(Sr) / top, 8), axis=1)]
    return Sr * np.where(lead < 0, -1.0, 1.0)[:, None]


@dataclass(frozen=True)
class AnchorPoints:
    """Anchor points of every draw: ``points[i]`` has the shape of manifold ``i``'s draws.

    ``n_fallback`` counts the NNLS problems solved by ``scipy.optimize.nnls``;
    ``interior_fraction`` is the share of draws with ``z* = 0``.
    """

    points: list[np.ndarray]
    n_fallback: int
    interior_fraction: float


def anchor_points(frames: list[np.ndarray], t_vecs: list[np.ndarray], kappa: float) -> AnchorPoints:
    """Anchor points ``s~(t)`` of every draw of every manifold.

    Solves ``z* = argmin_{z >= 0} |S z - (t + kappa e_c)|^2`` for all draws at
    once.  Interior draws (``z* = 0``) get the point of maximal projection on
    ``t`` as their anchor.
    """
    rhs = []
    for t in t_vecs:
        b = t.copy()
        b[-1] += kappa
        rhs.append(b)
    d = max(f.shape[0] for f in frames)
    m = max(f.shape[1] for f in frames)
    solution = batched_nnls(pad_stack(frames, (d, m)), pad_stack(rhs, (d, t_vecs[0].shape[1])))
    anchors = []
    n_interior = 0
    for S, t, z in zip(frames, t_vecs, solution.z):
        z = z[: S.shape[1]]
        v = S @ z
        interior = np.linalg.norm(v, axis=0) < _INTERIOR_EPS
        n_interior += int(interior.sum())
        best = np.argmax(S[:-1].T @ t[:-1], axis=0) if S.shape[0] > 1 else np.zeros(t.shape[1], int)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(interior, S[:, best], v / v[-1])
        anchors.append(s)
    total = sum(t.shape[1] for t in t_vecs)
    return AnchorPoints(anchors, solution.n_fallback, n_interior / total)
