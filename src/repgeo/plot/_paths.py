"""Layer paths of several networks in one MDS picture."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .._validation import as_labelled

__all__ = ["paths"]


def paths(
    networks: Mapping[str, Any],
    *,
    measure: Any = "procrustes",
    target: Any = None,
    ax: Any = None,
    n_jobs: int | None = None,
) -> Any:
    """Draw several networks' layer-by-layer paths in one 2-D picture.

    All layers of all networks (and ``target``, if given) are compared with
    ``measure`` by :func:`repgeo.pairwise` and embedded with
    classical MDS (:func:`repgeo.embed.classical_mds`); each network is a
    line through its layers, its first layer marked by a square and its last
    by a triangle.

    Parameters
    ----------
    networks : dict
        ``name -> layers``, where ``layers`` is a sequence or dict of
        ``(n_samples, n_features)`` arrays in order (all networks on the same
        samples).
    measure : Measure or str, default "procrustes"
        A distance, e.g. a registered name (``"procrustes"``,
        ``"angular_cka"``, ``"procrustes_euclidean"``) or the ``.measure`` of
        a :mod:`repgeo.paths` space (``rg.paths.AIRMSpace(1e-3).measure``):
        each equals that space's geodesic distance.
    target : array, optional
        A desired output (e.g. one-hot labels), drawn as a star.
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise.
    n_jobs : int, optional
        Workers for the all-pairs engine.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, matplotlib, repgeo as rg
    >>> matplotlib.use("Agg")
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 5))
    >>> nets = {"a": [X, np.tanh(X), np.tanh(2 * X)], "b": [X, X @ rng.standard_normal((5, 3))]}
    >>> ax = rg.plot.paths(nets, measure="angular_cka")
    >>> len(ax.get_lines())
    2
    """
    import matplotlib.pyplot as plt

    from .._registry import get_measure
    from ..embed import classical_mds
    from ..pairwise import pairwise

    if not isinstance(networks, Mapping) or not networks:
        raise TypeError(f"networks must be a non-empty dict of name -> layers; got {type(networks).__name__}")
    measure = get_measure(measure) if isinstance(measure, str) else measure
    reps, spans = {}, {}
    for name, layers in networks.items():
        labels, arrays = as_labelled(layers, f"networks[{name!r}]", minimum=2)
        start = len(reps)
        reps.update({f"{name}/{lab}": arr for lab, arr in zip(labels, arrays)})
        spans[str(name)] = (start, len(reps))
    if target is not None:
        reps["target"] = target
    coords = classical_mds(pairwise(reps, measure, n_jobs=n_jobs), n_components=2).coords
    if coords.shape[1] < 2:  # degenerate distances: put everything on one axis
        coords = np.hstack([coords, np.zeros((len(coords), 2 - coords.shape[1]))])
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    for name, (lo, hi) in spans.items():
        (line,) = ax.plot(coords[lo:hi, 0], coords[lo:hi, 1], "o-", ms=4, lw=1.2, label=name)
        ax.scatter(coords[[lo], 0], coords[[lo], 1], marker="s", s=45, color=line.get_color())
        ax.scatter(coords[[hi - 1], 0], coords[[hi - 1], 1], marker="^", s=60, color=line.get_color())
    if target is not None:
        ax.scatter(coords[[-1], 0], coords[[-1], 1], marker="*", s=140, color="black", label="target")
    ax.set_xlabel("MDS 1")
    ax.set_ylabel("MDS 2")
    ax.set_title(f"Paths by {measure.info.name} (square: first layer, triangle: last)", fontsize=9)
    ax.legend(fontsize=8)
    ax.set_aspect("equal", adjustable="datalim")
    return ax
