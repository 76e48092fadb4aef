"""Registry, MeasureInfo claims and validation messages (the light import: tests/test_layers.py)."""

from dataclasses import dataclass

import numpy as np
import pytest

import repgeo as rg
from repgeo import Measure, MeasureInfo, register
from repgeo._validation import as_float_array, check_in_range, check_positive_int, check_rng


@pytest.mark.parametrize(
    "claims,match",
    [
        (dict(kind="similarity", metric=True, symmetric=True), "similarity cannot be a metric"),
        (dict(kind="distance", metric=True, symmetric=False), "must be symmetric"),
        (dict(kind="distance", metric=False, symmetric=True, invariances=frozenset({"affine"})), "unknown invariances"),
        (dict(kind="score", metric=False, symmetric=True), "kind must be"),
        (dict(kind="distance", metric=False, symmetric=True, identity_value=-1.0), "outside bounds"),
        (dict(kind="distance", metric=False, symmetric=True, input="graph"), "input must be"),
    ],
)
def test_register_rejects_inconsistent_claims(claims, match):
    @dataclass(frozen=True)
    class Bad(Measure):
        info = MeasureInfo(name="bad", **claims)

        def compare(self, a, b):
            return 0.0

    with pytest.raises(TypeError, match=match):
        register("bad_measure_for_test")(Bad)
    assert "bad_measure_for_test" not in rg.list_measures()


def test_register_rejects_incomplete_measures():
    @dataclass(frozen=True)
    class NoCompare(Measure):
        info = MeasureInfo(name="x", kind="distance", metric=False, symmetric=True)

    with pytest.raises(TypeError, match="NoCompare does not implement compare"):
        register("no_compare_for_test")(NoCompare)


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
    jacobian = {"msa", "msa_airm", "msa_bures", "msa_log_euclidean", "msa_thompson", "msa_volume"}
    assert set(rg.list_measures(input="jacobian")) == jacobian
    assert not jacobian & set(rg.list_measures(input="matrix"))
    assert "procrustes" in rg.list_measures(input="matrix")
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
