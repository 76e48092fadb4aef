"""Manifold capacity, geometry, alignment and decodability of neural manifolds.

A manifold is a point cloud: the responses of a population to the stimuli of
one class (or object, or latent bin).  Pass manifolds as a ``(P, M, N)`` array
or a list of ``(M_i, N)`` arrays; :func:`from_labels` builds them from one
response matrix and labels.

- :func:`mean_field` -- replica mean-field capacity, anchor radius and
  dimension, center correlation (Chung et al. 2018; Cohen et al. 2020).
- :func:`simulated` -- capacity from simulated linear separability.
- :func:`glue` -- correlated-manifold capacity, effective geometry and anchor
  alignments.
- :func:`alignment` -- manifold alignment analysis (GLUE anchors, subspaces,
  spectral task alignment); :func:`decodability` -- linear read-out accuracy
  of random manifold dichotomies, few-shot included.
- :func:`alpha0`, :func:`ball_capacity` -- closed-form capacities.

Examples
--------
>>> import numpy as np, repgeo
>>> pts = np.random.default_rng(0).standard_normal((20, 1, 50))
>>> round(repgeo.capacity.alpha0(0.0), 3)
2.0
"""

from ._centers import CenterConvergenceWarning
from ._manifolds import from_labels
from ._theory import alpha0, ball_capacity
from .alignment import SpectralAlignment, SubspaceAlignment, alignment, spectral_alignment, subspace_alignment
from .decoding import DecodabilityResult, decodability
from .glue import CapacitySaturationWarning, GlueResult, glue
from .mean_field import MeanFieldResult, mean_field
from .simulated import SimulatedResult, separable_fraction, simulated

__all__ = [
    "CapacitySaturationWarning",
    "CenterConvergenceWarning",
    "DecodabilityResult",
    "SpectralAlignment",
    "SubspaceAlignment",
    "alignment",
    "decodability",
    "spectral_alignment",
    "subspace_alignment",
    "GlueResult",
    "MeanFieldResult",
    "SimulatedResult",
    "alpha0",
    "ball_capacity",
    "from_labels",
    "glue",
    "mean_field",
    "separable_fraction",
    "simulated",
]
