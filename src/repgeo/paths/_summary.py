"""Summaries of one network's path: lengths, straightness, angles, progress towards a target."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._result import Result
from .._validation import as_labelled, check_matched_rows
from .._warnings import RepresentationWarning
from ._api import angle_at, get_space
from ._base import Space

__all__ = ["PathSummary", "summarize"]


@dataclass(frozen=True, eq=False, repr=False)
class PathSummary(Result):
    """Geometry of a path ``x_0, ..., x_L`` of representations (e.g. a network's layers).

    Attributes
    ----------
    space : str
        ``repr`` of the space.
    labels : tuple of str
        One label per representation.
    length : float
        ``sum_l d(x_{l-1}, x_l)``.
    endpoint_distance : float
        ``d(x_0, x_L)``.
    straightness : float
        ``endpoint_distance / length`` in ``[0, 1]``; 1 when the layers lie in
        order on one geodesic (NaN, with a warning, for a path of length 0).
    steps : ndarray of shape (L,)
        ``d(x_{l-1}, x_l)``.
    angles : ndarray of shape (L - 1,)
        Angle at each interior ``x_l`` between the geodesics to ``x_{l-1}``
        and ``x_{l+1}``: ``pi`` goes straight on, near 0 turns back (NaN,
        with a warning, next to a step of length 0).
    turning_angles : ndarray of shape (L - 1,)
        ``pi - angles``: how far the path turns at each interior layer.
    distance_to_target : ndarray of shape (L + 1,)
        ``d(x_l, target)`` (the target defaults to ``x_L``).  A path whose
        every layer reduces this is moving towards the target.
    projection_t : ndarray of shape (L + 1,)
        Parameter of each layer's closest point on the geodesic segment from
        ``x_0`` to ``x_L`` (NaN when ``x_0 = x_L``).
    distance_from_geodesic : ndarray of shape (L + 1,)
        Distance of each layer from that closest point.
    """

    space: str
    labels: tuple
    length: float
    endpoint_distance: float
    straightness: float
    steps: np.ndarray
    angles: np.ndarray
    turning_angles: np.ndarray
    distance_to_target: np.ndarray
    projection_t: np.ndarray
    distance_from_geodesic: np.ndarray

    _dims = {
        "steps": "step", "angles": "interior_layer", "turning_angles": "interior_layer",
        **dict.fromkeys(("distance_to_target", "projection_t", "distance_from_geodesic"), "layer"),
    }
    _coords = {"layer": "labels"}
    _table = "layer"


def _angles(sp: Space, points: list, steps: np.ndarray, labels: list[str]) -> np.ndarray:
    out = np.full(max(len(points) - 2, 0), np.nan)
    for k in range(1, len(points) - 1):
        if sp.same_point(points[k], points[k - 1], steps[k - 1]) or sp.same_point(points[k], points[k + 1], steps[k]):
            warnings.warn(
                f"layer {labels[k]!r} coincides with a neighbour, so the angle there is undefined (NaN)",
                RepresentationWarning,
                stacklevel=3,
            )
            continue
        out[k - 1] = angle_at(sp, points[k - 1], points[k], points[k + 1])
    return out


def summarize(reps: Any, *, space: str | Space = "angular", target: Any = None) -> PathSummary:
    """Length, straightness, step lengths, angles and progress of a path of representations.

    Parameters
    ----------
    reps : sequence or dict of arrays (n_samples, n_features_l)
        The path in order, e.g. a network's input, hidden layers and output;
        all with the same samples (rows).  Dict keys label the layers.
    space : str or space, default "angular"
        ``"angular"``, ``"cka"``, ``"bures"``, ``"airm"`` or a space instance.
    target : array (n_samples, k), optional
        The desired output (e.g. one-hot labels); defaults to the last entry.

    Returns
    -------
    PathSummary

    Notes
    -----
    Lange et al. (2023) read a network as a path through a metric space of
    representations; the hypothesis that each layer reduces the distance to
    the desired output is read off ``distance_to_target``, and how directly
    the network gets there off ``straightness`` and the angles.

    References
    ----------
    Lange, Kwok, Matelsky, Wang, Rolnick & Kording (2023). Deep networks as
    paths on the manifold of neural representations. PMLR 221.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((40, 6)), rng.standard_normal((40, 6))
    >>> layers = [rg.paths.geodesic(X, Y, t, space="cka") for t in (0.0, 0.3, 0.7, 1.0)]
    >>> s = rg.paths.summarize(layers, space="cka")
    >>> round(s.straightness, 6), np.round(s.projection_t, 6).tolist()
    (1.0, [0.0, 0.3, 0.7, 1.0])
    """
    sp = get_space(space)
    labels, arrays = as_labelled(reps, "reps", minimum=2)
    names = [f"reps[{lab!r}]" for lab in labels]
    points = [sp.prepare(X, nm) for X, nm in zip(arrays, names)]
    extra = [] if target is None else [target]
    check_matched_rows(arrays + extra, names + ["target"] * len(extra))
    goal = points[-1] if target is None else sp.prepare(target, "target")

    steps = np.array([sp.distance(p, q) for p, q in zip(points[:-1], points[1:])])
    total = float(steps.sum())
    first, last = points[0], points[-1]
    end = sp.distance(first, last)
    if total > 0:
        straightness = min(end / total, 1.0)
    else:
        warnings.warn("the path has length 0, so its straightness is undefined (NaN)", RepresentationWarning, stacklevel=2)
        straightness = np.nan
    if sp.same_point(first, last, end):
        t_proj = np.full(len(points), np.nan)
        off = np.array([sp.distance(p, first) for p in points])
    else:
        t_proj, off = np.empty(len(points)), np.empty(len(points))
        for k, p in enumerate(points):
            t, point = sp.project(p, first, last)
            t_proj[k], off[k] = t, sp.distance(p, sp.prepare(point, "projection"))
    angles = _angles(sp, points, steps, labels)
    return PathSummary(
        space=repr(sp),
        labels=tuple(labels),
        length=total,
        endpoint_distance=end,
        straightness=straightness,
        steps=steps,
        angles=angles,
        turning_angles=np.pi - angles,
        distance_to_target=np.array([sp.distance(p, goal) for p in points]),
        projection_t=t_proj,
        distance_from_geodesic=off,
    )
