"""The all-pairs engine: equality with direct calls, labels, parallel backends, resumable store."""

from dataclasses import dataclass

import joblib
import numpy as np
import pytest

import repgeo as rg
from repgeo import Measure, MeasureInfo


def reps_fixture(K=7, seed=0):
    rng = np.random.default_rng(seed)
    return {f"net{k}": rng.standard_normal((40, 3 + k % 4)) for k in range(K)}


def direct(reps, measure):
    arrays = list(reps.values())
    K = len(arrays)
    out = np.full((K, K), measure.info.identity_value)
    for i in range(K):
        for j in range(i + 1, K):
            out[i, j] = out[j, i] = measure(arrays[i], arrays[j])
    return out


@pytest.mark.parametrize("name", ["procrustes", "cca", "linear_cka", "rsa", "permutation"])
@pytest.mark.parametrize("block_size", [1, 3, "auto"])
def test_equals_direct_calls_for_any_block_size(name, block_size):
    reps = reps_fixture()
    measure = rg.get_measure(name)
    got = rg.pairwise(reps, name, block_size=block_size)
    if hasattr(measure, "compare_block"):  # one GEMM per tile sums in another order than per pair
        np.testing.assert_allclose(got, direct(reps, measure), rtol=0, atol=1e-12)
    else:
        np.testing.assert_array_equal(got, direct(reps, measure))


def test_two_workers_equal_one():
    reps = reps_fixture(K=9)
    one = rg.pairwise(reps, "procrustes", n_jobs=1)
    two = rg.pairwise(reps, "procrustes", n_jobs=2, block_size=2)
    np.testing.assert_allclose(two, one, rtol=1e-13, atol=1e-15)


def test_labels_and_result_object(tmp_path):
    reps = reps_fixture(K=3)
    res = rg.pairwise_labeled(reps, rg.LinearCKA())
    assert res.labels == ("net0", "net1", "net2")
    assert res.value("net0", "net2") == res.values[0, 2]
    assert res.measure == "LinearCKA(hsic='biased')"
    with pytest.raises(KeyError, match="net9"):
        res.value("net0", "net9")
    res.save(tmp_path / "r.npz")
    loaded = np.load(tmp_path / "r.npz")
    np.testing.assert_array_equal(loaded["values"], res.values)
    assert list(loaded["labels"]) == list(res.labels)
    assert rg.pairwise_labeled(list(reps.values()), "procrustes").labels == ("0", "1", "2")


CALLS = []


@dataclass(frozen=True)
class CountingDistance(Measure):
    """An asymmetric toy measure that records each comparison (for the engine's tests)."""

    info = MeasureInfo(name="counting", kind="distance", metric=False, symmetric=False, references=("test",))

    def prepare(self, X, name="X"):
        return float(np.asarray(X).sum())

    def compare(self, a, b):
        CALLS.append((a, b))
        return abs(a - 2 * b)


def test_asymmetric_measure_fills_both_triangles():
    reps = [np.full((3, 2), k, dtype=float) for k in range(4)]
    D = rg.pairwise(reps, CountingDistance())
    sums = [6.0 * k for k in range(4)]
    expected = np.array([[0.0 if i == j else abs(sums[i] - 2 * sums[j]) for j in range(4)] for i in range(4)])
    np.testing.assert_array_equal(D, expected)


def test_store_resumes_without_recomputing(tmp_path):
    reps = [np.full((3, 2), k, dtype=float) for k in range(6)]
    measure = CountingDistance()
    CALLS.clear()
    first = rg.pairwise(reps, measure, block_size=2, store=tmp_path / "s")
    assert len(CALLS) == 30
    tiles = sorted((tmp_path / "s").glob("tile_*.npz"))
    assert len(tiles) == 9
    tiles[0].unlink()  # as if the run had been interrupted before this tile finished
    CALLS.clear()
    second = rg.pairwise(reps, measure, block_size=2, store=tmp_path / "s")
    assert len(CALLS) == 2  # only the lost tile's (0, 1) and (1, 0)
    np.testing.assert_array_equal(first, second)


def test_store_resumes_with_auto_tiles_under_another_n_jobs(tmp_path):
    rng = np.random.default_rng(6)
    reps = [rng.standard_normal((12, 3)) for _ in range(30)]
    first = rg.pairwise(reps, "procrustes", n_jobs=1, store=tmp_path)
    again = rg.pairwise(reps, "procrustes", n_jobs=3, store=tmp_path)  # auto tiles: side 5, not 6
    np.testing.assert_array_equal(first, again)


def test_store_refuses_a_different_run(tmp_path):
    rng = np.random.default_rng(1)
    reps = [rng.standard_normal((10, 3)) for _ in range(3)]
    rg.pairwise(reps, "procrustes", store=tmp_path)
    with pytest.raises(ValueError, match=r"different run \(differs in \['measure'\]\)"):
        rg.pairwise(reps, "cca", store=tmp_path)
    reps[1] = reps[1] + 1
    with pytest.raises(ValueError, match="differs in \\['data'\\]"):
        rg.pairwise(reps, "procrustes", store=tmp_path)


def test_dask_backend_gives_the_same_matrix():
    distributed = pytest.importorskip("distributed")
    reps = reps_fixture(K=6)
    expected = rg.pairwise(reps, "procrustes")
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=":0"):
        with joblib.parallel_config(backend="dask"):
            got = rg.pairwise(reps, "procrustes", block_size=2)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


def test_bad_input_names_the_label():
    reps = reps_fixture(K=3)
    reps["net1"] = reps["net1"][:30]
    with pytest.raises(ValueError, match=r"reps\['net0'\] has 40 rows .* but reps\['net1'\] has 30"):
        rg.pairwise(reps, "procrustes")
    with pytest.raises(ValueError, match="empty"):
        rg.pairwise([], "procrustes")
    with pytest.raises(TypeError, match="sequence or dict"):
        rg.pairwise(np.zeros((3, 4, 5)), "procrustes")
    with pytest.raises(ValueError, match="block_size"):
        rg.pairwise(reps_fixture(K=2), "procrustes", block_size=0)
    with pytest.raises(ValueError, match="registered name"):
        rg.pairwise(reps_fixture(K=2), "procrusted")


@pytest.fixture
def always_parallel(monkeypatch):
    """Workers even for tiny work (the engine would otherwise keep it in this process)."""
    import importlib

    monkeypatch.setattr(importlib.import_module("repgeo.pairwise._engine"), "PARALLEL_SECONDS", -1.0)


@dataclass(frozen=True)
class ShapeInProcesses(rg.ShapeMetric):
    """A shape metric that declines threads, so that the engine sends it to worker processes."""

    @property
    def releases_gil(self):
        return False


def test_large_prepared_arrays_travel_to_workers_as_memory_maps(always_parallel):
    """Prepared arrays are written once to the disk cache and memory-mapped by workers; results are unchanged."""
    rng = np.random.default_rng(4)
    reps = [rng.standard_normal((1500, 100)) for _ in range(4)]
    measure = ShapeInProcesses(score="euclidean")
    expected = rg.pairwise(reps, measure, n_jobs=1)
    got = rg.pairwise(reps, measure, n_jobs=2, block_size=1)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_spill_replaces_nested_arrays_and_restores_them(tmp_path):
    from repgeo.pairwise._prepared import Saved, restore, spill

    big = np.arange(300_000, dtype=float)
    prepared = rg.ShapeMetric().prepare(np.random.default_rng(5).standard_normal((2000, 80)))
    skeleton = spill({"a": [big, (big[:10],)], "p": prepared}, tmp_path)
    assert isinstance(skeleton["a"][0], Saved) and isinstance(skeleton["a"][1][0], np.ndarray)
    assert isinstance(skeleton["p"].coords, Saved) and skeleton["p"].norm == prepared.norm
    back = restore(skeleton)
    assert isinstance(back["p"].coords, np.memmap)
    np.testing.assert_array_equal(back["p"].coords, prepared.coords)
    np.testing.assert_array_equal(back["a"][0], big)
    assert spill(prepared, None) is prepared


def test_damaged_tiles_are_recomputed(tmp_path):
    rng = np.random.default_rng(8)
    reps = [rng.standard_normal((10, 3)) for _ in range(5)]
    first = rg.pairwise(reps, "procrustes", block_size=2, store=tmp_path)
    tiles = sorted(tmp_path.glob("tile_*.npz"))
    tiles[0].write_bytes(b"garbage")
    tiles[1].write_bytes(b"")
    np.testing.assert_array_equal(rg.pairwise(reps, "procrustes", block_size=2, store=tmp_path), first)


def test_store_accepts_torch_tensors(tmp_path):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    reps = [torch.tensor(rng.standard_normal((10, 3)), requires_grad=True) for _ in range(3)]
    D = rg.pairwise(reps, "procrustes", store=tmp_path)
    np.testing.assert_allclose(D, rg.pairwise([r.detach().numpy() for r in reps], "procrustes"))


def test_keys_equal_as_strings_are_rejected():
    rng = np.random.default_rng(10)
    with pytest.raises(ValueError, match=r"equal as strings \(\['1'\]\)"):
        rg.pairwise({1: rng.standard_normal((5, 2)), "1": rng.standard_normal((5, 2))}, "procrustes")
