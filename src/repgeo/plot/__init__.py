"""Figures.  matplotlib is imported inside each function, so ``import repgeo.plot`` stays light.

Every function takes ``ax=None`` (a new figure when omitted) and returns the
matplotlib Axes it drew into.

- :func:`heatmap` -- an all-pairs matrix, optionally ordered by clustering.
- :func:`embedding` -- a 2-D embedding (or a distance matrix, embedded by MDS).
- :func:`paths` -- networks' layer-by-layer paths in one 2-D picture.
- :func:`layer_profile`, :func:`capacity_profile` -- quantities against layer
  with standard-error bars.
- :func:`point_map` -- a per-point quantity over a 2-D input domain (MSA maps).
- :func:`null_distribution` -- a permutation null with the observed value.
"""

from ._matrix import cluster_order, embedding, heatmap
from ._paths import paths
from ._profiles import capacity_profile, layer_profile, null_distribution, point_map

__all__ = [
    "capacity_profile",
    "cluster_order",
    "embedding",
    "heatmap",
    "layer_profile",
    "null_distribution",
    "paths",
    "point_map",
]
