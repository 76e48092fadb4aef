"""Prepared representations: read once, prepared once, kept in memory or in a disk cache.

A prepared form that goes to the disk cache is *spilled*: each large array
inside it is written to one ``.npy`` file by the process that prepared it
(a worker, or the parent), and replaced by a :class:`Saved` marker.  What
travels between processes is then the skeleton -- the prepared object with
markers -- never the data.  A tile *restores* the skeletons it needs as
read-only memory maps and drops them when it finishes, so a process's
resident memory grows with the tile it is computing, not with the number of
representations.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._measure import Measure
from ._inputs import read

__all__ = ["Saved", "spill", "restore", "prepare_one", "blas_limits"]

#: Arrays smaller than this stay inside the skeleton (a file per tiny array costs more than it saves).
SPILL_BYTES = 1 << 16


@dataclass(frozen=True)
class Saved:
    """An array written to ``path`` (a ``.npy`` file of the disk cache)."""

    path: str


def spill(obj: Any, folder: str | os.PathLike | None) -> Any:
    """Write the large arrays inside ``obj`` to ``folder`` and return the skeleton (``obj`` if no folder)."""
    if folder is None:
        return obj
    if isinstance(obj, np.ndarray) and obj.dtype != object:
        if obj.nbytes < SPILL_BYTES:
            return np.array(obj)  # a plain copy: a memory map would keep its file open
        path = Path(folder) / f"p{os.getpid()}-{secrets.token_hex(8)}.npy"
        np.save(path, obj)
        return Saved(str(path))
    return _map(obj, lambda v: spill(v, folder))


def restore(obj: Any) -> Any:
    """Replace :class:`Saved` markers by read-only memory maps of their files."""
    if isinstance(obj, Saved):
        return np.load(obj.path, mmap_mode="r")
    return _map(obj, restore)


def _map(obj: Any, fn: Any) -> Any:
    """Apply ``fn`` to the fields of a dataclass, or the items of a list, tuple or dict."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        new = copy.copy(obj)
        for f in dataclasses.fields(obj):
            object.__setattr__(new, f.name, fn(getattr(obj, f.name)))
        return new
    if type(obj) in (list, tuple):
        return type(obj)(fn(v) for v in obj)
    if type(obj) is dict:
        return {k: fn(v) for k, v in obj.items()}
    return obj


def blas_limits(threads: int | None) -> Any:
    """A context capping this process's BLAS at ``threads`` threads (threadpoolctl); ``None``: no change."""
    if threads is None:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")


def prepare_one(
    measure: Measure, item: Any, name: str, folder: str | None, content_hash: bool = True, threads: int | None = None
) -> tuple[Any, str]:
    """Read ``item`` (hashing it in the same pass), prepare it and spill it: ``(skeleton, digest)``.

    ``threads`` caps BLAS while it runs (worker processes; ``None`` leaves the setting alone).
    """
    with blas_limits(threads):
        data, digest = read(item, content_hash)
        return spill(measure.prepare(data, name), folder), digest
