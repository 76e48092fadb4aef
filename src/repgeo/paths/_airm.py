r"""The affine-invariant Riemannian metric (AIRM) on regularised centred Gram matrices.

A representation ``X`` (n x p) is the symmetric positive-definite matrix
``G = Q^T X X^T Q + ridge I`` of size ``n - 1``, where the columns of ``Q``
are an orthonormal basis of the vectors orthogonal to ``1`` (centring keeps
the Gram matrix there; the constant direction carries no information).
Equivalently, ``H X X^T H + ridge I`` on all ``n`` samples: the constant
direction then has eigenvalue ``ridge`` in every point and adds nothing to
distances or geodesics.  Each point is held as ``exp(log_s) M`` with ``M`` of
unit largest diagonal, so data near 1e-300 or 1e300 neither under- nor
overflow, together with the eigendecomposition of ``M``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize

from .._measure import Measure, MeasureInfo
from .._validation import check_in_range, check_matrix, check_symmetric_matrix, non_constant_columns
from ..riemann._kernels import RESOLUTION
from ..riemann._spd import generalized_eigvalsh
from ._base import Space, psd_factor

__all__ = ["AIRMSpace", "GramAIRM"]

_PENNEC = "Pennec, Fillard & Ayache (2006). A Riemannian framework for tensor computing. IJCV."
_SHAHBAZI = (
    "Shahbazi, Shirali, Aghajan & Nili (2021). Using distance on the Riemannian manifold to compare "
    "representations in brain and in models. NeuroImage."
)


def _reflector(n: int) -> np.ndarray:
    """Unit ``w`` with ``(I - 2 w w^T) 1 / sqrt(n) = e_1``: its other columns span the centred vectors."""
    w = np.full(n, 1.0 / np.sqrt(n))
    w[0] -= 1.0
    return w / np.linalg.norm(w)


def restrict(X: np.ndarray) -> np.ndarray:
    """``Q^T X`` (n - 1 rows): coordinates of the centred columns of ``X`` in the basis ``Q``."""
    w = _reflector(X.shape[0])
    return (X - 2.0 * np.outer(w, w @ X))[1:]


def extend(L: np.ndarray) -> np.ndarray:
    """``Q L`` (n rows, centred columns): the inverse of :func:`restrict` on centred data."""
    w = _reflector(L.shape[0] + 1)
    full = np.vstack([np.zeros((1, L.shape[1])), L])
    return full - 2.0 * np.outer(w, w @ full)


@dataclass(frozen=True, eq=False)
class _SPDPoint:
    M: np.ndarray  # (m, m) SPD, largest diagonal entry 1
    log_s: float  # the point is exp(log_s) * M
    w: np.ndarray  # eigenvalues of M, ascending
    U: np.ndarray  # eigenvectors of M

    def power(self, q: float) -> np.ndarray:
        return (self.U * self.w**q) @ self.U.T


def _min_rcond(m: int) -> float:
    # the criterion of the SPD distances (riemann._kernels.resolvable): eigenvalues of a matrix
    # of condition k carry a relative error near 8 m eps k, at most RESOLUTION
    return 8 * m * np.finfo(float).eps / RESOLUTION


@dataclass(frozen=True)
class AIRMSpace(Space):
    r"""Regularised centred Gram matrices with the affine-invariant Riemannian metric.

    Parameters
    ----------
    ridge : float >= 0, default 0.0
        Added to the centred Gram matrix ``X_c X_c^T`` (in the data's squared
        units) to make it positive definite.  With ``ridge=0`` a
        representation needs rank ``n - 1`` (more features than samples);
        otherwise a ``ValueError`` suggests a ridge.  The same absolute ridge
        is used for every point, which keeps the space one Riemannian manifold
        and every geodesic point ``G(t) >= ridge I`` (the weighted geometric
        mean is monotone), so outputs ``F`` with ``F F^T = G(t) - ridge I`` are
        representations again.

    Notes
    -----
    .. math::
        d(A, B) = \|\log(A^{-1/2} B A^{-1/2})\|_F, \qquad
        \gamma(t) = A^{1/2} (A^{-1/2} B A^{-1/2})^t A^{1/2}.

    Tangent vectors are in *whitened* coordinates, ``W = A^{-1/2} V A^{-1/2}``
    (the convention of pyriemann's ``log_map_riemann``), where the
    Riemannian inner product ``tr(A^{-1} U A^{-1} V)`` is the Frobenius one:
    ``log_A B = log(A^{-1/2} B A^{-1/2})`` and ``exp_A W = A^{1/2} exp(W)
    A^{1/2}``, given as ``n x n`` matrices on the centred subspace (a
    component along the constant vector is ignored).  The metric is not
    scale-invariant (``d(A, cA) = sqrt(n - 1) |log c|`` with ``ridge=0``).  It
    has non-positive curvature: triangles have angle sums below ``pi`` and the
    distance from a point along a geodesic is convex, so projections are
    found by a bracketing root search.  With ``ridge=0`` any real ``t`` is
    accepted; with ``ridge > 0`` extrapolated points that fall below the
    ridge raise ``ValueError``.

    References
    ----------
    Pennec, Fillard & Ayache (2006), IJCV; Shahbazi et al. (2021), NeuroImage.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((20, 30)), rng.standard_normal((20, 40))
    >>> M = rg.paths.geodesic(X, Y, 0.5, space="airm")
    >>> d = rg.paths.distance(X, Y, space="airm")
    >>> bool(np.isclose(rg.paths.distance(X, M, space="airm"), d / 2))
    True
    """

    ridge: float = 0.0
    name = "airm"

    def __post_init__(self) -> None:
        check_in_range(self.ridge, "ridge", 0.0, np.inf, high_open=True)

    @property
    def extrapolates(self) -> bool:  # type: ignore[override]
        return self.ridge == 0.0

    @property
    def measure(self) -> Measure:
        return GramAIRM(ridge=self.ridge)

    def prepare(self, X: Any, name: str = "X") -> _SPDPoint:
        X = check_matrix(X, name)
        non_constant_columns(X, name)
        n = X.shape[0]
        Z = restrict(X)
        _, e = np.frexp(np.abs(Z).max())
        Zs = np.ldexp(Z, -int(e))  # exact rescaling: the Gram matrix of data near 1e300 stays finite
        G = Zs @ Zs.T
        log_d = 2 * int(e) * np.log(2.0) + np.log(G.diagonal().max())
        G /= G.diagonal().max()
        log_s = log_d
        if self.ridge > 0:
            log_s = max(log_d, float(np.log(self.ridge)))
            G = np.exp(log_d - log_s) * G + np.exp(np.log(self.ridge) - log_s) * np.eye(n - 1)
        w, U = np.linalg.eigh(G)
        if not w[0] > _min_rcond(n - 1) * w[-1]:
            with np.errstate(over="ignore"):
                mean = np.exp(log_d) * float(np.trace(G)) / (n - 1)
            rank = int(np.sum(w > (n - 1) * np.finfo(float).eps * w[-1]))
            if self.ridge == 0:
                raise ValueError(
                    f"{name}'s centred Gram matrix is singular (rank {rank} of {n - 1}: {n} samples, "
                    f"{X.shape[1]} features); the affine-invariant metric needs positive-definite matrices: "
                    f"use space=paths.AIRMSpace(ridge=r) with r > 0 (the mean eigenvalue here is {mean:.3g}; "
                    "around 1e-3 of it is a common choice), or more features than samples"
                )
            cond = w[-1] / w[0] if w[0] > 0 else np.inf
            raise ValueError(
                f"{name}'s regularised Gram matrix has condition {cond:.3g} "
                f"with ridge={self.ridge:g}, too large to resolve in float64 (the ridge is negligible at this "
                "data scale); use a larger ridge"
            )
        return _SPDPoint(G, float(log_s), w, U)

    def distance(self, a: _SPDPoint, b: _SPDPoint) -> float:
        lam = generalized_eigvalsh(a.M, b.M)
        return float(np.linalg.norm(np.log(lam) + (a.log_s - b.log_s)))

    def _log_r(self, a: _SPDPoint, b: _SPDPoint) -> np.ndarray:
        """``log(A^{-1/2} B A^{-1/2})`` in the restricted coordinates."""
        R = a.power(-0.5)
        C = R @ b.M @ R
        mu, V = np.linalg.eigh(0.5 * (C + C.T))
        if not mu[0] > 0:
            raise ValueError("the two Gram matrices are too ill-conditioned to compare in float64; use a larger ridge")
        return (V * np.log(mu)) @ V.T + (b.log_s - a.log_s) * np.eye(len(mu))

    def _exp_r(self, a: _SPDPoint, W: np.ndarray) -> tuple[np.ndarray, float]:
        """``A^{1/2} exp(W) A^{1/2}`` as ``(M, log_s)``."""
        om, V = np.linalg.eigh(0.5 * (W + W.T))
        S = a.power(0.5)
        M = S @ ((V * np.exp(om - om[-1])) @ V.T) @ S
        top = M.diagonal().max()
        return M / top, a.log_s + float(om[-1]) + float(np.log(top))

    def _factor(self, M: np.ndarray, log_s: float, what: str) -> np.ndarray:
        """``F`` (n x r, centred) with ``F F^T = exp(log_s) M - ridge I`` on the centred subspace."""
        shift = 0.0
        if self.ridge > 0:
            shift = float(np.exp(min(np.log(self.ridge) - log_s, 700.0)))
        L = psd_factor(M - shift * np.eye(M.shape[0]), f"{what} minus ridge * I")
        with np.errstate(over="ignore"):
            F = extend(L) * np.exp(0.5 * log_s)
        if not np.isfinite(F).all():
            raise ValueError(f"{what} is too large (scale exp({log_s:.4g})) to return as a factor in float64")
        return F

    def log(self, a: _SPDPoint, b: _SPDPoint) -> np.ndarray:
        L = self._log_r(a, b)
        return extend(extend(L).T)

    def check_tangent(self, a: _SPDPoint, V: np.ndarray, name: str) -> np.ndarray:
        n = a.M.shape[0] + 1
        return check_symmetric_matrix(V, name, n, f"a tangent vector of the airm space at a point with {n} samples")

    def exp(self, a: _SPDPoint, V: np.ndarray, name: str = "V") -> np.ndarray:
        W = restrict(restrict(V).T)
        M, log_s = self._exp_r(a, W)
        return self._factor(M, log_s, f"exp_X({name})")

    def geodesic(self, a: _SPDPoint, b: _SPDPoint, t: float) -> np.ndarray:
        M, log_s = self._exp_r(a, t * self._log_r(a, b))
        return self._factor(M, log_s, f"the geodesic point at t={t:g}")

    def project(self, z: _SPDPoint, a: _SPDPoint, b: _SPDPoint) -> tuple[float, np.ndarray]:
        r"""Root of the derivative of ``d(Z, gamma(t))^2`` (convex in ``t``: non-positive curvature).

        With ``log_A B = V diag(omega) V^T`` and ``K = A^{1/2} V``,
        ``gamma(t) = K diag(e^{t omega}) K^T``, so
        ``d(Z, gamma(t))^2 = ||log M_t||^2`` with ``M_t = D_t^{-1/2} K^{-1} Z
        K^{-T} D_t^{-1/2}``, and its derivative is ``-2 sum_i omega_i
        (log M_t)_ii``.
        """
        om, V = np.linalg.eigh(self._log_r(a, b))
        if not np.abs(om).max() > 0:
            return 0.0, self.geodesic(a, b, 0.0)
        Kinv = V.T @ a.power(-0.5)
        Z = Kinv @ z.M @ Kinv.T
        delta = z.log_s - a.log_s

        def slope(t: float) -> float:  # -1/2 of the derivative; decreasing in t
            d = np.exp(-0.5 * t * om)
            mu, E = np.linalg.eigh(d[:, None] * Z * d[None, :])
            diag = (E * E) @ np.log(mu) + delta
            return float(om @ diag)

        lo, hi = slope(0.0), slope(1.0)
        if lo <= 0:
            t = 0.0
        elif hi >= 0:
            t = 1.0
        else:
            t = float(scipy.optimize.brentq(slope, 0.0, 1.0, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200))
        return t, self.geodesic(a, b, t)


@dataclass(frozen=True)
class GramAIRM(Measure):
    r"""AIRM distance between regularised centred Gram matrices (the ``"airm"`` path space).

    Parameters
    ----------
    ridge : float >= 0, default 0.0
        See :class:`repgeo.paths.AIRMSpace`.

    Notes
    -----
    ``d(X, Y) = ||log(G_X^{-1/2} G_Y G_X^{-1/2})||_F`` with ``G_X = H X X^T H +
    ridge I`` on the centred subspace; computed from the generalised
    eigenvalues by :func:`repgeo.riemann.generalized_eigvalsh`.  Not
    registered: its value depends on the data's scale through ``ridge``.

    References
    ----------
    Pennec et al. (2006), IJCV; Shahbazi et al. (2021), NeuroImage.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((10, 12))
    >>> bool(np.isclose(GramAIRM()(X, 2 * X), 3 * np.log(4)))  # sqrt(n - 1) |log 4|
    True
    """

    ridge: float = 0.0

    def __post_init__(self) -> None:
        check_in_range(self.ridge, "ridge", 0.0, np.inf, high_open=True)

    @property
    def info(self) -> MeasureInfo:  # type: ignore[override]
        return MeasureInfo(
            name="gram_airm",
            kind="distance",
            metric=True,
            symmetric=True,
            invariances=frozenset({"translation", "orthogonal", "permutation"}),
            bounds=(0.0, np.inf),
            references=(_PENNEC, _SHAHBAZI),
        )

    def prepare(self, X: Any, name: str = "X") -> _SPDPoint:
        return AIRMSpace(self.ridge).prepare(X, name)

    def compare(self, a: _SPDPoint, b: _SPDPoint) -> float:
        return AIRMSpace(self.ridge).distance(a, b)
