"""Jacobians estimated from samples ``(u_i, x_i)`` by local linear regression."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_float_array, check_in_range, check_matched_rows, check_positive_int

__all__ = ["local_jacobians"]

_CHUNK_ELEMENTS = 1 << 22  # neighbourhood entries held at once (32 MiB of float64)


def local_jacobians(
    U: Any, X: Any, points: Any = None, *, n_neighbors: int = 30, ridge: float = 0.0
) -> np.ndarray:
    r"""Jacobians ``dx/du`` from samples, by least squares on the ``k`` nearest neighbours.

    Parameters
    ----------
    U : array_like of shape (n_samples, m)
        Chart coordinates of the samples on the input manifold.
    X : array_like of shape (n_samples, n_features)
        The representation at those samples (``x_i = f(u_i)`` plus noise).
    points : array_like of shape (n_points, m), optional
        Where to estimate the Jacobians (default: at every sample ``U``).
    n_neighbors : int, default 30
        Neighbourhood size ``k`` (at least ``m + 1``); neighbours are found in
        chart coordinates.  Larger ``k`` averages noise but blurs curvature.
    ridge : float >= 0, default 0
        Relative ridge ``lambda tr(C)/m`` added to the neighbourhood covariance
        ``C``; needed only when some neighbourhood is degenerate (e.g. its
        samples lie on a line).

    Returns
    -------
    ndarray of shape (n_points, n_features, m)

    Notes
    -----
    For each point with neighbours ``N`` (centred: ``du_j = u_j - mean_N u``,
    ``dx_j = x_j - mean_N x``) the affine fit ``dx ~ J du`` gives

    .. math:: J = \Big(\sum_{j \in N} dx_j\, du_j^T\Big)
                  \Big(\sum_{j \in N} du_j\, du_j^T + \lambda\Big)^{-1}.

    The estimate is exact for affine maps and has error ``O(h)`` in the
    neighbourhood radius ``h`` for smooth maps; feed it to
    :class:`repgeo.MSA` when no differentiable model is available.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> U = rng.uniform(-1, 1, size=(200, 2))
    >>> A = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]])
    >>> J = local_jacobians(U, U @ A.T + 5.0, n_neighbors=10)
    >>> bool(np.allclose(J, A))
    True
    """
    U = as_float_array(U, "U", ndim=2)
    X = as_float_array(X, "X", ndim=2)
    check_matched_rows([U, X], ["U", "X"])
    n_samples, m = U.shape
    P = U if points is None else as_float_array(points, "points", ndim=2)
    if P.shape[1] != m:
        raise ValueError(f"points have {P.shape[1]} coordinates but U has m={m}; both must use the same chart")
    k = check_positive_int(n_neighbors, "n_neighbors", minimum=m + 1)
    if k > n_samples:
        raise ValueError(f"n_neighbors must be at most the {n_samples} samples; got {k}")
    ridge = check_in_range(ridge, "ridge", 0.0, np.inf, high_open=True)
    from sklearn.neighbors import NearestNeighbors  # imported on use: sklearn is slow to import

    index = NearestNeighbors(n_neighbors=k).fit(U)
    out = np.empty((P.shape[0], X.shape[1], m))
    step = max(1, _CHUNK_ELEMENTS // (k * (X.shape[1] + m)))
    for start in range(0, P.shape[0], step):  # chunks bound memory; each chunk is batched
        idx = index.kneighbors(P[start : start + step], return_distance=False)
        dU = U[idx] - U[idx].mean(axis=1, keepdims=True)
        dX = X[idx] - X[idx].mean(axis=1, keepdims=True)
        C = np.einsum("pka,pkb->pab", dU, dU)
        if ridge > 0:
            C += (ridge * np.trace(C, axis1=1, axis2=2) / m)[:, None, None] * np.eye(m)
        w = np.linalg.eigvalsh(C)
        degenerate = ~(w[:, 0] > 1e-12 * w[:, -1])
        if degenerate.any():
            raise ValueError(
                f"{int(degenerate.sum())} neighbourhoods of n_neighbors={k} samples do not span the "
                f"{m}-D chart (their coordinates are collinear or repeated); increase n_neighbors or "
                "set ridge > 0"
            )
        B = np.einsum("pkn,pka->pan", dX, dU)
        out[start : start + step] = np.linalg.solve(C, B).swapaxes(1, 2)
    return out
