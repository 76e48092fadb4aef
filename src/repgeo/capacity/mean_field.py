"""Replica mean-field theoretic manifold analysis (MFTMA)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_choice, check_in_range, check_positive_int, check_rng
from ._centers import CenterStructure, center_structure
from ._frames import AnchorPoints, anchor_points, manifold_frames
from ._manifolds import as_manifolds, rescale_manifolds, stack_manifolds
from ._results import GeometryEstimate

__all__ = ["DrawSummary", "MeanFieldResult", "manifold_estimate", "mean_field", "prepare_frames", "summarise_draws"]

logger = logging.getLogger("repgeo")


@dataclass(frozen=True, repr=False)
class MeanFieldResult(GeometryEstimate):
    """Result of :func:`mean_field`.

    Aggregates: ``capacity`` is the harmonic mean of the per-manifold
    capacities, ``radius`` and ``dimension`` are plain means.  Every ``*_se`` is
    a Monte Carlo standard error over the Gaussian draws (delta method), given
    the manifolds and the removed center directions.  ``n_centers`` is the
    number ``K`` of common center directions removed; ``center_converged`` and
    ``center_grad_norm`` say whether their optimisation reached a Riemannian
    gradient norm of ``1e-6``; ``center_near_ties`` counts other solutions of
    the selected ``K`` whose stability is within 0.1% of the selected one
    (positive: the selection is ambiguous).  ``interior_fraction`` is the
    share of draws whose anchor needs no solve (the manifold is already on
    the right side).
    """

    center_correlation: float
    n_centers: int
    max_centers: int
    center_converged: bool
    center_grad_norm: float
    center_near_ties: int
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

    _dims = dict.fromkeys(
        ("capacities", "capacities_se", "radii", "radii_se", "dimensions", "dimensions_se", "frame_dims"), "manifold"
    )
    _table = "manifold"


def manifold_estimate(F: np.ndarray, s: np.ndarray, t: np.ndarray, D: int, definition: str) -> GeometryEstimate:
    """Capacity, radius and dimension of one manifold from its draws (columns of ``s`` and ``t``)."""
    n_t = F.size
    mean_F = F.mean()
    alpha = 1.0 / mean_F if mean_F > 0 else np.inf
    alpha_se = alpha**2 * F.std(ddof=1) / np.sqrt(n_t)
    ds = s[:D] - s[:D].mean(axis=1, keepdims=True)
    sq = (ds * ds).sum(axis=0)
    radius = np.sqrt(sq.mean())
    radius_se = sq.std(ddof=1) / np.sqrt(n_t) / (2 * radius) if radius > 0 else 0.0
    if D == 0:
        dim, dim_se = 0.0, 0.0
    elif definition == "mean_cos":
        s_hat = s[:D] / np.sqrt((s[:D] ** 2).sum(axis=0) + 1e-12)
        t_hat = t[:D] / np.linalg.norm(t[:D], axis=0)
        cos = (t_hat * s_hat).sum(axis=0)
        dim = D * cos.mean() ** 2
        dim_se = 2 * D * abs(cos.mean()) * cos.std(ddof=1) / np.sqrt(n_t)
    else:
        s_hat = s[:D] / np.sqrt((s[:D] ** 2).sum(axis=0) + 1e-12)
        proj = (t[:D] * s_hat).sum(axis=0) ** 2
        dim, dim_se = proj.mean(), proj.std(ddof=1) / np.sqrt(n_t)
    return GeometryEstimate(float(alpha), float(alpha_se), float(radius), float(radius_se), float(dim), float(dim_se))


def prepare_frames(
    manifolds: list[np.ndarray], mode: str, n_centers: int | None = None, max_centers: int | None = None,
    *, n_restarts: int = 30, rng: Any = None,
) -> tuple[CenterStructure, list[np.ndarray]]:
    """Remove the global mean and the common center directions; build the frames."""
    stacked = stack_manifolds(manifolds, center=True)
    mans = stacked.split()
    centers = stacked.centers()
    structure = center_structure(
        centers, n_components=n_centers, max_k=max_centers, min_k=1 if mode == "compatible" else 0,
        n_restarts=n_restarts, rng=rng,
    )
    return structure, manifold_frames(mans, structure.basis, padded=mode == "compatible")


@dataclass(frozen=True)
class DrawSummary:
    """Per-draw costs ``F`` of every manifold and each manifold's estimates."""

    costs: list[np.ndarray]
    estimates: list[GeometryEstimate]

    def column(self, field: str) -> np.ndarray:
        """One field of every manifold's estimate, e.g. ``column("radius")``."""
        return np.array([getattr(e, field) for e in self.estimates])


def summarise_draws(
    frames: list[np.ndarray], t_vecs: list[np.ndarray], anchors: list[np.ndarray], kappa: float, definition: str
) -> DrawSummary:
    """``F(t) = max(t . s~ + kappa, 0)^2 / |s~|^2`` per draw and the per-manifold estimates."""
    costs, estimates = [], []
    for S, t, s in zip(frames, t_vecs, anchors):
        F = np.maximum((t * s).sum(axis=0) + kappa, 0.0) ** 2 / (s * s).sum(axis=0)
        costs.append(F)
        estimates.append(manifold_estimate(F, s, t, S.shape[0] - 1, definition))
    return DrawSummary(costs, estimates)


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
    n_restarts: int = 30,
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
        Seeds both the Gaussian draws and the starts of the center-direction
        search.
    mode : {"compatible", "corrected"}
        ``"compatible"`` reproduces the reference implementation: a padded
        ``min(M, N)``-dimensional frame, at least one common center direction
        removed (when ``P >= 3``), ``D_M = D <cos>^2``.  ``"corrected"`` uses
        the rank-reduced frame, allows ``K = 0`` and defaults to the PRX
        dimension ``D_M = <(t . s_hat)^2>``.
    dimension_definition : {"mean_cos", "prx"}, optional
        Overrides the mode's dimension definition.
    n_centers, max_centers : int, optional
        Fix ``K`` or cap the search over ``K``.
    n_restarts : int, default 30
        Random starts of the center-direction search per ``K``.  The reference
        uses 10 (pass ``n_restarts=10`` to mimic it); with 10, on real layers,
        a 1-ulp change of the data sometimes let one start miss a small basin
        and moved the result by up to two standard errors, which 30 starts
        did not in the same tests (see Notes).

    Returns
    -------
    MeanFieldResult

    Notes
    -----
    Preprocessing (both modes): the global mean of all points is removed;
    then the ``K`` common center directions.  These minimise, over orthonormal
    ``V``, the sum of squared cosines between the centers' residuals
    ``c_mu - V V^T c_mu``; each ``K`` is solved from ``n_restarts`` random starts
    (a random combination of the centers plus the previous ``K - 1``
    directions) by Riemannian conjugate gradients to a gradient norm of
    ``1e-6``, and the solution whose smallest residual-to-center norm ratio is
    largest is kept (the reference's stability selection; converged solutions
    first; stabilities within 0.1% of each other are a near tie, broken by the
    lower cost and counted in ``center_near_ties``).  ``K`` is the one with the smallest mean ``|cos|`` between
    residuals, ``1 <= K`` in compatible mode, ``0 <= K`` in corrected mode, up to
    the reference's ``max_centers`` rule capped at ``rank - 1``.  When a
    high-stability solution has a small basin, whether a start finds it
    depends on ``rng``, and with it ``K`` and the capacity: on ten-class
    digit layers the reference and this function both chose ``K = 1`` in some
    seeds and ``K = 2`` in others for the same data.  Compare a few seeds (or
    raise ``n_restarts``) before reading a difference between layers smaller
    than that spread.  The search is meaningful for many manifolds (the
    reference's authors recommend ``P`` of about 30 or more).

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
    mans = rescale_manifolds(as_manifolds(manifolds))
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
    n_restarts = check_positive_int(n_restarts, "n_restarts")
    gen = check_rng(rng)

    center_gen = np.random.default_rng(gen.integers(2**63 - 1))  # the starts do not shift the draws
    structure, frames = prepare_frames(mans, mode, n_centers, max_centers, n_restarts=n_restarts, rng=center_gen)
    t_vecs = [gen.standard_normal((f.shape[0], n_t)) for f in frames]
    anchors = anchor_points(frames, t_vecs, kappa)
    draws = summarise_draws(frames, t_vecs, anchors.points, kappa, dimension_definition)
    if anchors.n_fallback:
        logger.debug("mean_field: %d NNLS problems solved by the scipy fallback", anchors.n_fallback)
    return _result(structure, frames, draws, anchors, mode, dimension_definition, kappa, n_t)


def _result(structure: CenterStructure, frames: list[np.ndarray], draws: DrawSummary, anchors: AnchorPoints,
            mode: str, definition: str, kappa: float, n_t: int) -> MeanFieldResult:
    """Aggregate the per-manifold estimates: harmonic mean of capacities, plain means of the rest."""
    P = len(frames)
    capacity = 1.0 / np.mean([F.mean() for F in draws.costs])
    var_mean_F = np.sum([F.var(ddof=1) / n_t for F in draws.costs]) / P**2
    radii_se, dimensions_se = draws.column("radius_se"), draws.column("dimension_se")
    return MeanFieldResult(
        capacity=float(capacity),
        capacity_se=float(capacity**2 * np.sqrt(var_mean_F)),
        radius=float(draws.column("radius").mean()),
        radius_se=float(np.sqrt((radii_se**2).sum()) / P),
        dimension=float(draws.column("dimension").mean()),
        dimension_se=float(np.sqrt((dimensions_se**2).sum()) / P),
        center_correlation=structure.correlation,
        n_centers=structure.n_components,
        max_centers=structure.max_k,
        center_converged=structure.converged,
        center_grad_norm=structure.grad_norm,
        center_near_ties=structure.n_near_ties,
        capacities=draws.column("capacity"),
        capacities_se=draws.column("capacity_se"),
        radii=draws.column("radius"),
        radii_se=radii_se,
        dimensions=draws.column("dimension"),
        dimensions_se=dimensions_se,
        frame_dims=np.array([f.shape[0] - 1 for f in frames]),
        interior_fraction=anchors.interior_fraction,
        n_fallback=anchors.n_fallback,
        mode=mode,
        dimension_definition=definition,
        kappa=kappa,
        n_t=n_t,
    )
