"""Every result type saves, loads, prints briefly and exports, through one mechanism (repgeo._result)."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
import sys

import numpy as np
import pytest

import repgeo as rg
from repgeo import capacity, dynamics, embed, paths
from repgeo._result import Result

RNG = np.random.default_rng(0)
MANIFOLDS = RNG.standard_normal((6, 12, 40)) + 4 * np.eye(40)[:6, None, :]
TRAJ = np.cumsum(RNG.standard_normal((200, 4)), axis=0) * 0.05 + np.sin(np.arange(200) / 7)[:, None]
LAYERS = {f"layer{k}": RNG.standard_normal((30, 5)) for k in range(5)}


def _msa():
    J1, J2 = RNG.standard_normal((50, 4, 2)), RNG.standard_normal((50, 4, 2))
    return rg.MSA().evaluate(J1, J2)


#: One real instance of each result type, made by the public function that returns it.
MAKERS = {
    "PairwiseResult": lambda: rg.pairwise_labeled(LAYERS, "procrustes"),
    "MeanFieldResult": lambda: capacity.mean_field(MANIFOLDS, n_t=30, rng=0),
    "GlueResult": lambda: capacity.glue(MANIFOLDS, n_t=30, rng=0),
    "SimulatedResult": lambda: capacity.simulated(MANIFOLDS[:, :4, :12], n_trials=6, rng=0),
    "DecodabilityResult": lambda: capacity.decodability(MANIFOLDS, n_dichotomies=3, rng=0),
    "MSAResult": _msa,
    "PathSummary": lambda: paths.summarize(LAYERS),
    "Embedding": lambda: embed.classical_mds(rg.pairwise(LAYERS, "procrustes")),
    "DMDResult": lambda: dynamics.dmd(TRAJ, rank=3),
    "HAVOKResult": lambda: dynamics.havok_dmd(TRAJ, n_delays=3, rank=3),
    "DMDcResult": lambda: dynamics.dmdc(TRAJ[:, :2], TRAJ[:, 2:], rank=2),
    "LandmarkDistances": lambda: embed.landmark_distances(LAYERS, "procrustes", 3, rng=0),
    "MetricEmbedding": lambda: embed.metric_mds(rg.pairwise(LAYERS, "procrustes")),
    "PermutationResult": lambda: rg.stats.permutation_test(LAYERS["layer0"], LAYERS["layer1"], "linear_cka", 49, rng=0),
    "BootstrapResult": lambda: rg.stats.bootstrap_ci(LAYERS["layer0"], LAYERS["layer1"], "linear_cka", 49, rng=0),
    "NoiseCeiling": lambda: rg.stats.noise_ceiling(RNG.standard_normal((20, 4, 3)), "linear_cka", 5, rng=0),
}


@pytest.fixture(scope="module")
def results():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: make() for name, make in MAKERS.items()}


def assert_same(a: Result, b: Result) -> None:
    assert type(a) is type(b)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert isinstance(y, np.ndarray) and x.dtype == y.dtype and x.shape == y.shape, f.name
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        elif isinstance(x, float) and np.isnan(x):
            assert isinstance(y, float) and np.isnan(y), f.name
        else:
            assert type(x) is type(y) and x == y, (f.name, x, y)


def test_every_result_type_is_covered():
    found = {cls.__name__ for cls in _all_subclasses(Result)} - {"GeometryEstimate"}
    assert found == set(MAKERS), f"result types without a round-trip test: {sorted(found - set(MAKERS))}"


def _all_subclasses(cls):
    import repgeo.riemann  # noqa: F401 - import every module that defines a result
    import repgeo.stats  # noqa: F401
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_save_load_round_trip(name, results, tmp_path):
    res = results[name]
    assert type(res).__name__ == name
    path = tmp_path / "result.npz"
    res.save(path)
    assert_same(res, type(res).load(path))
    # any name is kept exactly (numpy.savez alone would append .npz)
    res.save(tmp_path / "result.bin")
    assert not (tmp_path / "result.bin.npz").exists()
    assert_same(res, type(res).load(tmp_path / "result.bin"))
    # and file objects work too
    buffer = io.BytesIO()
    res.save(buffer)
    assert_same(res, type(res).load(io.BytesIO(buffer.getvalue())))


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_repr_is_compact(name, results):
    res = results[name]
    text = repr(res)
    assert text.startswith(f"{name}(") and len(text) < 700, text
    assert "\n" not in text
    for f in dataclasses.fields(res):
        value = getattr(res, f.name)
        if isinstance(value, np.ndarray) and value.size > 4:
            assert f"{f.name}=<{value.dtype} array {value.shape}>" in text


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_to_dict_is_json_ready_and_complete(name, results):
    res = results[name]
    d = json.loads(json.dumps(res.to_dict()))
    assert d["type"] == name and set(d) == {"type"} | {f.name for f in dataclasses.fields(res)}
    for f in dataclasses.fields(res):
        value = getattr(res, f.name)
        if isinstance(value, np.ndarray) and np.iscomplexobj(value):
            np.testing.assert_array_equal(np.array(d[f.name]["real"]) + 1j * np.array(d[f.name]["imag"]), value)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(np.array(d[f.name], dtype=value.dtype).reshape(value.shape), value)
        elif isinstance(value, (tuple, list)):
            assert list(d[f.name]) == list(value)
        elif isinstance(value, float) and np.isnan(value):
            assert np.isnan(d[f.name])
        else:
            assert d[f.name] == value


def test_load_refuses_other_files(results, tmp_path):
    results["MeanFieldResult"].save(tmp_path / "mf.npz")
    with pytest.raises(ValueError, match="holds a saved MeanFieldResult, not a GlueResult; load it with MeanFieldResult.load"):
        capacity.GlueResult.load(tmp_path / "mf.npz")
    np.save(tmp_path / "one.npy", np.ones(3))
    with pytest.raises(ValueError, match="holds one array"):
        rg.PairwiseResult.load(tmp_path / "one.npy")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not an .npz archive written by PairwiseResult.save"):
        rg.PairwiseResult.load(tmp_path / "text.npz")
    np.savez(tmp_path / "other.npz", values=np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"missing fields \['labels', 'measure'\]"):
        rg.PairwiseResult.load(tmp_path / "other.npz")


def test_pairwise_files_stay_readable_without_repgeo_and_old_files_load(results, tmp_path):
    res = results["PairwiseResult"]
    res.save(tmp_path / "D.npz")
    with np.load(tmp_path / "D.npz") as data:  # no pickle needed
        np.testing.assert_array_equal(data["values"], res.values)
        assert list(data["labels"]) == list(res.labels)
    # the layout PairwiseResult.save wrote before the shared mechanism
    np.savez(tmp_path / "old.npz", values=res.values, labels=np.array(res.labels), measure=np.array(res.measure))
    assert_same(res, rg.PairwiseResult.load(tmp_path / "old.npz"))


def test_msa_results_from_tensors_save_as_numpy(tmp_path):
    torch = pytest.importorskip("torch")
    J1, J2 = RNG.standard_normal((20, 3, 2)), RNG.standard_normal((20, 3, 2))
    res = rg.MSA().evaluate(torch.from_numpy(J1), torch.from_numpy(J2))
    res.save(tmp_path / "m.npz")
    back = type(res).load(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.per_point, res.per_point.numpy())
    assert "<float64 array (20,)>" in repr(res)
    json.dumps(res.to_dict())


def test_xarray_export_has_labelled_axes(results, tmp_path):
    xr = pytest.importorskip("xarray")
    res = results["PairwiseResult"]
    da = res.to_xarray()
    assert isinstance(da, xr.DataArray) and da.dims == ("row", "column")
    assert list(da.coords["row"].values) == list(res.labels) and da.attrs["measure"] == res.measure
    assert float(da.sel(row="layer1", column="layer3")) == res.value("layer1", "layer3")
    mf = results["MeanFieldResult"].to_xarray()
    assert mf["capacities"].dims == ("manifold",) and mf.attrs["capacity"] == results["MeanFieldResult"].capacity
    ps = results["PathSummary"].to_xarray()
    assert list(ps.coords["layer"].values) == list(LAYERS) and ps["steps"].dims == ("step",)
    np.testing.assert_array_equal(ps["distance_to_target"].values, results["PathSummary"].distance_to_target)
    back = xr.Dataset.from_dict(mf.to_dict())  # (to_netcdf with scipy 1.x's writer fails inside xarray 2026.9)
    np.testing.assert_array_equal(back["radii"].values, results["MeanFieldResult"].radii)


def test_pandas_export(results):
    pd = pytest.importorskip("pandas")
    table = results["PairwiseResult"].to_pandas()
    assert list(table.index) == list(LAYERS) and table.loc["layer0", "layer2"] == results["PairwiseResult"].value("layer0", "layer2")
    mf = results["MeanFieldResult"]
    per = mf.to_pandas()
    assert per.index.name == "manifold" and len(per) == len(mf.capacities)
    np.testing.assert_array_equal(per["radii_se"], mf.radii_se)
    assert per.attrs["mode"] == mf.mode
    summary = results["GlueResult"].to_pandas()
    assert isinstance(summary, pd.Series) and summary["capacity"] == results["GlueResult"].capacity
    path = results["PathSummary"].to_pandas()
    assert list(path.index) == list(LAYERS) and "projection_t" in path


def test_exports_say_what_to_install(results, monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install xarray"):
        results["GlueResult"].to_xarray()
    with pytest.raises(ImportError, match="pip install pandas"):
        results["PairwiseResult"].to_pandas()


def test_rectangular_and_held_out_pairwise_results_round_trip(tmp_path):
    """The engine's rectangular (``other=``) and held-out (``test=``) results keep their column labels
    and training matrix through save/load and the labelled exports."""
    items = list(LAYERS.items())
    rect = rg.pairwise_labeled(dict(items[:2]), "procrustes", other=dict(items[1:]))
    assert rect.column_labels is not None and rect.values.shape == (2, len(LAYERS) - 1)
    rect.save(tmp_path / "rect.npz")
    back = rg.PairwiseResult.load(tmp_path / "rect.npz")
    assert back.column_labels == rect.column_labels and back.labels == rect.labels
    np.testing.assert_array_equal(back.values, rect.values)
    if importlib.util.find_spec("pandas"):
        table = back.to_pandas()
        assert list(table.columns) == list(rect.column_labels) and list(table.index) == list(rect.labels)
    held = rg.pairwise_labeled(LAYERS, "procrustes", test=LAYERS)
    held.save(tmp_path / "held.npz")
    back = rg.PairwiseResult.load(tmp_path / "held.npz")
    np.testing.assert_array_equal(back.train, held.train)
    np.testing.assert_array_equal(back.values, held.values)
