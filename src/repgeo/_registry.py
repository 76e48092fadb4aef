"""The registry of named measure configurations."""

from __future__ import annotations

import inspect
from typing import Any, Callable

from ._measure import Measure, MeasureInfo

__all__ = ["register", "get_measure", "list_measures", "registered"]

_REGISTRY: dict[str, tuple[type, dict[str, Any]]] = {}


def register(name: str, **params: Any) -> Callable[[type], type]:
    """Class decorator: register ``cls(**params)`` under ``name``.

    The instance's :class:`MeasureInfo` is checked; an inconsistent claim (a
    metric similarity, an asymmetric metric, an unknown invariance, an identity
    value outside the bounds) raises ``TypeError`` at import time.  Decorators
    stack, so one class can be registered under several names with different
    hyperparameters.
    """

    def decorator(cls: type) -> type:
        if not (isinstance(cls, type) and issubclass(cls, Measure)):
            raise TypeError(f"register({name!r}) decorates Measure subclasses, got {cls!r}")
        if inspect.isabstract(cls):
            missing = ", ".join(sorted(cls.__abstractmethods__))
            raise TypeError(f"register({name!r}): {cls.__name__} does not implement {missing}")
        if name in _REGISTRY:
            raise TypeError(f"a measure named {name!r} is already registered")
        instance = cls(**params)
        info = instance.info
        if not isinstance(info, MeasureInfo):
            raise TypeError(f"{cls.__name__}.info must be a MeasureInfo, got {type(info).__name__}")
        problems = info.problems()
        if problems:
            raise TypeError(f"inconsistent MeasureInfo for {name!r}: " + "; ".join(problems))
        _REGISTRY[name] = (cls, dict(params))
        return cls

    return decorator


def get_measure(name: str, **overrides: Any) -> Measure:
    """Build the registered measure ``name``, optionally overriding hyperparameters.

    Examples
    --------
    >>> import repgeo as rg
    >>> rg.get_measure("procrustes")
    ShapeMetric(alpha=1.0, score='angular', ridge=0.0, convention='repgeo')
    >>> rg.get_measure("shape", alpha=0.5).alpha
    0.5
    """
    if isinstance(name, Measure):
        return name
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise ValueError(f"measure must be a registered name ({known}); got {name!r}")
    cls, params = _REGISTRY[name]
    return cls(**{**params, **overrides})


def registered() -> dict[str, Measure]:
    """All registered measures as ``{name: instance}``, sorted by name."""
    return {name: get_measure(name) for name in sorted(_REGISTRY)}


def list_measures(
    kind: str | None = None, invariant_to: str | None = None, input: str | None = None
) -> list[str]:
    """Names of registered measures, optionally filtered.

    Parameters
    ----------
    kind : {"distance", "similarity"}, optional
    invariant_to : str, optional
        Keep measures that claim this invariance (e.g. ``"orthogonal"``).
    input : str, optional
        Keep measures that take this input layout (e.g. ``"matrix"``).

    Examples
    --------
    >>> import repgeo as rg
    >>> "procrustes" in rg.list_measures(kind="distance", invariant_to="orthogonal")
    True
    """
    out = []
    for name, m in registered().items():
        info = m.info
        if kind is not None and info.kind != kind:
            continue
        if invariant_to is not None and invariant_to not in info.invariances:
            continue
        if input is not None and info.input != input:
            continue
        out.append(name)
    return out
