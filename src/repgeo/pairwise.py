"""The all-pairs engine: the only loop over pairs of representations in repgeo."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import os
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import joblib
import numpy as np

from ._measure import Measure
from ._registry import get_measure
from ._result import Result
from ._store import Store, fingerprint

__all__ = ["pairwise", "pairwise_labeled", "PairwiseResult"]


@dataclass(frozen=True, eq=False, repr=False)
class PairwiseResult(Result):
    """An all-pairs matrix with the labels of its rows and columns.

    Attributes
    ----------
    values : ndarray of shape (K, K)
        ``values[i, j] = measure(reps[i], reps[j])``.
    labels : tuple of str
        Dict keys of the input (or ``"0"``, ``"1"``, ... for a sequence).
    measure : str
        ``repr`` of the measure, which rebuilds it.

    ``save(path)`` writes one ``.npz`` file that ``PairwiseResult.load(path)``
    reads back (:class:`repgeo._result.Result`); ``to_pandas()`` and
    ``to_xarray()`` give the matrix with labelled axes.
    """

    values: np.ndarray
    labels: tuple
    measure: str

    _dims = {"values": ("row", "column")}
    _coords = {"row": "labels", "column": "labels"}

    def value(self, a: str, b: str) -> float:
        """The entry for labels ``a`` (row) and ``b`` (column)."""
        index = {lab: i for i, lab in enumerate(self.labels)}
        for lab in (a, b):
            if lab not in index:
                raise KeyError(f"label {lab!r} is not among the {len(self.labels)} labels")
        return float(self.values[index[a], index[b]])

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(str(lab) for lab in self.labels))

    def to_xarray(self) -> Any:
        """The matrix as an ``xarray.DataArray`` on axes ``row`` and ``column``, labelled (needs xarray)."""
        return super().to_xarray()["values"].assign_attrs(measure=self.measure)

    def to_pandas(self) -> Any:
        """The matrix as a ``pandas.DataFrame`` indexed by the labels on both axes (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("PairwiseResult.to_pandas needs pandas: pip install pandas") from exc
        table = pd.DataFrame(self.values, index=list(self.labels), columns=list(self.labels))
        table.attrs["measure"] = self.measure
        return table


def _split_reps(reps: Any) -> tuple[list[str], list[Any]]:
    if isinstance(reps, Mapping):
        labels = [str(k) for k in reps]
        if len(set(labels)) < len(labels):
            dup = sorted({lab for lab in labels if labels.count(lab) > 1})
            raise ValueError(f"reps has keys that are equal as strings ({dup}); labels must be distinct")
        return labels, list(reps.values())
    if isinstance(reps, (np.ndarray, str, bytes)) or not isinstance(reps, Iterable):
        raise TypeError(
            "reps must be a sequence or dict of arrays (one per representation); "
            f"got {type(reps).__name__}"
        )
    arrays = list(reps)
    return [str(i) for i in range(len(arrays))], arrays


def _tiles(K: int, block: int, symmetric: bool, diagonal: bool = False) -> list[tuple[int, int, list[tuple[int, int]]]]:
    n_side = math.ceil(K / block)
    out = []
    for bi in range(n_side):
        for bj in range(bi if symmetric else 0, n_side):
            rows = range(bi * block, min(K, (bi + 1) * block))
            cols = range(bj * block, min(K, (bj + 1) * block))
            pairs = [
                (i, j) for i in rows for j in cols if (i == j and diagonal) or (i < j if symmetric else i != j)
            ]
            if pairs:
                out.append((bi, bj, pairs))
    return out


def _auto_block(K: int, n_workers: int) -> int:
    target_tiles = max(16, 8 * n_workers)
    return max(1, math.ceil(K / math.sqrt(2 * target_tiles)))


def _run_tile(measure: Measure, key: tuple[int, int], pairs: list, prepared: dict) -> tuple:
    left = [prepared[i] for i, _ in pairs]
    right = [prepared[j] for _, j in pairs]
    many = getattr(measure, "compare_pairs", None)
    if many is not None:
        values = np.asarray(many(left, right), dtype=float)
    else:
        values = np.array([measure.compare(a, b) for a, b in zip(left, right)], dtype=float)
    return key, values


def pairwise(
    reps: Sequence[Any] | Mapping[Any, Any],
    measure: Measure | str,
    *,
    n_jobs: int | None = None,
    block_size: int | str = "auto",
    store: str | os.PathLike | None = None,
    progress: bool = False,
) -> np.ndarray:
    """All-pairs matrix of a measure over many representations.

    Each representation is prepared once (validation, centring, whitening,
    Gram factors); pairs are grouped into square tiles of the ``K x K``
    matrix (the upper triangle only for symmetric measures) and the tiles run
    through :class:`joblib.Parallel`, so ``with
    joblib.parallel_config(backend="dask"):`` runs them on a
    ``dask.distributed`` cluster unchanged.  Every entry equals the direct
    call ``measure(reps[i], reps[j])`` (bit for bit in one process; to the
    last bit or so across worker processes, whose BLAS may run with another
    thread count); symmetric measures compute ``i < j`` and mirror it, and
    the diagonal holds the measure's identity value (or is computed, for
    measures whose ``info.identity_value`` is ``None``).

    Parameters
    ----------
    reps : sequence or dict of arrays
        The representations (dict keys become labels in :func:`pairwise_labeled`).
    measure : Measure or str
        An instance or a registered name (see :func:`repgeo.list_measures`).
    n_jobs : int, optional
        Parallel workers (joblib semantics; ``None`` means 1 unless a
        ``joblib.parallel_config`` context says otherwise, ``-1`` all cores).
    block_size : int or "auto"
        Side of the square tiles of pairs sent to a worker.
    store : path, optional
        A directory where finished tiles are written as they complete; a
        rerun with the same inputs, measure and block size loads them and
        computes only what is missing (with ``block_size="auto"`` it keeps
        the stored tile size).  Each tile carries a checksum: a damaged,
        swapped or foreign tile is recomputed.  A directory holding another
        run, tiles without ``meta.json``, or an unreadable ``meta.json`` is
        refused.  Several processes may share one store; each finishes with
        the whole matrix.
    progress : bool, default False
        Show a tqdm progress bar over pairs.

    Returns
    -------
    ndarray of shape (K, K)

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> reps = [rng.standard_normal((30, 5)) for _ in range(3)]
    >>> D = rg.pairwise(reps, "procrustes")
    >>> bool(np.isclose(D[0, 1], rg.get_measure("procrustes")(reps[0], reps[1])))
    True
    """
    return pairwise_labeled(
        reps, measure, n_jobs=n_jobs, block_size=block_size, store=store, progress=progress
    ).values


def pairwise_labeled(
    reps: Sequence[Any] | Mapping[Any, Any],
    measure: Measure | str,
    *,
    n_jobs: int | None = None,
    block_size: int | str = "auto",
    store: str | os.PathLike | None = None,
    progress: bool = False,
) -> PairwiseResult:
    """:func:`pairwise`, returning a :class:`PairwiseResult` that keeps the labels.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> res = rg.pairwise_labeled({"a": rng.standard_normal((30, 4)), "b": rng.standard_normal((30, 6))}, "linear_cka")
    >>> res.labels, round(res.value("a", "a"), 3)
    (('a', 'b'), 1.0)
    """
    from tqdm.auto import tqdm

    measure = get_measure(measure) if isinstance(measure, str) else measure
    if not isinstance(measure, Measure):
        raise TypeError(f"measure must be a Measure or a registered name; got {type(measure).__name__}")
    labels, arrays = _split_reps(reps)
    K = len(arrays)
    if K == 0:
        raise ValueError("reps is empty; pairwise needs at least one representation")
    names = [f"reps[{lab!r}]" for lab in labels]
    measure.check_compatible(arrays, names)
    if block_size != "auto" and not (
        isinstance(block_size, (int, np.integer)) and not isinstance(block_size, bool) and block_size >= 1
    ):
        raise ValueError(f"block_size must be 'auto' or an integer >= 1; got {block_size!r}")
    auto = _auto_block(K, joblib.effective_n_jobs(n_jobs))
    saved = None
    if store is not None:  # the store decides the tile size when resuming
        saved = Store.open(store, fingerprint(measure, labels, arrays), block_size=block_size, auto_block=auto)
        block = saved.block_size
    else:
        block = auto if block_size == "auto" else int(block_size)

    out = np.full((K, K), np.nan)
    identity = measure.info.identity_value
    if identity is not None:
        np.fill_diagonal(out, identity)
    symmetric = measure.info.symmetric
    todo = []
    for bi, bj, pairs in _tiles(K, block, symmetric, diagonal=identity is None):
        values = saved.load((bi, bj), len(pairs)) if saved is not None else None
        if values is None:
            todo.append(((bi, bj), pairs))
        else:
            _fill(out, pairs, values, symmetric)

    if todo:
        needed = sorted({k for _, pairs in todo for pair in pairs for k in pair})
        with ExitStack() as stack:
            prepared = dict(
                joblib.Parallel(n_jobs=n_jobs)(
                    joblib.delayed(_tagged_prepare)(measure, arrays[k], names[k], k) for k in needed
                )
            )
            if _uses_local_processes(n_jobs):
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="repgeo-")))
                counter = itertools.count()
                prepared = {k: _memory_mapped(v, folder, counter) for k, v in prepared.items()}
            parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            bar = stack.enter_context(tqdm(total=sum(len(p) for _, p in todo), disable=not progress, unit="pair"))
            jobs = (
                joblib.delayed(_run_tile)(measure, key, pairs, {k: prepared[k] for pair in pairs for k in pair})
                for key, pairs in todo
            )
            pair_lists = dict(todo)
            for key, values in parallel(jobs):
                _fill(out, pair_lists[key], values, symmetric)
                if saved is not None:
                    saved.save(key, values)
                bar.update(len(values))
    return PairwiseResult(out, tuple(labels), repr(measure))


def _uses_local_processes(n_jobs: int | None) -> bool:
    """True when tiles go to worker processes on this machine (loky or multiprocessing)."""
    backend, _ = joblib.parallel.get_active_backend()
    local = type(backend).__name__ in ("LokyBackend", "MultiprocessingBackend")
    return local and joblib.effective_n_jobs(n_jobs) > 1


def _memory_mapped(obj: Any, folder: Path, counter: Any) -> Any:
    """Replace large arrays inside a prepared object by read-only memory maps.

    joblib passes memory-mapped arrays to its worker processes by file
    reference, so each prepared representation is written once instead of
    being pickled into every tile that needs it.
    """
    if isinstance(obj, np.ndarray):
        if isinstance(obj, np.memmap) or obj.nbytes < (1 << 20):
            return obj
        path = folder / f"a{next(counter)}.npy"
        np.save(path, obj)
        return np.load(path, mmap_mode="r")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        new = copy.copy(obj)
        for f in dataclasses.fields(obj):
            object.__setattr__(new, f.name, _memory_mapped(getattr(obj, f.name), folder, counter))
        return new
    if type(obj) in (list, tuple):
        return type(obj)(_memory_mapped(v, folder, counter) for v in obj)
    if type(obj) is dict:
        return {k: _memory_mapped(v, folder, counter) for k, v in obj.items()}
    return obj


def _tagged_prepare(measure: Measure, X: Any, name: str, k: int) -> tuple[int, Any]:
    return k, measure.prepare(X, name)


def _fill(out: np.ndarray, pairs: list, values: np.ndarray, symmetric: bool) -> None:
    rows, cols = np.array(pairs).T
    out[rows, cols] = values
    if symmetric:
        out[cols, rows] = values
