"""End to end: two models (torch callables or sampled data) and shared points -> MSA result."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .._validation import as_float_array, check_choice, check_same_points, check_shape
from ._jacobians import import_torch, jacobians
from ._local import local_jacobians
from ._msa import MSAResult, check_options, evaluate_fields, metric_field

__all__ = ["compare_models"]


def _jacobians_of(model: Any, points: np.ndarray | None, name: str, opts: dict) -> tuple[np.ndarray, Any]:
    """Jacobians ``(n_points, [n_time,] n, m)`` and, for callables, the states at the points."""
    if callable(model):
        if points is None:
            raise ValueError(f"points are required when {name} is a callable model")
        torch = import_torch()
        J = jacobians(model, points, mode=opts["mode"], chunk_size=opts["chunk_size"], dtype=opts["dtype"])
        u = torch.as_tensor(points, dtype=getattr(torch, opts["dtype"]))
        with torch.no_grad():
            states = torch.func.vmap(model, chunk_size=opts["chunk_size"])(u).double().cpu().numpy()
        return J, states
    U = as_float_array(model[0], f"{name}[0]", ndim=2)
    X = as_float_array(model[1], f"{name}[1]", ndim=(2, 3))
    J = local_jacobians(U, X.reshape(len(X), -1), points, n_neighbors=opts["n_neighbors"], ridge=opts["neighbor_ridge"])
    return J.reshape(J.shape[0], *X.shape[1:], U.shape[1]), None


def compare_models(
    model1: Any,
    model2: Any,
    points: Any = None,
    *,
    spd: str = "spectral_ratio",
    weighting: str = "uniform",
    weights: Any = None,
    time: str = "joint",
    n_neighbors: int = 30,
    neighbor_ridge: float = 0.0,
    mode: str = "auto",
    chunk_size: int | None = None,
    dtype: str = "float64",
    ridge: float = 0.0,
    max_condition: float = 1e10,
) -> MSAResult:
    r"""Metric similarity analysis of two models of the same input manifold, end to end.

    Parameters
    ----------
    model1, model2 : callable or (U, X)
        A torch callable mapping one chart point ``u`` (shape ``(m,)``) to a
        state ``(n,)`` or a trajectory ``(n_time, n)`` (Jacobians by
        :func:`jacobians`), or sampled data: chart coordinates ``U``
        ``(n_samples, m)`` and states ``X`` ``(n_samples, n)`` or trajectories
        ``(n_samples, n_time, n)`` (Jacobians by :func:`local_jacobians`).
        The two models may have different numbers of units.
    points : array_like of shape (n_points, m), optional
        Shared chart points where the metrics are compared.  Required for
        callables; for sampled data it defaults to the samples ``U``.
    spd, weighting, ridge, max_condition
        As in :class:`repgeo.MSA`; ``weights`` as in :meth:`repgeo.MSA.evaluate`.
    time : {"joint", "per_step"}
        For trajectories: ``"joint"`` compares the ``(1 + m) x (1 + m)``
        metric of the map ``(t, u) -> h_t(u)`` (the time tangent
        ``dh/dt`` by central differences over steps; callables only);
        ``"per_step"`` compares the ``m x m`` input metric of every step.
        The time tangent is in units of one step (central differences
        inside, one-sided at the first and last step; at least 2 steps are
        needed): AIRM, log-Euclidean, Bures and Thompson depend on that unit
        relative to the chart's, the spectral ratio does not.
    n_neighbors : int
        Neighbourhood size for sampled data.
    neighbor_ridge : float >= 0
        ``ridge`` of :func:`local_jacobians` for sampled data (degenerate
        neighbourhoods); ``ridge`` itself regularises the metrics.
    mode, chunk_size, dtype
        Passed to :func:`jacobians` for callables.

    Returns
    -------
    MSAResult
        ``per_point``, ``weights`` and ``log_scale`` have shape ``(n_points,)``,
        or ``(n_points, n_time)`` for trajectories (then
        ``np.nanmean(result.per_point, axis=0)`` is the MSA per time step).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> U = rng.uniform(-1, 1, (400, 2))
    >>> plane = np.c_[U, np.zeros(400)]
    >>> A = np.array([[2.0, 0.0], [0.0, 0.5], [1.0, 1.0]])
    >>> res = compare_models((U, plane), (U, U @ A.T), np.zeros((1, 2)))
    >>> round(res.mean, 6)   # the linear map's metric A^T A = [[5, 1], [1, 1.25]] against I
    0.563564
    """
    check_options(spd, weighting, ridge, max_condition)
    check_choice(time, "time", ("joint", "per_step"))
    for mdl, nm in ((model1, "model1"), (model2, "model2")):
        if not (callable(mdl) or (isinstance(mdl, (tuple, list)) and len(mdl) == 2)):
            raise TypeError(
                f"{nm} must be a callable (torch) model or a pair (U, X) of sampled inputs and "
                f"states; got {type(mdl).__name__}"
            )
    P = None if points is None else as_float_array(points, "points", ndim=2)
    if P is None and not (callable(model1) or callable(model2)):
        P = as_float_array(model1[0], "model1[0]", ndim=2)
    opts = dict(n_neighbors=n_neighbors, neighbor_ridge=neighbor_ridge, mode=mode, chunk_size=chunk_size, dtype=dtype)
    (J1, H1), (J2, H2) = (_jacobians_of(mdl, P, nm, opts) for mdl, nm in ((model1, "model1"), (model2, "model2")))
    if J1.ndim != J2.ndim or J1.ndim not in (3, 4) or (J1.ndim == 4 and J1.shape[1] != J2.shape[1]):
        raise ValueError(
            f"model1 gives Jacobians of shape {J1.shape} and model2 {J2.shape}; both must map a point "
            "to a state (n,) or to trajectories with the same number of time steps (n_time, n)"
        )
    layout = J1.shape[:-2]
    if J1.ndim == 4 and time == "joint":
        if H1 is None or H2 is None:
            raise ValueError(
                "time='joint' needs callable models (the time tangent is taken from the trajectory "
                "at the points); use time='per_step' for sampled data"
            )
        if J1.shape[1] < 2:
            raise ValueError(
                f"time='joint' needs trajectories of at least 2 time steps (the time tangent is a finite "
                f"difference over steps); got n_time={J1.shape[1]}; use time='per_step'"
            )
        J1, J2 = (np.concatenate([np.gradient(H, axis=1)[..., None], J], axis=-1) for H, J in ((H1, J1), (H2, J2)))
    flat = lambda J: J.reshape(-1, *J.shape[-2:])  # noqa: E731
    if weights is not None:
        w = as_float_array(weights, "weights", ndim=(1, 2))
        check_shape(w, "weights", [layout[:1], layout], "one weight per point, or per point and time step")
        weights = np.broadcast_to(w.T, layout[::-1]).T.ravel()
    check_same_points(J1.shape, J2.shape, ("model1", "model2"), "Jacobians")
    fields = [
        metric_field(flat(J), nm, field="jacobian", spd=spd, ridge=ridge, max_condition=max_condition)
        for J, nm in ((J1, "model1"), (J2, "model2"))
    ]
    res = evaluate_fields(*fields, spd=spd, weighting=weighting, weights=weights)
    return dataclasses.replace(
        res,
        per_point=res.per_point.reshape(layout),
        weights=res.weights.reshape(layout),
        log_scale=res.log_scale.reshape(layout),
    )
