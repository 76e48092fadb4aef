"""The engine's inputs and resources: files read on demand, rectangular runs, memory budget, threads."""

import importlib

import joblib
import numpy as np
import pytest

import repgeo as rg

engine = importlib.import_module("repgeo.pairwise._engine")
tiles = importlib.import_module("repgeo.pairwise._tiles")


def arrays(K=5, n=30, seed=0):
    rng = np.random.default_rng(seed)
    return {f"net{k}": rng.standard_normal((n, 3 + k % 3)).astype(np.float32) for k in range(K)}


@pytest.fixture
def folder(tmp_path):
    reps = arrays()
    for name, X in reps.items():
        np.save(tmp_path / f"{name}.npy", X)
    return tmp_path, reps


def test_a_directory_a_list_of_paths_and_an_npz_equal_the_arrays(folder, tmp_path_factory):
    path, reps = folder
    expected = rg.pairwise_labeled(reps, "procrustes")
    from_dir = rg.pairwise_labeled(path, "procrustes")
    assert from_dir.labels == expected.labels
    np.testing.assert_array_equal(from_dir.values, expected.values)
    paths = {name: path / f"{name}.npy" for name in reps}
    np.testing.assert_array_equal(rg.pairwise(paths, "procrustes"), expected.values)
    np.testing.assert_array_equal(rg.pairwise([str(p) for p in paths.values()], "procrustes"), expected.values)
    npz = tmp_path_factory.mktemp("z") / "reps.npz"
    np.savez(npz, **reps)
    from_npz = rg.pairwise_labeled(npz, "procrustes")
    assert from_npz.labels == expected.labels
    np.testing.assert_array_equal(from_npz.values, expected.values)


def test_objects_with_array_are_read_on_demand():
    class Lazy:
        reads = 0

        def __init__(self, X):
            self.X, self.shape, self.dtype = X, X.shape, X.dtype

        def __array__(self, dtype=None, copy=None):
            Lazy.reads += 1
            return self.X

    reps = arrays()
    lazy = [Lazy(X) for X in reps.values()]
    np.testing.assert_array_equal(rg.pairwise(lazy, "linear_cka"), rg.pairwise(list(reps.values()), "linear_cka"))
    assert Lazy.reads == len(lazy)  # read once each: shapes come from the attribute


def test_prepared_forms_over_the_memory_budget_go_to_disk(folder):
    path, reps = folder
    expected = rg.pairwise(reps, "cca")
    got = rg.pairwise(path, "cca", max_memory=1)
    np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError, match="max_memory must be None or a number of bytes >= 1; got 0"):
        rg.pairwise(path, "cca", max_memory=0)


def test_rectangular_equals_direct_calls_through_tiles_and_store(tmp_path):
    reps, other = arrays(5), arrays(3, seed=1)
    for name in ("procrustes", "linear_cka", "rsa_kendall", "permutation"):
        m = rg.get_measure(name)
        want = np.array([[m(X, Y) for Y in other.values()] for X in reps.values()])
        for block in (1, 2, "auto"):
            got = rg.pairwise_labeled(reps, name, other=other, block_size=block, store=tmp_path / f"{name}{block}")
            np.testing.assert_allclose(got.values, want, rtol=0, atol=1e-12)
            assert got.labels == tuple(reps) and got.column_labels == tuple(other)
            assert got.value("net1", "net2") == got.values[1, 2]
    m = rg.get_measure("procrustes")
    want = np.array([[m(X, Y) for Y in other.values()] for X in reps.values()])
    again = rg.pairwise(reps, "procrustes", other=other, block_size=2, store=tmp_path / "procrustes2")  # resumed
    np.testing.assert_allclose(again, want, rtol=0, atol=1e-12)


def test_a_changed_input_refuses_the_store_and_keeps_its_tiles(folder, tmp_path_factory):
    path, reps = folder
    store = tmp_path_factory.mktemp("store")
    rg.pairwise(path, "procrustes", block_size=2, store=store)
    before = {p.name: p.read_bytes() for p in store.iterdir()}
    X = np.load(path / "net3.npy")
    X[0, 0] += 1e-6
    np.save(path / "net3.npy", X)
    with pytest.raises(ValueError, match=r"different run \(differs in \['data'\]\)"):
        rg.pairwise(path, "procrustes", block_size=2, store=store)
    assert {p.name: p.read_bytes() for p in store.iterdir()} == before


def test_bad_inputs_name_the_thing(folder, tmp_path):
    path, reps = folder
    with pytest.raises(ValueError, match=r"reps\['1'\] is the path '.*missing.npy', which does not exist"):
        rg.pairwise([path / "net0.npy", path / "missing.npy"], "procrustes")
    with pytest.raises(ValueError, match="which does not exist"):
        rg.pairwise(tmp_path / "nowhere", "procrustes")
    np.save(path / "short.npy", np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"reps\['net0'\] has 30 rows .* but reps\['short'\] has 10"):
        rg.pairwise(path, "procrustes")
    (path / "short.npy").unlink()
    with pytest.raises(ValueError, match=r"other\['0'\] has 10"):
        rg.pairwise(path, "procrustes", other=[np.zeros((10, 3))])
    store_file = tmp_path / "store.txt"
    store_file.write_text("keep me")
    with pytest.raises(ValueError, match="store must be a directory.*is a file"):
        rg.pairwise(path, "procrustes", store=store_file)
    assert store_file.read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="holds no arrays"):
        rg.pairwise(empty, "procrustes")
    with pytest.raises(ValueError, match="a path to one representation must be a .npy file"):
        rg.pairwise([store_file], "procrustes")


def test_small_work_stays_in_this_process(monkeypatch):
    """n_jobs=2 on work that takes milliseconds starts no workers (they would cost more than they save)."""

    def no_workers(*args, **kwargs):
        raise AssertionError("workers were started for milliseconds of work")

    monkeypatch.setattr(joblib, "Parallel", no_workers)
    monkeypatch.setattr(importlib.import_module("repgeo.pairwise._engine"), "ThreadPoolExecutor", no_workers)
    reps = arrays(6)
    # automatic tiles differ with the number of workers, so GEMMs sum in another order: rounding only
    np.testing.assert_allclose(rg.pairwise(reps, "rsa", n_jobs=2), rg.pairwise(reps, "rsa"), rtol=1e-12, atol=1e-15)


def test_workers_cap_their_blas_threads():
    from threadpoolctl import threadpool_info

    with tiles.blas_limits(1):
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")


def test_automatic_tiles_respect_the_memory_budget():
    assert tiles.auto_block(2000, 2000, 2, rep_bytes=200_000, tile_budget=10**12) == 354  # 16 tiles
    assert tiles.auto_block(2000, 2000, 2, rep_bytes=200_000, tile_budget=8_000_000) == 20
    assert tiles.auto_block(10, 10, 2, rep_bytes=10**9, tile_budget=1) == 1
    assert tiles.auto_block(2000, 2000, 1, rep_bytes=200_000, tile_budget=10**12) == 708  # serial: 4 tiles
    i, j = tiles.tile_pairs((0, 0), 3, 5, 5, "symmetric", False)
    assert (i < j).all() and i.dtype.kind == "i" and list(zip(i, j)) == [(0, 1), (0, 2), (1, 2)]


def test_held_out_matrix_equals_fit_then_score(tmp_path):
    rng = np.random.default_rng(6)
    train = {f"n{k}": rng.standard_normal((60, 4 + k % 2)) for k in range(5)}
    test = {key: rng.standard_normal((25, X.shape[1])) for key, X in train.items()}
    for m in (rg.ShapeMetric(), rg.ShapeMetric(alpha=0.5, score="euclidean", ridge=0.1)):
        want = np.array([[m.fit(a, b)(c, d) for b, d in zip(train.values(), test.values())] for a, c in zip(train.values(), test.values())])
        res = rg.pairwise_labeled(train, m, test=test, block_size=2, store=tmp_path / repr(m))
        np.testing.assert_allclose(res.values, want, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(res.train, rg.pairwise(train, m, block_size=2))
        assert res.measure.startswith("HeldOut(") and sorted(p.name for p in (tmp_path / repr(m)).iterdir()) == ["test", "train"]
        again = rg.pairwise(train, m, test=test, block_size=2, store=tmp_path / repr(m))  # from the store
        np.testing.assert_array_equal(again, res.values)


def test_held_out_bad_input():
    rng = np.random.default_rng(7)
    train = [rng.standard_normal((40, 3)) for _ in range(3)]
    test = [rng.standard_normal((10, 3)) for _ in range(3)]
    with pytest.raises(TypeError, match="needs a measure with a fit"):
        rg.pairwise(train, "linear_cka", test=test)
    with pytest.raises(ValueError, match="same labels"):
        rg.pairwise(train, "procrustes", test=test[:2])
    with pytest.raises(ValueError, match=r"reps\['0'\] \(test\) has 10 rows .* but reps\['2'\] \(test\) has 9"):
        rg.pairwise(train, "procrustes", test=test[:2] + [test[2][:9]])
    with pytest.raises(ValueError, match="3 features in train but .*4.* in test"):
        rg.pairwise(train, "procrustes", test=test[:2] + [rng.standard_normal((10, 4))])
    with pytest.raises(ValueError, match="cannot be combined"):
        rg.pairwise(train, "procrustes", test=test, other=train)


def test_a_zarr_group_and_an_hdf5_file_equal_the_arrays(tmp_path):
    """One array per representation in a zarr group or an HDF5 file (nested groups too): the same
    labelled matrix as the arrays, through a store, and a resumed run reads the same fingerprint."""
    zarr = pytest.importorskip("zarr")
    h5py = pytest.importorskip("h5py")
    reps = arrays()
    expected = rg.pairwise_labeled(reps, "procrustes")
    group = zarr.open_group(str(tmp_path / "reps.zarr"), mode="w")
    for name, X in reps.items():
        group.create_array(name, data=X) if hasattr(group, "create_array") else group.array(name, X)
    with h5py.File(tmp_path / "reps.h5", "w") as fh:
        for name, X in reps.items():
            fh.create_dataset(f"layers/{name}", data=X)
    from_zarr = rg.pairwise_labeled(tmp_path / "reps.zarr", "procrustes", store=tmp_path / "store_z")
    np.testing.assert_allclose(from_zarr.values, expected.values, rtol=0, atol=1e-12)
    assert from_zarr.labels == expected.labels
    again = rg.pairwise_labeled(tmp_path / "reps.zarr", "procrustes", store=tmp_path / "store_z")
    np.testing.assert_array_equal(again.values, from_zarr.values)
    from_h5 = rg.pairwise_labeled(tmp_path / "reps.h5", "procrustes", n_jobs=2, block_size=2)
    np.testing.assert_allclose(from_h5.values, expected.values, rtol=0, atol=1e-12)
    assert from_h5.labels == tuple(f"layers/{name}" for name in expected.labels)


@pytest.mark.parametrize("name, shape", [("gaussian_shape", (12, 5, 3)), ("energy_shape", (12, 5, 3)), ("conv_shape", (12, 4, 4, 3))])
def test_held_out_for_stochastic_and_convolutional_measures(monkeypatch, name, shape):
    """Measures with fit() on other input layouts: each pair fitted on train, scored on test; with
    fit_prepared (the stochastic ones) every training set is prepared once, not once per pair."""
    rng = np.random.default_rng(11)
    m = rg.get_measure(name)
    train = [rng.standard_normal(shape) for _ in range(4)]
    test = [rng.standard_normal((7,) + shape[1:]) for _ in range(4)]
    want = np.array([[m.fit(a, b)(c, d) for b, d in zip(train, test)] for a, c in zip(train, test)])
    calls = []
    original = type(m).prepare
    monkeypatch.setattr(type(m), "prepare", lambda self, X, name="X": calls.append(name) or original(self, X, name))
    got = rg.pairwise(train, m, test=test)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    if hasattr(m, "fit_prepared"):
        held_out = [c for c in calls if c.endswith("(train)")]
        assert sorted(held_out) == sorted(f"reps['{k}'] (train)" for k in range(4))
