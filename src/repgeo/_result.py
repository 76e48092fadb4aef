"""What every result dataclass can do: save, load, a short repr, plain dicts, xarray and pandas.

A result type is a frozen dataclass that also subclasses :class:`Result`
(and is declared with ``repr=False`` so that the compact repr below is
used).  Its fields are arrays (NumPy, or torch tensors that are saved as
NumPy), plain scalars (float, int, bool, str, None) or tuples of those.

The file format is one ``.npz`` archive, read without pickle: each array
field is a member under its own name, tuples of strings are string arrays,
and the member ``__repgeo__`` holds JSON with the type's name, a format
number and the other scalar fields; strings are 0-d string members.  So ``numpy.load(path)["values"]`` reads a
saved matrix without repgeo.

Examples
--------
>>> import dataclasses, io, numpy as np
>>> @dataclasses.dataclass(frozen=True, eq=False, repr=False)
... class Fit(Result):
...     slope: float
...     slope_se: float
...     residuals: np.ndarray
>>> fit = Fit(2.5, 0.01, np.arange(100.0))
>>> fit
Fit(slope=2.5 (se 0.01), residuals=<float64 array (100,)>)
>>> buffer = io.BytesIO()
>>> fit.save(buffer)
>>> back = Fit.load(io.BytesIO(buffer.getvalue()))
>>> back.slope, float(back.residuals[-1])
(2.5, 99.0)
"""

from __future__ import annotations

import dataclasses
import json
import numbers
import os
from typing import IO, Any, ClassVar

import numpy as np

from ._backend import is_tensor

__all__ = ["Result"]

#: The archive member holding the JSON metadata; bumped ``FORMAT`` when the layout changes.
META_KEY, FORMAT = "__repgeo__", 1


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready Python: lists for arrays, dicts of real and imaginary parts for complex."""
    if is_tensor(value):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        if np.iscomplexobj(value):
            return {"real": value.real.tolist(), "imag": value.imag.tolist()}
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) or is_tensor(value)


def _short(name: str, value: Any) -> str:
    if _is_array(value):
        a = np.asarray(value.detach().cpu() if is_tensor(value) else value)
        if a.size <= 4 and a.ndim <= 1:
            return np.array2string(a, precision=4, separator=", ")
        return f"<{a.dtype} array {a.shape}>"
    if isinstance(value, tuple) and len(value) > 4:
        return "(" + ", ".join(repr(v) for v in value[:3]) + f", ... {len(value)} items)"
    if isinstance(value, float):
        if value == 0:
            return "0.0"  # never "-0"
        text = f"{value:.4g}"
        return text if any(c in text for c in ".enai") else text + ".0"
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:57] + "...")
    return repr(value)


class Result:
    """Mixin of the result dataclasses: :meth:`save`, :meth:`load`, :meth:`to_dict`, :meth:`to_xarray`,
    :meth:`to_pandas` and a repr that never prints whole arrays.

    Class attributes a result may set:

    ``_dims``
        ``{field: (dim, ...)}``, or ``{field: dim}`` (numbered ``dim_0``, ...
        beyond one axis): the axis names of array fields in :meth:`to_xarray`
        (default ``field_0``, ``field_1``, ...).
    ``_coords``
        ``{dim: field}``: the field holding the labels of a dimension.
    ``_table``
        A dimension name: :meth:`to_pandas` gives one row per entry of it and
        one column per array field along it (without it, a Series of the
        scalar fields).
    """

    _dims: ClassVar[dict] = {}
    _coords: ClassVar[dict] = {}
    _table: ClassVar[str | None] = None

    # ----------------------------------------------------------------- repr and plain data

    def __repr__(self) -> str:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        parts = []
        for name, value in values.items():
            if name.endswith("_se") and name[:-3] in values and not _is_array(value):
                continue  # shown beside its estimate
            text = _short(name, value)
            se = values.get(f"{name}_se")
            if isinstance(value, float) and isinstance(se, float):
                text += f" (se {se:.2g})"
            parts.append(f"{name}={text}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain Python (lists, floats, strings), ready for ``json.dumps``.

        Arrays become nested lists (complex ones ``{"real": ..., "imag": ...}``);
        NaN and infinities stay floats, which Python's ``json`` writes as
        ``NaN`` and ``Infinity``.  The key ``"type"`` names the result type.
        """
        out = {"type": type(self).__name__}
        out.update({f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)})
        return out

    # ----------------------------------------------------------------- files

    def save(self, path: str | os.PathLike | IO[bytes]) -> None:
        """Write the result to ``path`` (an ``.npz`` archive, written under exactly that name).

        :meth:`load` of the same type reads it back; ``numpy.load`` reads its
        arrays without repgeo.
        """
        arrays, scalars, lists = {}, {}, []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if _is_array(value):
                arrays[f.name] = np.asarray(value.detach().cpu() if is_tensor(value) else value)
            elif isinstance(value, (tuple, list)) and value and all(isinstance(v, str) for v in value):
                arrays[f.name] = np.array(value, dtype=str)
                if isinstance(value, list):
                    lists.append(f.name)
            elif isinstance(value, str):  # a 0-d string member: numpy.load(path)["measure"] reads it
                arrays[f.name] = np.array(value, dtype=str)
            elif value is None or isinstance(value, (str, bool, numbers.Number, tuple)):
                scalars[f.name] = _plain(value)
                if isinstance(value, tuple):
                    scalars[f.name] = {"tuple": scalars[f.name]}
            else:
                raise TypeError(f"{type(self).__name__}.{f.name} is a {type(value).__name__}, which save cannot store")
        meta = {"type": type(self).__name__, "format": FORMAT, "fields": scalars, "strings": sorted(
            k for k, v in arrays.items() if v.dtype.kind == "U" and v.ndim == 1), "lists": lists}
        if META_KEY in arrays:  # pragma: no cover - a field named like the metadata
            raise TypeError(f"a field may not be named {META_KEY}")
        if isinstance(path, (str, os.PathLike)):
            with open(path, "wb") as fh:  # exactly this name: numpy.savez would append .npz
                np.savez(fh, **{META_KEY: np.array(json.dumps(meta))}, **arrays)
        else:
            np.savez(path, **{META_KEY: np.array(json.dumps(meta))}, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike | IO[bytes]) -> "Result":
        """Read a result that :meth:`save` wrote (without unpickling anything).

        Raises ``ValueError`` when the file holds another result type or
        lacks a field of this one.
        """
        try:
            data = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"path {path!s} is not an .npz archive written by {cls.__name__}.save ({exc})") from exc
        if not hasattr(data, "files"):
            raise ValueError(f"path {path!s} holds one array (an .npy file), not a saved {cls.__name__}")
        with data:
            stored = {k: data[k] for k in data.files}
        if META_KEY in stored:
            meta = json.loads(str(stored.pop(META_KEY)))
            if meta.get("type") != cls.__name__:
                other = meta.get("type")
                raise ValueError(f"path {path!s} holds a saved {other}, not a {cls.__name__}; load it with {other}.load")
            if meta.get("format", 0) > FORMAT:
                raise ValueError(f"path {path!s} has format {meta['format']}, newer than this repgeo reads ({FORMAT})")
            values: dict[str, Any] = {}
            for k, v in meta["fields"].items():
                values[k] = tuple(v["tuple"]) if isinstance(v, dict) and "tuple" in v else v
            for k, v in stored.items():
                if v.dtype.kind == "U" and v.ndim == 0:
                    values[k] = str(v)
                elif k in meta.get("strings", ()):
                    strings = [str(s) for s in v]
                    values[k] = strings if k in meta.get("lists", ()) else tuple(strings)
                else:
                    values[k] = v
        else:  # written before the metadata existed: every field is a member (0-d for scalars)
            values = {k: (v.item() if v.ndim == 0 else v) for k, v in stored.items()}
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        required = {f.name for f in dataclasses.fields(cls) if f.init and f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING}
        missing, extra = sorted(required - set(values)), sorted(set(values) - names)
        if missing or extra:
            raise ValueError(
                f"path {path!s} does not hold a {cls.__name__}: missing fields {missing}, unknown fields {extra}"
            )
        return cls(**values)

    # ----------------------------------------------------------------- labelled exports

    def _dims_of(self, name: str, value: np.ndarray) -> tuple:
        """Axis names of an array field: declared in ``_dims`` (a tuple, or one name numbered past 1-D)."""
        dims = self._dims.get(name, name if value.ndim != 1 else f"{name}_0")
        if isinstance(dims, str):
            return (dims,) if value.ndim == 1 else tuple(f"{dims}_{k}" for k in range(value.ndim))
        return tuple(dims)

    def to_xarray(self) -> Any:
        """An ``xarray.Dataset``: array fields as variables on named axes, scalar fields as attributes.

        Saves to netCDF or zarr with xarray's own methods.  Needs ``xarray``
        (``pip install xarray``).
        """
        try:
            import xarray as xr
        except ImportError as exc:
            raise ImportError(f"{type(self).__name__}.to_xarray needs xarray: pip install xarray") from exc
        data, attrs = {}, {"type": type(self).__name__}
        coord_fields = set(self._coords.values())
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in coord_fields:
                continue
            if _is_array(value):
                a = np.asarray(value.detach().cpu() if is_tensor(value) else value)
                data[f.name] = (self._dims_of(f.name, a), a)
            elif value is not None:
                attrs[f.name] = value if not isinstance(value, (bool, tuple, list)) else str(value)
        coords = {dim: list(getattr(self, field)) for dim, field in self._coords.items()}
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def to_pandas(self) -> Any:
        """A ``pandas`` table: one row per entry of the result's main axis (``_table``) and one column per
        array along it; without a main axis, a Series of the scalar fields.  Needs ``pandas``."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(f"{type(self).__name__}.to_pandas needs pandas: pip install pandas") from exc
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        scalars = {k: v for k, v in fields.items() if not _is_array(v) and not isinstance(v, (tuple, list))}
        if self._table is None:
            return pd.Series(scalars, name=type(self).__name__, dtype=object)
        columns = {
            k: np.asarray(v) for k, v in fields.items()
            if _is_array(v) and self._dims_of(k, np.asarray(v)) == (self._table,)
        }
        index_field = self._coords.get(self._table)
        index = pd.Index(list(fields[index_field]), name=self._table) if index_field else None
        table = pd.DataFrame(columns, index=index)
        if index is None:
            table.index.name = self._table
        table.attrs.update(scalars)
        return table
