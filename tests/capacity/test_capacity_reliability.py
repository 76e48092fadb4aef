"""Capacity defects from the reliability review (issue 10): each test failed on the code before the fix."""

import numpy as np
import pytest

from repgeo.capacity import from_labels, glue, mean_field, simulated
from time_limit import time_limit


def units_example():
    """The review's example: six clouds around strongly correlated centers."""
    gen = np.random.default_rng(0)
    return gen.standard_normal((6, 8, 12)) + 3 * gen.standard_normal((6, 1, 12))


@pytest.mark.parametrize("mode", ["compatible", "corrected"])
def test_mean_field_is_scale_free(mode):
    """Capacity, radius and dimension do not depend on the data's units (radius was 17.65 at 1, 5.57 at 1000),
    nor on a 1-ulp rescale or a constant shift (the center search was chaotic at machine precision)."""
    M = units_example()
    base = mean_field(M, n_t=200, rng=0, mode=mode)
    for Y in (M * 1e-8, M * 3.0, M * 1e8, M * (1 + 2.0**-52), M + 0.5):
        res = mean_field(Y, n_t=200, rng=0, mode=mode)
        scale = float(Y.flat[0] / M.flat[0])
        assert res.n_centers == base.n_centers
        assert abs(res.capacity - base.capacity) < base.capacity_se, (scale, res.capacity, base.capacity)
        assert abs(res.radius - base.radius) < base.radius_se, (scale, res.radius, base.radius)
        assert abs(res.dimension - base.dimension) < base.dimension_se, (scale, res.dimension, base.dimension)


def test_mean_field_at_tiny_scale_returns():
    """The center search's step became NaN at 1e-100 and its loop never ended."""
    rng = np.random.default_rng
    Q = rng(1).standard_normal((3, 4, 5)) + 2 * rng(2).standard_normal((3, 1, 5))
    base = mean_field(Q, n_t=10, rng=0)
    for scale in (1e-100, 1e-300, 1e300):
        with time_limit(20, f"mean_field at scale {scale}"):
            res = mean_field(Q * scale, n_t=10, rng=0)
        assert abs(res.capacity - base.capacity) < base.capacity_se


def test_simulated_rejects_n_max_above_ambient_dimension():
    """n_max=1000 on 12-dimensional data gave capacity -0.288."""
    M = units_example()
    with pytest.raises(ValueError, match="n_max=1000 exceeds the ambient dimension N=12"):
        simulated(M, n_trials=8, rng=0, n_max=1000)
    res = simulated(M, n_trials=8, rng=0, n_max=12)
    assert res.capacity > 0 and np.isfinite(res.capacity_se)
    assert res.n_features.max() <= 12


def test_simulated_crossing_stays_in_its_bracket():
    """With few trials the probit fit may wander; the crossing must stay between evaluated dimensions."""
    M = units_example()
    for seed in range(6):
        res = simulated(M, n_trials=4, rng=seed)
        if not res.saturated:
            assert res.n_features.min() - 1 <= res.n_critical <= res.n_features.max()
            assert res.capacity > 0


@pytest.mark.filterwarnings("ignore::repgeo.capacity.CapacitySaturationWarning")
def test_glue_at_extreme_scales():
    """glue(M * 1e155) gave radius 0 and dimension 0, glue(M * 1e-160) raised LinAlgError."""
    M = units_example()
    base = glue(M, n_t=100, rng=0)
    for scale in (1e155, 1e-160, 1e300, 1e-300):
        res = glue(M * scale, n_t=100, rng=0)
        for field in ("capacity", "radius", "dimension"):
            se = getattr(base, field + "_se")
            assert abs(getattr(res, field) - getattr(base, field)) < se, (scale, field)


@pytest.mark.parametrize("fn", [glue, mean_field, simulated])
def test_all_zero_manifolds_raise_value_error(fn):
    """All-zero manifolds raised ZeroDivisionError in glue."""
    with pytest.raises(ValueError, match="capacity is undefined"):
        fn(np.zeros((4, 3, 5)))


def test_from_labels_rejects_nan_and_mixed_labels():
    """NaN labels dropped rows silently; str and int labels raised a bare numpy TypeError."""
    X = np.random.default_rng(0).standard_normal((30, 4))
    labels = np.arange(30) % 5 * 1.0
    labels[:6] = np.nan
    with pytest.raises(ValueError, match="labels has 6 NaN entries"):
        from_labels(X, labels)
    with pytest.raises(TypeError, match="labels must be all numbers or all strings; got a mix of int and str"):
        from_labels(X, np.array([1, "a"] * 15, dtype=object))
    with pytest.raises(TypeError, match="mix of int and str"):
        from_labels(X, [1, "a"] * 15)
    with pytest.raises(ValueError, match="X has 30 rows .* but labels has 29"):
        from_labels(X, np.arange(29))
    mans = from_labels(X, np.array(list("abcde") * 6))
    assert [len(m) for m in mans] == [6] * 5


def test_simulated_at_extreme_scales():
    """simulated(M * 1e300) raised RuntimeError from the LP solver."""
    M = units_example()
    base = simulated(M, n_trials=8, rng=0)
    for scale in (1e300, 1e-300):
        res = simulated(M * scale, n_trials=8, rng=0)
        assert res.saturated == base.saturated
        assert abs(res.capacity - base.capacity) <= base.capacity_se
