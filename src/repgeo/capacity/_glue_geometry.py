"""GLUE anchor points, the per-draw scalars ``a, b, c`` and the anchor alignments.

The formulas are those of Chou, Le, Wang & Chung (ICML 2025, Algorithm 2 and
Definition B.6) in the stacked-matrix form of Chou, Kirsanov, Yang & Chung
(ICLR 2026, Appendix B.3); :func:`repgeo.capacity.glue` states them.  Only
the manifolds anchored in a draw (positive dual weight) have a row in that
draw's anchor matrix; a manifold's anchor center is its mean anchor over the
draws that anchor it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Anchors", "DrawTerms", "PairAlignments", "anchors_of", "draw_terms", "pair_alignments"]

#: an axis part shorter than this times its anchor's norm is rounding noise (point-like manifolds)
ZERO_AXIS = 1e-8


@dataclass(frozen=True)
class Anchors:
    """Anchor points ``points`` (n_t, P, rank), which manifolds are ``anchored`` (n_t, P), anchor
    ``centers`` ``s0`` (P, rank) and axis parts ``axes`` ``s1 = s - s0`` (zero where not anchored or
    shorter than rounding)."""

    points: np.ndarray
    anchored: np.ndarray
    centers: np.ndarray
    axes: np.ndarray


def anchors_of(lam: np.ndarray, B: np.ndarray, owner: np.ndarray, P: int) -> Anchors:
    """Manifold ``mu``'s anchor in a draw is the ``lambda``-weighted mean of its points (when its weight is positive)."""
    n_t = len(lam)
    weight = np.zeros((n_t, P))
    np.add.at(weight.T, owner, lam.T)
    points = np.stack([lam[:, owner == mu] @ B[:, owner == mu].T for mu in range(P)], axis=1)
    on = weight > 1e-12 * max(float(lam.max(initial=0.0)), np.finfo(float).tiny)
    with np.errstate(invalid="ignore", divide="ignore"):
        points = np.where(on[:, :, None], points / np.where(on, weight, 1.0)[:, :, None], 0.0)
    counts = on.sum(axis=0)
    centers = np.where(counts[:, None] > 0, points.sum(axis=0) / np.maximum(counts, 1)[:, None], 0.0)
    axes = np.where(on[:, :, None], points - centers[None], 0.0)
    scale = np.maximum(np.linalg.norm(points, axis=2), np.linalg.norm(centers, axis=1)[None])
    axes = np.where((np.linalg.norm(axes, axis=2) > ZERO_AXIS * scale)[:, :, None], axes, 0.0)
    return Anchors(points, on, centers, axes)


def _quad_pinv(G: np.ndarray, v: np.ndarray, floor: float) -> float:
    """``v^T G^+ v`` with the eigenvalues of ``G`` at or below ``floor`` treated as zero."""
    w, U = np.linalg.eigh(G)
    keep = w > floor
    proj = U[:, keep].T @ v
    return float((proj * proj / w[keep]).sum())


@dataclass(frozen=True)
class DrawTerms:
    """``a``, ``b``, ``c`` of every draw (zero for a draw with no anchored manifold)."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray


def draw_terms(anchors: Anchors, T: np.ndarray) -> DrawTerms:
    """``a = t^T S^T (S S^T)^+ S t``, ``b = t^T S1^T (S1 S1^T)^+ S1 t`` and
    ``c = t^T S1^T (S0 S0^T + S1 S1^T)^+ S1 t`` per draw, on the anchored manifolds' rows.

    The label signs ``diag(y)`` of the published forms cancel in each
    quadratic form and are left out.  Eigenvalues below ``(1e-8 |s|)^2`` are
    rounding noise (an axis part of a point-like manifold) and dropped.
    """
    n_t = len(T)
    a, b, c = np.zeros(n_t), np.zeros(n_t), np.zeros(n_t)
    for d in range(n_t):
        on = anchors.anchored[d]
        if not on.any():
            continue
        S, S0, S1, t = anchors.points[d, on], anchors.centers[on], anchors.axes[d, on], T[d]
        floor = (ZERO_AXIS * float(np.linalg.norm(S, axis=1).max())) ** 2
        a[d] = _quad_pinv(S @ S.T, S @ t, floor)
        if S1.any():
            S1t = S1 @ t
            b[d] = _quad_pinv(S1 @ S1.T, S1t, floor)
            c[d] = _quad_pinv(S0 @ S0.T + S1 @ S1.T, S1t, floor)
    return DrawTerms(a, b, np.minimum(c, b))  # c <= b exactly; rounding can leave c above b by an ulp


@dataclass(frozen=True)
class PairAlignments:
    """Center (rho_c), axis (rho_a) and center-axis (psi) alignments, means over manifold pairs (NaN if undefined)."""

    center: float
    axis: float
    center_axis: float


def _pair_mean(sums: np.ndarray, counts: np.ndarray) -> float:
    """Mean over the off-diagonal pairs with data of each pair's mean."""
    off = ~np.eye(len(sums), dtype=bool) & (counts > 0)
    return float((sums[off] / counts[off]).mean()) if off.any() else np.nan


def pair_alignments(anchors: Anchors, form: str, unit: float) -> PairAlignments:
    """Anchor alignments over pairs ``mu != nu`` of manifolds anchored in the same draw.

    ``form="cosine"`` gives signed cosines (Algorithm 2); ``"inner_product"``
    gives absolute inner products ``|<u, v>|`` in the data's units (Definition
    B.6; ``unit`` converts the internal scale back).  ``rho_c`` compares the
    anchor centers ``s0``; ``rho_a`` the axis parts ``s1`` of two manifolds in
    one draw; ``psi`` the center of ``mu`` with the axis part of ``nu`` in a
    draw that anchors both.
    """
    s0, s1, on = anchors.centers, anchors.axes, anchors.anchored

    def form_of(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Pairwise values between the rows of ``u`` and ``v`` (NaN where a row is zero)."""
        inner = u @ v.T
        if form == "inner_product":
            return np.abs(inner) * unit**2
        nu_, nv = np.linalg.norm(u, axis=1), np.linalg.norm(v, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(np.outer(nu_ > 0, nv > 0), inner / np.outer(nu_, nv), np.nan)

    P = len(s0)
    C = form_of(s0, s0)
    ever = on.any(axis=0)
    center = _pair_mean(np.nan_to_num(C), (np.outer(ever, ever) & np.isfinite(C)).astype(float))
    sums_a, counts_a = np.zeros((P, P)), np.zeros((P, P))
    sums_p, counts_p = np.zeros((P, P)), np.zeros((P, P))
    for d in range(len(on)):
        idx = np.flatnonzero(on[d] & (np.abs(s1[d]).sum(axis=1) > 0))
        if idx.size == 0:
            continue
        both = np.flatnonzero(on[d])
        A = form_of(s1[d, idx], s1[d, idx])
        ok = np.isfinite(A)
        sums_a[np.ix_(idx, idx)] += np.where(ok, A, 0.0)
        counts_a[np.ix_(idx, idx)] += ok
        Psi = form_of(s0[both], s1[d, idx])
        ok = np.isfinite(Psi)
        sums_p[np.ix_(both, idx)] += np.where(ok, Psi, 0.0)
        counts_p[np.ix_(both, idx)] += ok
    return PairAlignments(center, _pair_mean(sums_a, counts_a), _pair_mean(sums_p, counts_p))
