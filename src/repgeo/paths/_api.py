"""The public functions of :mod:`repgeo.paths`: validation, then the chosen space's geometry."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_float_array, as_labelled, check_choice, check_in_range, check_matched_rows
from ._airm import AIRMSpace
from ._base import Projection, Space
from ._cka import CKASpace
from ._procrustes import AngularSpace, BuresSpace

__all__ = ["SPACES", "get_space", "distance", "geodesic", "log", "exp", "length", "angle", "project"]

#: Space names accepted by ``space=`` (an instance such as ``AIRMSpace(ridge=1e-3)`` works too).
SPACES = {"angular": AngularSpace, "cka": CKASpace, "bures": BuresSpace, "airm": AIRMSpace}


def get_space(space: str | Space) -> Space:
    """The space named ``space`` (with default parameters), or ``space`` itself if it is one.

    Examples
    --------
    >>> get_space("airm")
    AIRMSpace(ridge=0.0)
    """
    if isinstance(space, Space):
        return space
    if not isinstance(space, str):
        raise TypeError(f"space must be a name ({', '.join(map(repr, SPACES))}) or a paths space; got {type(space).__name__}")
    return SPACES[check_choice(space, "space", tuple(SPACES))]()


def _points(space: Space, arrays: list, names: list[str]) -> list:
    points = [space.prepare(X, nm) for X, nm in zip(arrays, names)]
    check_matched_rows(arrays, names)
    return points


def _tangent(space: Space, a: Any, V: Any, name: str) -> np.ndarray:
    return space.check_tangent(a, as_float_array(V, name, ndim=2), name)


def _parameter(t: Any) -> float:
    return check_in_range(t, "t", -np.inf, np.inf)


def distance(A: Any, B: Any, *, space: str | Space = "angular") -> float:
    """Geodesic distance between two representations in ``space``.

    Equal to the matching measure: ``"angular"`` -- ``ShapeMetric(alpha=1,
    score="angular")``; ``"cka"`` -- :class:`repgeo.AngularCKA`; ``"bures"``
    -- ``ShapeMetric(alpha=1, score="euclidean")``; ``"airm"`` --
    :class:`repgeo.paths.GramAIRM`.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> X = np.random.default_rng(0).standard_normal((50, 8))
    >>> Y = np.tanh(X @ np.random.default_rng(1).standard_normal((8, 5)))
    >>> bool(np.isclose(rg.paths.distance(X, Y, space="cka"), rg.AngularCKA()(X, Y)))
    True
    """
    sp = get_space(space)
    a, b = _points(sp, [A, B], ["A", "B"])
    return sp.distance(a, b)


def geodesic(X: Any, Y: Any, t: float, *, space: str | Space = "angular") -> np.ndarray:
    """The point a fraction ``t`` of the way along the geodesic from ``X`` to ``Y``.

    Returns a representation (``"angular"``: unit norm; ``"bures"``: data
    units) or a Gram factor ``F`` with ``F F^T`` the point (``"cka"``,
    ``"airm"``); every function here accepts it back.  ``distance(X,
    geodesic(X, Y, t)) == t * distance(X, Y)`` for ``t`` in ``[0, 1]``.
    Values outside ``[0, 1]`` extrapolate where the space allows it and raise
    ``ValueError`` where the continued geodesic leaves the space (``"cka"``,
    ``"airm"`` with a ridge).

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((40, 6)), rng.standard_normal((40, 9))
    >>> M = rg.paths.geodesic(X, Y, 0.5)
    >>> d = rg.paths.distance(X, Y)
    >>> bool(np.isclose(rg.paths.distance(X, M), d / 2) and np.isclose(rg.paths.distance(M, Y), d / 2))
    True
    """
    sp = get_space(space)
    t = _parameter(t)
    a, b = _points(sp, [X, Y], ["X", "Y"])
    return sp.geodesic(a, b, t)


def log(X: Any, Y: Any, *, space: str | Space = "angular") -> np.ndarray:
    """The tangent vector at ``X`` pointing to ``Y`` with length ``distance(X, Y)`` (the log map).

    Coordinates: ``"angular"``/``"bures"`` -- an ``(n, w)`` horizontal
    vector at ``X``'s principal-coordinate representative; ``"cka"`` -- a
    symmetric ``(n, n)`` matrix tangent to the sphere; ``"airm"`` -- the
    whitened symmetric ``(n, n)`` matrix ``log(A^{-1/2} B A^{-1/2})``.  In
    each, the Frobenius inner product is the Riemannian one.  In the
    Procrustes spaces, when ``Y`` has more dimensions than ``X``'s rank, the
    columns beyond that rank are determined only up to a rotation (which
    leaves ``X`` fixed); :func:`angle` takes the smallest angle over it.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((30, 5)), rng.standard_normal((30, 5))
    >>> V = rg.paths.log(X, Y, space="bures")
    >>> bool(np.isclose(np.linalg.norm(V), rg.paths.distance(X, Y, space="bures")))
    True
    """
    sp = get_space(space)
    a, b = _points(sp, [X, Y], ["X", "Y"])
    return sp.log(a, b)


def exp(X: Any, V: Any, *, space: str | Space = "angular") -> np.ndarray:
    """The end of the geodesic from ``X`` with initial velocity ``V`` (the exponential map).

    ``V`` is in the coordinates :func:`log` returns; its part that does not
    move the point (pure rotations, a column mean, a radial or constant
    component) is removed first.  Returns a point in output form.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((30, 5)), rng.standard_normal((30, 7))
    >>> Z = rg.paths.exp(X, rg.paths.log(X, Y))
    >>> round(rg.paths.distance(Z, Y), 8)
    0.0
    """
    sp = get_space(space)
    (a,) = _points(sp, [X], ["X"])
    return sp.exp(a, _tangent(sp, a, V, "V"), "V")


def length(reps: Any, *, space: str | Space = "angular") -> float:
    """Total length ``sum_l d(reps[l-1], reps[l])`` of a sequence (or dict) of representations.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((40, 6)), rng.standard_normal((40, 6))
    >>> M = rg.paths.geodesic(X, Y, 0.3)
    >>> bool(np.isclose(rg.paths.length([X, M, Y]), rg.paths.distance(X, Y)))
    True
    """
    sp = get_space(space)
    labels, arrays = as_labelled(reps, "reps", minimum=2)
    points = _points(sp, arrays, [f"reps[{lab!r}]" for lab in labels])
    return float(sum(sp.distance(p, q) for p, q in zip(points[:-1], points[1:])))


def angle_at(space: Space, a: Any, b: Any, c: Any, names: tuple[str, str, str] = ("A", "B", "C")) -> float:
    """Angle at prepared ``b`` between the geodesics to prepared ``a`` and ``c``."""
    for p, nm in ((a, names[0]), (c, names[2])):
        d = space.distance(b, p)
        if space.same_point(b, p, d):
            raise ValueError(
                f"{nm} and {names[1]} are the same point (distance {d:.3g}); the angle at {names[1]} is undefined"
            )
    return space.angle_between(b, space.log(b, a), space.log(b, c))


def angle(A: Any, B: Any, C: Any, *, space: str | Space = "angular") -> float:
    """Angle in ``[0, pi]`` at ``B`` between the geodesics from ``B`` to ``A`` and to ``C``.

    ``pi`` means ``B`` lies on the geodesic from ``A`` to ``C`` (a path
    through ``A, B, C`` goes straight on at ``B``); small values mean it
    turns back.  Computed from the log maps at ``B``:
    ``arccos(<log_B A, log_B C> / (|log_B A| |log_B C|))``.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((40, 6)), rng.standard_normal((40, 6))
    >>> round(rg.paths.angle(X, rg.paths.geodesic(X, Y, 0.4), Y), 6) == round(np.pi, 6)
    True
    """
    sp = get_space(space)
    a, b, c = _points(sp, [A, B, C], ["A", "B", "C"])
    return angle_at(sp, a, b, c)


def project(Z: Any, X: Any, Y: Any, *, space: str | Space = "angular") -> Projection:
    """The point of the geodesic segment from ``X`` to ``Y`` closest to ``Z``.

    Returns a :class:`Projection` with the point (output form), its parameter
    ``t`` in ``[0, 1]`` and the distance from ``Z``.  For an interior ``t``
    the residual ``log_P Z`` is orthogonal to the geodesic at ``P``.  Closed
    form on the ``"cka"`` sphere; alternating rotation/parameter updates in
    the Procrustes spaces; a bracketing root search on the convex
    ``"airm"`` distance.  If ``X`` and ``Y`` coincide, ``t = 0``.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((40, 6)), rng.standard_normal((40, 6))
    >>> res = rg.paths.project(rg.paths.geodesic(X, Y, 0.25, space="cka"), X, Y, space="cka")
    >>> round(res.t, 6), round(res.distance, 6)
    (0.25, 0.0)
    """
    sp = get_space(space)
    z, a, b = _points(sp, [Z, X, Y], ["Z", "X", "Y"])
    t, point = sp.project(z, a, b)
    return Projection(point=point, t=float(t), distance=sp.distance(z, sp.prepare(point, "projection")))
