"""The fitted maps of a shape metric (:meth:`repgeo.ShapeMetric.fit`), applied to held-out samples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._linalg import angular_from_cosine
from .._validation import check_matrix

__all__ = ["ShapeAlignment"]


@dataclass(frozen=True, eq=False)
class ShapeAlignment:
    """A fitted shape alignment: maps both networks into one aligned space.

    Attributes
    ----------
    score : str
        ``"angular"`` or ``"euclidean"``.
    mean_x, mean_y : ndarray
        Training column means.
    map_x, map_y : ndarray of shape (p_x, r), (p_y, r)
        ``(X - mean_x) @ map_x`` and ``(Y - mean_y) @ map_y`` are aligned.
    distance : float
        The training distance.
    """

    score: str
    mean_x: np.ndarray
    mean_y: np.ndarray
    map_x: np.ndarray
    map_y: np.ndarray
    distance: float

    def transform_x(self, X: Any) -> np.ndarray:
        """Map samples of the first network into the aligned space."""
        return _aligned(X, "X", self.mean_x, self.map_x)

    def transform_y(self, Y: Any) -> np.ndarray:
        """Map samples of the second network into the aligned space."""
        return _aligned(Y, "Y", self.mean_y, self.map_y)

    def __call__(self, X: Any, Y: Any) -> float:
        """Distance between held-out samples, using the fitted maps."""
        a, b = self.transform_x(X), self.transform_y(Y)
        if a.shape[0] != b.shape[0]:
            raise ValueError(f"X has {a.shape[0]} rows but Y has {b.shape[0]}; rows must be matched samples")
        if self.score == "angular":
            # a cosine ignores scale: bring each side to unit scale first, so that norms cannot overflow
            sa, sb = np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0)
            if sa == 0 or sb == 0:
                raise ValueError("held-out samples have zero norm after the fitted maps")
            a, b = a / sa, b / sb
            return float(angular_from_cosine(np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b))))
        with np.errstate(over="ignore", invalid="ignore"):
            value = float(np.linalg.norm(a - b))
        if not np.isfinite(value):
            raise ValueError("the held-out Euclidean distance exceeds float64's range; rescale X and Y "
                             "(and the training data) by the same factor")
        return value


def _aligned(Z: Any, name: str, mean: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    """``(Z - mean) @ mapping`` for held-out samples, refusing what float64 cannot hold."""
    Z = check_matrix(Z, name, min_samples=1)
    if Z.shape[1] != mean.size:
        raise ValueError(f"{name} has {Z.shape[1]} columns but the fit saw {mean.size}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = (Z - mean) @ mapping
    if not np.isfinite(out).all():
        raise ValueError(
            f"{name} is too far from the training data's scale: its aligned coordinates overflow float64; "
            f"rescale {name} and the training data by the same factor"
        )
    return out
