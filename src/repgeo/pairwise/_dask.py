"""The engine on a Dask cluster, natively: prepared forms live on workers, tiles refer to them by future.

Each representation is prepared by one task on some worker (the task
carries the array, or only the path of a file the workers can read), and its
prepared form stays in that worker's memory as a future.  A tile is a task
whose arguments are the futures of its rows and columns: Dask moves each
prepared form to a worker that needs it at most once (workers keep what they
fetched), instead of pickling the prepared data into every tile, as joblib's
Dask backend does.  A worker that dies takes its prepared forms with it;
the scheduler recomputes them from their tasks and reruns the tiles that
were lost, so the run finishes with the right matrix.
"""

from __future__ import annotations

import secrets
from typing import Any, Iterator

import numpy as np

from .._measure import Measure
from ._prepared import prepare_one
from ._tiles import run_tile

__all__ = ["DaskRun", "joblib_dask_client"]


def joblib_dask_client() -> Any:
    """The Dask client of an active ``joblib.parallel_config(backend="dask")``, else ``None``."""
    import joblib

    backend, _ = joblib.parallel.get_active_backend()
    return getattr(backend, "client", None) if type(backend).__name__ == "DaskDistributedBackend" else None


def _prepared_only(pair: tuple) -> Any:
    return pair[0]


def _digest_only(pair: tuple) -> str:
    return pair[1]


def _tile(measure: Measure, key: tuple, lefts: list, rights: list, geometry: tuple) -> tuple:
    return run_tile(measure, key, lefts, rights, geometry)


class DaskRun:
    """Prepare every item on the cluster; then :meth:`tiles` runs tiles over the prepared futures."""

    def __init__(self, client: Any, measure: Measure, items: list, names: list, digest: bool) -> None:
        self.client, self.measure = client, measure
        token = secrets.token_hex(6)
        pairs = [
            client.submit(prepare_one, measure, item, name, None, digest, key=f"repgeo-prepare-{token}-{k}", pure=False)
            for k, (item, name) in enumerate(zip(items, names))
        ]
        # the prepared forms stay on the workers that made them; only digests come back
        self.prepared = client.map(_prepared_only, pairs, key=[f"repgeo-prepared-{token}-{k}" for k in range(len(pairs))])
        self.digests = client.gather(client.map(_digest_only, pairs, key=[f"repgeo-digest-{token}-{k}" for k in range(len(pairs))]))
        self._pairs, self._token = pairs, token

    def __enter__(self) -> "DaskRun":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.client.cancel(self._pairs + self.prepared)

    def tiles(self, todo: list, geometry: tuple, offset: int) -> Iterator[tuple]:
        """``(key, values)`` of each tile in ``todo`` as it finishes (any order)."""
        from distributed import as_completed

        block, n_rows, n_cols = geometry[:3]
        futures = []
        for key in todo:
            r0, c0 = key[0] * block, key[1] * block
            lefts = self.prepared[r0 : min(n_rows, r0 + block)]
            rights = self.prepared[offset + c0 : offset + min(n_cols, c0 + block)]
            futures.append(
                self.client.submit(
                    _tile, self.measure, key, lefts, rights, geometry, key=f"repgeo-tile-{self._token}-{key[0]}-{key[1]}"
                )
            )
        try:
            for future in as_completed(futures):
                key, values = future.result()
                yield tuple(key), np.asarray(values, dtype=float)
        finally:
            self.client.cancel(futures)
