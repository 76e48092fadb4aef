"""Fuzzing the capacity functions: any input gives a finite, in-bounds result or a ValueError/TypeError.

Inputs vary in shape (including ragged lists and a single manifold), dtype
(float16/32/64, integers, bool, complex, object), scale (1e-300..1e300),
content (Gaussian, constant, duplicated points, rank one, all zero, a single
point) and finiteness (a NaN or an infinity planted).  Every call runs under
a wall-clock limit, so a hang fails the test.  The default run draws a few
hundred inputs per function; ``pytest --hypothesis-profile=thorough`` draws
10,000 or more.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from repgeo.capacity import CapacitySaturationWarning, from_labels, glue, mean_field, simulated
from time_limit import time_limit

try:  # the project's conftest registers the profiles; keep this module usable on its own
    settings.get_profile("thorough")
except InvalidArgument:
    settings.register_profile("thorough", max_examples=10_000, deadline=None)

EXAMPLES = max(200, settings.default.max_examples)
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
LIMIT = 30.0  # seconds per call: generous for a loaded machine, far below a hang

DTYPES = ["float64", "float32", "float16", "int64", "int8", "bool", "complex128", "object"]
KINDS = ["gaussian", "constant", "duplicated", "rank_one", "zero", "one_point", "clustered"]


@st.composite
def manifold_sets(draw: st.DrawFn) -> object:
    """A (P, M, N) array or a ragged list, with the dtype, scale, content and non-finite entries drawn."""
    P = draw(st.integers(1, 5))
    N = draw(st.integers(1, 6))
    ragged = draw(st.booleans())
    sizes = [draw(st.integers(1, 5)) for _ in range(P)] if ragged else [draw(st.integers(1, 5))] * P
    gen = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(KINDS))
    exponent = draw(st.floats(-300, 300))
    mans = []
    for m in sizes:
        if kind == "gaussian":
            X = gen.standard_normal((m, N))
        elif kind == "constant":
            X = np.full((m, N), 1.5)
        elif kind == "duplicated":
            X = np.repeat(gen.standard_normal((1, N)), m, axis=0)
        elif kind == "rank_one":
            X = np.outer(gen.standard_normal(m), gen.standard_normal(N))
        elif kind == "zero":
            X = np.zeros((m, N))
        elif kind == "one_point":
            X = gen.standard_normal((1, N))
        else:
            X = gen.standard_normal((m, N)) * 1e-3 + gen.standard_normal(N)
        mans.append(X * 10.0**exponent)
    if draw(st.booleans()) and draw(st.booleans()):  # a quarter of the inputs carry a NaN or an infinity
        which = draw(st.integers(0, len(mans) - 1))
        mans[which] = mans[which].copy()
        mans[which].flat[0] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    dtype = draw(st.sampled_from(DTYPES))
    with np.errstate(over="ignore", invalid="ignore"):
        mans = [m.astype(dtype) for m in mans]
    same = len({m.shape for m in mans}) == 1
    return np.stack(mans) if same and not ragged else mans


def _call(fn, data, **kwargs):
    """Run ``fn`` under the time limit; return its result, or None when it raised ValueError/TypeError."""
    with time_limit(LIMIT, fn.__name__), warnings.catch_warnings():
        warnings.simplefilter("ignore", CapacitySaturationWarning)
        warnings.simplefilter("error", RuntimeWarning)  # overflow or invalid arithmetic is a bug, not a result
        try:
            return fn(data, **kwargs)
        except (ValueError, TypeError):
            return None


def _finite_nonnegative(*values: float) -> bool:
    return all(np.isfinite(v) and v >= 0 for v in values)


@FUZZ
@given(manifold_sets(), st.sampled_from(["compatible", "corrected"]), st.sampled_from([0.0, 0.5]))
def test_fuzz_mean_field(data, mode, kappa):
    res = _call(mean_field, data, n_t=20, rng=0, mode=mode, kappa=kappa)
    if res is None:
        return
    assert np.isfinite(res.capacity) and res.capacity > 0
    assert _finite_nonnegative(res.capacity_se, res.radius, res.radius_se, res.dimension, res.dimension_se)
    if res.dimension_definition == "mean_cos":  # D <cos>^2 <= D; the PRX form is a sample mean of (t . s)^2
        assert (res.dimensions <= res.frame_dims + 1e-9).all()
    assert 0.0 <= res.center_correlation <= 1.0
    assert 0.0 <= res.interior_fraction <= 1.0


@FUZZ
@given(manifold_sets(), st.sampled_from(["balanced", "iid", "one_vs_rest"]), st.sampled_from([0.0, 0.5]),
       st.sampled_from(["cosine", "inner_product"]))
def test_fuzz_glue(data, labels, kappa, alignments):
    res = _call(glue, data, n_t=20, rng=0, labels=labels, kappa=kappa, alignments=alignments)
    if res is None:
        return
    assert np.isfinite(res.capacity) and res.capacity >= 0
    if res.capacity == 0:  # a margin on dichotomies no hyperplane separates (documented)
        assert kappa > 0 and res.saturated
    else:
        assert res.capacity > 0 and np.isfinite(res.capacity_se) and res.capacity_se >= 0
    for value in (res.radius, res.dimension, res.utility):  # NaN only when no draw has a solution
        assert np.isnan(value) or value >= 0
    for value in (res.center_alignment, res.axis_alignment, res.center_axis_alignment):
        if alignments == "cosine":
            assert np.isnan(value) or -1.0 - 1e-12 <= value <= 1.0 + 1e-12
        else:
            assert np.isnan(value) or (value >= 0 and np.isfinite(value))
    assert 0.0 <= res.nonseparable_fraction <= 1.0


@FUZZ
@given(manifold_sets(), st.sampled_from([0.0, 0.5]))
def test_fuzz_simulated(data, kappa):
    res = _call(simulated, data, n_trials=4, rng=0, kappa=kappa)
    if res is None:
        return
    if res.saturated:
        assert np.isnan(res.capacity)
    else:
        assert np.isfinite(res.capacity) and res.capacity > 0 and np.isfinite(res.capacity_se)
    assert ((res.fractions >= 0) & (res.fractions <= 1)).all()


LABELS = st.one_of(
    st.lists(st.integers(-3, 3), min_size=1, max_size=12),
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=12),
    st.lists(st.one_of(st.integers(0, 2), st.sampled_from(["a", "b"])), min_size=1, max_size=12),
    st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none()), min_size=1, max_size=12),
)


@FUZZ
@given(st.integers(1, 12), st.integers(1, 4), LABELS, st.integers(1, 3))
def test_fuzz_from_labels(n_rows, n_cols, labels, min_points):
    X = np.arange(n_rows * n_cols, dtype=float).reshape(n_rows, n_cols)
    out = _call(from_labels, X, labels=labels, min_points=min_points)
    if out is None:
        return
    assert len(labels) == n_rows  # a mismatch must have raised
    assert all(m.shape[1] == n_cols and len(m) >= min_points for m in out)
    assert sum(len(m) for m in out) <= n_rows
    assert all(not np.isnan(v) for v in labels if isinstance(v, float))  # NaN labels must have raised


def test_time_limit_catches_a_hang():
    """The harness itself: a call that never returns fails instead of stalling the run."""
    from time_limit import CallTimedOut

    with pytest.raises(CallTimedOut):
        with time_limit(0.2, "a loop without end"):
            while True:
                pass
