"""Batched kernels on stacks of symmetric matrices, shared by the SPD distances and MSA.

Inputs are validated float64 stacks ``(n_points, m, m)``; no Python loop over
points.  A 2 x 2 closed form replaces LAPACK where its per-matrix overhead
dominates.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def sym(S: np.ndarray) -> np.ndarray:
    """``(S + S^T) / 2`` over the last two axes."""
    return 0.5 * (S + S.swapaxes(-1, -2))


def not_pd(name: str, bad: int, total: int) -> ValueError:
    """The error for stacks that are not positive definite."""
    return ValueError(
        f"{name} must be positive definite; {max(bad, 1)} of {total} metric tensors are "
        "singular or indefinite (rank-deficient Jacobians?); regularise with a ridge or drop "
        "those points"
    )


def inv_cholesky(G: np.ndarray, name: str) -> np.ndarray:
    """``L^{-1}`` with ``G = L L^T``, batched; ``ValueError`` if a matrix is not positive definite."""
    if G.shape[-1] == 2:  # closed form: LAPACK's per-matrix overhead dominates at m = 2
        a, b, c = G[:, 0, 0], G[:, 0, 1], G[:, 1, 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            l11 = np.sqrt(a)
            l21 = b / l11
            schur = c - l21 * l21
        ok = (a > 0) & (schur > 0)
        if not ok.all():
            raise not_pd(name, int((~ok).sum()), G.shape[0])
        l22 = np.sqrt(schur)
        W = np.zeros_like(G)
        W[:, 0, 0], W[:, 1, 0], W[:, 1, 1] = 1 / l11, -l21 / (l11 * l22), 1 / l22
        return W
    try:
        return np.linalg.inv(np.linalg.cholesky(G))
    except np.linalg.LinAlgError:
        raise not_pd(name, int((np.linalg.eigvalsh(G)[..., 0] <= 0).sum()), G.shape[0]) from None


def eigvalsh(S: np.ndarray) -> np.ndarray:
    """Ascending eigenvalues of a stack of symmetric matrices (closed form for 2 x 2)."""
    if S.shape[-1] == 2:
        mid = 0.5 * (S[:, 0, 0] + S[:, 1, 1])
        rad = np.hypot(0.5 * (S[:, 0, 0] - S[:, 1, 1]), S[:, 0, 1])
        return np.stack([mid - rad, mid + rad], axis=-1)
    return np.linalg.eigvalsh(S)


def whitened_eigvalsh(G1: np.ndarray, W2: np.ndarray) -> np.ndarray:
    """Ascending eigenvalues of ``W2 G1 W2^T`` (the pencil ``G1 - lambda G2`` when ``W2 = L2^{-1}``)."""
    S = W2 @ G1 @ W2.swapaxes(-1, -2)  # batched matmul: about twice as fast as the einsum
    return eigvalsh(sym(S))


def eigen_function(G: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``V diag(fn(w)) V^T`` for ``G = V diag(w) V^T``, batched (matrix log, square root)."""
    w, V = np.linalg.eigh(G)
    return np.einsum("pij,pj,pkj->pik", V, fn(w), V, optimize=True)


def from_eigenvalues(lam: np.ndarray, kind: str) -> np.ndarray:
    """Distances that depend only on the generalised eigenvalues (ascending, positive)."""
    if kind == "spectral_ratio":
        return 1.0 - np.sqrt(lam[..., 0] / lam[..., -1])
    log_lam = np.log(lam)
    if kind == "airm":
        return np.linalg.norm(log_lam, axis=-1)
    return np.abs(log_lam).max(axis=-1)  # thompson


def bures_from(root1: np.ndarray, root2: np.ndarray) -> np.ndarray:
    """Bures-Wasserstein distance from the square roots ``G1^{1/2}``, ``G2^{1/2}``.

    Computed as the Procrustes residual ``min_U ||G1^{1/2} - G2^{1/2} U||_F``
    with ``U`` the polar factor of ``G2^{1/2} G1^{1/2}``: the trace formula
    loses half the digits near 0 (a square root of a rounded difference).
    """
    P, _, Vt = np.linalg.svd(root2 @ root1)
    return np.linalg.norm(root1 - root2 @ (P @ Vt), axis=(-2, -1))


def psd_sqrt(G: np.ndarray) -> np.ndarray:
    """Principal square root of PSD matrices (negative rounding eigenvalues clipped to 0)."""
    return eigen_function(G, lambda w: np.sqrt(np.clip(w, 0.0, None)))
