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


class ConvergenceWarning(RuntimeWarning):
    """An iterative alignment stopped at its iteration cap before meeting its tolerance."""


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
    """Deterministic starting maps, then ``n_random`` random ones.

    ``means`` are ``(K, n)``, ``factors`` ``(K, n, r)`` with
    ``F_k F_k^T = Sigma_k``.

    - orthogonal: the Procrustes map of the means; the map between the
      eigenbases of the two second moments ``alpha M^T M + (2 - alpha)
      sum_k Sigma_k``, each axis' sign chosen from the means and then
      improved by single flips of a cheap surrogate (the agreement of the
      per-condition covariances in those bases) -- exact for an exactly
      rotated pair whose second moment has distinct eigenvalues; the identity.
    - permutation: the linear assignment of units described by their means
      and standard deviations over conditions (exact for an exactly permuted
      pair with distinct units); the identity.

    With ``samples`` (a pair of ``(K, R, n)`` arrays, centred like the means),
    the orthogonal starts also include the eigenbasis map with signs from
    the third moments of the responses, which identifies a rotation even when
    the means carry no signal (one condition, centred).
    """
    n = means_x.shape[1]
    out = []
    if group == "orthogonal":
        out.append(group_step(means_y.T @ means_x, "orthogonal"))
        out.append(_eigenbasis_start(means_x, means_y, factors_x, factors_y, alpha))
        if samples is not None:
            out.append(_eigenbasis_start(means_x, means_y, factors_x, factors_y, alpha, samples))
    elif group == "permutation":
        feat_x = np.vstack([np.sqrt(alpha) * means_x, np.sqrt(2.0 - alpha) * np.linalg.norm(factors_x, axis=2)])
        feat_y = np.vstack([np.sqrt(alpha) * means_y, np.sqrt(2.0 - alpha) * np.linalg.norm(factors_y, axis=2)])
        out.append(group_step(feat_y.T @ feat_x, "permutation"))
    out.append(np.eye(n))
    out.extend(random_element(n, group, rng) for _ in range(n_random))
    return out


def _eigenbasis_start(means_x, means_y, factors_x, factors_y, alpha, samples=None) -> np.ndarray:
    _, V = np.linalg.eigh(second_moment(means_x, factors_x, alpha))
    _, W = np.linalg.eigh(second_moment(means_y, factors_y, alpha))
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
