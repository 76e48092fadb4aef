"""The estimates every capacity analysis reports, shared by its result classes."""

from __future__ import annotations

from dataclasses import dataclass

from .._result import Result


@dataclass(frozen=True, repr=False)
class GeometryEstimate(Result):
    """Capacity, radius and dimension of a set of manifolds, each with its standard error."""

    capacity: float
    capacity_se: float
    radius: float
    radius_se: float
    dimension: float
    dimension_se: float
