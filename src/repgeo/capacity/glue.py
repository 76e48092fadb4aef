"""Correlated-manifold (GLUE) capacity, effective geometry and alignments."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import nnls

from .._validation import check_choice, check_positive_int, check_rng
from ._manifolds import as_manifolds, random_dichotomies, rescale_manifolds, stack_manifolds
from ._results import GeometryEstimate


__all__ = ["CapacitySaturationWarning", "GlueResult", "glue"]


class CapacitySaturationWarning(UserWarning):
    """Random dichotomies are not separable in the data's span: capacity is at ``P / rank``."""


@dataclass(frozen=True)
class GlueResult(GeometryEstimate):
    """Result of :func:`glue`.

    ``capacity = P / <F>`` with its Monte Carlo standard error; ``radius`` and
    ``dimension`` are the effective GLUE radius and dimension, averaged over the
    draws with at least one anchored manifold (draws with no anchor -- ``t`` in
    the polar cone, ``F = 0`` -- carry no anchor geometry and are left out; the
    reference implementation counts them as ``D = 0``), with standard errors
    over those draws (delta method for the radius).  Point-like manifolds
    (anchors without axis parts) give ``dimension = 0`` and ``radius = 0``.
    ``center_alignment``
    (mean squared cosine between anchor centers), ``axis_alignment`` (root mean
    squared cosine between anchor axis parts) and ``center_axis_alignment``
    (mean ``|cos|`` between a manifold's anchor axis part and its own anchor
    center) are the anchor-based alignments; each is averaged over the draws
    where it is defined (two anchored manifolds for the pairwise ones, a
    non-zero axis part for the axis ones) and is NaN when it is defined in no
    draw (e.g. the axis alignments of points).  ``nonseparable_fraction`` is the
    share of draws whose dichotomy was not linearly separable (decided per draw:
    both ``t`` and ``-t`` lie in the cone of the label-signed points, an exact
    certificate of non-separability that for points in general position is
    also necessary); ``saturated`` flags any such draw.
    """

    center_norm: float
    center_alignment: float
    axis_alignment: float
    center_axis_alignment: float
    nonseparable_fraction: float
    saturated: bool
    rank: int
    n_t: int


_ZERO_AXIS = 1e-8  # an axis part shorter than this times its anchor's scale is rounding noise



def _pinv_sqrt(G: np.ndarray, floor: float) -> np.ndarray:
    """``G^{-1/2}`` on the eigenspaces of ``G`` above ``floor`` (zero elsewhere)."""
    w, V = np.linalg.eigh(G)
    keep = w > max(1e-10 * w.max(), floor)
    return (V[:, keep] / np.sqrt(w[keep])) @ V[:, keep].T


def _mean_sq_cos(S: np.ndarray) -> float:
    """Mean squared cosine over the off-diagonal pairs of rows (NaN for fewer than two rows)."""
    k = len(S)
    if k < 2:
        return np.nan
    U = S / np.linalg.norm(S, axis=1, keepdims=True)
    C2 = (U @ U.T) ** 2
    return float((C2.sum() - np.trace(C2)) / (k * (k - 1)))


@dataclass(frozen=True)
class DrawGeometry:
    """Effective geometry and alignments of one draw's anchors (NaN where undefined)."""

    dimension: float
    radius_sq: float
    center_alignment: float
    axis_alignment: float
    center_axis_alignment: float


def _draw_geometry(s: np.ndarray, s0: np.ndarray, t: np.ndarray) -> DrawGeometry:
    """Effective dimension, radius^2 and alignments of one draw's ``k >= 1`` anchors.

    Axis parts ``s1 = s - s0`` no longer than ``_ZERO_AXIS`` times the anchor's
    scale are set to zero (for point-like manifolds they are pure rounding
    noise), and ``G1^{-1/2}`` is taken on the eigenvalues above that scale, so a
    draw whose anchors have no axis part has ``D = 0`` and ``R^2 = 0`` (the limit
    of both formulas as the axis parts shrink).  Alignments that need two
    anchored manifolds (center, axis) or a non-zero axis part (axis,
    center-axis) are NaN when undefined.
    """
    s1 = s - s0
    scale = np.maximum(np.linalg.norm(s0, axis=1), np.linalg.norm(s, axis=1))
    n1 = np.linalg.norm(s1, axis=1)
    has_axis = n1 > _ZERO_AXIS * scale
    s1 = s1 * has_axis[:, None]
    k = len(s)
    if not has_axis.any():
        return DrawGeometry(0.0, 0.0, _mean_sq_cos(s0), np.nan, np.nan)
    G1, G0 = s1 @ s1.T, s0 @ s0.T
    H = _pinv_sqrt(G1, (_ZERO_AXIS * scale.max()) ** 2)
    T = H @ (s1 @ t)
    TT = float(T @ T)
    Gt = H @ G0 @ np.linalg.pinv(np.eye(k) + (H @ H) @ G0) @ H
    denom = float(T @ Gt @ T)
    r2 = TT / denom - 1.0 if denom > 1e-12 * TT else np.nan
    r2 = r2 if np.isfinite(r2) and 0 <= r2 <= 100 else np.nan
    a, c = s1[has_axis], s0[has_axis]
    cos_own = np.abs((a * c).sum(1)) / np.maximum(n1[has_axis] * np.linalg.norm(c, axis=1), 1e-300)
    return DrawGeometry(TT / k, r2, _mean_sq_cos(s0), _mean_sq_cos(a), float(cos_own.mean()))


def _gram_factor(points: np.ndarray, centered: bool) -> np.ndarray:
    """``B`` of shape (rank, n_points) with ``B^T B = X X^T``: the points in an orthonormal basis of their span."""
    U, sv, _ = np.linalg.svd(points, full_matrices=False)
    if sv[0] == 0:
        what = "all the same point (every point minus the global mean is zero)" if centered else "all zero"
        raise ValueError(f"manifolds are {what}; capacity is undefined")
    r = int((sv > sv[0] * 1e-10).sum())
    return (U[:, :r] * sv[:r]).T


@dataclass(frozen=True)
class Dichotomies:
    """The sampled problems: Gaussian draws ``t`` (n_t, rank) and manifold labels ``y`` (n_t, P)."""

    t: np.ndarray
    y: np.ndarray


def _draw_dichotomies(gen: np.random.Generator, n_t: int, P: int, rank: int, labels: str) -> Dichotomies:
    """One Gaussian draw and one random dichotomy per draw (i.i.d. two-sided or one-vs-rest labels)."""
    T = gen.standard_normal((n_t, rank))
    if labels == "iid":
        Y = random_dichotomies(gen, n_t, P)
    else:
        Y = -np.ones((n_t, P))
        Y[np.arange(n_t), gen.integers(P, size=n_t)] = 1.0
    return Dichotomies(T, Y)


def _solve_draws(B: np.ndarray, Y: np.ndarray, owner: np.ndarray, T: np.ndarray) -> np.ndarray:
    """NNLS ``min_{lambda >= 0} |B_y lambda - t|^2`` for every draw (rows of ``Y``, ``T``).

    Every draw has its own matrix ``B_y`` (its own sign flips), so no Gram
    matrix is shared between draws and the batched active-set solver of
    ``_nnls`` has nothing to amortise: measured on 50 x 50 x 500 Gaussian clouds
    and on segments, circles, clouds and points, sequential
    ``scipy.optimize.nnls`` was as fast or faster, so it is used directly."""
    lam = np.empty((len(T), len(owner)))
    for d in range(len(T)):
        lam[d] = nnls(B * Y[d, owner], T[d])[0]
    return lam


def _projections(B: np.ndarray, Y: np.ndarray, owner: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``B_y lambda`` of every draw, shape (n_t, rank)."""
    return (lam * Y[:, owner]) @ B.T


def _nonseparable_draws(B: np.ndarray, problems: Dichotomies, owner: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Which draws' dichotomies are not linearly separable.

    ``t`` inside ``cone(B_y)`` (``F = |t|^2``) happens for separable dichotomies
    too.  A dichotomy is certainly not separable when ``t`` and ``-t`` both lie
    in the cone (``lambda_t + lambda_-t`` is then a non-negative dependency of
    the columns of ``B_y``, Gordan's alternative); for points in general
    position the converse holds with probability one, so one extra NNLS (with
    ``-t``, only for the draws with ``t`` inside the cone) decides.
    """
    T, Y = problems.t, problems.y
    TT = (T**2).sum(axis=1)
    inside = np.flatnonzero(F >= TT * (1 - 1e-9))
    nonsep = np.zeros(len(T), dtype=bool)
    if inside.size:
        lam_m = _solve_draws(B, Y[inside], owner, -T[inside])
        F_m = (_projections(B, Y[inside], owner, lam_m) ** 2).sum(axis=1)
        nonsep[inside] = F_m >= TT[inside] * (1 - 1e-9)
    return nonsep


@dataclass(frozen=True)
class Anchors:
    """Anchor points ``points`` (n_t, P, rank), which manifolds are ``anchored`` (n_t, P),
    and anchor ``centers`` ``s0`` (P, rank): each manifold's mean anchor over the draws that anchor it."""

    points: np.ndarray
    anchored: np.ndarray
    centers: np.ndarray


def _anchors(lam: np.ndarray, B: np.ndarray, owner: np.ndarray, P: int) -> Anchors:
    """Manifold ``mu``'s anchor is the ``lambda``-weighted mean of its points (when its weight is positive)."""
    n_t = len(lam)
    weight = np.zeros((n_t, P))
    np.add.at(weight.T, owner, lam.T)
    points = np.stack([(lam[:, owner == mu] @ B[:, owner == mu].T) for mu in range(P)], axis=1)
    on = weight > 1e-12 * max(lam.max(), 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        points = points / np.where(on, weight, 1.0)[:, :, None]
    counts = on.sum(axis=0)
    s0 = np.where(counts[:, None] > 0, (points * on[:, :, None]).sum(0) / np.maximum(counts, 1)[:, None], 0.0)
    return Anchors(points, on, s0)


def _mean_and_se(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard error over the finite entries (NaN when there are too few)."""
    ok = values[np.isfinite(values)]
    mean = float(ok.mean()) if ok.size else np.nan
    se = float(ok.std(ddof=1) / np.sqrt(ok.size)) if ok.size > 1 else np.nan
    return mean, se


# Provenance: the formulas follow the GLUE-style "correlated capacity and
# geometry" code summarised in the method notes (capacity.md section 1b).  It
# differs from that code in: i.i.d. labels by default (one-vs-rest optional);
# NNLS on a Gram factor (no 1e-3 ridge); one anchor per manifold and draw (the
# lambda-weighted mean of its points); R^2 ratios outside [0, 100] left out (the
# code sets them to 0); draws with no anchor left out of D and R (the code
# counts D = 0); axis_alignment the root of the mean squared cosine.


def glue(manifolds: Any, n_t: int = 200, rng: Any = None, *, labels: str = "iid", center: bool = True) -> GlueResult:
    """Correlated manifold capacity computed jointly over all manifolds (kappa = 0).

    Parameters
    ----------
    manifolds : array (P, M, N) or list of (M_i, N) arrays
    n_t : int, default 200
        Gaussian draws, each with its own random dichotomy.
    rng : None, int or numpy.random.Generator
    labels : {"iid", "one_vs_rest"}
        I.i.d. +-1 labels per manifold (both signs present), or one random
        manifold against the rest.
    center : bool, default True
        Remove the global mean of all points first.

    Notes
    -----
    Only the Gram matrix of all points matters, so the points are written in a
    rank-``r`` factor ``B`` (``B^T B = X X^T``).  For ``t ~ N(0, I_r)`` and labels
    ``y``, ``lambda* = argmin_{lambda >= 0} |B_y lambda - t|^2`` (columns of ``B``
    multiplied by their manifold's label) gives ``F = |B_y lambda*|^2``, the
    squared distance from ``t`` to the set of weight vectors realising the
    dichotomy, and ``alpha = P / <F>``.  Manifold ``mu``'s anchor is the
    ``lambda``-weighted mean of its points; centers ``s0_mu`` are anchor means
    over draws and axis parts ``s1 = s - s0``.  With ``T = G1^{-1/2} S1 t``,
    ``D = <|T|^2 / k>`` and ``R^2 = <|T|^2 / (T^T G~ T) - 1>`` with
    ``G~ = G1^{-1/2} G0 (I + G1^{-1} G0)^{-1} G1^{-1/2}``.  Draws whose ``R^2``
    ratio is undefined or outside ``[0, 100]`` and draws with no anchored
    manifold are left out of the radius and dimension means.  Because
    ``F <= |t|^2``, ``alpha >= P / r``: when dichotomies are not separable the
    estimate saturates at ``P / r`` and a :class:`CapacitySaturationWarning` is
    issued.

    References
    ----------
    C. N. Chou et al., "Neural manifold capacity captures representation
    geometry, correlations, and task-efficiency across species and behaviors",
    bioRxiv 10.1101/2024.02.26.582157 (2024).
    A. J. Wakhloo, T. J. Sussman, S. Chung, "Linear classification of neural
    manifolds with correlated variability", Phys. Rev. Lett. 131, 027301 (2023).

    Examples
    --------
    >>> pts = np.random.default_rng(0).standard_normal((10, 1, 40))
    >>> res = glue(pts, n_t=200, rng=0, center=False)
    >>> abs(res.capacity - 2.0) < 4 * res.capacity_se
    True
    """
    mans = rescale_manifolds(as_manifolds(manifolds))
    n_t = check_positive_int(n_t, "n_t", minimum=2)
    check_choice(labels, "labels", ["iid", "one_vs_rest"])
    gen = check_rng(rng)
    stacked = stack_manifolds(mans, center=center)
    P, owner = stacked.n_manifolds, stacked.owner
    B = _gram_factor(stacked.points, center)
    problems = _draw_dichotomies(gen, n_t, P, len(B), labels)
    lam = _solve_draws(B, problems.y, owner, problems.t)
    F = (_projections(B, problems.y, owner, lam) ** 2).sum(axis=1)
    nonsep = _nonseparable_draws(B, problems, owner, F)
    if nonsep.any():
        warnings.warn(
            f"{100 * nonsep.mean():.0f}% of the random dichotomies are not linearly separable in the data's "
            f"rank-{len(B)} span; those draws have F = |t|^2, which pulls the capacity toward "
            f"P/rank = {P / len(B):.4g}",
            CapacitySaturationWarning, stacklevel=2)
    anchors = _anchors(lam, B, owner, P)
    # every draw with at least one anchored manifold enters D, R^2 and the
    # alignments it defines; draws with no anchor (t in the polar cone, F = 0)
    # carry no anchor geometry and are left out (the reference counts them as D = 0)
    geometry = [_draw_geometry(anchors.points[d, on], anchors.centers[on], problems.t[d])
                for d, on in enumerate(anchors.anchored) if on.any()]
    return _summarise(F, geometry, anchors, nonsep, P, len(B))


def _summarise(F: np.ndarray, geometry: list[DrawGeometry], anchors: Anchors, nonsep: np.ndarray,
               P: int, rank: int) -> GlueResult:
    """Capacity ``P / <F>`` and the means of the per-draw geometry, with standard errors."""
    def field(name: str) -> np.ndarray:
        return np.array([getattr(g, name) for g in geometry], dtype=float)

    dimension, dimension_se = _mean_and_se(field("dimension"))
    radius_sq, radius_sq_se = _mean_and_se(field("radius_sq"))
    center_alignment, _ = _mean_and_se(field("center_alignment"))
    axis_alignment, _ = _mean_and_se(field("axis_alignment"))
    center_axis_alignment, _ = _mean_and_se(field("center_axis_alignment"))
    radius_sq, center_alignment, axis_alignment = (  # rounding can leave -1e-18
        max(v, 0.0) if np.isfinite(v) else v for v in (radius_sq, center_alignment, axis_alignment))
    radius = float(np.sqrt(radius_sq))
    # delta method for sqrt(<R^2>); at R = 0 it degenerates, and sqrt(se) bounds the scale
    radius_se = float(radius_sq_se / (2 * radius) if radius > 0 else np.sqrt(radius_sq_se))
    n_t = F.size
    mean_F = F.mean()
    return GlueResult(
        capacity=float(P / mean_F),
        capacity_se=float(P * F.std(ddof=1) / np.sqrt(n_t) / mean_F**2),
        radius=radius,
        radius_se=radius_se,
        dimension=dimension,
        dimension_se=dimension_se,
        center_norm=float(np.sqrt((anchors.centers**2).sum(1).mean())),
        center_alignment=center_alignment,
        axis_alignment=float(np.sqrt(axis_alignment)),
        center_axis_alignment=center_axis_alignment,
        nonseparable_fraction=float(nonsep.mean()),
        saturated=bool(nonsep.any()),
        rank=rank,
        n_t=n_t,
    )
