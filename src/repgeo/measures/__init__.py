"""Measures, one module per family; importing this package registers them all."""

from .conv import ConvShapeAlignment, ConvShapeMetric
from .dsa import DSA, InputDSA
from .kernel import KernelCKA
from .linear_cka import AngularCKA, LinearCKA
from .msa import MSA
from .permutation import PermutationMetric
from .rsa import RSA, rdm
from .shape import ShapeAlignment, ShapeMetric
from .streaming import StreamingCKAMatrix, StreamingLinearCKA
from .stochastic import EnergyShapeMetric, GaussianShapeMetric, StochasticAlignment

__all__ = [
    "AngularCKA",
    "ConvShapeAlignment",
    "ConvShapeMetric",
    "DSA",
    "EnergyShapeMetric",
    "GaussianShapeMetric",
    "InputDSA",
    "KernelCKA",
    "LinearCKA",
    "MSA",
    "PermutationMetric",
    "RSA",
    "ShapeAlignment",
    "ShapeMetric",
    "StochasticAlignment",
    "StreamingCKAMatrix",
    "StreamingLinearCKA",
    "rdm",
]
