"""Where the engine's representations come from: arrays in memory, or files read on demand.

:func:`resolve` turns what a user passes to :func:`repgeo.pairwise` into
labels and *items*: an item is an array (or a tuple of arrays, or a tensor)
already in memory, or a :class:`Source` that knows its shape without
reading its data and reads it once, when the engine prepares it.  Sources
are small frozen dataclasses, so they travel to worker processes (or Dask
workers) as a path and a key, never as data.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import as_labelled, check_existing_path

__all__ = ["Source", "resolve", "stand_in", "read", "estimated_bytes"]

_HDF5 = (".h5", ".hdf5", ".hdf")


class Source:
    """A representation stored elsewhere: ``shape``/``dtype`` are cheap, :meth:`load` reads it."""

    shape: tuple
    dtype: np.dtype

    def load(self) -> np.ndarray:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError


@dataclass(frozen=True)
class NpyFile(Source):
    """One ``.npy`` file; its header gives shape and dtype (a memory map reads nothing)."""

    path: str

    @property
    def _header(self) -> np.ndarray:
        return np.load(self.path, mmap_mode="r", allow_pickle=False)

    @property
    def shape(self) -> tuple:
        return self._header.shape

    @property
    def dtype(self) -> np.dtype:
        return self._header.dtype

    def load(self) -> np.ndarray:
        return np.load(self.path, allow_pickle=False)


@dataclass(frozen=True)
class NpzMember(Source):
    """One array of an ``.npz`` archive; its shape comes from the member's header."""

    path: str
    key: str

    def _header(self) -> tuple:
        fmt = np.lib.format
        with zipfile.ZipFile(self.path) as zf, zf.open(f"{self.key}.npy") as fh:
            version = fmt.read_magic(fh)
            if version in ((1, 0), (2, 0)):
                reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
                shape, _, dtype = reader(fh)
                return shape, np.dtype(dtype)
        arr = self.load()  # a header version without a public reader: read the member
        return arr.shape, arr.dtype

    @property
    def shape(self) -> tuple:
        return self._header()[0]

    @property
    def dtype(self) -> np.dtype:
        return self._header()[1]

    def load(self) -> np.ndarray:
        with np.load(self.path, allow_pickle=False) as data:
            return data[self.key]


@dataclass(frozen=True)
class GroupMember(Source):
    """One array of a zarr group or an HDF5 file (opened read-only for each access)."""

    path: str
    key: str
    kind: str  # "zarr" or "hdf5"

    def _open(self) -> Any:
        if self.kind == "zarr":
            import zarr

            return zarr.open_group(self.path, mode="r")
        import h5py

        return h5py.File(self.path, "r")

    def _meta(self) -> tuple:
        group = self._open()
        try:
            arr = group[self.key]
            return tuple(arr.shape), np.dtype(arr.dtype)
        finally:
            getattr(group, "close", lambda: None)()

    @property
    def shape(self) -> tuple:
        return self._meta()[0]

    @property
    def dtype(self) -> np.dtype:
        return self._meta()[1]

    def load(self) -> np.ndarray:
        group = self._open()
        try:
            return np.asarray(group[self.key][...])
        finally:
            getattr(group, "close", lambda: None)()


@dataclass(frozen=True, eq=False)
class ArrayLike(Source):
    """Any object with ``__array__`` that loads on demand (``shape`` read from it when it has one)."""

    obj: Any

    @property
    def shape(self) -> tuple:
        shape = getattr(self.obj, "shape", None)
        return tuple(shape) if shape is not None else np.shape(np.asarray(self.obj))

    @property
    def dtype(self) -> np.dtype:
        dtype = getattr(self.obj, "dtype", None)
        try:
            return np.dtype(dtype)
        except TypeError:
            return np.asarray(self.obj).dtype

    def load(self) -> np.ndarray:
        return np.asarray(self.obj)


def _container(path: Path, name: str) -> dict[str, Source]:
    """The representations held by one directory, ``.npz``, zarr group or HDF5 file."""
    if path.is_dir() and any((path / marker).exists() for marker in (".zgroup", "zarr.json")):
        import zarr  # a zarr store needs zarr installed; the import error names it

        group = zarr.open_group(str(path), mode="r")
        return {key: GroupMember(str(path), key, "zarr") for key in sorted(group.array_keys())}
    if path.is_dir():
        return {p.stem: NpyFile(str(p)) for p in sorted(path.glob("*.npy"))}
    if path.suffix == ".npz":
        with zipfile.ZipFile(path) as zf:
            keys = [m[:-4] for m in zf.namelist() if m.endswith(".npy")]
        return {key: NpzMember(str(path), key) for key in keys}
    if path.suffix in _HDF5:
        import h5py  # optional: only HDF5 input needs it

        with h5py.File(path, "r") as fh:
            keys = []
            fh.visititems(lambda key, obj: keys.append(key) if isinstance(obj, h5py.Dataset) else None)
        return {key: GroupMember(str(path), key, "hdf5") for key in keys}
    raise ValueError(
        f"{name} is the path {str(path)!r}; a single path must be a directory of .npy files, a zarr "
        f"group, an .npz archive or an HDF5 file ({', '.join(_HDF5)})"
    )


def _item(value: Any, name: str) -> Any:
    """An array stays; a path becomes a :class:`NpyFile`; an object with ``__array__`` a lazy source."""
    if isinstance(value, (str, os.PathLike)):
        path = check_existing_path(value, name)
        if path.suffix != ".npy":
            raise ValueError(f"{name} is the path {str(path)!r}; a path to one representation must be a .npy file")
        return NpyFile(str(path))
    if isinstance(value, (np.ndarray, tuple, list)) or hasattr(value, "detach") or not hasattr(value, "__array__"):
        return value  # in memory (tensors and tuples too); the measure's checks judge it
    return ArrayLike(value)


def resolve(reps: Any, name: str) -> tuple[list[str], list[Any]]:
    """Labels and items of ``reps``: a sequence or dict of arrays or paths, or one container path."""
    if isinstance(reps, (str, os.PathLike)):
        if not Path(reps).exists():
            raise ValueError(
                f"{name} is the path {str(reps)!r}, which does not exist; {name} must be a sequence or dict of "
                "arrays or paths, or one path to a directory of .npy files, an .npz, a zarr group or an HDF5 file"
            )
        path = Path(reps)
        reps = _container(path, name)
        if not reps:
            raise ValueError(f"{name} is {str(path)!r}, which holds no arrays (.npy files or members)")
    labels, values = as_labelled(reps, name, minimum=0)
    if not values:
        raise ValueError(f"{name} is empty; pairwise needs at least one representation")
    return labels, [_item(v, f"{name}[{lab!r}]") for lab, v in zip(labels, values)]


def stand_in(item: Any) -> Any:
    """The item itself, or for a source an all-zero array of its shape and dtype that costs no memory."""
    if isinstance(item, Source):
        return np.broadcast_to(np.zeros((), dtype=item.dtype), item.shape)
    if type(item) is tuple:
        return tuple(stand_in(p) for p in item)
    return item


def estimated_bytes(item: Any) -> int:
    """Bytes of the item as float64 (the size its prepared form usually has)."""
    if type(item) is tuple:
        return sum(estimated_bytes(p) for p in item)
    try:
        return 8 * int(np.prod(np.shape(stand_in(item))))
    except (ValueError, TypeError):  # ragged or odd input: the measure's checks will say what is wrong
        return 0


def read(item: Any, content_hash: bool = True) -> tuple[Any, str]:
    """Load an item and hash its content in the same pass: ``(array or tuple, hex digest)``.

    The digest covers each part's shape, dtype and bytes, so a store's
    fingerprint needs no second pass over the data (``""`` without
    ``content_hash``: a run without a store needs none).
    """
    if type(item) is tuple:  # a tuple of parts, some of which may be read from files
        data = tuple(p.load() if isinstance(p, Source) else p for p in item)
    else:
        data = item.load() if isinstance(item, Source) else item
    if not content_hash:
        return data, ""
    digest = hashlib.blake2b(digest_size=16)
    parts = data if isinstance(data, (tuple, list)) else (data,)
    digest.update(repr(len(parts)).encode())
    for arr in parts:
        if hasattr(arr, "detach") and hasattr(arr, "cpu"):  # torch tensors, also on a GPU or needing grad
            arr = arr.detach().cpu().numpy()
        arr = np.ascontiguousarray(np.asarray(arr))
        digest.update(repr((arr.shape, arr.dtype.str)).encode())
        digest.update(arr.data if arr.dtype != object else repr(arr.tolist()).encode())
    return data, digest.hexdigest()
