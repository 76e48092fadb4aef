"""The engine on a real Dask cluster (two worker processes on loopback): equality, resilience."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import repgeo as rg

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow  # a LocalCluster takes seconds to start


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    )
    with cluster, distributed.Client(cluster) as c:
        yield c


def reps_fixture(K, n=60, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, 3 + k % 5)) for k in range(K)]


@pytest.mark.parametrize("name", ["procrustes", "linear_cka", "rsa_kendall", "permutation"])
def test_native_dask_equals_serial(client, name):
    reps = reps_fixture(9)
    serial = rg.pairwise(reps, name)
    np.testing.assert_allclose(rg.pairwise(reps, name, client=client, block_size=2), serial, rtol=0, atol=1e-12)


def test_native_dask_rectangular_and_labels(client, tmp_path):
    reps, other = reps_fixture(5), reps_fixture(3, seed=1)
    res = rg.pairwise_labeled(reps, "cca", other=other, client=client, block_size=2, store=tmp_path)
    np.testing.assert_allclose(res.values, rg.pairwise(reps, "cca", other=other), rtol=0, atol=1e-12)
    assert res.column_labels == ("0", "1", "2")


def test_parallel_config_dask_runs_natively(client):
    import joblib

    reps = reps_fixture(6)
    with joblib.parallel_config(backend="dask"):
        got = rg.pairwise(reps, "procrustes", block_size=2)
    np.testing.assert_allclose(got, rg.pairwise(reps, "procrustes"), rtol=0, atol=1e-12)


def test_a_worker_killed_mid_run_is_survived_and_stored_tiles_are_kept(tmp_path):
    """SIGKILL one worker while tiles run: the nanny restarts it, lost work is recomputed, tiles stay."""
    rng = np.random.default_rng(3)
    reps = [rng.standard_normal((400, 40)) for _ in range(40)]
    expected = rg.pairwise(reps, "procrustes")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    )
    with cluster, distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        killed = threading.Event()

        def kill_after_first_tiles():
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and len(list(tmp_path.glob("tile_*.npz"))) < 3:
                time.sleep(0.01)
            first = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("tile_*.npz")}
            os.kill(pids[0], signal.SIGKILL)
            killed.first = first
            killed.set()

        watcher = threading.Thread(target=kill_after_first_tiles, daemon=True)
        watcher.start()
        got = rg.pairwise(reps, "procrustes", client=client, block_size=2, store=tmp_path)
        watcher.join(timeout=5)
    assert killed.is_set(), "the run finished before a worker could be killed; make it longer"
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    n_tiles = 20 * 21 // 2
    assert len(list(tmp_path.glob("tile_*.npz"))) == n_tiles
    for name, mtime in killed.first.items():  # tiles finished before the kill were not rewritten
        assert (tmp_path / name).stat().st_mtime_ns == mtime
    again = rg.pairwise(reps, "procrustes", block_size=2, store=tmp_path)  # resumes: everything stored
    np.testing.assert_array_equal(again, got)
