"""Manifold capacity and geometry (tentative; filled in below)."""
from ._manifolds import from_labels
from ._theory import alpha0, ball_capacity
from .mean_field import MeanFieldResult, mean_field
