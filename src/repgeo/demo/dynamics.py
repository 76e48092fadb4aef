"""Demo section: Dynamical Similarity Analysis (Ostrow et al. 2023) on systems that ship as generators.

Two small studies, both with :class:`repgeo.DSA` through :func:`repgeo.pairwise`
(one delay embedding and DMD per system):

* **oscillators**: the Van der Pol oscillator, the same system from another
  start, two smooth invertible warps of its states (a bend and a radial swell)
  and a different system (``mu = 3``).  DSA should call the warps close to the
  original (same dynamics, other coordinates) while the Procrustes shape
  distance between the raw states grows with the warp; a change of the
  dynamics should stand out in DSA.
* **attractors**: populations relaxing onto a ring and onto a line attractor
  (two seeds each); DSA should separate the two kinds.

The oscillators' state sequences are z-scored (mean removed, divided by the
overall standard deviation); the attractor populations are compared as they
fire (DSA centres all trials of a system together; removing each trial's own
mean would erase where on the attractor it settled).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..datasets import attractor_network, van_der_pol
from ..measures import DSA, ShapeMetric
from ..pairwise import pairwise
from ._context import DemoContext, DemoSection

__all__ = ["bend", "swell", "oscillators", "attractors", "section"]

#: DSA settings of each study (delays and rank that resolve each system's dynamics).
SETTINGS = {"oscillators": {"n_delays": 10, "rank": 6}, "attractors": {"n_delays": 5, "rank": 8}}


def bend(X: np.ndarray, b: float) -> np.ndarray:
    """The warp ``(x, y) -> (x, y + b x^2)``: smooth and invertible for every ``b`` (triangular).

    Examples
    --------
    >>> bend(np.array([[2.0, 1.0]]), 0.5)
    array([[2., 3.]])
    """
    Y = np.array(X, dtype=float)
    Y[:, 1] = X[:, 1] + b * X[:, 0] ** 2
    return Y


def swell(X: np.ndarray, b: float) -> np.ndarray:
    """The radial warp ``x -> x exp(b tanh(|x|^2 - 1))``: smooth, and invertible for ``b >= 0``.

    Examples
    --------
    >>> swell(np.array([[1.0, 0.0]]), 2.0)
    array([[1., 0.]])
    """
    return X * np.exp(b * np.tanh(np.sum(X**2, axis=1, keepdims=True) - 1))


def _zscore(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=0)) / X.std()


def oscillators(n_time: int = 1000, n_jobs: int | None = None) -> dict[str, Any]:
    """DSA and Procrustes distances among Van der Pol variants (labels, both matrices, settings)."""
    base = _zscore(van_der_pol(n_time, rng=0))
    systems = {
        "vdp": base,
        "vdp, other start": _zscore(van_der_pol(n_time, rng=5)),
        "vdp bent (b=1)": bend(base, 1.0),
        "vdp bent (b=2)": bend(base, 2.0),
        "vdp swollen (b=3)": swell(base, 3.0),
        "vdp mu=3": _zscore(van_der_pol(n_time, mu=3.0, rng=1)),
    }
    dsa = pairwise(list(systems.values()), DSA(**SETTINGS["oscillators"]), n_jobs=n_jobs)
    # Procrustes pairs the states at equal time points: meaningful only between the original and its warps
    same_times = [name for name in systems if name == "vdp" or "bent" in name or "swollen" in name]
    shape = pairwise([systems[name] for name in same_times], ShapeMetric(alpha=1.0), n_jobs=n_jobs)
    return {"labels": list(systems), "dsa": dsa.tolist(), "procrustes_labels": same_times,
            "procrustes": shape.tolist(), "settings": SETTINGS["oscillators"]}


def attractors(n_jobs: int | None = None, rng: int = 0) -> dict[str, Any]:
    """DSA distances among ring and line attractor populations (labels, matrix, settings)."""
    systems = {f"{kind} {k + 1}": attractor_network(kind, rng=rng + 10 * (kind == "line") + k)
               for kind in ("ring", "line") for k in range(2)}
    dsa = pairwise(list(systems.values()), DSA(**SETTINGS["attractors"]), n_jobs=n_jobs)
    return {"labels": list(systems), "dsa": dsa.tolist(), "settings": SETTINGS["attractors"]}


def _summary(osc: dict, att: dict) -> list[str]:
    labels, dsa, shape = osc["labels"], np.array(osc["dsa"]), np.array(osc["procrustes"])
    warps = [i for i, name in enumerate(labels) if "bent" in name or "swollen" in name]
    other = labels.index("vdp mu=3")
    warped_shape = shape[0, 1:]  # the original against each warp
    A = np.array(att["dsa"])
    kinds = np.array([name.split()[0] for name in att["labels"]])
    same = kinds[:, None] == kinds[None, :]
    off = ~np.eye(len(kinds), dtype=bool)
    return [
        f"Van der Pol, warped states vs the original: DSA {dsa[0, warps].min():.3f}-{dsa[0, warps].max():.3f} "
        f"(another start {dsa[0, 1]:.3f}, a different system mu=3 {dsa[0, other]:.3f}); angular Procrustes "
        f"between the same time points {warped_shape.min():.3f}-{warped_shape.max():.3f}",
        f"ring vs line attractors: DSA within a kind at most {A[same & off].max():.3f}, "
        f"across kinds at least {A[~same].min():.3f}",
    ]


def section(ctx: DemoContext) -> DemoSection:
    """Both studies; writes ``dynamics.json``."""
    ctx.log("dynamics: DSA on Van der Pol warps and on ring vs line attractors")
    results = {"oscillators": oscillators(n_jobs=ctx.n_jobs), "attractors": attractors(n_jobs=ctx.n_jobs)}
    path = ctx.out_dir / "dynamics.json"
    path.write_text(json.dumps(results, indent=2))
    return DemoSection("Dynamics (DSA):", tuple(_summary(results["oscillators"], results["attractors"])), (path,))
