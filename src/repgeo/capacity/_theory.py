"""Closed-form capacities: points (Gardner) and L2 balls (replica theory)."""

from __future__ import annotations

import numpy as np
from scipy import integrate, special, stats

from .._validation import check_in_range, check_positive_int

__all__ = ["alpha0", "ball_capacity"]


def alpha0(kappa: float = 0.0) -> float:
    """Capacity of points with margin ``kappa`` (Gardner 1988).

    Notes
    -----
    ``alpha_0(kappa) = 1 / [(1 + kappa^2) Phi(kappa) + kappa phi(kappa)]``, where
    ``Phi`` and ``phi`` are the standard normal CDF and density; ``alpha_0(0) = 2``
    (Cover 1965).

    References
    ----------
    E. Gardner, "The space of interactions in neural network models",
    J. Phys. A 21, 257 (1988).

    Examples
    --------
    >>> alpha0(0.0)
    2.0
    >>> round(alpha0(1.0), 6)
    0.519572
    """
    k = check_in_range(kappa, "kappa", 0.0, np.inf)
    return float(1.0 / ((1.0 + k * k) * special.ndtr(k) + k * stats.norm.pdf(k)))


def _gauss_square(a: float, b: float, c: float) -> float:
    """``int_a^b (c - x)^2 phi(x) dx`` in closed form (``a`` may be ``-inf``)."""
    pa = 0.0 if np.isneginf(a) else stats.norm.pdf(a)
    apa = 0.0 if np.isneginf(a) else a * pa
    pb = stats.norm.pdf(b)
    mass = special.ndtr(b) - special.ndtr(a)
    return (c * c + 1.0) * mass + 2.0 * c * (pb - pa) - (b * pb - apa)


def ball_capacity(radius: float, dim: int, kappa: float = 0.0) -> float:
    """Capacity of ``dim``-dimensional L2 balls of ``radius`` (relative to a unit center).

    Notes
    -----
    Replica theory (Chung, Lee & Sompolinsky 2016) gives, with ``chi_D`` the
    chi density and ``Dt0`` the standard normal measure,

    ``alpha_B^-1 = int chi_D(t) [ int_{k - t/R}^{k + R t} Dt0 (k + R t - t0)^2 / (1 + R^2)
    + int_{-inf}^{k - t/R} Dt0 ((k - t0)^2 + t^2) ] dt``.

    The inner integrals are evaluated in closed form, the outer one by
    quadrature.  ``dim = 1`` gives line segments of half-length ``radius``;
    ``radius = 1`` gives ``2 / (dim + 1)`` at ``kappa = 0``.

    References
    ----------
    S. Chung, D. D. Lee, H. Sompolinsky, "Linear readout of object manifolds",
    Phys. Rev. E 93, 060301 (2016).

    Examples
    --------
    >>> round(ball_capacity(1.0, 3), 6)
    0.5
    """
    R = check_in_range(radius, "radius", 0.0, np.inf, low_open=True)
    D = check_positive_int(dim, "dim")
    k = check_in_range(kappa, "kappa", 0.0, np.inf)

    def inner(t: float) -> float:
        touch = _gauss_square(k - t / R, k + R * t, k + R * t) / (1.0 + R * R)
        embed_mass = special.ndtr(k - t / R)
        embedded = _gauss_square(-np.inf, k - t / R, k) + t * t * embed_mass
        return stats.chi.pdf(t, D) * (touch + embedded)

    hi = np.sqrt(D) + 12.0
    value, _ = integrate.quad(inner, 0.0, hi, limit=200, epsabs=1e-13, epsrel=1e-11)
    return float(1.0 / value)
