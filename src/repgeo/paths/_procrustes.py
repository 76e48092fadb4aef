r"""The two Procrustes spaces: angular shape space (a sphere mod rotations) and Bures-Wasserstein.

Both work on the data side.  A representation ``X`` (n x p) is centred and
held in principal coordinates ``A = U S / ||S||`` (n x r, r its rank, unit
Frobenius norm) with its norm ``||X_c||_F`` kept apart, exactly as
:class:`repgeo.ShapeMetric` prepares it.  Rotations ``A -> A Q`` do not move
the point.  After the best rotation of ``B`` onto ``A`` (``A^T B Q``
symmetric positive semi-definite), the straight segment (Bures) or the great
circle (angular) between ``A`` and ``B Q`` is *horizontal* and maps to a
geodesic of the quotient (Kendall 1984; Bhatia, Jain & Lim 2019).

Tangent vectors at ``X`` are ``(n, w)`` arrays in the coordinates of ``X``'s
principal representative (zero-padded to a common width ``w``); their
Frobenius inner product is the Riemannian one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._batched import nuclear_norms
from .._linalg import procrustes_align
from .._measure import Measure
from ..measures.shape import ShapeMetric
from ._base import MAX_ITER, Space, pad_to, stationary_on_segment, vector_angle

__all__ = ["AngularSpace", "BuresSpace", "PathConvergenceWarning"]


class PathConvergenceWarning(RuntimeWarning):
    """An iterative path computation stopped at its iteration cap before converging."""


def _combine(ca: float, A: np.ndarray, cb: float, B: np.ndarray) -> np.ndarray:
    """``ca A + cb B`` with an exact power-of-two rescaling, so coefficients near 1e300 do not overflow."""
    top = max(abs(ca), abs(cb))
    if top == 0:
        return np.zeros_like(A)
    _, e = np.frexp(top)
    return np.ldexp(np.ldexp(ca, -int(e)) * A + np.ldexp(cb, -int(e)) * B, int(e))


def _horizontal(A: np.ndarray, V: np.ndarray) -> np.ndarray:
    r"""The part of ``V`` that moves the point ``A`` (centred columns, no pure rotation).

    ``A`` has orthogonal columns (principal coordinates), so ``A^T A = diag(c)``
    and the vertical part ``A Omega`` (``Omega`` skew) with ``A^T (V - A Omega)``
    symmetric solves ``c_i Omega_ij + Omega_ij c_j = (A^T V - V^T A)_ij``.
    """
    V = V - V.mean(axis=0)
    c = np.einsum("ij,ij->j", A, A)
    M = A.T @ V
    denom = c[:, None] + c[None, :]
    omega = np.divide(M - M.T, denom, out=np.zeros_like(M), where=denom > 0)
    return V - A @ omega


@dataclass(frozen=True)
class _ProcrustesSpace(Space):
    """Shared machinery; subclasses set ``spherical``."""

    spherical = True

    @property
    def measure(self) -> Measure:
        return ShapeMetric(alpha=1.0, score="angular" if self.spherical else "euclidean")

    def _scale(self, p: Any) -> float:
        return 1.0 if self.spherical else p.norm

    def same_point(self, a: Any, b: Any, d: float) -> bool:
        return d <= 1e-12 * max(self._scale(a), self._scale(b))

    def angle_between(self, b: Any, U: np.ndarray, V: np.ndarray) -> float:
        """The angle, minimised over the rotations that fix ``b`` (its isotropy group).

        When ``b`` has rank ``r`` below the common width ``w``, rotations of
        the last ``w - r`` (zero) columns fix ``b``, and the log maps towards
        two other points are each determined only up to such a rotation.
        The angle between the two geodesics is the smallest angle between
        their lifts: the extra columns of ``V`` are rotated onto those of
        ``U`` by the polar factor of ``U_extra^T V_extra``.
        """
        w = max(U.shape[1], V.shape[1])
        U, V = pad_to(U, w), pad_to(V, w)
        r = b.coords.shape[1]
        if w - r > 0:
            P_, _, Qt = np.linalg.svd(U[:, r:].T @ V[:, r:])
            V = np.hstack([V[:, :r], V[:, r:] @ (Qt.T @ P_.T)])
        return vector_angle(U, V)

    def _direction(self, a: Any, b: Any) -> tuple[np.ndarray, np.ndarray, float]:
        """``A`` (padded), the unit horizontal direction towards ``b`` and the angle (sphere only)."""
        Ap, BQ = procrustes_align(a.coords, b.coords)
        theta = ShapeMetric(alpha=1.0).compare(a, b)
        # B Q - cos(theta) A, written to keep its digits when theta is small
        u = (BQ - Ap) + 2.0 * np.sin(theta / 2.0) ** 2 * Ap
        nu = np.linalg.norm(u)
        return Ap, (u / nu if nu > 0 and theta > 0 else np.zeros_like(u)), theta

    def log(self, a: Any, b: Any) -> np.ndarray:
        if self.spherical:
            _, unit, theta = self._direction(a, b)
            return theta * unit
        Ap, BQ = procrustes_align(a.coords, b.coords)
        return _combine(-a.norm, Ap, b.norm, BQ)

    def check_tangent(self, a: Any, V: np.ndarray, name: str) -> np.ndarray:
        if V.shape[0] != a.coords.shape[0]:
            raise ValueError(
                f"{name} has {V.shape[0]} rows but the base point has {a.coords.shape[0]}; a tangent "
                "vector has one row per sample"
            )
        return V

    def exp(self, a: Any, V: np.ndarray, name: str = "V") -> np.ndarray:
        w = max(a.coords.shape[1], V.shape[1])
        A, V = pad_to(a.coords, w), pad_to(V, w)
        top = float(np.abs(V).max())
        if top == 0:
            return self._scale(a) * A
        _, e = np.frexp(top)  # exact rescaling: tangent vectors near 1e300 (Bures) stay finite
        Vh = _horizontal(A, np.ldexp(V, -int(e)))
        if self.spherical:
            Vh = np.ldexp(Vh - np.sum(Vh * A) * A, int(e))
            nv = float(np.linalg.norm(Vh))
            return np.cos(nv) * A + (np.sin(nv) / nv) * Vh if nv > 0 else A
        # a.norm A + 2^e Vh, both terms rescaled by the larger power of two (exact)
        big = max(int(np.frexp(a.norm)[1]), int(e))
        return np.ldexp(np.ldexp(a.norm, -big) * A + np.ldexp(Vh, int(e) - big), big)

    def geodesic(self, a: Any, b: Any, t: float) -> np.ndarray:
        if self.spherical:
            Ap, unit, theta = self._direction(a, b)
            return np.cos(t * theta) * Ap + np.sin(t * theta) * unit
        Ap, BQ = procrustes_align(a.coords, b.coords)
        return _combine((1.0 - t) * a.norm, Ap, t * b.norm, BQ)

    def project(self, z: Any, a: Any, b: Any) -> tuple[float, np.ndarray]:
        """Alternate the best rotation of ``z`` onto the current point and the best ``t`` for it.

        Each half-step can only bring ``z`` closer to the segment, so the
        distance decreases monotonically to a stationary point, where the
        residual is orthogonal to the geodesic.  The start is the best of 11
        evenly spaced points of the segment (the distance along a geodesic of
        a positively curved space need not be unimodal).
        """
        if self.same_point(a, b, self.distance(a, b)):
            return 0.0, self.geodesic(a, b, 0.0)
        if self.spherical:
            Ap, unit, theta = self._direction(a, b)
            n_z = 1.0
        else:
            Ap, BQ = procrustes_align(a.coords, b.coords)
            _, e = np.frexp(max(a.norm, b.norm, z.norm))  # work at unit scale (exact)
            Xs = np.ldexp(a.norm, -int(e)) * Ap
            D = np.ldexp(b.norm, -int(e)) * BQ - Xs
            n_z = float(np.ldexp(z.norm, -int(e)))

        def point(t: float) -> np.ndarray:
            if self.spherical:
                return np.cos(t * theta) * Ap + np.sin(t * theta) * unit
            return Xs + t * D

        grid = np.linspace(0.0, 1.0, 11)
        closeness = nuclear_norms([z.coords.T @ point(t) for t in grid])
        if not self.spherical:  # squared distance ||P||^2 - 2 n_z ||C^T P||_* (+ const)
            closeness = 2.0 * n_z * closeness - np.array([np.sum(point(t) ** 2) for t in grid])
        t = float(grid[int(np.argmax(closeness))])
        for _ in range(MAX_ITER):
            P, CQ = procrustes_align(point(t), z.coords)
            if self.spherical:
                s = stationary_on_segment(np.sum(CQ * pad_to(Ap, CQ.shape[1])), np.sum(CQ * pad_to(unit, CQ.shape[1])), theta)
                t_new = s / theta
            else:
                Dp = pad_to(D, CQ.shape[1])
                t_new = float(np.clip(np.sum((n_z * CQ - pad_to(Xs, CQ.shape[1])) * Dp) / np.sum(Dp * Dp), 0.0, 1.0))
            done = abs(t_new - t) <= 1e-14
            t = t_new
            if done:
                break
        else:
            warnings.warn(
                f"the projection onto the geodesic did not settle within {MAX_ITER} alternating steps; "
                f"t = {t:.6g} is a best estimate",
                PathConvergenceWarning,
                stacklevel=4,
            )
        return t, self.geodesic(a, b, t)


@dataclass(frozen=True, repr=False)
class AngularSpace(_ProcrustesSpace):
    r"""Kendall's shape space of centred, unit-norm representations modulo rotations.

    Points are representations ``X`` (n x p, any width); the distance is the
    angular Procrustes distance, equal to ``ShapeMetric(alpha=1,
    score="angular")``:

    .. math:: d(X, Y) = \arccos \frac{\|X_c^T Y_c\|_*}{\|X_c\|_F \|Y_c\|_F}.

    The geodesic is the great circle from ``A`` to the aligned ``B Q``
    (``A``, ``B`` the centred, unit-norm data), ``gamma(t) = cos(t d) A +
    sin(t d) U`` with ``U`` the unit horizontal direction.  Outputs are
    unit-norm ``(n, r)`` representations.  The curvature is positive, so
    triangles have angle sums above ``pi``.  Any real ``t`` is accepted
    (beyond ``[0, 1]`` the great circle continues; it need not stay the
    shortest path).

    References
    ----------
    Kendall (1984). Shape manifolds, Procrustean metrics, and complex projective
    spaces. Bull. London Math. Soc.; Williams et al. (2021), NeurIPS.
    """

    name = "angular"
    spherical = True
    extrapolates = True


@dataclass(frozen=True, repr=False)
class BuresSpace(_ProcrustesSpace):
    r"""Centred Gram matrices ``X_c X_c^T`` with the Bures-Wasserstein metric.

    The distance equals the Euclidean Procrustes distance
    ``ShapeMetric(alpha=1, score="euclidean")`` (registered as
    ``"procrustes_euclidean"``) on the same data:

    .. math:: d(X, Y)^2 = \operatorname{tr} G_X + \operatorname{tr} G_Y
              - 2 \operatorname{tr}(G_X^{1/2} G_Y G_X^{1/2})^{1/2}
              = \min_Q \|X_c - Y_c Q\|_F^2,

    with ``G_X = X_c X_c^T`` (no division by ``n``).  The geodesic is the
    aligned straight segment ``(1 - t) X_c + t Y_c Q``, whose Gram matrix is
    ``M_t G_X M_t`` with ``M_t = (1 - t) I + t T`` and ``T`` the optimal
    transport map from ``G_X`` to ``G_Y``.  Outputs are ``(n, r)`` factors in
    the data's units.  Not scale-invariant; curvature is non-negative.  Any
    real ``t`` is accepted (the aligned line stays horizontal).

    References
    ----------
    Bhatia, Jain & Lim (2019). On the Bures-Wasserstein distance between
    positive definite matrices. Expositiones Mathematicae.
    """

    name = "bures"
    spherical = False
    extrapolates = True
