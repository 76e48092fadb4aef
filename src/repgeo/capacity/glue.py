"""Correlated-manifold (GLUE) capacity, effective geometry and alignments."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._linalg import to_unit_scale
from .._validation import check_choice, check_in_range, check_positive_int, check_rng
from ._glue_geometry import Anchors, DrawTerms, PairAlignments, anchors_of, draw_terms, pair_alignments
from ._glue_solver import DrawSolution, solve_draws, solve_draws_per_draw
from ._manifolds import StackedManifolds, as_manifolds, random_dichotomies, stack_manifolds
from ._results import GeometryEstimate

__all__ = ["CapacitySaturationWarning", "GlueResult", "glue"]


class CapacitySaturationWarning(UserWarning):
    """Random dichotomies are not separable in the data's span: capacity is at ``P / rank``."""


@dataclass(frozen=True, repr=False)
class GlueResult(GeometryEstimate):
    """Result of :func:`glue` (symbols as in Chou et al., ICML 2025).

    ``capacity`` (alpha), ``radius`` (R), ``dimension`` (D) and ``utility``
    (Psi) are the effective GLUE measures with Monte Carlo standard errors
    over the draws (delta method for the ratios); at ``kappa = 0``
    ``capacity = utility * (1 + radius**-2) / dimension`` exactly.
    ``center_alignment`` (rho_c), ``axis_alignment`` (rho_a) and
    ``center_axis_alignment`` (psi) are means over manifold pairs, in the form
    named by ``alignments``; they are NaN where no pair defines them (the axis
    alignments of points).  ``nonseparable_fraction`` is the share of draws
    whose dichotomy was not linearly separable (certified per draw: both
    ``t`` and ``-t`` lie in the cone of the label-signed points); ``saturated``
    flags any such draw.  ``n_fallback`` counts draws that the fast solver
    handed to the exact per-draw one.
    """

    utility: float
    utility_se: float
    center_alignment: float
    axis_alignment: float
    center_axis_alignment: float
    alignments: str
    nonseparable_fraction: float
    saturated: bool
    rank: int
    n_t: int
    kappa: float
    labels: str
    n_fallback: int


@dataclass(frozen=True)
class _Prepared:
    """The points as a factor ``B`` (rank, n_points) in units of the RMS center norm, the orthonormal
    ``basis`` (rank, N) of their span that ``B`` is written in, and that unit."""

    B: np.ndarray
    basis: np.ndarray
    stacked: StackedManifolds
    unit: float


def _prepare(manifolds: list[np.ndarray], center: bool, kappa: float) -> _Prepared:
    """Stack (and center) the points, rescale them to a unit root-mean-square center norm, factor them."""
    stacked = stack_manifolds(manifolds, center=center)
    points, e = to_unit_scale(stacked.points)  # exact power-of-two rescaling: no under- or overflow
    centers = StackedManifolds(points, stacked.owner, stacked.sizes).centers()
    ell = float(np.sqrt((centers**2).sum(axis=1).mean()))
    if ell == 0.0 and kappa > 0:
        raise ValueError(
            "kappa > 0 needs manifold centers away from the origin: every center is at the "
            f"{'global mean' if center else 'origin'}, so the margin has no unit"
        )
    ell = ell if ell > 0 else 1.0
    points = points / ell
    U, sv, Vt = np.linalg.svd(points, full_matrices=False)
    if sv[0] == 0:
        what = "all the same point (every point minus the global mean is zero)" if center else "all zero"
        raise ValueError(f"manifolds are {what}; capacity is undefined")
    r = int((sv > sv[0] * 1e-10).sum())
    return _Prepared((U[:, :r] * sv[:r]).T, Vt[:r], StackedManifolds(points, stacked.owner, stacked.sizes),
                     float(np.ldexp(ell, e)))


@dataclass(frozen=True)
class Dichotomies:
    """The sampled problems: Gaussian draws ``t`` (n_t, rank) and manifold labels ``y`` (n_t, P)."""

    t: np.ndarray
    y: np.ndarray


def _draw_dichotomies(gen: np.random.Generator, n_t: int, P: int, basis: np.ndarray, labels: str) -> Dichotomies:
    """One Gaussian draw and one random dichotomy per draw.

    ``t`` is drawn in the ambient space and written in the points' ``basis``:
    the same distribution as a draw in the span, and the same draws whatever
    basis the SVD returns (its singular vectors are defined only up to sign,
    and up to rotation where singular values repeat).
    """
    T = gen.standard_normal((n_t, basis.shape[1])) @ basis.T
    if labels == "balanced":  # P // 2 of each sign (the extra one of odd P has a random sign)
        half = np.resize([1.0, -1.0], P) * gen.choice([-1.0, 1.0], size=(n_t, 1))
        Y = gen.permuted(np.broadcast_to(half, (n_t, P)).copy(), axis=1)
    elif labels == "iid":
        Y = random_dichotomies(gen, n_t, P)
    else:
        Y = -np.ones((n_t, P))
        Y[np.arange(n_t), gen.integers(P, size=n_t)] = 1.0
    return Dichotomies(T, Y)


def _solve(prep: _Prepared, problems: Dichotomies, kappa: float, solver: str) -> DrawSolution:
    solve = solve_draws if solver == "active_set" else solve_draws_per_draw
    return solve(prep.B, prep.stacked.owner, problems.t, problems.y, kappa)


def _nonseparable(prep: _Prepared, problems: Dichotomies, solution0: DrawSolution, solver: str) -> np.ndarray:
    """Which draws' dichotomies are not linearly separable (from the ``kappa = 0`` solutions).

    ``t`` inside ``cone(B_y)`` (``F = |t|^2``) happens for separable dichotomies
    too.  A dichotomy is certainly not separable when ``t`` and ``-t`` both lie
    in the cone (``lambda_t + lambda_-t`` is then a non-negative dependency of
    the columns of ``B_y``, Gordan's alternative); for points in general
    position the converse holds with probability one, so one extra solve
    (with ``-t``, only for the draws with ``t`` inside the cone) decides.
    """
    TT = (problems.t**2).sum(axis=1)
    inside = np.flatnonzero(solution0.F >= TT * (1 - 1e-9))
    nonsep = np.zeros(len(TT), dtype=bool)
    if inside.size:
        mirrored = Dichotomies(-problems.t[inside], problems.y[inside])
        nonsep[inside] = _solve(prep, mirrored, 0.0, solver).F >= TT[inside] * (1 - 1e-9)
    return nonsep


def _ratio(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """``mean(num) / mean(den)`` and its delta-method standard error (0 / 0 is 0)."""
    m_num, m_den = num.mean(), den.mean()
    if not (np.isfinite(m_num) and np.isfinite(m_den)):
        return np.nan, np.nan
    if m_den <= 0:
        return (0.0, 0.0) if m_num <= 0 else (np.nan, np.nan)
    ratio = m_num / m_den
    se = (num - ratio * den).std(ddof=1) / np.sqrt(num.size) / m_den if num.size > 1 else np.nan
    return float(ratio), float(se)


def _summarise(F: np.ndarray, terms: DrawTerms, pairs: PairAlignments, nonsep: np.ndarray, P: int,
               rank: int, settings: dict) -> GlueResult:
    """Capacity ``P / E[F]``, ``D = E[b] / P``, ``R = sqrt(E[c] / E[b - c])``, ``Psi = E[c] / E[a]``."""
    n_t = F.size
    mean_F = F.mean()
    if np.isfinite(mean_F):
        capacity, capacity_se = P / mean_F, P * F.std(ddof=1) / np.sqrt(n_t) / mean_F**2
    else:  # a margin on a dichotomy that no hyperplane separates: infinite distance, zero capacity
        capacity, capacity_se = 0.0, np.nan
    ok = np.isfinite(F)
    if not ok.any():  # no draw has a solution: no anchor geometry either
        a = b = c = np.full(2, np.nan)
    else:
        a, b, c = terms.a[ok], terms.b[ok], terms.c[ok]
    dimension, dimension_se = b.mean() / P, b.std(ddof=1) / np.sqrt(b.size) / P if b.size > 1 else np.nan
    radius_sq, radius_sq_se = _ratio(c, b - c)
    radius = float(np.sqrt(radius_sq)) if np.isfinite(radius_sq) else np.nan
    # delta method for the square root; at R = 0 it degenerates and sqrt(se) bounds the scale
    radius_se = radius_sq_se / (2 * radius) if radius > 0 else float(np.sqrt(radius_sq_se))
    utility, utility_se = _ratio(c, a)
    return GlueResult(
        capacity=float(capacity), capacity_se=float(capacity_se), radius=radius, radius_se=float(radius_se),
        dimension=float(dimension), dimension_se=float(dimension_se), utility=utility, utility_se=utility_se,
        center_alignment=pairs.center, axis_alignment=pairs.axis, center_axis_alignment=pairs.center_axis,
        nonseparable_fraction=float(nonsep.mean()), saturated=bool(nonsep.any()), rank=rank, n_t=n_t,
        **settings)


# Provenance: the definitions follow the transcription of Algorithm 2 and
# Definition B.6 of Chou, Le, Wang & Chung (arXiv 2503.18114v2) and Appendix B.3
# of Chou, Kirsanov, Yang & Chung (arXiv 2603.01879v1) found in the public code
# index (the papers' full text could not be read here).  The lab's shared
# "correlated capacity and geometry" code (capacity.md section 1b) differs:
# every active point is an anchor, a 1e-3 ridge is added to the covariance, the
# global mean is not removed, labels are one-vs-rest, and R is a per-draw ratio.


def glue(
    manifolds: Any,
    n_t: int = 200,
    rng: Any = None,
    *,
    kappa: float = 0.0,
    labels: str = "balanced",
    center: bool = True,
    alignments: str = "cosine",
    solver: str = "active_set",
) -> GlueResult:
    """Correlated manifold capacity and effective geometry (GLUE), jointly over all manifolds.

    Parameters
    ----------
    manifolds : array (P, M, N) or list of (M_i, N) arrays
    n_t : int, default 200
        Gaussian draws, each with its own random dichotomy.
    rng : None, int or numpy.random.Generator
    kappa : float, default 0
        Margin, in units of the root-mean-square manifold center norm (after
        the global mean is removed when ``center``): for manifolds whose
        centers have norm 1 it is the margin of the theory, and points give
        ``alpha_0(kappa)``.  ``0 <= kappa <= 1e6``.
    labels : {"balanced", "iid", "one_vs_rest"}
        Random dichotomies: ``P // 2`` manifolds of each sign (Algorithm 2),
        i.i.d. signs (both present), or one random manifold against the rest
        (the lab's shared code).
    center : bool, default True
        Remove the global mean of all points first (the published algorithm
        works on the representation as given; with the mean removed, a
        dichotomy needs no bias term).  Manifolds are not centered
        individually.
    alignments : {"cosine", "inner_product"}
        Form of the alignments: signed cosines (Algorithm 2) or absolute inner
        products in the data's units (Definition B.6).
    solver : {"active_set", "scipy"}
        The batched active-set solver on the shared Gram matrix, or one exact
        solve per draw (``scipy.optimize.nnls`` at ``kappa = 0``, a
        Lawson-Hanson quadratic program otherwise); the results agree to
        rounding.

    Returns
    -------
    GlueResult

    Notes
    -----
    For each draw, ``t ~ N(0, I_N)`` and a dichotomy ``y`` (one label per
    manifold) define ``z* = argmin_z |z - t|^2`` subject to ``y_mu <z, x> >= kappa``
    for every point ``x`` of every manifold ``mu``, and ``F = |z* - t|^2``.  Only
    the Gram matrix of the points enters, through a rank-``r`` factor, so ``t``
    lives in the points' span.  With dual weights ``lambda``, manifold ``mu``'s
    anchor is ``s_mu = sum_i lambda_i x_i / sum_i lambda_i`` over its points
    (defined when its weight is positive).  Stacking the anchored manifolds'
    anchors as rows of ``S``, their anchor centers ``s0_mu = E[s_mu]`` (over the
    draws that anchor ``mu``) as ``S0`` and ``S1 = S - S0``:

    - ``a = (S t)^T (S S^T)^+ (S t)``, ``b = (S1 t)^T (S1 S1^T)^+ (S1 t)``,
      ``c = (S1 t)^T (S0 S0^T + S1 S1^T)^+ (S1 t)`` (Appendix B.3 of the ICLR
      2026 paper; the sign matrix ``diag(y)`` cancels in each form);
    - capacity ``alpha = P / E[F]`` (``= P / E[a]`` at ``kappa = 0``, where
      ``a = F``), dimension ``D = E[b] / P``, radius
      ``R = sqrt(E[c] / E[b - c])``, utility ``Psi = E[c] / E[a]``, so that
      ``alpha = Psi (1 + R^-2) / D`` exactly (at ``kappa = 0``);
    - center alignment ``rho_c`` = mean over pairs ``mu != nu`` of
      ``cos(s0_mu, s0_nu)``; axis alignment ``rho_a`` = mean over pairs of
      ``E[cos(s1_mu, s1_nu)]`` over the draws anchoring both; center-axis
      alignment ``psi`` = mean over pairs of ``E[cos(s0_mu, s1_nu)]`` (Algorithm
      2, signed).  Definition B.6 writes them as ``|<u, v>|`` without
      normalisation (``alignments="inner_product"``), and its ``psi`` with one
      index twice, which we read as the cross-index form of Algorithm 2.

    For uncorrelated manifolds the problem decouples and ``alpha`` agrees
    with :func:`mean_field`.  Because ``F <= |t|^2`` at ``kappa = 0``,
    ``alpha >= P / r``: when dichotomies are not separable the estimate
    saturates at ``P / r`` and a :class:`CapacitySaturationWarning` is issued;
    with ``kappa > 0`` such a dichotomy has no solution, ``F`` is infinite and
    the capacity 0.

    References
    ----------
    C.-N. Chou, H. Le, Y. Wang, S. Chung, "Feature learning beyond the
    lazy-rich dichotomy: insights from representational geometry", ICML 2025
    (arXiv 2503.18114), Algorithm 2 and Definition B.6.
    C.-N. Chou, A. Kirsanov, Y. Yang, S. Chung, "Diagnosing generalization
    failures from representational geometry markers", ICLR 2026
    (arXiv 2603.01879), Appendix B.3.
    A. J. Wakhloo, T. J. Sussman, S. Chung, "Linear classification of neural
    manifolds with correlated variability", Phys. Rev. Lett. 131, 027301 (2023).

    Examples
    --------
    >>> pts = np.eye(40)[:10, None, :]            # ten orthonormal points: capacity 2
    >>> res = glue(pts, n_t=200, rng=0, center=False)
    >>> bool(abs(res.capacity - 2.0) < 4 * res.capacity_se), res.dimension
    (True, 0.0)
    """
    mans = as_manifolds(manifolds)
    n_t = check_positive_int(n_t, "n_t", minimum=2)
    kappa = check_in_range(kappa, "kappa", 0.0, 1e6)
    check_choice(labels, "labels", ["balanced", "iid", "one_vs_rest"])
    check_choice(alignments, "alignments", ["cosine", "inner_product"])
    check_choice(solver, "solver", ["active_set", "scipy"])
    gen = check_rng(rng)
    prep = _prepare(mans, center, kappa)
    if alignments == "inner_product" and prep.unit > np.sqrt(np.finfo(float).max):
        raise ValueError(
            f"alignments='inner_product' are in squared data units, and at this data scale (center norms about "
            f"{prep.unit:.3g}) they overflow float64; use alignments='cosine' or rescale the data"
        )
    P, owner, rank = prep.stacked.n_manifolds, prep.stacked.owner, len(prep.B)
    problems = _draw_dichotomies(gen, n_t, P, prep.basis, labels)
    solution0 = _solve(prep, problems, 0.0, solver)
    nonsep = _nonseparable(prep, problems, solution0, solver)
    if nonsep.any():
        warnings.warn(
            f"{100 * nonsep.mean():.0f}% of the random dichotomies are not linearly separable in the data's "
            f"rank-{rank} span; those draws have F = |t|^2 at kappa = 0 (and no solution at kappa > 0), which "
            f"pulls the capacity toward P/rank = {P / rank:.4g}" + (" (toward 0 at this kappa)" if kappa else ""),
            CapacitySaturationWarning, stacklevel=2)
    solution = solution0
    if kappa > 0:
        keep = ~nonsep
        lam, F, n_fallback = np.zeros_like(solution0.lam), np.full(n_t, np.inf), solution0.n_fallback
        if keep.any():
            margin = _solve(prep, Dichotomies(problems.t[keep], problems.y[keep]), kappa, solver)
            lam[keep], F[keep], n_fallback = margin.lam, margin.F, n_fallback + margin.n_fallback
        solution = DrawSolution(lam, F, n_fallback)
    anchors: Anchors = anchors_of(solution.lam, prep.B, owner, P)
    terms = draw_terms(anchors, problems.t)
    pairs = pair_alignments(anchors, alignments, prep.unit)
    settings = dict(alignments=alignments, kappa=kappa, labels=labels, n_fallback=solution.n_fallback)
    return _summarise(solution.F, terms, pairs, nonsep, P, rank, settings)
