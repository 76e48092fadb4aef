"""Registry, MeasureInfo claims, validation messages and the light import."""

import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

import repgeo as rg
from repgeo import Measure, MeasureInfo, register
from repgeo._validation import as_float_array, check_in_range, check_positive_int, check_rng


def test_import_is_light():
    code = (
        "import sys, repgeo, repgeo.measures; heavy = [m for m in ('torch', 'matplotlib', 'dask', 'distributed') "
        "if m in sys.modules]; print(heavy); assert not heavy"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize(
    "info,match",
    [
        (dict(kind="similarity", metric=True, symmetric=True), "similarity cannot be a metric"),
        (dict(kind="distance", metric=True, symmetric=False), "must be symmetric"),
        (dict(kind="distance", metric=False, symmetric=True, invariances=frozenset({"affine"})), "unknown invariances"),
        (dict(kind="score", metric=False, symmetric=True), "kind must be"),
        (dict(kind="distance", metric=False, symmetric=True, identity_value=-1.0), "outside bounds"),
        (dict(kind="distance", metric=False, symmetric=True, input="graph"), "input must be"),
    ],
)
def test_register_rejects_inconsistent_claims(info, match):
    @dataclass(frozen=True)
    class Bad(Measure):
        pass

    Bad.info = MeasureInfo(name="bad", **info)
    with pytest.raises(TypeError, match=match):
        register("bad_measure_for_test")(Bad)
    assert "bad_measure_for_test" not in rg.list_measures()


def test_register_rejects_duplicates_and_non_measures():
    with pytest.raises(TypeError, match="already registered"):
        register("procrustes")(rg.ShapeMetric)
    with pytest.raises(TypeError, match="Measure subclasses"):
        register("x")(dict)


def test_get_and_list_measures():
    assert rg.get_measure("cca") == rg.ShapeMetric(alpha=0.0)
    assert rg.get_measure("shape", alpha=0.25) == rg.ShapeMetric(alpha=0.25)
    assert set(rg.list_measures(kind="similarity")) >= {"linear_cka", "rsa", "kernel_cka"}
    assert "linear_cka" not in rg.list_measures(kind="distance")
    assert "cca" in rg.list_measures(invariant_to="invertible_linear")
    assert "procrustes" not in rg.list_measures(invariant_to="invertible_linear")
    assert rg.list_measures(input="trajectory") == [n for n in rg.list_measures() if rg.get_measure(n).info.input == "trajectory"]
    with pytest.raises(ValueError, match="registered name .*got 'nope'"):
        rg.get_measure("nope")


def test_validation_messages():
    with pytest.raises(ValueError, match="X must be finite; it has 1 NaN and 0 infinite entries"):
        as_float_array([[1.0, np.nan]], "X")
    with pytest.raises(ValueError, match="X must be \\(n_samples, n_features\\); got a 3-D array"):
        as_float_array(np.zeros((2, 2, 2)), "X", layout="matrix")
    with pytest.raises(ValueError, match="must not be empty"):
        as_float_array(np.zeros((0, 3)), "X", ndim=2)
    with pytest.raises(TypeError, match="complex"):
        as_float_array(np.ones((2, 2), dtype=complex), "X")
    with pytest.raises(TypeError, match="real numbers"):
        as_float_array([["a", "b"]], "X")
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\]; got 0"):
        check_in_range(0, "alpha", 0, 1, low_open=True)
    with pytest.raises(ValueError, match="n_jobs must be an integer >= 1; got True"):
        check_positive_int(True, "n_jobs")
    with pytest.raises(TypeError, match="rng"):
        check_rng("seed")
    assert as_float_array([[True, False]], "X").dtype == np.float64


def test_import_does_not_load_scikit_learn():
    """scikit-learn takes ~1 s to import; repgeo loads it only where it is used."""
    out = subprocess.run(
        [sys.executable, "-c", "import sys, repgeo; assert 'sklearn' not in sys.modules, 'sklearn imported'"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
