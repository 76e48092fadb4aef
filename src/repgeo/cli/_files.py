"""Reading the command line's input files and checking its outputs, each failure one clear line."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["OUTPUTS", "UsageError", "check_writable", "load_arrays", "load_one"]


class UsageError(ValueError):
    """Bad input to the command line: reported as one line, exit status 2."""


_NPY_MAGIC, _ZIP_MAGICS = b"\x93NUMPY", (b"PK\x03\x04", b"PK\x05\x06")


def _split_member(spec: str) -> tuple[Path, str | None]:
    """``archive.npz:name`` -> (archive path, member name); anything else -> (path, None)."""
    head, sep, member = spec.rpartition(":")
    if sep and head.endswith(".npz") and member and not Path(spec).exists():
        return Path(head), member
    return Path(spec), None


def _open_input(path: Path) -> bytes:
    """The first bytes of an input file, after checking that it is a readable file."""
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give .npy files or .npz archives")
    if path.suffix not in (".npy", ".npz"):
        raise UsageError(f"{path} is neither .npy nor .npz")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise UsageError(f"{path} cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise UsageError(f"{path} is empty (0 bytes), not a NumPy file")
    return head


def _load_npy(path: Path) -> np.ndarray:
    head = _open_input(path)
    if not head.startswith(_NPY_MAGIC):
        kind = "a zip archive (an .npz?)" if head.startswith(_ZIP_MAGICS) else "not a NumPy .npy file (a text file?)"
        raise UsageError(f"{path} is {kind}; save arrays with numpy.save")
    try:  # memory-mapped: the engine reads each file once, when it prepares it, never all at once
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Python objects" in str(exc):
            raise UsageError(f"{path} holds Python objects (dtype object), not numbers") from exc
        raise UsageError(f"{path} is a damaged .npy file ({exc})") from exc
    except (OSError, EOFError) as exc:
        raise UsageError(f"{path} is a damaged .npy file ({exc})") from exc


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    head = _open_input(path)
    if not head.startswith(_ZIP_MAGICS):
        raise UsageError(f"{path} is not an .npz archive (not a zip file); save arrays with numpy.savez")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise UsageError(f"{path} holds Python objects (dtype object), not numbers") from exc
        raise UsageError(f"{path} is a damaged .npz archive ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - zipfile raises many kinds of errors for damaged archives
        raise UsageError(f"{path} is a damaged .npz archive ({type(exc).__name__}: {exc})") from exc


def load_one(spec: str) -> np.ndarray:
    """One array for ``compare``: an .npy file, or ``archive.npz:name`` (or an archive of one array)."""
    path, member = _split_member(spec)
    if path.suffix != ".npz":
        return _load_npy(path)
    arrays = _load_npz(path)
    if member is None and len(arrays) == 1:
        return next(iter(arrays.values()))
    if member not in arrays:
        names = ", ".join(arrays) or "none"
        what = f"has no array {member!r}" if member is not None else f"holds {len(arrays)} arrays"
        raise UsageError(f"{path} {what} ({names}); pick one as {path}:NAME")
    return arrays[member]


def load_arrays(paths: Sequence[str], minimum: int = 2) -> dict[str, np.ndarray]:
    """The arrays of ``paths`` by label; fewer than ``minimum`` is a usage error."""
    reps: dict[str, np.ndarray] = {}
    stems = [_split_member(p)[0].stem for p in paths]
    for spec in paths:
        p, member = _split_member(spec)
        # files are labelled by stem; by path where two files share a stem
        base = p.stem if stems.count(p.stem) == 1 else str(p.with_suffix(""))
        if p.suffix == ".npz":
            arrays = _load_npz(p)
            if member is not None:
                arrays = {member: load_one(spec)}
            if not arrays:
                raise UsageError(f"{p} holds no arrays")
            new = {f"{base}:{key}": arr for key, arr in arrays.items()}
        else:
            new = {base: _load_npy(p)}
        for label in new:
            if label in reps:
                raise UsageError(f"{spec} is given twice")
        reps.update(new)
    if len(reps) < minimum:
        raise UsageError(
            f"pairwise needs at least {'two representations' if minimum == 2 else 'one representation'}; {', '.join(paths)} hold{'s' if len(paths) == 1 else ''} "
            f"one ({', '.join(reps)})"
        )
    return reps


#: Suffixes of ``pairwise -o`` and what each writes.
OUTPUTS = {".npy": "the matrix", ".npz": "matrix, labels and measure", ".txt": "the matrix as text", ".csv": "the matrix as comma-separated text"}


def check_writable(path_text: str, option: str, suffixes: Sequence[str] | None = None) -> Path:
    """Fail before any computation if ``path_text`` cannot be written (so no result is lost)."""
    path = Path(path_text)
    if suffixes is not None and path.suffix not in suffixes:
        raise UsageError(f"{option} must end in {', '.join(suffixes)}; got {path_text!r}")
    if path.is_dir():
        raise UsageError(f"{option} {path_text} is a directory; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option} {path_text}: the directory {parent} does not exist")
    try:  # a real probe: permission bits do not tell the whole story (read-only mounts, root)
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".repgeo-probe-"):
            pass
        if path.exists():
            with open(path, "ab"):
                pass
    except OSError as exc:
        raise UsageError(f"{option} {path_text} cannot be written ({exc.strerror or exc})") from exc
    return path
