"""Riemannian tools: pullback and Fisher metrics, Jacobians, SPD distances, MSA helpers.

A representation ``f: M -> R^n`` of an ``m``-dimensional input (task,
stimulus, latent) manifold is studied through its Jacobians ``J = df/du`` and
the pulled-back metric ``G = J^T A J``.  Two representations of the same
manifold are compared point by point with an SPD distance and averaged
(:class:`repgeo.MSA`).  ``import repgeo.riemann`` does not import torch; only
:func:`jacobians` (and :func:`compare_models` with callables) need it.  The
SPD distances and :class:`repgeo.MSA` also take torch tensors, and then
compute with torch on the tensors' device (CPU or CUDA) by the same
algorithm, returning tensors there (MSA values are floats).

Examples
--------
>>> import numpy as np, repgeo as rg
>>> J = np.array([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])
>>> rg.riemann.pullback_metric(J)[0]
array([[1., 0.],
       [0., 1.]])
"""

from ._jacobians import jacobians
from ._local import local_jacobians
from ._models import compare_models
from ._msa import MetricField, MSAResult
from ._pullback import fisher_gaussian, fisher_softmax, pullback_metric
from ._split import AIRMSplit, airm_split
from ._spd import (
    SPD_DISTANCES,
    airm,
    bures,
    generalized_eigvalsh,
    log_euclidean,
    spd_distance,
    spectral_ratio,
    thompson,
)

__all__ = [
    "AIRMSplit",
    "MSAResult",
    "MetricField",
    "SPD_DISTANCES",
    "airm",
    "airm_split",
    "bures",
    "compare_models",
    "fisher_gaussian",
    "fisher_softmax",
    "generalized_eigvalsh",
    "jacobians",
    "local_jacobians",
    "log_euclidean",
    "pullback_metric",
    "spd_distance",
    "spectral_ratio",
    "thompson",
]
