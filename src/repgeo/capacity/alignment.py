"""Manifold alignment analysis (MAA): three families behind one interface.

No readable source defines the "manifold alignment analysis" of Kuoch et al.
(CPAL 2024); three formalisms of the same group fit its description, and
:func:`alignment` offers all three.  What each computes, and its chance level
for independent, isotropic manifolds in ``N`` dimensions:

- ``"glue"`` -- the anchor alignments of :func:`repgeo.capacity.glue`, named
  after the published quantities (Chou et al., ICML 2025, Algorithm 2):
  ``center_alignment`` rho_c (mean over manifold pairs of the cosine between
  anchor centers), ``axis_alignment`` rho_a (between two manifolds' anchor
  axis parts in the same draw) and ``center_axis_alignment`` psi (between one
  manifold's anchor center and another's axis part); signed cosines by
  default, absolute inner products in data units with
  ``alignments="inner_product"`` (Definition B.6).  Chance: rho_a and psi
  about 0; rho_c about ``-1 / (P - 1)``, because removing the global mean
  makes centers anti-correlated (measured: -0.1106 for ``P = 10``, against
  -1/9 = -0.1111); spread about ``1 / sqrt(N)``.
- ``"subspace"`` -- principal-angle alignment of the manifolds' top-``k``
  PCA subspaces ``U_mu``: axes ``|U_mu^T U_nu|_F^2 / k`` (chance ``k / N``),
  centers ``|cos(c_mu, c_nu)|`` after removing the global mean (chance
  ``SubspaceAlignment.chance_centers``: ``sqrt(2 / (pi N))`` for many
  manifolds, 1 for two), center-axis ``|U_nu^T c_mu / |c_mu||^2`` (chance
  ``k / N``).
- ``"spectral"`` -- spectral task alignment of the pooled points with the
  one-hot manifold labels: cumulative target power ``C(k)`` in the kernel's
  eigenbasis (chance ``k / n`` for a target independent of the points) and
  the ridge-decoding error it predicts (Canatar et al. 2021).
"""

# Provenance: Kuoch et al. (CPAL 2024) name "manifold alignment analysis" as a
# tool "from high-dimensional statistics"; its full text could not be checked
# when this module was written.  The anchor-based GLUE alignments are the same
# group's alignment descriptors (the GLUE papers share an author with the seed
# paper), hence the default method="glue"; the other two families fit the
# description equally well (see the method notes, capacity.md section 1d).

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from .._validation import as_float_array, check_choice, check_in_range, check_matched_rows, check_positive_int
from ._manifolds import as_manifolds, check_components_within_rank, stack_manifolds
from .glue import GlueResult, glue

__all__ = ["SpectralAlignment", "SubspaceAlignment", "alignment", "spectral_alignment", "subspace_alignment"]


@dataclass(frozen=True)
class SubspaceAlignment:
    """Pairwise alignments (P x P matrices, diagonal NaN) and their means and chance levels."""

    axes: np.ndarray
    centers: np.ndarray
    center_axes: np.ndarray
    mean_axes: float
    mean_centers: float
    mean_center_axes: float
    chance_axes: float
    chance_centers: float
    n_components: int


def _off_mean(A: np.ndarray) -> float:
    """Mean over the off-diagonal entries (the diagonal holds NaN)."""
    return float(np.nanmean(A))


def _center_chance(sizes: np.ndarray, n_dim: int) -> float:
    """Expected mean ``|cos|`` between mean-removed centers of i.i.d. isotropic Gaussian points.

    With ``M_mu`` points per manifold the centers are ``N(0, I / M_mu)`` and,
    after removing the global mean (weights ``M_mu / sum M``), centers ``mu != nu``
    have per-coordinate covariance ``diag(1 / M) - 1 1^T / sum M``, i.e.
    correlation ``rho_{mu nu}`` (``-1 / (P - 1)`` for equal sizes: ``-1`` at
    ``P = 2``, where the two centers are exactly opposite).  ``cos(c_mu, c_nu)`` is
    then the uncentered sample correlation of ``N`` such pairs, approximately
    normal with mean ``rho (1 - (1 - rho^2) / (2 (N + 1)))`` (the first-order
    bias of a sample correlation) and standard deviation ``(1 - rho^2) / sqrt(N - 1/2)``
    (at ``rho = 0`` this matches the exact ``Gamma(N/2) / (sqrt(pi) Gamma((N+1)/2))``
    to ``O(N^-2)``); the folded-normal mean of that is averaged over pairs.
    Against Monte Carlo (1000 draws, equal and ragged sizes, P = 3..30) it is
    exact at ``P = 2``, within 1% for ``N >= 20`` and 0.1% at ``N = 200``, and
    up to about 5% low at ``N = 5`` with ``P <= 4``.
    """
    sizes = np.asarray(sizes, dtype=float)
    cov = np.diag(1.0 / sizes) - 1.0 / sizes.sum()
    sd_c = np.sqrt(np.diag(cov))
    rho = np.clip(cov / np.outer(sd_c, sd_c), -1.0, 1.0)
    sd = (1.0 - rho**2) / np.sqrt(max(n_dim - 0.5, 0.5))
    mean = rho * (1.0 - (1.0 - rho**2) / (2.0 * (n_dim + 1)))  # first-order bias of a sample correlation
    safe = np.maximum(sd, 1e-12)
    folded = np.where(sd > 1e-12,
                      safe * np.sqrt(2 / np.pi) * np.exp(-(mean**2) / (2 * safe**2))
                      + mean * (1 - 2 * norm.cdf(-mean / safe)),
                      np.abs(rho))
    off = ~np.eye(len(sizes), dtype=bool)
    return float(folded[off].mean())


def subspace_alignment(manifolds: Any, n_components: int = 3) -> SubspaceAlignment:
    """Principal-angle alignment between manifolds.

    Notes
    -----
    With ``U_mu`` the top-``k`` principal axes of manifold ``mu`` (``N x k``) and
    ``c_mu`` its center (global mean removed): axes alignment
    ``A_{mu nu} = |U_mu^T U_nu|_F^2 / k`` (mean squared cosine of the principal
    angles; chance ``k / N``), center alignment ``|cos(c_mu, c_nu)|`` and
    center-axis alignment ``|U_nu^T c_mu / |c_mu||^2`` (chance ``k / N``).  The center chance level is the expected mean ``|cos|``
    for i.i.d. isotropic Gaussian points: removing the global mean makes random
    centers anti-correlated (``cos -> -1 / (P - 1)``), so it is ``1`` at ``P = 2``
    and tends to ``sqrt(2 / (pi N))`` only for large ``P`` (see ``_center_chance``).
    ``n_components`` may not exceed the rank of any manifold's centered points
    (``ValueError`` otherwise): axes beyond it would be arbitrary null-space
    directions.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((4, 10, 50))
    >>> res = subspace_alignment(X, n_components=2)
    >>> res.axes.shape, bool(np.isnan(res.axes[0, 0]))
    ((4, 4), True)
    """
    mans = as_manifolds(manifolds)
    k = check_positive_int(n_components, "n_components")
    N = mans[0].shape[1]
    C = stack_manifolds(mans, center=True).centers()
    C_hat = C / np.maximum(np.linalg.norm(C, axis=1, keepdims=True), 1e-300)
    svds = [np.linalg.svd(m - m.mean(0), full_matrices=False)[1:] for m in mans]
    check_components_within_rank(k, svds)
    U = [Vt[:k].T for _, Vt in svds]
    P = len(mans)
    axes = np.array([[np.sum((U[a].T @ U[b]) ** 2) / k for b in range(P)] for a in range(P)])
    center_axes = np.array([[np.sum((U[b].T @ C_hat[a]) ** 2) for b in range(P)] for a in range(P)])
    centers = np.abs(C_hat @ C_hat.T)
    for M in (axes, center_axes, centers):
        np.fill_diagonal(M, np.nan)
    return SubspaceAlignment(axes, centers, center_axes, _off_mean(axes), _off_mean(centers),
                             _off_mean(center_axes), k / N, _center_chance([len(m) for m in mans], N), k)


@dataclass(frozen=True)
class SpectralAlignment:
    """Eigenvalues of the representation, cumulative task power ``C(k)`` and the
    predicted ridge generalisation error at each training-set size ``n_train``."""

    eigenvalues: np.ndarray
    cumulative_power: np.ndarray
    n_train: np.ndarray
    predicted_error: np.ndarray
    ridge: float


def _predicted_error(lam: np.ndarray, v2: np.ndarray, p: float, ridge: float) -> float:
    if ridge == 0:
        # ridgeless limit: eigenvalues below 1e-12 of the largest are exact zeros;
        # with r non-zero ones, kappa = 0 when p > r (then gamma = r / p and only
        # the target power outside the span survives), the error diverges at
        # p = r, and for p < r kappa > 0 solves sum_i lambda_i / (p lambda_i + kappa) = 1
        pos = lam > 1e-12 * max(lam.max(), 1e-300)
        lam = np.where(pos, lam, 0.0)
        r = int(pos.sum())
        if p > r:
            return float(v2[~pos].sum() / (1.0 - r / p))
        if p == r:
            return np.inf
        kappa = brentq(lambda k: np.sum(lam / (p * lam + k)) - 1.0, 1e-300, np.sum(lam) + 1.0)
    else:
        def fixed_point(k: float) -> float:
            return k - ridge - k * np.sum(lam / (p * lam + k))

        kappa = brentq(fixed_point, ridge * (1 + 1e-12), ridge + np.sum(lam) + 1.0)
    gamma = np.sum(p * lam**2 / (p * lam + kappa) ** 2)
    return float(kappa**2 / (1 - gamma) * np.sum(v2 / (p * lam + kappa) ** 2))


def spectral_alignment(X: Any, y: Any, n_train: Any = (10, 50, 200), ridge: float = 1e-3) -> SpectralAlignment:
    """Spectral task alignment and predicted ridge-decoding error.

    Notes
    -----
    With eigenpairs ``(lambda_i, u_i)`` of the sample kernel ``K = X X^T / n``
    (X centered) and target ``y`` (one column per output, centered), the
    target weights are ``v_i^2 = |u_i^T y|^2 / n`` and the cumulative power
    ``C(k) = sum_{i<=k} v_i^2 / sum_i v_i^2``.  For ``p`` training samples and
    ridge ``lambda``: ``kappa = lambda + kappa sum_i lambda_i / (p lambda_i + kappa)``,
    ``gamma = sum_i p lambda_i^2 / (p lambda_i + kappa)^2`` and
    ``E_g = kappa^2 / (1 - gamma) sum_i v_i^2 / (p lambda_i + kappa)^2``.
    ``ridge = 0`` is the ridgeless limit: with ``r`` non-zero eigenvalues,
    ``kappa = 0`` and ``E_g = (target power outside the span) / (1 - r / p)`` for
    ``p > r``, ``E_g = inf`` at the interpolation threshold ``p = r``, and the
    positive root of ``sum_i lambda_i / (p lambda_i + kappa) = 1`` for ``p < r``.

    References
    ----------
    B. Bordelon, A. Canatar, C. Pehlevan, ICML 2020; A. Canatar, B. Bordelon,
    C. Pehlevan, Nat. Commun. 12, 2914 (2021); A. Canatar et al., NeurIPS 2023.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 20)); y = X[:, 0]
    >>> res = spectral_alignment(X, y, n_train=(10, 100))
    >>> bool(res.predicted_error[1] < res.predicted_error[0])
    True
    """
    X = as_float_array(X, "X", layout="matrix")
    Y = as_float_array(y, "y", ndim=(1, 2))
    Y = Y[:, None] if Y.ndim == 1 else Y
    check_matched_rows([X, Y], ["X", "y"])
    ridge = check_in_range(ridge, "ridge", 0.0, np.inf)
    n = X.shape[0]
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    lam, U = np.linalg.eigh(Xc @ Xc.T / n)
    lam, U = np.clip(lam[::-1], 0.0, None), U[:, ::-1]
    v2 = ((U.T @ Yc) ** 2).sum(axis=1) / n
    ps = np.array([check_positive_int(p, "n_train") for p in np.atleast_1d(n_train)])
    err = np.array([_predicted_error(lam, v2, float(p), ridge) for p in ps])
    return SpectralAlignment(lam, np.cumsum(v2) / max(v2.sum(), 1e-300), ps, err, ridge)


def alignment(manifolds: Any, method: str = "glue", **kwargs: Any) -> GlueResult | SubspaceAlignment | SpectralAlignment:
    """Manifold alignment analysis; ``method`` picks the family (see the module docs for chance levels).

    ``"glue"`` returns :class:`~repgeo.capacity.GlueResult`, whose
    ``center_alignment`` (rho_c), ``axis_alignment`` (rho_a) and
    ``center_axis_alignment`` (psi) are the published anchor alignments
    (``kwargs`` go to :func:`~repgeo.capacity.glue`, e.g. ``alignments=``);
    ``"subspace"`` a :class:`SubspaceAlignment`, ``"spectral"`` a
    :class:`SpectralAlignment` of the pooled points against one-hot manifold
    labels.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((4, 10, 50))
    >>> type(alignment(X, "subspace")).__name__
    'SubspaceAlignment'
    """
    check_choice(method, "method", ["glue", "subspace", "spectral"])
    if method == "glue":
        return glue(manifolds, **kwargs)
    if method == "subspace":
        return subspace_alignment(manifolds, **kwargs)
    stacked = stack_manifolds(as_manifolds(manifolds), center=False)
    onehot = np.eye(stacked.n_manifolds)[stacked.owner]
    return spectral_alignment(stacked.points, onehot, **kwargs)
