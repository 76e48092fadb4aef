"""The all-pairs engine: the only loop over pairs of representations in repgeo."""

from __future__ import annotations

import os
from pathlib import Path
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._measure import Measure
from .._registry import get_measure
from .._result import Result
from .._validation import check_memory_budget
from ._engine import compute
from ._heldout import HeldOut
from ._inputs import resolve, stand_in

__all__ = ["pairwise", "pairwise_labeled", "PairwiseResult"]


@dataclass(frozen=True, eq=False, repr=False)
class PairwiseResult(Result):
    """An all-pairs matrix with the labels of its rows and columns.

    Attributes
    ----------
    values : ndarray of shape (K, K), or (K, K') with ``other=``
        ``values[i, j] = measure(reps[i], reps[j])`` (or ``other[j]``).
    labels : tuple of str
        Dict keys of the input (or ``"0"``, ``"1"``, ... for a sequence; file
        stems for a directory), labelling the rows (and the columns of a square matrix).
    measure : str
        ``repr`` of the measure, which rebuilds it.
    column_labels : tuple of str or None
        Labels of ``other`` (the columns) for a rectangular matrix.
    train : ndarray or None
        With ``test=``: the training matrix (``values`` then holds the
        held-out one).

    ``save(path)`` writes one ``.npz`` file that ``PairwiseResult.load(path)``
    reads back (:class:`repgeo._result.Result`); ``to_pandas()`` and
    ``to_xarray()`` give the matrix with labelled axes.
    """

    values: np.ndarray
    labels: tuple
    measure: str
    column_labels: tuple | None = None
    train: np.ndarray | None = None

    def value(self, a: str, b: str) -> float:
        """The entry for labels ``a`` (row) and ``b`` (column)."""
        columns = self.labels if self.column_labels is None else self.column_labels
        where = []
        for lab, axis in ((a, self.labels), (b, columns)):
            if lab not in axis:
                raise KeyError(f"label {lab!r} is not among the {len(axis)} labels")
            where.append(axis.index(lab))
        return float(self.values[where[0], where[1]])

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(str(lab) for lab in self.labels))
        if self.column_labels is not None:
            object.__setattr__(self, "column_labels", tuple(str(lab) for lab in self.column_labels))

    def _columns(self) -> tuple:
        return self.labels if self.column_labels is None else self.column_labels

    def to_xarray(self) -> Any:
        """The matrix as an ``xarray.DataArray`` on axes ``row`` and ``column``, labelled (needs xarray)."""
        try:
            import xarray as xr
        except ImportError as exc:
            raise ImportError("PairwiseResult.to_xarray needs xarray: pip install xarray") from exc
        coords = {"row": list(self.labels), "column": list(self._columns())}
        return xr.DataArray(self.values, dims=("row", "column"), coords=coords, attrs={"measure": self.measure})

    def to_pandas(self) -> Any:
        """The matrix as a ``pandas.DataFrame`` indexed by the row and column labels (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("PairwiseResult.to_pandas needs pandas: pip install pandas") from exc
        table = pd.DataFrame(self.values, index=list(self.labels), columns=list(self._columns()))
        table.attrs["measure"] = self.measure
        return table


def pairwise(
    reps: Any,
    measure: Measure | str,
    *,
    other: Any = None,
    test: Any = None,
    n_jobs: int | None = None,
    block_size: int | str = "auto",
    store: str | os.PathLike | None = None,
    progress: bool = False,
    max_memory: int | None = None,
    client: Any = None,
) -> np.ndarray:
    """All-pairs matrix of a measure over many representations.

    Each representation is read once and prepared once (validation,
    centring, whitening, Gram factors); pairs are grouped into square tiles
    of the ``K x K`` matrix (the upper triangle only for symmetric measures)
    and the tiles run through :class:`joblib.Parallel`, so ``with
    joblib.parallel_config(backend="dask"):`` runs them on a
    ``dask.distributed`` cluster unchanged, or through a Dask client
    directly (``client=``).  Measures with a ``compare_block`` method
    (shape metrics, linear CKA, RSA) compute a whole tile from one matrix
    product.  Every entry equals the direct call ``measure(reps[i],
    reps[j])`` up to rounding (block paths sum in another order; worker
    processes may run BLAS with another thread count); symmetric measures
    compute ``i < j`` and mirror it, and the diagonal holds the measure's
    identity value (or is computed, for measures whose
    ``info.identity_value`` is ``None``).

    Parameters
    ----------
    reps : sequence or dict of arrays or paths, or one path
        The representations: arrays (or tensors, or anything with
        ``__array__``, read when prepared), ``.npy`` paths, or a single path
        to a directory of ``.npy`` files, an ``.npz`` archive, a zarr group
        or an HDF5 file (one array per representation; zarr and h5py only
        when installed).  Dict keys (file stems, member names) become labels
        in :func:`pairwise_labeled`.
    measure : Measure or str
        An instance or a registered name (see :func:`repgeo.list_measures`).
    other : same forms as ``reps``, optional
        Column representations: the result is the ``len(reps) x len(other)``
        matrix ``measure(reps[i], other[j])``, through the same tiles, store
        and workers.
    test : same forms as ``reps``, optional
        Held-out samples of the same networks (same labels, same units,
        matched rows among themselves): each pair is fitted on ``reps``
        (``measure.fit``, for measures that have one) and measured on
        ``test``, as netrep's ``pairwise_distances(train, test)``.  The
        result is the held-out matrix; :func:`pairwise_labeled` also keeps
        the training matrix (``.train``).  With ``store``, the two runs are
        kept in its ``train`` and ``test`` subdirectories.
    n_jobs : int, optional
        Parallel workers (joblib semantics; ``None`` means 1 unless a
        ``joblib.parallel_config`` context says otherwise, ``-1`` all cores).
        Measures whose ``releases_gil`` is true (shape metrics, linear CKA,
        RSA except Kendall's tau) run on threads of this process, others in
        worker processes; either is used only when the work is large enough
        to pay for it (timed on the first tile), and BLAS is capped at
        ``cores // workers`` threads while they compute (restored after).
    block_size : int or "auto"
        Side of the square tiles of pairs sent to a worker.  ``"auto"``
        makes at least 16 tiles (8 per worker) with several workers, about 4
        serially, and keeps a tile's prepared
        inputs within ``max_memory / (2 * workers)``.
    store : path, optional
        A directory where finished tiles are written as they complete; a
        rerun with the same inputs, measure and block size loads them and
        computes only what is missing (with ``block_size="auto"`` it keeps
        the stored tile size).  Each tile carries a checksum: a damaged,
        swapped or foreign tile is recomputed.  The run is identified by the
        measure, the labels and a content hash of every input (shape, dtype
        and bytes, hashed while the input is read for preparation, so no
        second pass): if any input changed since the stored run, the store
        is refused with an error naming what differs, and its tiles are
        left untouched.  A directory holding another run, tiles without
        ``meta.json``, or an unreadable ``meta.json`` is refused too.
        Several processes may share one store; each finishes with the whole
        matrix.
    progress : bool, default False
        Show a tqdm progress bar over pairs.
    max_memory : int, optional
        Bytes the prepared representations may hold in memory (default a
        quarter of this machine's RAM).  Beyond it they are written to a
        temporary disk cache and memory-mapped by the tiles that need them.
    client : distributed.Client, optional
        Run on this Dask cluster natively: every representation is prepared
        on a worker once and stays there; tiles refer to the prepared forms
        by future (no data is pickled into tiles).  Inside ``with
        joblib.parallel_config(backend="dask"):`` that backend's client is
        used the same way.  A worker that dies is replaced and its lost work
        recomputed.

    Returns
    -------
    ndarray of shape (K, K), or (K, K') with ``other`` (the held-out matrix with ``test``)

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> reps = [rng.standard_normal((30, 5)) for _ in range(3)]
    >>> D = rg.pairwise(reps, "procrustes")
    >>> bool(np.isclose(D[0, 1], rg.get_measure("procrustes")(reps[0], reps[1])))
    True
    >>> rg.pairwise(reps, "procrustes", other=reps[:2]).shape
    (3, 2)
    """
    return pairwise_labeled(
        reps, measure, other=other, test=test, n_jobs=n_jobs, block_size=block_size, store=store,
        progress=progress, max_memory=max_memory, client=client,
    ).values


def pairwise_labeled(
    reps: Any,
    measure: Measure | str,
    *,
    other: Any = None,
    test: Any = None,
    n_jobs: int | None = None,
    block_size: int | str = "auto",
    store: str | os.PathLike | None = None,
    progress: bool = False,
    max_memory: int | None = None,
    client: Any = None,
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
    measure = get_measure(measure) if isinstance(measure, str) else measure
    if not isinstance(measure, Measure):
        raise TypeError(f"measure must be a Measure or a registered name; got {type(measure).__name__}")
    labels, items = resolve(reps, "reps")
    names = [f"reps[{lab!r}]" for lab in labels]
    column_labels = None
    if other is not None:
        column_labels, other_items = resolve(other, "other")
        items = items + other_items
        names = names + [f"other[{lab!r}]" for lab in column_labels]
    measure.check_compatible([stand_in(it) for it in items], names)
    if block_size != "auto" and not (
        isinstance(block_size, (int, np.integer)) and not isinstance(block_size, bool) and block_size >= 1
    ):
        raise ValueError(f"block_size must be 'auto' or an integer >= 1; got {block_size!r}")
    run = dict(
        n_rows=len(labels), rectangular=other is not None, labels=(labels, column_labels), n_jobs=n_jobs,
        block_size=block_size, progress=progress, max_memory=check_memory_budget(max_memory), client=client,
    )
    train = None
    if test is not None:
        if other is not None:
            raise ValueError("test= and other= cannot be combined; give one of them")
        if not callable(getattr(measure, "fit", None)):
            raise TypeError(f"test= needs a measure with a fit() method (e.g. shape metrics); {measure!r} has none")
        test_labels, test_items = resolve(test, "test")
        if test_labels != labels:
            raise ValueError(
                f"test must hold the same representations as reps, with the same labels; reps has {len(labels)} "
                f"({', '.join(labels[:3])}{', ...' if len(labels) > 3 else ''}), test has {len(test_labels)} "
                f"({', '.join(test_labels[:3])}{', ...' if len(test_labels) > 3 else ''})"
            )
        held_items = [(a, b) for a, b in zip(items, test_items)]
        HeldOut(measure).check_compatible([stand_in(it) for it in held_items], names)
        train = compute(measure, items, names, store=_sub(store, "train"), **run)
        measure, items, store = HeldOut(measure), held_items, _sub(store, "test")
    values = compute(measure, items, names, store=store, **run)
    return PairwiseResult(
        values, tuple(labels), repr(measure), None if column_labels is None else tuple(column_labels), train
    )


def _sub(store: Any, name: str) -> Path | None:
    """The subdirectory ``name`` of a store (``None`` without one); a store that is a file is refused."""
    if store is None:
        return None
    if Path(store).exists() and not Path(store).is_dir():
        raise ValueError(f"store must be a directory (new or holding a previous run); {str(store)!r} is a file")
    return Path(store) / name
