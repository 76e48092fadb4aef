"""Dynamics building blocks: delay embedding, DMD variants, and aligning linear vector fields.

These are the pieces of Dynamical Similarity Analysis (:class:`repgeo.DSA`)
as plain functions: :func:`delay_embed`, :func:`select_rank` (including the
Gavish-Donoho :func:`optimal_hard_threshold`), :func:`dmd` (exact DMD),
:func:`havok_dmd` (DMD in delay coordinates, the model DSA compares),
:func:`dmdc` (DMD with control), :func:`align_vector_fields` (the
Procrustes problem over vector fields, ``min_C ||A - C B C^T||`` over the
orthogonal group) and :func:`eigenvalue_wasserstein`.
"""

from ._align import VectorFieldAlignment, align_vector_fields, eigenvalue_wasserstein
from ._dmd import DMDcResult, DMDResult, HAVOKResult, dmd, dmdc, havok_dmd
from ._rank import delay_embed, optimal_hard_threshold, select_rank

__all__ = [
    "DMDResult",
    "DMDcResult",
    "HAVOKResult",
    "VectorFieldAlignment",
    "align_vector_fields",
    "delay_embed",
    "dmd",
    "dmdc",
    "eigenvalue_wasserstein",
    "havok_dmd",
    "optimal_hard_threshold",
    "select_rank",
]
