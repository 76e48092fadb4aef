r"""Representational paths: geodesics, lengths, angles and projections between representations.

A network's layers ``x_0, ..., x_L`` (all on the same stimuli) form a path
through a metric space of representations (Lange et al. 2023).  Every
function takes ``(n_samples, n_features)`` arrays of any widths and a
``space``:

============  ==========================================  ===============================
space         point of ``X`` and its distance              geodesic / output form
============  ==========================================  ===============================
``angular``   centred, unit-norm ``X`` mod rotations;       great circle after alignment;
              ``ShapeMetric(alpha=1)`` (angular)            a unit-norm representation
``cka``       ``HXX^TH / ||HXX^TH||_F`` on the unit         great circle (slerp); a factor
              sphere; :class:`repgeo.AngularCKA`            ``F`` with ``F F^T`` the point
``bures``     ``X_c X_c^T`` with Bures-Wasserstein;        aligned straight segment; a
              ``ShapeMetric(alpha=1, score="euclidean")``  representation in data units
``airm``      ``X_c X_c^T + ridge I`` with the affine-     ``A^{1/2}(A^{-1/2}BA^{-1/2})^t A^{1/2}``;
              invariant metric; :class:`GramAIRM`          a factor of ``G(t) - ridge I``
============  ==========================================  ===============================

Outputs are accepted back by every function.  Pass a space instance for
parameters, e.g. ``space=AIRMSpace(ridge=1e-3)``.

Examples
--------
>>> import numpy as np, repgeo as rg
>>> rng = np.random.default_rng(0)
>>> X, Y, Z = (rng.standard_normal((50, 8)) for _ in range(3))
>>> M = rg.paths.geodesic(X, Y, 0.5, space="cka")
>>> bool(np.isclose(rg.paths.distance(X, M, space="cka"), rg.paths.distance(X, Y, space="cka") / 2))
True
>>> rg.paths.angle(X, Z, Y, space="angular") < np.pi
True
"""

from ._airm import AIRMSpace, GramAIRM
from ._api import SPACES, angle, distance, exp, geodesic, get_space, length, log, project
from ._base import Projection, Space
from ._cka import CKASpace
from ._procrustes import AngularSpace, BuresSpace, PathConvergenceWarning
from ._summary import PathSummary, summarize

__all__ = [
    "AIRMSpace",
    "AngularSpace",
    "BuresSpace",
    "CKASpace",
    "GramAIRM",
    "PathConvergenceWarning",
    "PathSummary",
    "Projection",
    "SPACES",
    "Space",
    "angle",
    "distance",
    "exp",
    "geodesic",
    "get_space",
    "length",
    "log",
    "project",
    "summarize",
]
