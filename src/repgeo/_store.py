"""The tile store of :func:`repgeo.pairwise`: finished tiles on disk, verified when loaded.

A store is a directory holding ``meta.json`` (what the run computes: the
measure's ``repr``, the labels, a hash of the data, the tile size, the
repgeo version and the store format) and one ``tile_<i>_<j>.npz`` per
finished tile.  Each tile carries a checksum of its values keyed by the run
and by the tile's position, so a tile that was altered, truncated, swapped
with another or left by another run fails verification and is recomputed.

This module owns the resume decision: :meth:`Store.open` reads ``meta.json``
once, chooses the tile size (the stored one when resuming with
``block_size="auto"``), refuses a directory that holds another run or tiles
without metadata, and creates the metadata atomically.  Every file is
written to a temporary name unique to the writing process and renamed into
place, so several processes may share one store: each finishes with the
whole matrix, and no reader ever sees half a file.  A file's contents are
flushed to the disk (``fsync``) before its rename, and the directory after it,
so a power cut or a kernel crash cannot leave a renamed but empty tile (a
partly written one would fail verification and be recomputed anyway).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._measure import Measure
from ._version import __version__

__all__ = ["Store", "fingerprint"]

#: Version of the on-disk layout; a store of another format is refused, not misread.
FORMAT = 3
_META = "meta.json"
_log = logging.getLogger("repgeo")


def fingerprint(measure: Measure, labels: Sequence[str], digests: Sequence[str], other: Sequence[str] | None = None) -> dict:
    """What identifies a run, apart from its tile size: measure, labels, data, version, format.

    ``digests`` are the content hashes of the representations (rows, then
    the columns of a rectangular run), computed while the engine reads them
    for preparation (:func:`repgeo.pairwise._inputs.read`: shape, dtype and
    every byte), so fingerprinting costs no second pass over the data.
    ``other`` holds the column labels of a rectangular run.
    """
    digest = hashlib.blake2b(digest_size=16)
    for d in digests:
        digest.update(d.encode())
    out = {"measure": repr(measure), "labels": list(labels), "data": digest.hexdigest(), "repgeo": __version__, "format": FORMAT}
    if other is not None:
        out["other_labels"] = list(other)
    # the version too: tiles computed before a numerical fix must not be reused silently
    return out


def _unique_temporary(target: Path) -> Path:
    """A name next to ``target`` that no other process (or thread) will pick."""
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")


def _sync_directory(path: Path) -> None:
    """Make a rename inside ``path`` durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows, or a file system that refuses: the rename stays atomic, only not yet durable
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_synced(path: Path, write: Any) -> None:
    """Create ``path``, let ``write(fh)`` fill it, and flush it to the disk before returning."""
    with open(path, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())


def _read_meta(path: Path) -> dict | None:
    """The stored metadata, ``None`` when there is none; ``ValueError`` when it cannot be read."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"store metadata {str(path)!r} cannot be read ({exc})") from exc
    try:
        meta = json.loads(text)
        problem = None if isinstance(meta, dict) else f"a JSON {type(meta).__name__}, not an object"
    except ValueError as exc:
        problem = f"not valid JSON: {exc}"
    if problem is not None:
        raise ValueError(
            f"store metadata {str(path)!r} is damaged ({problem}); the tiles beside it cannot be "
            "verified: use an empty directory, or delete this one to recompute"
        )
    return meta


class Store:
    """A directory of verified tiles for one all-pairs run; build it with :meth:`open`.

    Attributes
    ----------
    path : Path
    meta : dict
        The run's identity, including ``block_size``.
    block_size : int
        Side of the square tiles (the stored one when a run resumes).
    """

    def __init__(self, path: Path, meta: dict) -> None:
        self.path = path
        self.meta = meta
        self.block_size = int(meta["block_size"])
        self._key = hashlib.blake2b(json.dumps(meta, sort_keys=True).encode(), digest_size=32).digest()

    @classmethod
    def open(cls, path: str | os.PathLike, identity: dict, *, block_size: int | str, auto_block: int) -> "Store":
        """Open (or create) the store at ``path`` for the run described by ``identity``.

        Parameters
        ----------
        path : path
            A directory: new, empty, or holding a previous run of the same inputs.
        identity : dict
            :func:`fingerprint` of the run.
        block_size : int or "auto"
            The requested tile side, already validated.  ``"auto"`` resumes with the
            stored tile side, whatever the number of workers is now.
        auto_block : int
            The tile side ``"auto"`` means for a new store.
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise ValueError(f"store must be a directory (new or holding a previous run); {str(path)!r} is a file")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"store directory {str(path)!r} cannot be created ({exc})") from exc
        meta_file = path / _META
        old = _read_meta(meta_file)
        if old is None:
            leftovers = sorted(p.name for p in path.glob("tile_*"))
            if leftovers:
                raise ValueError(
                    f"store {str(path)!r} holds {len(leftovers)} tile files (e.g. {leftovers[0]}) but no {_META}, "
                    "so nothing says which run they belong to; use an empty directory, or delete the tiles"
                )
        if block_size == "auto":
            block = int(old.get("block_size", 0)) if old is not None else auto_block
            block = block if block >= 1 else auto_block
        else:
            block = int(block_size)
        meta = {**identity, "block_size": block}
        if old is None:
            old = cls._create_meta(meta_file, meta)
        if old.get("format") != FORMAT:
            raise ValueError(
                f"store {str(path)!r} was written in store format {old.get('format', 1)} (this repgeo writes "
                f"format {FORMAT}); use an empty directory, or delete this one to recompute"
            )
        if old != meta:
            changed = sorted(k for k in set(meta) | set(old) if old.get(k) != meta.get(k))
            raise ValueError(
                f"store {str(path)!r} holds results of a different run (differs in {changed}); "
                "use an empty directory or the same representations, measure and block_size"
            )
        return cls(path, meta)

    @staticmethod
    def _create_meta(meta_file: Path, meta: dict) -> dict:
        """Write ``meta`` unless another process got there first; return what is on disk."""
        tmp = _unique_temporary(meta_file)
        _write_synced(tmp, lambda fh: fh.write(json.dumps(meta).encode()))
        try:
            os.link(tmp, meta_file)  # atomic, and fails if the file exists: no process overwrites another's
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: an atomic rename (last writer wins)
            os.replace(tmp, meta_file)
        finally:
            tmp.unlink(missing_ok=True)
        _sync_directory(meta_file.parent)
        on_disk = _read_meta(meta_file)
        return on_disk if on_disk is not None else meta

    def _file(self, key: tuple[int, int]) -> Path:
        return self.path / f"tile_{key[0]}_{key[1]}.npz"

    def _checksum(self, key: tuple[int, int], values: np.ndarray) -> str:
        """A digest of the values keyed by the run and the tile's position (a swapped tile fails)."""
        digest = hashlib.blake2b(key=self._key, digest_size=16)
        digest.update(repr((tuple(key), values.shape, values.dtype.str)).encode())
        digest.update(np.ascontiguousarray(values).data)
        return digest.hexdigest()

    def load(self, key: tuple[int, int], n: int) -> np.ndarray | None:
        """The tile's ``n`` values if its file exists and verifies; ``None`` means compute it."""
        f = self._file(key)
        if not f.exists():
            return None
        try:
            with np.load(f, allow_pickle=False) as data:
                values, checksum = data["values"], str(data["checksum"])
        except Exception as exc:  # noqa: BLE001 - any unreadable file (zip, header, truncation) is recomputed
            _log.warning("store %s: tile %s is unreadable (%s); recomputing it", self.path, f.name, exc)
            return None
        if values.shape != (n,) or values.dtype != np.float64 or checksum != self._checksum(key, values):
            _log.warning("store %s: tile %s fails verification; recomputing it", self.path, f.name)
            return None
        return values

    def save(self, key: tuple[int, int], values: np.ndarray) -> None:
        """Write the tile under a unique temporary name, flush it to the disk, then rename it into place."""
        values = np.ascontiguousarray(values, dtype=np.float64)
        target = self._file(key)
        tmp = _unique_temporary(target)
        checksum = np.array(self._checksum(key, values))
        try:
            _write_synced(tmp, lambda fh: np.savez(fh, values=values, checksum=checksum))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        _sync_directory(self.path)
