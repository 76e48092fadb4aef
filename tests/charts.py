"""Manifold charts with known Jacobians, shared by the MSA and Riemannian tests."""

import numpy as np


def sphere(U):
    """Unit sphere in spherical coordinates ``U = (theta, phi)``: points and Jacobians (n, 3, 2)."""
    th, ph = U.T
    X = np.c_[np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)]
    J = np.stack(
        [
            np.c_[np.cos(th) * np.cos(ph), -np.sin(th) * np.sin(ph)],
            np.c_[np.cos(th) * np.sin(ph), np.sin(th) * np.cos(ph)],
            np.c_[-np.sin(th), np.zeros_like(th)],
        ],
        axis=1,
    )
    return X, J
