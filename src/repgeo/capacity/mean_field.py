"""Replica mean-field theoretic manifold analysis (MFTMA)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_choice, check_in_range, check_positive_int, check_rng
from ._centers import center_structure
from ._frames import anchor_points, manifold_frames
from ._manifolds import as_manifolds
from ._results import GeometryEstimate

__all__ = ["MeanFieldResult", "mean_field"]

logger = logging.getLogger("repgeo")


@dataclass(frozen=True)
class MeanFieldResult(GeometryEstimate):
    """Result of :func:`mean_field`.

    Aggregates: ``capacity`` is the harmonic mean of the per-manifold
    capacities, ``radius`` and ``dimension`` are plain means.  Every ``*_se`` is
    a Monte Carlo standard error over the Gaussian draws (delta method), given
    the manifolds.  ``n_centers`` is the number ``K`` of common center
    directions removed; ``interior_fraction`` the share of draws whose anchor
    needs no solve (the manifold is already on the right side).
    """

    center_correlation: float
    n_centers: int
    max_centers: int
    capacities: np.ndarray
    capacities_se: np.ndarray
    radii: np.ndarray
    radii_se: np.ndarray
    dimensions: np.ndarray
    dimensions_se: np.ndarray
    frame_dims: np.ndarray
    interior_fraction: float
    n_fallback: int
    mode: str
    dimension_definition: str
    kappa: float
    n_t: int


def _per_manifold(F, s, t, D, definition):
    """Capacity, radius and dimension of one manifold from its draws (columns)."""
    n_t = F.size
    mean_F = F.mean()
    alpha = 1.0 / mean_F if mean_F > 0 else np.inf
    alpha_se = alpha**2 * F.std(ddof=1) / np.sqrt(n_t)
    ds = s[:D] - s[:D].mean(axis=1, keepdims=True)
    sq = (ds * ds).sum(axis=0)
    radius = np.sqrt(sq.mean())
    radius_se = sq.std(ddof=1) / np.sqrt(n_t) / (2 * radius) if radius > 0 else 0.0
    if D == 0:
        return alpha, alpha_se, radius, radius_se, 0.0, 0.0
    s_hat = s[:D] / np.sqrt((s[:D] ** 2).sum(axis=0) + 1e-12)
    if definition == "mean_cos":
        t_hat = t[:D] / np.linalg.norm(t[:D], axis=0)
        cos = (t_hat * s_hat).sum(axis=0)
        dim = D * cos.mean() ** 2
        dim_se = 2 * D * abs(cos.mean()) * cos.std(ddof=1) / np.sqrt(n_t)
    else:
        proj = (t[:D] * s_hat).sum(axis=0) ** 2
        dim, dim_se = proj.mean(), proj.std(ddof=1) / np.sqrt(n_t)
    return alpha, alpha_se, radius, radius_se, dim, dim_se


def prepare_frames(mans, mode, n_centers=None, max_centers=None):
    """Remove the global mean and the common center directions; build the frames."""
    origin = np.concatenate(mans).mean(axis=0)
    mans = [m - origin for m in mans]
    centers = np.stack([m.mean(axis=0) for m in mans])
    structure = center_structure(
        centers, n_components=n_centers, max_k=max_centers, min_k=1 if mode == "compatible" else 0
    )
    return structure, manifold_frames(mans, structure.basis, padded=mode == "compatible")


def summarise_draws(frames, t_vecs, anchors, kappa, definition):
    """Per-draw ``F`` and per-manifold ``(alpha, se, R, se, D, se)`` rows."""
    per = np.empty((len(frames), 6))
    F_all = []
    for i, (S, t, s) in enumerate(zip(frames, t_vecs, anchors)):
        F = np.maximum((t * s).sum(axis=0) + kappa, 0.0) ** 2 / (s * s).sum(axis=0)
        F_all.append(F)
        per[i] = _per_manifold(F, s, t, S.shape[0] - 1, definition)
    return F_all, per


def mean_field(
    manifolds: Any,
    kappa: float = 0.0,
    n_t: int = 200,
    rng: Any = None,
    *,
    mode: str = "compatible",
    dimension_definition: str | None = None,
    n_centers: int | None = None,
    max_centers: int | None = None,
) -> MeanFieldResult:
    """Manifold capacity, anchor radius and dimension by replica mean-field theory.

    Parameters
    ----------
    manifolds : array (P, M, N) or list of (M_i, N) arrays
        ``P >= 2`` point-cloud manifolds (rows are points) in a common space.
    kappa : float, default 0
        Margin, ``>= 0`` (the replica-symmetric theory does not hold below 0)
        and ``<= 1e6`` (beyond it ``t + kappa e_c`` loses the draw's digits in
        float64 and ``kappa^2`` eventually overflows; the capacity there is
        below ``1e-12``).
    n_t : int, default 200
        Gaussian draws per manifold.
    rng : None, int or numpy.random.Generator
    mode : {"compatible", "corrected"}
        ``"compatible"`` reproduces the reference implementation: a padded
        ``min(M, N)``-dimensional frame, at least one common center direction
        removed (when ``P >= 3``), ``D_M = D <cos>^2``.  ``"corrected"`` uses
        the rank-reduced frame, allows ``K = 0`` and defaults to the PRX
        dimension ``D_M = <(t . s_hat)^2>``.
    dimension_definition : {"mean_cos", "prx"}, optional
        Overrides the mode's dimension definition.
    n_centers, max_centers : int, optional
        Fix ``K`` or cap the search over ``K`` (see :func:`center_structure`).

    Returns
    -------
    MeanFieldResult

    Notes
    -----
    After removing the global mean and ``K`` common center directions, each
    manifold is centered on its own center ``c``, divided by ``|c|`` and
    written in a ``D``-dimensional frame plus a center coordinate fixed at 1,
    giving ``S`` of shape ``(D + 1, M)``.  For each draw ``t ~ N(0, I_{D+1})``
    the anchor problem ``min_v |v - t|^2 s.t. S^T v <= -kappa`` is solved
    through its dual, the NNLS problem
    ``z* = argmin_{z >= 0} |S z - (t + kappa e_c)|^2``; the anchor point is
    ``s~ = S z* / sum(z*)`` and ``F(t) = |S z*|^2``.  Then
    ``alpha_M^{-1} = <F(t)>``, ``R_M^2 = <|s~_D - <s~_D>|^2>`` and
    ``D_M = D <cos(t_D, s~_D)>^2`` (or ``<(t_D . s~_D / |s~_D|)^2>``).
    The capacity standard error is ``alpha^2 sd(F) / sqrt(n_t)`` per manifold.

    References
    ----------
    S. Chung, D. D. Lee, H. Sompolinsky, "Classification and geometry of
    general perceptual manifolds", Phys. Rev. X 8, 031003 (2018).
    U. Cohen, S. Chung, D. D. Lee, H. Sompolinsky, "Separability and geometry
    of object manifolds in deep neural networks", Nat. Commun. 11, 746 (2020).
    M. Kuoch et al., "Probing biological and artificial neural networks with
    task-dependent neural manifolds", CPAL 2024 (PMLR 234).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> points = rng.standard_normal((20, 1, 50))   # 20 single-point manifolds
    >>> res = mean_field(points, n_t=500, rng=0)
    >>> abs(res.capacity - 2.0) < 4 * res.capacity_se
    True
    """
    mans = as_manifolds(manifolds)
    # the NNLS target t + kappa e_c keeps t only to kappa * 2^-52, and kappa^2
    # overflows past 1e154; at kappa = 1e6 the capacity is already below 1e-12
    kappa = check_in_range(kappa, "kappa", 0.0, 1e6)
    n_t = check_positive_int(n_t, "n_t", minimum=2)
    mode = check_choice(mode, "mode", ["compatible", "corrected"])
    if dimension_definition is None:
        dimension_definition = "mean_cos" if mode == "compatible" else "prx"
    check_choice(dimension_definition, "dimension_definition", ["mean_cos", "prx"])
    if n_centers is not None:
        check_positive_int(n_centers, "n_centers", minimum=0)
    if max_centers is not None:
        check_positive_int(max_centers, "max_centers", minimum=0)
    gen = check_rng(rng)

    structure, frames = prepare_frames(mans, mode, n_centers, max_centers)
    t_vecs = [gen.standard_normal((f.shape[0], n_t)) for f in frames]
    anchors, n_fallback, interior = anchor_points(frames, t_vecs, kappa)
    F_all, per = summarise_draws(frames, t_vecs, anchors, kappa, dimension_definition)
    P = len(frames)
    mean_F = np.mean([F.mean() for F in F_all])
    capacity = 1.0 / mean_F
    var_mean_F = np.sum([F.var(ddof=1) / n_t for F in F_all]) / P**2
    if n_fallback:
        logger.debug("mean_field: %d NNLS problems solved by the scipy fallback", n_fallback)
    return MeanFieldResult(
        capacity=float(capacity),
        capacity_se=float(capacity**2 * np.sqrt(var_mean_F)),
        radius=float(per[:, 2].mean()),
        radius_se=float(np.sqrt((per[:, 3] ** 2).sum()) / P),
        dimension=float(per[:, 4].mean()),
        dimension_se=float(np.sqrt((per[:, 5] ** 2).sum()) / P),
        center_correlation=structure.correlation,
        n_centers=structure.n_components,
        max_centers=structure.max_k,
        capacities=per[:, 0],
        capacities_se=per[:, 1],
        radii=per[:, 2],
        radii_se=per[:, 3],
        dimensions=per[:, 4],
        dimensions_se=per[:, 5],
        frame_dims=np.array([f.shape[0] - 1 for f in frames]),
        interior_fraction=float(interior),
        n_fallback=n_fallback,
        mode=mode,
        dimension_definition=dimension_definition,
        kappa=kappa,
        n_t=n_t,
    )
