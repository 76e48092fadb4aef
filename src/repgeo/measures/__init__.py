"""Measures, one module per family; importing this package registers them all."""

from .kernel import AngularCKA, KernelCKA, LinearCKA
from .msa import MSA
from .permutation import PermutationMetric
from .rsa import RSA, rdm
from .shape import ShapeAlignment, ShapeMetric

__all__ = [
    "AngularCKA",
    "KernelCKA",
    "LinearCKA",
    "MSA",
    "PermutationMetric",
    "RSA",
    "ShapeAlignment",
    "ShapeMetric",
    "rdm",
]
