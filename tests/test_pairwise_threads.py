"""The engine's thread backend: measures whose work releases the GIL run on threads of this process."""

import importlib
import threading
from dataclasses import dataclass

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import repgeo as rg

engine = importlib.import_module("repgeo.pairwise._engine")
tiles = importlib.import_module("repgeo.pairwise._tiles")


def blas_threads():
    return sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})


@pytest.fixture
def on_threads(monkeypatch):
    """Threads even for tiny work; records the thread and the BLAS threads of every tile."""
    seen = []
    original = engine.run_tile

    def spy(*args, **kwargs):
        seen.append((threading.current_thread().name, tuple(blas_threads())))
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, "THREAD_SECONDS", -1.0)
    monkeypatch.setattr(engine, "run_tile", spy)
    return seen


def reps(K=7, n=40, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, 3 + k % 4)) for k in range(K)]


MEASURES = [
    "procrustes",
    "cca",
    rg.ShapeMetric(alpha=0.5, score="euclidean"),
    "linear_cka",
    "linear_cka_unbiased",
    "rsa",
    rg.RSA(rdm="euclidean", compare="pearson"),
]


@pytest.mark.parametrize("measure", MEASURES, ids=str)
@pytest.mark.parametrize("block_size", [1, 3])
def test_threads_equal_serial(on_threads, measure, block_size):
    data = reps()
    serial = rg.pairwise(data, measure, n_jobs=1, block_size=block_size)
    on_threads.clear()
    threaded = rg.pairwise(data, measure, n_jobs=2, block_size=block_size)
    assert any(name.startswith("repgeo") for name, _ in on_threads), "no tile ran on the engine's threads"
    np.testing.assert_allclose(threaded, serial, rtol=1e-12, atol=1e-14)
    rect = rg.pairwise(data[:4], measure, other=data[2:], n_jobs=2, block_size=block_size)
    np.testing.assert_allclose(rect, rg.pairwise(data[:4], measure, other=data[2:], block_size=block_size), rtol=1e-12, atol=1e-14)


def test_blas_is_capped_on_threads_and_restored_after(on_threads):
    if not blas_threads():
        pytest.skip("threadpoolctl finds no BLAS library")
    cap = max(1, tiles.available_cores() // 2)
    with threadpool_limits(limits=3, user_api="blas"):
        before = blas_threads()
        rg.pairwise(reps(), "procrustes", n_jobs=2, block_size=2)
        assert blas_threads() == before == [3]
    on_workers = [b for name, b in on_threads if name.startswith("repgeo")]
    assert on_workers and all(b == (cap,) for b in on_workers)
    assert on_threads[0][0] == threading.current_thread().name  # the first tile, timed here


def test_blas_cap_is_restored_after_an_error(monkeypatch):
    if not blas_threads():
        pytest.skip("threadpoolctl finds no BLAS library")
    monkeypatch.setattr(engine, "THREAD_SECONDS", -1.0)
    original, calls = engine.run_tile, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("tile failed")
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, "run_tile", failing)
    with threadpool_limits(limits=3, user_api="blas"):
        with pytest.raises(RuntimeError, match="tile failed"):
            rg.pairwise(reps(), "procrustes", n_jobs=2, block_size=1)
        assert blas_threads() == [3]


def test_store_resumes_after_threads_fail(monkeypatch, tmp_path):
    """Tiles finished on threads before a failure are kept; the rerun computes only the rest."""
    data = reps(K=8)
    expected = rg.pairwise(data, "cca", block_size=2)
    monkeypatch.setattr(engine, "THREAD_SECONDS", -1.0)
    original, calls = engine.run_tile, []

    def failing(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 5:
            raise RuntimeError("interrupted")
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, "run_tile", failing)
    with pytest.raises(RuntimeError, match="interrupted"):
        rg.pairwise(data, "cca", n_jobs=2, block_size=2, store=tmp_path)
    kept = len(list(tmp_path.glob("tile_*.npz")))
    assert 1 <= kept < 10  # 10 tiles in the upper triangle of 4 x 4
    calls.clear()
    monkeypatch.setattr(engine, "run_tile", original)
    monkeypatch.setattr(engine, "run_tile", lambda *a, **k: calls.append(a[1]) or original(*a, **k))
    again = rg.pairwise(data, "cca", n_jobs=2, block_size=2, store=tmp_path)
    assert len(calls) == 10 - kept
    np.testing.assert_allclose(again, expected, rtol=1e-12, atol=1e-14)
    assert len(list(tmp_path.glob("tile_*.npz"))) == 10


@dataclass(frozen=True)
class _Holds(rg.ShapeMetric):
    @property
    def releases_gil(self):
        return False


def test_where_the_work_runs():
    assert engine._where(rg.ShapeMetric(), 2, None) == "threads"
    assert engine._where(rg.ShapeMetric(), 1, None) == "serial"
    assert engine._where(_Holds(), 2, None) == "processes"
    assert engine._where(rg.RSA(compare="kendall_tau_a"), 2, None) == "processes"
    assert engine._where(rg.get_measure("dsa"), 2, None) == "processes"  # Measure's default: False
    # tensors on an accelerator stay in this process whatever the measure (no pickled device tensors)
    assert engine._where(_Holds(), 2, None, on_device=True) == "threads"
    assert engine._where(_Holds(), 1, None, on_device=True) == "serial"


def test_device_tensors_are_recognised_without_importing_torch():
    from types import SimpleNamespace

    fake_cuda = type("Tensor", (), {"__module__": "torch", "device": SimpleNamespace(type="cuda")})()
    fake_cpu = type("Tensor", (), {"__module__": "torch", "device": SimpleNamespace(type="cpu")})()
    assert engine._on_device([np.zeros(3), fake_cuda]) and not engine._on_device([np.zeros(3), fake_cpu])
    torch = pytest.importorskip("torch")
    assert not engine._on_device([torch.zeros(3, 2)])
    assert rg.get_measure("linear_cka").releases_gil and rg.RSA().releases_gil


def test_held_out_on_threads_equals_serial(on_threads):
    train, test = reps(K=6, n=40, seed=1), reps(K=6, n=15, seed=2)
    measure = rg.ShapeMetric(alpha=0.5)
    serial = rg.pairwise(train, measure, test=test, block_size=2)
    threaded = rg.pairwise(train, measure, test=test, n_jobs=2, block_size=2)
    assert any(name.startswith("repgeo") for name, _ in on_threads)
    np.testing.assert_allclose(threaded, serial, rtol=1e-12, atol=1e-14)
