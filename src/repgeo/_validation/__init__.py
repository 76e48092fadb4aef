"""Input checks at the library boundary.

This module holds every input check of the library. Each error names the
argument, the rule it breaks and the value that was received, e.g.
``ValueError: X has 40 rows but Y has 50; rows must be matched samples``.
Measures call these helpers in ``prepare`` and trust prepared inputs in
``compare``.

The checks live in four modules by what they check (``_arrays``: arrays, layouts,
choices, ranges, seeds; ``_fields``: Jacobian and metric fields; ``_collections``:
labels, labelled representations, paths, budgets, distance matrices;
``_trajectory``: time series for dynamics); import them from this package.
"""

from __future__ import annotations

from ._arrays import *  # noqa: F403
from ._collections import *  # noqa: F403
from ._fields import *  # noqa: F403
from ._trajectory import *  # noqa: F403

__all__ = [
    "LAYOUTS",
    "Layout",
    "as_float_array",
    "as_labels",
    "check_matrix",
    "check_matched_rows",
    "check_choice",
    "check_names",
    "check_in_range",
    "check_positive_int",
    "check_rng",
    "non_constant_columns",
    "norm_in_data_units",
    "as_jacobians",
    "as_metrics",
    "metric_scan",
    "metric_stack",
    "check_same_points",
    "check_psd",
    "check_shape",
    "as_stochastic",
    "as_labelled",
    "check_symmetric_matrix",
    "check_distance_matrix",
    "check_trajectory",
    "check_delays",
    "check_rank_spec",
    "check_inputs_match",
]
