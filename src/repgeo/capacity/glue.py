"""Correlated-manifold (GLUE) capacity, effective geometry and alignments."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import nnls

from .._validation import check_choice, check_positive_int, check_rng
from ._manifolds import as_manifolds, random_dichotomies
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


def _draw_geometry(s, s0, t):
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
        return 0.0, 0.0, _mean_sq_cos(s0), np.nan, np.nan
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
    return TT / k, r2, _mean_sq_cos(s0), _mean_sq_cos(a), float(cos_own.mean())


def _solve_draws(B, Y, owner, T):
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


def glue(manifolds: Any, n_t: int = 200, rng: Any = None, *, labels: str = "iid", center: bool = True,
         chunk: int = 16) -> GlueResult:
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
    chunk : int
        Ignored (kept so that existing calls work): draws are solved one by one
        with ``scipy.optimize.nnls``, which needs no chunking.

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
    ``G~ = G1^{-1/2} G0 (I + G1^{-1} G0)^{-1} G1^{-1/2}``, following the GLUE
    descriptions (formulas as in the methods notes; not checked against the
    papers' full text).  Because ``F <= |t|^2``, ``alpha >= P / r``: when
    dichotomies are not separable the estimate saturates at ``P / r`` and a
    :class:`CapacitySaturationWarning` is issued.

    Differences from the reference GLUE code (capacity.md section 1b): labels
    default to i.i.d. (one-vs-rest is an option); draws are solved as NNLS on a
    Gram factor (no ``1e-3`` ridge on the covariance); each manifold has one
    anchor per draw (the ``lambda``-weighted mean of its points); draws whose
    ``R^2`` ratio is undefined or outside ``[0, 100]`` are NaN and left out of
    the mean (the reference sets them to 0 and keeps them); draws with no
    anchor are left out of ``D`` and ``R`` (the reference counts ``D = 0``);
    ``axis_alignment`` is the square root of the mean squared cosine (not a
    mean of square roots).

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
    mans = as_manifolds(manifolds)
    n_t = check_positive_int(n_t, "n_t", minimum=2)
    check_choice(labels, "labels", ["iid", "one_vs_rest"])
    gen = check_rng(rng)
    X = np.concatenate(mans)
    if center:
        X = X - X.mean(axis=0)
    P = len(mans)
    owner = np.repeat(np.arange(P), [len(m) for m in mans])
    U, sv, _ = np.linalg.svd(X, full_matrices=False)
    r = int((sv > sv[0] * 1e-10).sum())
    B = (U[:, :r] * sv[:r]).T  # (r, n_points), B^T B = X X^T
    T = gen.standard_normal((n_t, r))
    if labels == "iid":
        Y = random_dichotomies(gen, n_t, P)
    else:
        Y = -np.ones((n_t, P))
        Y[np.arange(n_t), gen.integers(P, size=n_t)] = 1.0
    lam = _solve_draws(B, Y, owner, T)
    proj = (lam * Y[:, owner]) @ B.T  # B_y lambda, (n_t, r)
    F = (proj**2).sum(axis=1)
    TT = (T**2).sum(axis=1)
    # t inside cone(B_y) (F = |t|^2) happens for separable dichotomies too.  A
    # dichotomy is certainly not separable when t and -t both lie in the cone
    # (lambda_t + lambda_-t is then a non-negative dependency of the columns of
    # B_y, Gordan's alternative); for points in general position the converse
    # holds with probability one, so one extra NNLS (with -t, only for the
    # draws with t inside the cone) decides separability.
    inside = np.flatnonzero(F >= TT * (1 - 1e-9))
    nonsep_draw = np.zeros(n_t, dtype=bool)
    if inside.size:
        lam_m = _solve_draws(B, Y[inside], owner, -T[inside])
        F_m = (((lam_m * Y[inside][:, owner]) @ B.T) ** 2).sum(axis=1)
        nonsep_draw[inside] = F_m >= TT[inside] * (1 - 1e-9)
    nonsep = float(np.mean(nonsep_draw))
    weight = np.zeros((n_t, P))
    np.add.at(weight.T, owner, lam.T)
    anchors = np.stack([(lam[:, owner == mu] @ B[:, owner == mu].T) for mu in range(P)], axis=1)
    on = weight > 1e-12 * max(lam.max(), 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        anchors = anchors / np.where(on, weight, 1.0)[:, :, None]
    counts = on.sum(axis=0)
    s0 = np.where(counts[:, None] > 0, (anchors * on[:, :, None]).sum(0) / np.maximum(counts, 1)[:, None], 0.0)
    # every draw with at least one anchored manifold enters D, R^2 and the
    # alignments it defines; draws with no anchor (t in the polar cone, F = 0)
    # carry no anchor geometry and are left out (the reference counts them as D = 0)
    geo = np.array([_draw_geometry(anchors[d, on[d]], s0[on[d]], T[d]) if on[d].any() else [np.nan] * 5
                    for d in range(n_t)])
    mean_F = F.mean()
    if nonsep > 0:
        warnings.warn(
            f"{100 * nonsep:.0f}% of the random dichotomies are not linearly separable in the data's "
            f"rank-{r} span; those draws have F = |t|^2, which pulls the capacity toward P/rank = {P / r:.4g}",
            CapacitySaturationWarning, stacklevel=2)
    n_ok = np.isfinite(geo).sum(axis=0)
    means = np.array([np.nanmean(g) if n else np.nan for g, n in zip(geo.T, n_ok)])
    sds = np.array([np.nanstd(g, ddof=1) if n > 1 else np.nan for g, n in zip(geo.T, n_ok)])
    ses = sds / np.sqrt(np.maximum(n_ok, 1))
    means[1:4] = np.clip(means[1:4], 0.0, None)  # rounding can leave -1e-18
    radius = float(np.sqrt(means[1]))
    # delta method for sqrt(<R^2>); at R = 0 it degenerates, and sqrt(se) bounds the scale
    radius_se = float(ses[1] / (2 * radius) if radius > 0 else np.sqrt(ses[1]))
    return GlueResult(
        capacity=float(P / mean_F),
        capacity_se=float(P * F.std(ddof=1) / np.sqrt(n_t) / mean_F**2),
        radius=radius,
        radius_se=radius_se,
        dimension=float(means[0]),
        dimension_se=float(ses[0]),
        center_norm=float(np.sqrt((s0**2).sum(1).mean())),
        center_alignment=float(means[2]),
        axis_alignment=float(np.sqrt(means[3])),
        center_axis_alignment=float(means[4]),
        nonseparable_fraction=nonsep,
        saturated=nonsep > 0,
        rank=r,
        n_t=n_t,
    )
