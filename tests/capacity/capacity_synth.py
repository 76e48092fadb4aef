"""Synthetic manifolds with exactly known capacities (helpers for the capacity tests).

Every builder returns manifolds whose global mean is exactly zero (each manifold
comes with its mirror image ``-X``), whose centers are orthogonal to their axes,
and whose centers have unit norm, so that the mean-field analysis with
``n_centers=0`` sees exactly the intended geometry.
"""

from __future__ import annotations

import numpy as np


def orthonormal(n_dim: int, n_vec: int, rng) -> np.ndarray:
    """``n_vec`` orthonormal rows in ``R^n_dim``."""
    q, _ = np.linalg.qr(rng.standard_normal((n_dim, n_vec)))
    return q.T


def mirrored(manifolds):
    return list(manifolds) + [-m for m in manifolds]


def balls(n_pairs: int, n_dim: int, radius: float, shape: np.ndarray, rng):
    """Manifolds ``c + radius * shape @ U`` (shape: (M, D) unit-ball points)."""
    D = shape.shape[1]
    basis = orthonormal(n_dim, n_pairs * (D + 1), rng)
    out = []
    for q in range(n_pairs):
        c = basis[q * (D + 1)]
        U = basis[q * (D + 1) + 1 : (q + 1) * (D + 1)]
        out.append(c + radius * shape @ U)
    return mirrored(out)


def points(n_pairs: int, n_dim: int, rng):
    return balls(n_pairs, n_dim, 1.0, np.zeros((1, 0)), rng)


def segments(n_pairs: int, n_dim: int, radius: float, rng):
    return balls(n_pairs, n_dim, radius, np.array([[1.0], [-1.0]]), rng)


def polygon(n_points: int) -> np.ndarray:
    ang = 2 * np.pi * np.arange(n_points) / n_points
    return np.stack([np.cos(ang), np.sin(ang)], axis=1)


def fibonacci_sphere(n_points: int) -> np.ndarray:
    k = np.arange(n_points) + 0.5
    z = 1 - 2 * k / n_points
    phi = np.pi * (1 + 5**0.5) * k
    r = np.sqrt(1 - z * z)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def orthonormal_clouds(n_pairs: int, n_points: int, n_dim: int, rng):
    """Clouds of ``n_points`` orthonormal points each: capacity exactly ``2 / n_points``."""
    basis = orthonormal(n_dim, n_pairs * n_points, rng)
    return mirrored([basis[q * n_points : (q + 1) * n_points] for q in range(n_pairs)])
