r"""The sphere of normalised centred Gram matrices, whose great-circle distance is angular CKA.

A representation ``X`` (n x p) is the point ``P = H X X^T H / ||H X X^T H||_F``
(``H`` the centring matrix) on the unit sphere of symmetric ``n x n``
matrices; ``<P, Q>_F`` is linear CKA (biased HSIC), so the great-circle
distance ``arccos <P, Q>`` equals :class:`repgeo.AngularCKA`.  Points are
held and returned as factors ``F`` (n x r) with ``F F^T = P``; tangent
vectors are symmetric ``n x n`` matrices orthogonal to ``P``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._linalg import NEAR_IDENTICAL, angular_from_cosine
from .._measure import Measure
from .._validation import check_symmetric_matrix
from ..measures.linear_cka import AngularCKA, LinearCKA
from ._base import Space, psd_factor, stationary_on_segment

__all__ = ["CKASpace"]


def _factor(p: Any) -> np.ndarray:
    return p.feats / np.sqrt(p.norm)


def _gram(p: Any) -> np.ndarray:
    F = _factor(p)
    return F @ F.T


@dataclass(frozen=True, repr=False)
class CKASpace(Space):
    r"""The unit sphere of centred Gram matrices: angular CKA and its great circles.

    Notes
    -----
    With ``P``, ``Q`` the normalised centred Gram matrices and
    ``theta = arccos <P, Q>_F``,

    .. math::
        \gamma(t) = \frac{\sin((1 - t)\theta)\,P + \sin(t\theta)\,Q}{\sin\theta},
        \qquad \log_P Q = \theta\,\frac{Q - \cos\theta\,P}{\|Q - \cos\theta\,P\|_F},
        \qquad \exp_P V = \cos\|V\|\,P + \sin\|V\|\,\frac{V}{\|V\|}.

    For ``t`` in ``[0, 1]`` both coefficients are non-negative, so
    ``gamma(t)`` is again a Gram matrix with the exact factor
    ``[sqrt(a) F_P, sqrt(b) F_Q]`` (compressed by an SVD).  Outside ``[0, 1]``
    (and for ``exp`` of a long tangent vector) the great circle leaves the
    cone of positive semi-definite matrices, which no representation has;
    such points raise ``ValueError``.  Near-identical pairs (``CKA > 1 -
    1e-4``) take their angle from ``2 arcsin(||P - Q||_F / 2)``, which keeps
    the digits that ``arccos`` loses.

    References
    ----------
    Kornblith et al. (2019), ICML; Williams et al. (2021), NeurIPS;
    Lange, Kwok, Matelsky, Wang, Rolnick & Kording (2023). Deep networks as
    paths on the manifold of neural representations. PMLR 221.
    """

    name = "cka"

    @property
    def measure(self) -> Measure:
        return AngularCKA()

    def distance(self, a: Any, b: Any) -> float:
        cos = LinearCKA().compare(a, b)
        if cos > NEAR_IDENTICAL:
            return float(2.0 * np.arcsin(min(np.linalg.norm(_gram(a) - _gram(b)) / 2.0, 1.0)))
        return float(angular_from_cosine(cos))

    def _direction(self, a: Any, b: Any) -> tuple[np.ndarray, np.ndarray, float]:
        """``P``, the unit tangent at ``P`` towards ``Q`` (zero if equal) and the angle."""
        P, Q = _gram(a), _gram(b)
        theta = self.distance(a, b)
        u = (Q - P) + 2.0 * np.sin(theta / 2.0) ** 2 * P  # Q - cos(theta) P, keeping its digits
        nu = np.linalg.norm(u)
        return P, (u / nu if nu > 0 and theta > 0 else np.zeros_like(u)), theta

    def log(self, a: Any, b: Any) -> np.ndarray:
        _, unit, theta = self._direction(a, b)
        return theta * unit

    def check_tangent(self, a: Any, V: np.ndarray, name: str) -> np.ndarray:
        n = a.feats.shape[0]
        return check_symmetric_matrix(V, name, n, f"a tangent vector of the cka space at a point with {n} samples")

    def exp(self, a: Any, V: np.ndarray, name: str = "V") -> np.ndarray:
        P = _gram(a)
        V = V - V.mean(axis=0)
        V = V - V.mean(axis=1, keepdims=True)  # tangent to centred matrices
        V = V - np.sum(V * P) * P  # tangent to the sphere
        nv = float(np.linalg.norm(V))
        if nv == 0:
            return _factor(a)
        M = np.cos(nv) * P + (np.sin(nv) / nv) * V
        return psd_factor(M, f"exp_X({name}) (a step of length {nv:.3g})")

    def geodesic(self, a: Any, b: Any, t: float) -> np.ndarray:
        theta = self.distance(a, b)
        if theta == 0:
            return _factor(a)
        if not 0.0 <= t <= 1.0:
            P, unit, _ = self._direction(a, b)
            M = np.cos(t * theta) * P + np.sin(t * theta) * unit
            return psd_factor(M, f"the great circle at t={t:g} (extrapolation beyond [0, 1])")
        ca, cb = np.sin((1.0 - t) * theta) / np.sin(theta), np.sin(t * theta) / np.sin(theta)
        F = np.hstack([np.sqrt(ca) * _factor(a), np.sqrt(cb) * _factor(b)])
        U, s, _ = np.linalg.svd(F, full_matrices=False)
        keep = s > max(F.shape) * np.finfo(float).eps * s[0]
        return U[:, keep] * s[keep]

    def project(self, z: Any, a: Any, b: Any) -> tuple[float, np.ndarray]:
        """Closed form: the great circle is ``cos(s) P + sin(s) U``; maximise ``<Z, .>`` over ``s``."""
        P, unit, theta = self._direction(a, b)
        if theta == 0:
            return 0.0, _factor(a)
        Z = _gram(z)
        s = stationary_on_segment(float(np.sum(Z * P)), float(np.sum(Z * unit)), theta)
        t = s / theta
        return t, self.geodesic(a, b, t)
