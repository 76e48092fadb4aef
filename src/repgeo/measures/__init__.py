"""Measures, one module per family; importing this package registers them all."""

from .dsa import DSA, InputDSA
from .kernel import AngularCKA, KernelCKA, LinearCKA
from .msa import MSA
from .permutation import PermutationMetric
from .rsa import RSA, rdm
from .shape import RepresentationWarning, ShapeAlignment, ShapeMetric

__all__ = [
    "AngularCKA",
    "DSA",
    "InputDSA",
    "KernelCKA",
    "LinearCKA",
    "PermutationMetric",
    "RSA",
    "RepresentationWarning",
    "ShapeAlignment",
    "ShapeMetric",
    "rdm",
]
