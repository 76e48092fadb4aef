"""``repgeo pairwise --scheduler``: a Dask client on a running scheduler or on a new local cluster."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from ._files import UsageError


@contextlib.contextmanager
def dask_client(address: str, n_jobs: int | None) -> Iterator[Any]:
    """A Dask client on the scheduler at ``address``, or on a new LocalCluster for ``"local"``
    (``n_jobs`` single-threaded worker processes on the loopback interface; all cores by default)."""
    try:
        import distributed
    except ImportError as exc:
        raise UsageError("--scheduler needs dask.distributed (pip install 'repgeo[dask]')") from exc
    if address == "local":
        workers = n_jobs if n_jobs is not None and n_jobs > 0 else (os.cpu_count() or 1)
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
        )
        with cluster, distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--scheduler {address}: cannot reach a Dask scheduler there ({exc})") from exc
    with client:
        yield client
