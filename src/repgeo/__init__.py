"""repgeo: measure and compare the geometry of neural representations.

Measures are small frozen dataclasses called as ``measure(X, Y) -> float``;
:func:`pairwise` computes all-pairs matrices.  Tool sets are submodules
imported on first use (``repgeo.capacity``, ``repgeo.riemann``, ...; see
``repgeo.SUBMODULES``).  ``import repgeo`` never imports torch, matplotlib or
dask.

Examples
--------
>>> import numpy as np, repgeo as rg
>>> X = np.random.default_rng(0).standard_normal((50, 10))
>>> round(rg.ShapeMetric(alpha=1.0)(X, X[:, ::-1]), 6)
0.0
>>> "cca" in rg.list_measures(kind="distance", invariant_to="invertible_linear")
True
"""

from __future__ import annotations

import importlib as _importlib

from ._measure import Measure, MeasureInfo
from ._registry import get_measure, list_measures, register
from ._version import __version__  # noqa: F401 - public, listed by __dir__
from ._warnings import ConvergenceWarning, RepresentationWarning
from .measures import (
    DSA,
    MSA,
    RSA,
    AngularCKA,
    ConvShapeAlignment,
    ConvShapeMetric,
    EnergyShapeMetric,
    GaussianShapeMetric,
    InputDSA,
    KernelCKA,
    LinearCKA,
    PermutationMetric,
    ShapeAlignment,
    ShapeMetric,
    StochasticAlignment,
    StreamingCKAMatrix,
    StreamingLinearCKA,
    rdm,
)
from .pairwise import PairwiseResult, pairwise, pairwise_labeled

#: Tool-set submodules, imported on first attribute access (``rg.capacity``).
SUBMODULES = (
    "capacity", "capture", "datasets", "dynamics", "embed", "paths", "plot", "riemann", "shape_space", "stats", "testing",
)
#: Applications, importable but not star-exported: the demo and the command line.
_APPLICATIONS = ("cli", "demo", "report")

__all__ = [
    "AngularCKA",
    "ConvShapeAlignment",
    "ConvShapeMetric",
    "ConvergenceWarning",
    "DSA",
    "EnergyShapeMetric",
    "GaussianShapeMetric",
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
    "StochasticAlignment",
    "StreamingCKAMatrix",
    "StreamingLinearCKA",
    "get_measure",
    "list_measures",
    "pairwise",
    "pairwise_labeled",
    "rdm",
    "register",
    *SUBMODULES,
]


def __getattr__(name: str) -> object:
    if name in SUBMODULES or name in _APPLICATIONS:
        return _importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'repgeo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *_APPLICATIONS, "SUBMODULES", "__version__"})
