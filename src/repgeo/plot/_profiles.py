"""Quantities against layer with standard-error bars, per-point maps, null distributions."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .._validation import as_float_array, check_drawable, check_length
from ._matrix import _new_axes

__all__ = ["layer_profile", "capacity_profile", "point_map", "null_distribution"]


def _curves(values: Any, name: str) -> dict[str, np.ndarray]:
    if isinstance(values, Mapping):
        if not values:
            raise ValueError(f"{name} must hold at least one curve; got an empty dict")
        return {str(k): check_drawable(as_float_array(v, f"{name}[{k!r}]", ndim=1, allow_nonfinite=True), f"{name}[{k!r}]")
                for k, v in values.items()}
    return {"": check_drawable(as_float_array(values, name, ndim=1, allow_nonfinite=True), name)}


def layer_profile(
    values: Any,
    errors: Any = None,
    *,
    layers: Any = None,
    ax: Any = None,
    ylabel: str | None = None,
    title: str | None = None,
) -> Any:
    """Draw one or several quantities against layer, with standard-error bars.

    Parameters
    ----------
    values : array of shape (L,) or dict of name -> array
        One curve, or one per network (curves may differ in length; layer
        ``i`` is at ``x = i``).
    errors : same structure as ``values``, optional
        Standard errors; each bar spans ``value +- SE``.  NaN draws no bar.
    layers : sequence of str, optional
        Tick labels for the layers of the longest curve.
    ax : matplotlib Axes, optional
    ylabel, title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers`` holds one errorbar container per curve.

    Examples
    --------
    >>> import matplotlib, repgeo as rg
    >>> matplotlib.use("Agg")
    >>> ax = rg.plot.layer_profile({"a": [1.0, 2.0, 3.0], "b": [1.0, 1.5]}, {"a": [0.1, 0.1, 0.2], "b": [0.1, 0.1]},
    ...                            layers=["input", "h1", "h2"], ylabel="capacity")
    >>> len(ax.containers), [t.get_text() for t in ax.get_xticklabels()]
    (2, ['input', 'h1', 'h2'])
    """
    curves = _curves(values, "values")
    if errors is None:
        errs: dict[str, Any] = {k: None for k in curves}
    else:
        errs = _curves(errors, "errors")
        if errs.keys() != curves.keys():
            raise ValueError(f"errors must have the curves of values ({list(curves)}); got {list(errs)}")
        for k, e in errs.items():
            check_length(e, f"errors[{k!r}]" if k else "errors", len(curves[k]), "value")
            if (e[np.isfinite(e)] < 0).any():
                raise ValueError(f"errors must be non-negative standard errors; got minimum {np.nanmin(e):.3g}")
    longest = max(len(v) for v in curves.values())
    ax = _new_axes(ax, (5, 3.5))
    for name, v in curves.items():
        ax.errorbar(np.arange(len(v)), v, yerr=errs[name], marker="o", ms=4, capsize=3, label=name or None)
    if layers is not None:
        layers = [str(x) for x in check_length(layers, "layers", longest, "layer of the longest curve")]
        ax.set_xticks(range(longest), layers, rotation=30 if longest > 4 else 0, fontsize=8)
    else:
        ax.set_xticks(range(longest))
    ax.set_xlabel("layer")
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    if any(curves):
        ax.legend(fontsize=7)
    return ax


def _field(result: Any, quantity: str) -> tuple[float, float]:
    """``quantity`` and its standard error from a result object or a dict (NaN when there is no SE)."""
    get = result.get if isinstance(result, Mapping) else lambda key, default=None: getattr(result, key, default)
    value = get(quantity, None)
    if value is None:
        raise ValueError(f"results have no {quantity!r}; give the name of a field such as 'capacity' or 'radius'")
    se = get(f"{quantity}_se", None)
    return float(value), float("nan") if se is None else float(se)


def capacity_profile(results: Mapping[str, Any], quantity: str = "capacity", *, ax: Any = None) -> Any:
    """Draw a capacity estimate or geometry measure against layer, with its standard error.

    Parameters
    ----------
    results : dict
        ``layer -> result`` for one network, or ``network -> {layer ->
        result}`` for several.  A result is anything with the attribute or
        key ``quantity`` and, optionally, ``quantity + "_se"``: the result of
        :func:`repgeo.capacity.mean_field` or :func:`repgeo.capacity.glue`,
        or a row of the demo's ``capacity.json``.
    quantity : str, default "capacity"
        E.g. ``"capacity"``, ``"radius"``, ``"dimension"``,
        ``"center_correlation"``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib, repgeo as rg
    >>> matplotlib.use("Agg")
    >>> rows = {"h1": {"capacity": 0.10, "capacity_se": 0.01}, "h2": {"capacity": 0.15, "capacity_se": 0.01}}
    >>> ax = rg.plot.capacity_profile({"net": rows})
    >>> ax.get_ylabel()
    'capacity'
    """
    if not isinstance(results, Mapping) or not results:
        raise TypeError(f"results must be a non-empty dict of layer -> result; got {type(results).__name__}")
    first = next(iter(results.values()))
    nested = isinstance(first, Mapping) and all(isinstance(v, Mapping) for v in first.values())
    groups = results if nested else {"": results}
    values, errors, longest = {}, {}, []
    for name, layers in groups.items():
        pairs = [_field(r, quantity) for r in layers.values()]
        values[name] = [p[0] for p in pairs]
        errors[name] = [p[1] for p in pairs]
        longest = max(longest, list(layers), key=len)
    if not nested:
        values, errors = values[""], errors[""]
    return layer_profile(values, errors, layers=longest, ax=ax, ylabel=quantity.replace("_", " "))


def _grid_shape(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Index of each point in a full rectangular grid, if the points form one."""
    xs, ix = np.unique(points[:, 0], return_inverse=True)
    ys, iy = np.unique(points[:, 1], return_inverse=True)
    if len(xs) * len(ys) != len(points) or len(set(zip(ix.tolist(), iy.tolist()))) != len(points):
        return None
    return xs, ys, np.ravel_multi_index((iy, ix), (len(ys), len(xs)))


def point_map(
    points: Any,
    values: Any,
    *,
    ax: Any = None,
    cmap: str = "magma",
    label: str | None = None,
    title: str | None = None,
) -> Any:
    """Colour a 2-D input domain by a per-point quantity (e.g. MSA's per-point values).

    Points on a full rectangular grid are drawn as a mesh; scattered points
    as coloured dots.  NaN values (such as points MSA dropped) stay blank.

    Parameters
    ----------
    points : array of shape (n, 2)
        Input coordinates.
    values : array of shape (n,), or a result with ``per_point``
        E.g. :meth:`repgeo.MSA.evaluate`'s result.
    ax : matplotlib Axes, optional
    cmap : str, default "magma"
    label : str, optional
        Colour-bar label.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, matplotlib, repgeo as rg
    >>> matplotlib.use("Agg")
    >>> u = np.stack(np.meshgrid(np.arange(3.0), np.arange(4.0)), -1).reshape(-1, 2)
    >>> ax = rg.plot.point_map(u, u[:, 0] + u[:, 1])
    >>> ax.collections[0].get_array().size
    12
    """
    P = check_drawable(as_float_array(points, "points", ndim=2), "points")
    if P.shape[1] != 2:
        raise ValueError(f"points must have 2 columns (a 2-D input domain); got shape {P.shape}")
    if hasattr(values, "per_point"):
        values = values.per_point
    v = check_drawable(as_float_array(values, "values", ndim=1, allow_nonfinite=True), "values")
    check_length(v, "values", len(P), "point")
    ax = _new_axes(ax, (4.5, 4))
    grid = _grid_shape(P)
    if grid is not None:
        xs, ys, flat = grid
        Z = np.full(len(xs) * len(ys), np.nan)
        Z[flat] = v
        mesh = ax.pcolormesh(xs, ys, np.ma.masked_invalid(Z.reshape(len(ys), len(xs))), cmap=cmap, shading="nearest")
    else:
        mesh = ax.scatter(P[:, 0], P[:, 1], c=np.ma.masked_invalid(v), cmap=cmap, s=12)
    ax.figure.colorbar(mesh, ax=ax, shrink=0.85, label=label)
    ax.set_xlabel("input 1")
    ax.set_ylabel("input 2")
    ax.set_aspect("equal", adjustable="box")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def null_distribution(
    null: Any,
    observed: Any = None,
    *,
    pvalue: Any = None,
    ax: Any = None,
    bins: Any = "auto",
    xlabel: str = "statistic",
) -> Any:
    """Histogram of a null distribution with the observed value marked.

    Parameters
    ----------
    null : array of shape (n,), or a test result
        Values of the statistic under the null (e.g. from permutations).  A
        result object with ``null_distribution`` (or ``null``), ``statistic``
        and ``pvalue`` -- such as SciPy's ``PermutationTestResult`` -- fills
        ``observed`` and ``pvalue`` too.
    observed : float
        The statistic on the real data, drawn as a vertical line.
    pvalue : float, optional
        Shown in the legend.
    ax : matplotlib Axes, optional
    bins : int or str, default "auto"
    xlabel : str, default "statistic"

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` is the observed value.

    Examples
    --------
    >>> import numpy as np, matplotlib, repgeo as rg
    >>> matplotlib.use("Agg")
    >>> ax = rg.plot.null_distribution(np.random.default_rng(0).normal(size=200), 2.5, pvalue=0.01)
    >>> float(ax.lines[0].get_xdata()[0])
    2.5
    """
    for attr in ("null_distribution", "null"):
        if hasattr(null, attr):
            observed = getattr(null, "statistic") if observed is None else observed
            pvalue = getattr(null, "pvalue", None) if pvalue is None else pvalue
            null = getattr(null, attr)
            break
    draws = check_drawable(as_float_array(null, "null", ndim=1), "null")
    if observed is None:
        raise TypeError("observed must be given (the statistic on the real data) when null is an array")
    obs_arr = as_float_array(observed, "observed", ndim=(0, 1))
    if obs_arr.size != 1:
        raise ValueError(f"observed must be one number (the statistic on the real data); got {obs_arr.size} values")
    obs = float(check_drawable(obs_arr.reshape(-1), "observed")[0])
    if not np.isfinite(obs):
        raise ValueError(f"observed must be finite; got {obs}")
    try:
        edges = np.histogram_bin_edges(draws, bins)
    except ValueError as exc:  # a spread below float resolution: one bin, as NumPy draws constant data
        if "finite-sized bins" not in str(exc):
            raise
        edges = np.array([draws.min() - 0.5, draws.max() + 0.5])
    ax = _new_axes(ax, (5, 3.5))
    ax.hist(draws, bins=edges, color="0.7", edgecolor="0.4", label=f"null ({len(draws)} draws)")
    text = f"observed {obs:.3g}" + ("" if pvalue is None else f", p = {float(pvalue):.3g}")
    ax.axvline(obs, color="crimson", lw=2, label=text)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.legend(fontsize=7)
    return ax
