"""Alignment over a group of unit maps, for the stochastic shape metrics.

Shared by :class:`~repgeo.measures.stochastic.GaussianShapeMetric` and
:class:`~repgeo.measures.stochastic.EnergyShapeMetric`: the group step (the
best orthogonal or permutation matrix for a cross-product), the polar factors
of many small matrices at once, and the deterministic starting maps.
Row convention throughout: a unit map ``T`` sends a response row ``y`` to
``y @ T``, a covariance ``S`` to ``T^T S T``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

GROUPS = ("orthogonal", "permutation", "identity")


def group_step(cross: np.ndarray, group: str) -> np.ndarray:
    """``argmax_T tr(T^T cross)`` over the group (the Procrustes or linear-assignment step)."""
    n = cross.shape[0]
    if group == "identity":
        return np.eye(n)
    if group == "permutation":
        rows, cols = linear_sum_assignment(cross, maximize=True)
        T = np.zeros((n, n))
        T[rows, cols] = 1.0
        return T
    U, _, Vt = np.linalg.svd(cross)
    return U @ Vt


def polar_factors(cross: np.ndarray) -> np.ndarray:
    """Orthogonal polar factors ``U V^T`` of a stack of square matrices (one batched SVD)."""
    U, _, Vt = np.linalg.svd(cross)
    return U @ Vt


def random_element(n: int, group: str, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random orthogonal matrix or a uniformly random permutation matrix."""
    if group == "permutation":
        return np.eye(n)[rng.permutation(n)]
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.sign(np.diag(R))


def second_moment(means: np.ndarray, factors: np.ndarray, alpha: float) -> np.ndarray:
    """``alpha M^T M + (2 - alpha) sum_k F_k F_k^T``: unchanged by the inner rotations of the factors."""
    return alpha * means.T @ means + (2.0 - alpha) * np.einsum("kir,kjr->ij", factors, factors)


def starts(means_x, means_y, factors_x, factors_y, alpha, group, n_random, rng, samples=None) -> list[np.ndarray]:
    """Starting maps for the local search: deterministic ones, then ``2 n_random`` random ones.

    ``means`` are ``(K, n)``, ``factors`` ``(K, n, r)`` with
    ``F_k F_k^T = Sigma_k``; ``samples`` (energy only) a pair of ``(K, R, n)``.

    - orthogonal: the Procrustes map of the means; the map between the
      eigenbases of the two second moments ``alpha M^T M + (2 - alpha)
      sum_k Sigma_k`` with each axis' sign fitted (from the means, or the
      responses' third moments, then single flips of a cheap surrogate: the
      agreement of the per-condition covariances in those bases) -- exact for
      an exactly rotated pair whose second moment has distinct eigenvalues;
      the map between the two bases with signs fixed by each network alone.
    - permutation: the assignment of units described by their means and
      spreads over conditions (exact for an exactly permuted pair of distinct
      units); the map between the units sorted by spread.
    - random: ``V_y G V_x^T`` and ``V_y G^T V_x^T`` for Haar-random ``G``, in
      the frames (bases, or sorted units) each network defines by itself.

    Every start is equivariant -- a rotation (or permutation) of one
    network's units moves it by that map -- and the set is closed under
    swapping the two networks, so the local search, and hence the fitted
    value, inherits the metric's invariances and symmetry exactly (up to
    rounding), even where it stops in a local minimum.
    """
    n = means_x.shape[1]
    if group == "orthogonal":
        sx, sy = (None, None) if samples is None else samples
        Vx, Vy = _frame(means_x, factors_x, alpha, sx), _frame(means_y, factors_y, alpha, sy)
        frames = Vy @ Vx.T
        out = [_completed_procrustes(means_y.T @ means_x, frames), frames]
        out.append(_eigenbasis_start(means_x, means_y, factors_x, factors_y, alpha, Vx, Vy))
        if samples is not None:
            out.append(_eigenbasis_start(means_x, means_y, factors_x, factors_y, alpha, Vx, Vy, samples))
    else:
        feat_x = np.vstack([np.sqrt(alpha) * means_x, np.sqrt(2.0 - alpha) * np.linalg.norm(factors_x, axis=2)])
        feat_y = np.vstack([np.sqrt(alpha) * means_y, np.sqrt(2.0 - alpha) * np.linalg.norm(factors_y, axis=2)])
        Vx, Vy = np.eye(n)[:, np.argsort(np.sum(feat_x**2, 0))], np.eye(n)[:, np.argsort(np.sum(feat_y**2, 0))]
        out = [group_step(feat_y.T @ feat_x, "permutation"), Vy @ Vx.T]
    for _ in range(n_random):
        G = random_element(n, group, rng)
        out.extend([Vy @ G @ Vx.T, Vy @ G.T @ Vx.T])
    return out


def _completed_procrustes(cross: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """The Procrustes map of a possibly rank-deficient ``cross``, completed by ``fallback``.

    Where ``cross`` has no singular values (fewer conditions than units) the
    best map is not unique and an SVD completes it arbitrarily; here the
    complement is mapped by the Procrustes fit of ``fallback`` restricted to
    it, which keeps the start equivariant.
    """
    U, sv, Vt = np.linalg.svd(cross)
    r = int(np.sum(sv > len(sv) * np.finfo(float).eps * max(sv[0], np.finfo(float).tiny)))
    T = U[:, :r] @ Vt[:r]
    if r < len(sv):
        Uc, Vc = U[:, r:], Vt[r:].T
        T += Uc @ group_step(Uc.T @ fallback @ Vc, "orthogonal") @ Vc.T
    return T


def _frame(means, factors, alpha, samples=None) -> np.ndarray:
    """Eigenbasis of the second moment, each axis signed by an odd statistic of the network itself."""
    _, V = np.linalg.eigh(second_moment(means, factors, alpha))
    odd = np.sum((means @ V) ** 3, axis=0) if samples is None else np.sum((samples @ V) ** 3, axis=(0, 1))
    return V * np.where(odd < 0, -1.0, 1.0)


def _eigenbasis_start(means_x, means_y, factors_x, factors_y, alpha, V, W, samples=None) -> np.ndarray:
    # T = W D V^T maps y's eigenbasis onto x's; choose the signs D.
    if samples is None:
        b = np.einsum("ki,ki->i", means_x @ V, means_y @ W)  # linear term: agreement of the projected means
    else:  # agreement of the third moments along each axis (odd in the axis' sign)
        sx, sy = samples
        b = np.mean((sx @ V) ** 3, axis=(0, 1)) * np.mean((sy @ W) ** 3, axis=(0, 1))
    Gx, Gy = np.einsum("in,kir->knr", V, factors_x), np.einsum("in,kir->knr", W, factors_y)
    Px, Py = Gx @ Gx.transpose(0, 2, 1), Gy @ Gy.transpose(0, 2, 1)  # covariances in the eigenbases
    C = (Px * Py).sum(axis=0)
    np.fill_diagonal(C, 0.0)
    d = np.where(b < 0, -1.0, 1.0)
    tiny = 1e-12 * (alpha * np.abs(b).sum() + (2.0 - alpha) * np.abs(C).sum())
    for _ in range(4 * len(d)):  # single flips while the surrogate improves (capped)
        gain = -2.0 * alpha * b * d - 4.0 * (2.0 - alpha) * d * (C @ d)
        i = int(np.argmax(gain))
        if gain[i] <= tiny:
            break
        d[i] = -d[i]
    return (W * d) @ V.T
