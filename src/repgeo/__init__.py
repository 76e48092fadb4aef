"""repgeo: measure and compare the geometry of neural representations.

Measures are small frozen dataclasses called as ``measure(X, Y) -> float``;
:func:`pairwise` computes all-pairs matrices.  Heavier tool sets are
submodules imported on first use: ``capacity``, ``paths``, ``riemann``,
``dynamics``, ``embed``, ``stats``, ``datasets``, ``capture``, ``plot``,
``report``.  ``import repgeo`` never imports torch, matplotlib or dask.

Examples
--------
>>> import numpy as np, repgeo as rg
>>> X = np.random.default_rng(0).standard_normal((50, 10))
>>> round(rg.ShapeMetric(alpha=1.0)(X, X[:, ::-1]), 6)
0.0
"""

from __future__ import annotations

import importlib
from typing import Any

from ._measure import Measure, MeasureInfo
from ._registry import get_measure, list_measures, register
from .measures import (
    DSA,
    RSA,
    AngularCKA,
    InputDSA,
    KernelCKA,
    LinearCKA,
    MSA,
    PermutationMetric,
    RepresentationWarning,
    ShapeAlignment,
    ShapeMetric,
    rdm,
)
from .pairwise import PairwiseResult, pairwise, pairwise_labeled

__version__ = "0.1.0"

_SUBMODULES = frozenset(
    {"capacity", "paths", "riemann", "dynamics", "embed", "stats", "datasets", "capture", "plot", "report", "cli", "demo"}
)

__all__ = [
    "AngularCKA",
    "DSA",
    "InputDSA",
    "KernelCKA",
    "LinearCKA",
    "MSA",
    "Measure",
    "MeasureInfo",
    "PairwiseResult",
    "PermutationMetric",
    "RSA",
    "RepresentationWarning",
    "ShapeAlignment",
    "ShapeMetric",
    "get_measure",
    "list_measures",
    "pairwise",
    "pairwise_labeled",
    "rdm",
    "register",
    *sorted(_SUBMODULES),
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'repgeo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)
