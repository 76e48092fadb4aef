"""The engine behind :func:`repgeo.pairwise`: prepare, fingerprint, resume, run tiles.

Where the work runs is decided here, by one rule each:

- *Threads or processes.*  With ``n_jobs > 1`` and joblib's default local
  backend (loky or multiprocessing), a measure whose ``releases_gil`` is
  true (its time goes to NumPy/LAPACK calls that release the GIL: shape
  metrics, linear CKA, RSA except Kendall's tau) runs on a pool of
  ``workers`` threads in this process: prepared forms are shared, nothing
  is pickled or written to disk, and there is no pool start-up to pay.
  Other measures run in joblib's worker processes.  Other joblib backends
  (Dask through ``parallel_config``) and ``client=`` are used as given.
- *Parallel or serial.*  The first representation and the first tile are
  computed in this process and timed; the rest goes to the threads when the
  serial estimate of what remains exceeds :data:`THREAD_SECONDS`, and to
  worker processes when it exceeds :data:`PARALLEL_SECONDS` (below those,
  feeding workers costs more than it saves).  Other backends always get the
  work.
- *Threads.*  While threads or local worker processes compute, BLAS is
  capped at ``max(1, cores // workers)`` threads (threadpoolctl) -- in this
  process for the whole parallel part with threads (then restored, also
  after an error; the cap is process-wide, as BLAS has no per-thread
  setting, so other threads of the caller see it meanwhile), in each worker
  while it prepares or computes a tile -- so workers x BLAS threads never
  exceeds the cores, whatever ``OPENBLAS_NUM_THREADS`` says.  Serial work
  keeps the caller's setting.
- *Memory.*  Prepared forms stay in memory while their estimated total
  (8 bytes per input element) is within ``max_memory``; beyond it, when
  local worker processes may run and the total exceeds :data:`SPILL_TOTAL`,
  and whenever local worker processes prepare or compute, they are spilled
  to a temporary disk cache and read back as memory maps
  (:mod:`repgeo.pairwise._prepared`; the cache lives under ``tempfile``'s
  directory, ``TMPDIR``).  Threads share the parent's prepared forms.  The
  automatic tile side keeps a tile's prepared inputs within
  ``max_memory / (2 * workers)``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from typing import Any, Callable

import joblib
import numpy as np

from .._measure import Measure
from .._store import Store, fingerprint
from ._inputs import estimated_bytes
from ._prepared import prepare_one, spill
from ._tiles import auto_block, available_cores, blas_limits, run_tile, tile_keys, tile_pairs

__all__ = ["compute", "PARALLEL_SECONDS", "THREAD_SECONDS"]

#: Serial seconds of remaining work below which local worker processes are not started.
PARALLEL_SECONDS = 1.5
#: Serial seconds of remaining work below which threads are not used (a thread pool starts in
#: well under a millisecond and shares memory, so only very small runs stay serial).
THREAD_SECONDS = 0.02
#: Estimated prepared bytes above which prepared forms go to the disk cache as soon as local workers may run.
SPILL_TOTAL = 64 << 20


def uses_local_processes(n_jobs: int | None) -> bool:
    """True when work goes to worker processes on this machine (loky or multiprocessing)."""
    backend, _ = joblib.parallel.get_active_backend()
    local = type(backend).__name__ in ("LokyBackend", "MultiprocessingBackend")
    return local and joblib.effective_n_jobs(n_jobs) > 1


class _Cache:
    """A temporary directory for spilled prepared forms, created on first use and removed at exit."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack, self._path = stack, None

    def __call__(self) -> str:
        if self._path is None:
            self._path = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="repgeo-cache-"))
        return self._path


class _Threads:
    """A pool of threads, with BLAS capped at ``cores // workers`` while it lives (started on first use)."""

    def __init__(self, stack: ExitStack, n_workers: int) -> None:
        self._stack, self._n, self._pool = stack, n_workers, None

    def __call__(self) -> ThreadPoolExecutor:
        if self._pool is None:
            # entered before the pool: the pool's threads are joined before the cap is lifted
            self._stack.enter_context(blas_limits(max(1, available_cores() // self._n)))
            self._pool = self._stack.enter_context(ThreadPoolExecutor(self._n, thread_name_prefix="repgeo"))
        return self._pool


def _prepare_all(measure: Measure, items: list, names: list, n_jobs: Any, how: str, folder: Callable, on_disk: bool, digest: bool, threads: _Threads) -> tuple:
    """Prepared forms (or skeletons) and content digests (when ``digest``) of every item, in order."""
    start = time.perf_counter()
    first = [prepare_one(measure, items[0], names[0], folder() if on_disk else None, digest)]
    rest = range(1, len(items))
    estimate = (time.perf_counter() - start) * len(rest)
    cache = folder() if on_disk else None
    if how == "threads" and estimate > THREAD_SECONDS and len(rest) > 1:
        done = list(threads().map(lambda k: prepare_one(measure, items[k], names[k], cache, digest), rest))
    elif how == "processes" and estimate > PARALLEL_SECONDS:  # workers write their prepared forms to the cache
        cache, cap = folder(), max(1, available_cores() // joblib.effective_n_jobs(n_jobs))
        done = joblib.Parallel(n_jobs=n_jobs)(
            joblib.delayed(prepare_one)(measure, items[k], names[k], cache, digest, cap) for k in rest
        )
    elif how == "other":  # another backend (Dask): results come back
        done = joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(prepare_one)(measure, items[k], names[k], None, digest) for k in rest)
    else:
        done = [prepare_one(measure, items[k], names[k], cache, digest) for k in rest]
    pairs = first + list(done)
    return [p for p, _ in pairs], [d for _, d in pairs]


def _where(measure: Measure, n_jobs: Any, client: Any, on_device: bool = False) -> str:
    """Where the work may run: "dask", "threads", "processes", "other" (another joblib backend) or "serial".

    Tensors on an accelerator (``on_device``) never go to worker processes, which would copy them through
    pickles (or fail to): they run on threads of this process, where their device work can still overlap.
    """
    if client is not None:
        return "dask"
    if joblib.effective_n_jobs(n_jobs) <= 1:
        return "serial"
    if uses_local_processes(n_jobs):
        return "threads" if measure.releases_gil or on_device else "processes"
    return "other"


def _on_device(items: list) -> bool:
    """Whether any input is a torch tensor off the CPU (checked without importing torch)."""
    return any(type(it).__module__.startswith("torch") and getattr(getattr(it, "device", None), "type", "cpu")
               != "cpu" for it in items)


def compute(
    measure: Measure,
    items: list,
    names: list,
    n_rows: int,
    *,
    rectangular: bool,
    labels: tuple,
    n_jobs: Any,
    block_size: Any,
    store: Any,
    progress: bool,
    max_memory: int,
    client: Any = None,
) -> np.ndarray:
    """The all-pairs matrix of ``items[:n_rows]`` against themselves, or against ``items[n_rows:]``."""
    from tqdm.auto import tqdm

    n_cols = len(items) - n_rows if rectangular else n_rows
    identity = measure.info.identity_value
    mode = "rectangular" if rectangular else ("symmetric" if measure.info.symmetric else "square")
    diagonal = identity is None and not rectangular
    if client is None and "distributed" in sys.modules:  # joblib's Dask backend: run natively on its client
        from ._dask import joblib_dask_client

        client = joblib_dask_client()
    how = _where(measure, n_jobs, client, _on_device(items))
    n_workers = joblib.effective_n_jobs(n_jobs) if client is None else max(1, len(client.scheduler_info()["workers"]))
    sizes = [estimated_bytes(it) for it in items]
    # to the disk cache: over the budget, or large enough that worker processes may want it anyway
    # (then the parent never holds what it would have to write out later)
    on_disk = sum(sizes) > max_memory or (how == "processes" and sum(sizes) > SPILL_TOTAL)
    auto = auto_block(n_rows, n_cols, n_workers, max(sizes), max_memory // (2 * n_workers))

    with ExitStack() as stack:
        folder, threads = _Cache(stack), _Threads(stack, n_workers)
        if client is not None:
            from ._dask import DaskRun

            run = stack.enter_context(DaskRun(client, measure, items, names, store is not None))
            digests = run.digests
        else:
            prepared, digests = _prepare_all(measure, items, names, n_jobs, how, folder, on_disk, store is not None, threads)
        row_labels, col_labels = labels
        saved = None
        if store is not None:  # the store decides the tile size when resuming
            identity_of_run = fingerprint(measure, row_labels, digests, col_labels if rectangular else None)
            saved = Store.open(store, identity_of_run, block_size=block_size, auto_block=auto)
            block = saved.block_size
        else:
            block = auto if block_size == "auto" else int(block_size)
        geometry = (block, n_rows, n_cols, mode, diagonal)

        out = np.full((n_rows, n_cols), np.nan)
        if identity is not None and not rectangular:
            np.fill_diagonal(out, identity)
        todo = []
        for key in tile_keys(n_rows, n_cols, block, mode):
            i, j = tile_pairs(key, block, n_rows, n_cols, mode, diagonal)
            if i.size == 0:
                continue
            values = saved.load(key, i.size) if saved is not None else None
            if values is None:
                todo.append(key)
            else:
                _fill(out, i, j, values, mode)
        bar = stack.enter_context(tqdm(total=_count(todo, geometry), disable=not progress, unit="pair"))

        def finish(key: tuple, values: np.ndarray) -> None:
            i, j = tile_pairs(key, block, n_rows, n_cols, mode, diagonal)
            _fill(out, i, j, values, mode)
            if saved is not None:
                saved.save(key, values)
            bar.update(values.size)

        offset = n_rows if rectangular else 0
        if client is not None:
            for key, values in run.tiles(todo, geometry, offset):
                finish(key, values)
            return out

        def sides(key: tuple, prep: list) -> tuple:
            r0, c0 = key[0] * block, key[1] * block
            return prep[r0 : min(n_rows, r0 + block)], prep[offset + c0 : offset + min(n_cols, c0 + block)]

        parallel_pays = how == "other"
        if how in ("threads", "processes") and todo:  # time one tile here before deciding whether workers pay
            start = time.perf_counter()
            key = todo.pop(0)
            finish(*run_tile(measure, key, *sides(key, prepared), geometry))
            per_pair = (time.perf_counter() - start) / max(1, _count([key], geometry))
            limit = THREAD_SECONDS if how == "threads" else PARALLEL_SECONDS
            parallel_pays = len(todo) > 1 and per_pair * _count(todo, geometry) > limit
        if parallel_pays and how == "threads":
            pool = threads()
            jobs = [pool.submit(run_tile, measure, key, *sides(key, prepared), geometry) for key in todo]
            try:
                for job in as_completed(jobs):
                    finish(*job.result())
            finally:  # an error (or an interrupt): tiles not yet started are dropped
                for job in jobs:
                    job.cancel()
        elif parallel_pays:
            cap = None
            if how == "processes":  # workers read prepared forms from the disk cache, never from pickles
                cache = folder()
                prepared = [spill(p, cache) for p in prepared]
                cap = max(1, available_cores() // n_workers)
            parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            jobs = (joblib.delayed(run_tile)(measure, key, *sides(key, prepared), geometry, cap) for key in todo)
            for key, values in parallel(jobs):
                finish(key, values)
        else:
            for key in todo:
                finish(*run_tile(measure, key, *sides(key, prepared), geometry))
    return out


def _count(keys: list, geometry: tuple) -> int:
    block, n_rows, n_cols, mode, diagonal = geometry
    return sum(tile_pairs(key, block, n_rows, n_cols, mode, diagonal)[0].size for key in keys)


def _fill(out: np.ndarray, i: np.ndarray, j: np.ndarray, values: np.ndarray, mode: str) -> None:
    out[i, j] = values
    if mode == "symmetric":
        out[j, i] = values
