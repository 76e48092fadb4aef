"""Euclidean embeddings of a metric space of representations."""

from __future__ import annotations

from ._classical import Embedding, classical_mds
from ._landmarks import LandmarkDistances, landmark_distances, landmark_mds
from ._metric import MetricEmbedding, metric_mds


__all__ = [
    "Embedding",
    "LandmarkDistances",
    "MetricEmbedding",
    "classical_mds",
    "landmark_distances",
    "landmark_mds",
    "metric_mds",
]
