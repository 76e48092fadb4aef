"""Bytes sent over loopback by an all-pairs run on a Dask LocalCluster: native versus joblib's Dask backend.

Native (``pairwise(..., client=client)``): each representation is prepared on a
worker and stays there; tiles carry futures.  Before (joblib's Dask backend,
which repgeo used up to issue 14): prepared forms come back to this process and
are scattered again with every tile.  The counter is the loopback interface's
``bytes_sent`` (psutil), which every message between this process, the
scheduler and the two workers crosses; other programs using loopback at the
same time add to it, so the script reports the median of ``--repeats`` runs.

    python benchmarks/bench_dask.py                 # K=40 of 500 x 50, tiles of 4
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time

import joblib
import numpy as np
import psutil


def loopback_bytes() -> int:
    return psutil.net_io_counters(pernic=True)["lo"].bytes_sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=40)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--p", type=int, default=50)
    parser.add_argument("--block", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import distributed

    import repgeo as rg

    dask_module = importlib.import_module("repgeo.pairwise._dask")
    rng = np.random.default_rng(0)
    reps = [rng.standard_normal((args.n, args.p)) for _ in range(args.k)]
    expected = rg.pairwise(reps, "procrustes")
    data_mib = sum(r.nbytes for r in reps) / 2**20
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0")
    with cluster, distributed.Client(cluster) as client:

        def native():
            return rg.pairwise(reps, "procrustes", client=client, block_size=args.block)

        def through_joblib():
            saved = dask_module.joblib_dask_client
            dask_module.joblib_dask_client = lambda: None  # the engine as before: joblib's Dask backend
            try:
                with joblib.parallel_config(backend="dask"):
                    return rg.pairwise(reps, "procrustes", n_jobs=2, block_size=args.block)
            finally:
                dask_module.joblib_dask_client = saved

        sent = {"native": [], "joblib-dask": []}
        wall = {"native": [], "joblib-dask": []}
        for _ in range(args.repeats):
            for name, fn in (("native", native), ("joblib-dask", through_joblib)):
                b0, t0 = loopback_bytes(), time.perf_counter()
                D = fn()
                wall[name].append(time.perf_counter() - t0)
                sent[name].append(loopback_bytes() - b0)
                assert np.abs(D - expected).max() < 1e-12
    n_tiles = -(-args.k // args.block)
    print(f"K={args.k} of {args.n} x {args.p} ({data_mib:.1f} MiB of data), procrustes, tiles of {args.block} "
          f"({n_tiles * (n_tiles + 1) // 2} tiles), LocalCluster of 2 worker processes")
    for name in sent:
        print(f"  {name:12s} {statistics.median(sent[name]) / 2**20:8.1f} MiB sent over loopback, "
              f"{statistics.median(wall[name]):.2f} s")
    print(f"  ratio joblib-dask / native bytes: {statistics.median(sent['joblib-dask']) / statistics.median(sent['native']):.1f}x")


if __name__ == "__main__":
    main()
