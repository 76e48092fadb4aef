"""What every space of representations provides, and the small helpers they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._measure import Measure

__all__ = [
    "Space",
    "Projection",
    "pad_to",
    "frobenius_inner",
    "vector_angle",
    "stationary_on_segment",
    "psd_factor",
]

#: Cap on the alternating projection iterations of the Procrustes spaces.
MAX_ITER = 500


@dataclass(frozen=True, eq=False)
class Projection:
    """The point of a geodesic segment closest to a representation.

    Attributes
    ----------
    point : ndarray
        The closest point of the segment, in the space's output form (a
        representation for ``"angular"`` and ``"bures"``, a Gram factor ``F``
        with ``F F^T`` the point for ``"cka"`` and ``"airm"``).
    t : float
        Its parameter in ``[0, 1]``: ``geodesic(X, Y, t)`` is ``point``.
    distance : float
        The distance from the projected representation to ``point``.
    """

    point: np.ndarray
    t: float
    distance: float


class Space:
    """A metric space of representations with closed-form or cheap geodesics.

    Subclasses implement the methods below on *prepared* points (the output
    of :meth:`prepare`); :mod:`repgeo.paths` validates inputs and calls them.
    Tangent vectors are plain arrays whose Frobenius inner product is the
    Riemannian one at the base point (see each space for its coordinates).
    """

    name: str = ""
    #: Whether ``geodesic`` accepts every real ``t`` without a check of the result.
    extrapolates: bool = False

    @property
    def measure(self) -> Measure:  # pragma: no cover - abstract
        """A :class:`repgeo.Measure` whose value is this space's distance."""
        raise NotImplementedError

    def prepare(self, X: np.ndarray, name: str) -> Any:
        return self.measure.prepare(X, name)

    def distance(self, a: Any, b: Any) -> float:
        return float(self.measure.compare(a, b))

    def log(self, a: Any, b: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def exp(self, a: Any, V: np.ndarray, name: str) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def geodesic(self, a: Any, b: Any, t: float) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def project(self, z: Any, a: Any, b: Any) -> tuple[float, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_tangent(self, a: Any, V: np.ndarray, name: str) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def angle_between(self, b: Any, U: np.ndarray, V: np.ndarray) -> float:
        """Angle between two non-zero tangent vectors at ``b``."""
        return vector_angle(U, V)

    def same_point(self, a: Any, b: Any, d: float) -> bool:
        """Whether two points are equal to working precision (the angle between them is then undefined)."""
        return d <= 1e-12

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def pad_to(V: np.ndarray, width: int) -> np.ndarray:
    """``V`` with zero columns appended up to ``width`` (an isometric embedding)."""
    return V if V.shape[1] >= width else np.pad(V, ((0, 0), (0, width - V.shape[1])))


def frobenius_inner(U: np.ndarray, V: np.ndarray) -> float:
    """Frobenius inner product of two tangent vectors, zero-padding the narrower one."""
    w = max(U.shape[1], V.shape[1])
    return float(np.sum(pad_to(U, w) * pad_to(V, w)))


def vector_angle(U: np.ndarray, V: np.ndarray) -> float:
    r"""Angle in ``[0, pi]`` between two non-zero tangent vectors.

    Evaluated as ``2 atan2(||u - v||, ||u + v||)`` on the unit vectors, which
    keeps full precision near 0 and near ``pi`` (``arccos`` of the cosine
    loses half the digits there).
    """
    w = max(U.shape[1], V.shape[1])
    U, V = pad_to(U, w), pad_to(V, w)
    # a power-of-two rescaling (exact) keeps the norms finite for tangent vectors near 1e300
    _, e = np.frexp(max(np.abs(U).max(), np.abs(V).max()))
    U, V = np.ldexp(U, -int(e)), np.ldexp(V, -int(e))
    u = U / np.linalg.norm(U)
    v = V / np.linalg.norm(V)
    return float(2.0 * np.arctan2(np.linalg.norm(u - v), np.linalg.norm(u + v)))


def stationary_on_segment(a: float, b: float, theta: float) -> float:
    """The maximiser over ``s`` in ``[0, theta]`` of ``a cos(s) + b sin(s)`` (``theta <= pi``).

    ``a cos s + b sin s = rho cos(s - phi)`` is unimodal on the circle, so the
    maximiser is ``phi`` when it lies in the segment and otherwise the better end.
    """
    phi = float(np.arctan2(b, a))
    if 0.0 <= phi <= theta:
        return phi
    at_end = a * np.cos(theta) + b * np.sin(theta)
    return theta if at_end > a else 0.0


def psd_factor(M: np.ndarray, what: str) -> np.ndarray:
    """A factor ``F`` with ``F F^T = M`` for a symmetric positive semi-definite ``M``.

    Eigenvalues within ``64 m eps`` of the largest (rounding) are treated as
    zero and their directions dropped; a clearly negative eigenvalue means
    ``M`` is no Gram matrix, and ``what`` (a description of ``M``) is named in
    the ``ValueError``.
    """
    w, U = np.linalg.eigh(0.5 * (M + M.T))
    tol = 64 * M.shape[0] * np.finfo(float).eps * max(abs(w[0]), abs(w[-1]))
    if w[0] < -tol:
        raise ValueError(
            f"{what} is not positive semi-definite (smallest eigenvalue {w[0]:.3g}, largest "
            f"{w[-1]:.3g}), so no representation has it as its Gram matrix; the geodesic leaves "
            "the space of representations there"
        )
    keep = w > tol
    return U[:, keep] * np.sqrt(w[keep])
