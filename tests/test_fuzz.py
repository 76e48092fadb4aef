"""Fuzzing: every public numerical function returns a finite value inside its bounds, or a clear error.

For every registered measure (the registry is iterated, so a new measure is
fuzzed by being registered), the SPD distances and the pullback metric,
hypothesis draws hostile inputs (see ``tests/fuzzing.py``): shapes from empty
to wrong-dimensional, every dtype (float16/32/64, integers, bool, complex,
object, str), scales from 1e-300 to 1e300 and a column at the float maximum,
constant, zero, duplicated, rank-one and one-hot content, and NaN/inf
entries.  Each call must, within a time limit, either

- return finite values inside the function's declared bounds (checked exactly,
  no tolerance), or
- raise ``ValueError`` or ``TypeError`` (not a raw ``LinAlgError``) whose
  message names the offending argument.

The default profile runs a few hundred examples per function;
``pytest tests/test_fuzz.py --hypothesis-profile=thorough`` runs 10,000.
"""

from __future__ import annotations

import functools
import importlib
import re
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fuzzing import (
    CONTENTS,
    DTYPES,
    NONFINITE,
    SCALES,
    Guard,
    Spec,
    Raised,
    bootstrap_interval,
    build,
    ceiling,
    distance_like,
    jacobian_shapes,
    jacobian_valid_shapes,
    landmark_block,
    landmark_coords,
    layout_shapes,
    mantel_test,
    matrix_shapes,
    measure_on_tensors,
    matrix_valid_shapes,
    metric_coords,
    permutation_pvalue,
    related_pair,
    sizes,
    spd_shapes,
    spd_stack,
    spd_valid_shapes,
    specs,
    stream_cka,
)
from repgeo import pairwise as rg_pairwise
from repgeo._registry import registered
from repgeo._validation import LAYOUTS
from repgeo.riemann import SPD_DISTANCES, pullback_metric, spd_distance

MEASURES = registered()
#: Shapes by input layout; a layout without its own strategy gets a generic one from LAYOUTS.
SHAPES = {"matrix": (matrix_shapes, matrix_valid_shapes), "jacobian": (jacobian_shapes, jacobian_valid_shapes)}
#: Examples per fuzzed function: a quick pass in the default run, a deep one (``slow``) that CI runs too.
#: Both are repeatable (the ``repeatable`` profile of tests/conftest.py); ``--hypothesis-profile=thorough``
#: makes the deep pass explore 10,000 fresh examples: ``pytest -m slow tests/test_fuzz.py --hypothesis-profile=thorough``.
DEPTHS = [pytest.param(30, id="quick"), pytest.param(200, id="deep", marks=pytest.mark.slow)]
#: The deep passes' depths: ``thorough`` raises these to its own count (quick passes stay quick).
_DEEP = {200, 60}
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def fuzz(depth):
    """``given(data=...)`` under ``depth`` examples (at least the profile's count for a deep pass)."""
    profile = settings.default.max_examples
    n = max(depth, profile) if depth in _DEEP and profile >= 1000 else depth  # only a thorough profile raises it
    return lambda test: settings(max_examples=n, deadline=None, suppress_health_check=_HEALTH)(
        given(data=st.data())(test)
    )


@pytest.fixture(scope="module")
def guard():
    g = Guard(timeout=30.0)
    yield g
    g.close()


def check_outcome(out, bounds, arg_names):
    """A finite value inside ``bounds``, or a ValueError/TypeError that names an argument."""
    # --hypothesis-show-statistics reports how often each outcome occurred
    event("raised " + out.name if isinstance(out, Raised) else "returned a value")
    if isinstance(out, Raised):
        assert out.is_a("ValueError", "TypeError") and not out.is_a("LinAlgError"), (
            f"raised {out.name}: {out.message}"
        )
        named = [a for a in arg_names if re.search(rf"(?<![\w']){re.escape(a)}\b", out.message)]
        assert named, f"the error names none of {arg_names}: {out.name}: {out.message}"
        return
    values = np.atleast_1d(np.asarray(out, dtype=float))
    assert np.isfinite(values).all(), f"returned a non-finite value: {out!r}"
    lo, hi = bounds
    assert ((lo <= values) & (values <= hi)).all(), f"returned {out!r} outside the bounds {bounds}"


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("name", sorted(MEASURES))
def test_measure_survives_hostile_input(name, depth, guard):
    fuzz(depth)(_measure_case)(name=name, guard=guard)


def _inputs_for(data, m):
    """Two hostile inputs in the measure's layout (related shapes, sometimes valid ones)."""
    layout = LAYOUTS[m.info.input]
    shapes, valid = SHAPES.get(m.info.input) or (layout_shapes(layout.ndim), layout_shapes(layout.ndim, valid=True))
    a, b = data.draw(related_pair(shapes, layout.feature_axis, valid), label="specs")
    return build(a), build(b)


def _measure_case(data, name, guard):
    m = MEASURES[name]
    out = guard.call(m, *_inputs_for(data, m))
    if not isinstance(out, Raised):
        assert isinstance(out, float), f"returned {type(out).__name__}, not float"
    check_outcome(out, m.info.bounds, ("X", "Y"))


#: Measures declaring torch, but MSA (its drop decisions at a conditioning threshold may differ within rounding;
#: tests/riemann/test_torch_backend.py checks it with that allowance).
TORCH_MEASURES = sorted(n for n, m in MEASURES.items() if "torch" in m.info.backends and m.info.input != "jacobian")


@pytest.mark.parametrize("depth", [pytest.param(10, id="quick"), pytest.param(100, id="deep", marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", TORCH_MEASURES)
def test_torch_backend_matches_numpy_on_hostile_input(name, depth, guard):
    """Hostile input as tensors: the NumPy value (to 1e-8), or the NumPy error word for word (numbers aside:
    a self-HSIC that is rounding noise is quoted, and the noise differs between backends)."""
    pytest.importorskip("torch")
    fuzz(depth)(_torch_case)(name=name, guard=guard)


def _torch_case(data, name, guard):
    X, Y = _inputs_for(data, MEASURES[name])
    want, got = guard.call(MEASURES[name], X, Y), guard.call(measure_on_tensors, name, X, Y)
    if isinstance(want, Raised) or isinstance(got, Raised):
        assert isinstance(want, Raised) and isinstance(got, Raised), f"numpy: {want!r}; torch: {got!r}"
        words = lambda r: (r.name, re.sub(r"\d[\d.e+-]*", "#", r.message))  # noqa: E731 - rounding noise quoted
        assert words(got) == words(want), f"numpy: {want!r}; torch: {got!r}"
        return
    if name == "angular_cka":  # arccos of a CKA one rounding error below 1 is 1.5e-8: compare the CKAs
        got, want = np.cos(got), np.cos(want)
    assert abs(got - want) <= 1e-8 * max(1.0, abs(want)), f"torch {got!r}, numpy {want!r}"


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("kind", SPD_DISTANCES)
def test_spd_distance_survives_hostile_input(kind, depth, guard):
    fuzz(depth)(_spd_case)(kind=kind, guard=guard)


def _spd_case(data, kind, guard):
    a, b = data.draw(related_pair(spd_shapes, valid_shapes=spd_valid_shapes), label="specs")
    bounds = (0.0, 1.0) if kind == "spectral_ratio" else (0.0, np.inf)
    out = guard.call(functools.partial(spd_distance, kind=kind), spd_stack(a), spd_stack(b))
    check_outcome(out, bounds, ("G1", "G2"))


@pytest.mark.parametrize("depth", DEPTHS)
def test_pullback_metric_survives_hostile_input(depth, guard):
    fuzz(depth)(_pullback_case)(guard=guard)


def _pullback_case(data, guard):
    a, _ = data.draw(related_pair(jacobian_shapes, valid_shapes=jacobian_valid_shapes), label="specs")
    out = guard.call(pullback_metric, build(a))
    check_outcome(out, (-np.inf, np.inf), ("J",))
    if not isinstance(out, Raised):  # a metric: non-negative diagonal
        assert (np.diagonal(out, axis1=-2, axis2=-1) >= 0).all(), out


#: Measures with a block path: the engine's tiles go through one matrix product per chunk.
BLOCK_MEASURES = ("procrustes", "cca", "linear_cka", "rsa")


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("name", BLOCK_MEASURES)
def test_pairwise_survives_hostile_input(name, depth, guard):
    """Three hostile inputs through the engine, square, rectangular and held-out: values or clear errors."""
    fuzz(depth)(_pairwise_case)(name=name, guard=guard)


def _pairwise_case(data, name, guard):
    n = data.draw(st.integers(1, 12), label="n")
    specs = [
        Spec(
            shape=(n, data.draw(st.integers(1, 5))),
            content=data.draw(st.sampled_from(CONTENTS)),
            log10_scale=data.draw(st.sampled_from(SCALES)),
            dtype=data.draw(st.sampled_from(DTYPES)),
            nonfinite=data.draw(st.sampled_from(NONFINITE)),
            seed=k,
        )
        for k in range(3)
    ]
    reps = [build(spec) for spec in specs]
    measure = MEASURES[name]
    how = data.draw(st.sampled_from(["square", "other", "test"]), label="how")
    # held-out samples as hostile as the training ones (their own content, scale, dtype and non-finite values)
    held_out = [
        build(
            Spec(
                shape=(data.draw(st.integers(1, 12), label="n_test"), spec.shape[1]),
                content=data.draw(st.sampled_from(CONTENTS)),
                log10_scale=data.draw(st.sampled_from(SCALES)),
                dtype=data.draw(st.sampled_from(DTYPES)),
                nonfinite=data.draw(st.sampled_from(NONFINITE)),
                seed=10 + k,
            )
        )
        for k, spec in enumerate(specs)
    ]
    kwargs = {"other": reps[1:]} if how == "other" else {"test": held_out} if how == "test" and hasattr(measure, "fit") else {}
    n_jobs = data.draw(st.sampled_from([1, 2]), label="n_jobs")  # 2: tiles on the engine's threads, forced
    with mock.patch.object(importlib.import_module("repgeo.pairwise._engine"), "THREAD_SECONDS", -1.0):
        out = guard.call(functools.partial(rg_pairwise, measure=name, block_size=2, n_jobs=n_jobs, **kwargs), reps)
    check_outcome(out, (-np.inf, np.inf) if "test" in kwargs else measure.info.bounds, ("reps", "other", "test"))
    if not isinstance(out, Raised) and not kwargs:  # the block path agrees with the direct call
        direct = guard.call(measure, reps[0], reps[1])
        assert not isinstance(direct, Raised), f"pairwise returned a value but the direct call raised {direct.name}"
        assert abs(out[0, 1] - direct) <= 1e-10 * max(1.0, abs(direct)), (out[0, 1], direct)


def _capture_identity(x):
    """repgeo.capture.activations through an identity layer, in two batches."""
    import torch

    from repgeo.capture import activations

    net = torch.nn.Sequential(torch.nn.Identity())
    return activations(net, x, layers=["0"], batch_size=max(1, len(x) // 2) if np.ndim(x) else None)["0"]


@pytest.mark.parametrize("depth", DEPTHS)
def test_capture_survives_hostile_input(depth, guard):
    """Any array in: the flattened samples come back unchanged (in the array's float type), or a clear error."""
    pytest.importorskip("torch")
    fuzz(depth)(_capture_case)(guard=guard)


def _capture_case(data, guard):
    a, _ = data.draw(related_pair(matrix_shapes, valid_shapes=matrix_valid_shapes), label="specs")
    x = build(a)
    out = guard.call(_capture_identity, x)
    if isinstance(out, Raised):
        assert out.is_a("ValueError", "TypeError"), f"raised {out.name}: {out.message}"
        assert re.search(r"\binputs\b|\bbatch\b", out.message), out.message
        return
    want = np.asarray(x).reshape(len(x), -1)
    if want.dtype.kind == "f":  # floating arrays take the model's dtype (float32 here; past its range: inf)
        with np.errstate(over="ignore"):
            want = want.astype(np.float32)
    np.testing.assert_array_equal(out, want)


# ----------------------------------------------------------------------------- streaming CKA, statistics, embeddings

square_shapes = st.one_of(sizes(1, 9).map(lambda n: (n, n)), sizes(1, 9).map(lambda n: (n, n)), st.tuples(sizes(1, 5), sizes(1, 5)))


@pytest.mark.parametrize("hsic", ["biased", "unbiased"])
@pytest.mark.parametrize("depth", DEPTHS)
def test_streaming_cka_survives_hostile_input(hsic, depth, guard):
    fuzz(depth)(_streaming_cka_case)(hsic=hsic, guard=guard)


def _streaming_cka_case(hsic, data, guard):
    a, b = data.draw(related_pair(matrix_shapes, -1, matrix_valid_shapes), label="specs")
    X, Y = build(a), build(b)
    out = guard.call(stream_cka, X, Y, hsic)
    bounds = (0.0, 1.0) if hsic == "biased" else (-1.0, 1.0)
    check_outcome(out, bounds, ("X_batch", "Y_batch", "X", "Y"))
    full = guard.call(MEASURES["linear_cka" if hsic == "biased" else "linear_cka_unbiased"], X, Y)
    if not isinstance(out, Raised) and not isinstance(full, Raised):  # the same number as full batch
        assert abs(out - full) < 1e-8, (out, full)


@pytest.mark.parametrize("measure", ["linear_cka", "rsa", "procrustes"])
@pytest.mark.parametrize("depth", DEPTHS)
def test_permutation_test_survives_hostile_input(measure, depth, guard):
    fuzz(depth)(_permutation_test_case)(measure=measure, guard=guard)


def _permutation_test_case(measure, data, guard):
    a, b = data.draw(related_pair(matrix_shapes, -1, matrix_valid_shapes), label="specs")
    out = guard.call(permutation_pvalue, build(a), build(b), measure)
    check_outcome(out if isinstance(out, Raised) else out[1], (0.0, 1.0), ("X", "Y"))
    if not isinstance(out, Raised):
        check_outcome(out[0], MEASURES[measure].info.bounds, ("X", "Y"))


@pytest.mark.parametrize("depth", DEPTHS)
def test_bootstrap_ci_survives_hostile_input(depth, guard):
    fuzz(depth)(_bootstrap_ci_case)(guard=guard)


def _bootstrap_ci_case(data, guard):
    a, b = data.draw(related_pair(matrix_shapes, -1, matrix_valid_shapes), label="specs")
    out = guard.call(bootstrap_interval, build(a), build(b), "linear_cka")
    check_outcome(out, (0.0, 1.0), ("X", "Y"))
    if not isinstance(out, Raised):
        assert out[0] <= out[2], out


@pytest.mark.parametrize("depth", DEPTHS)
def test_noise_ceiling_survives_hostile_input(depth, guard):
    fuzz(depth)(_noise_ceiling_case)(guard=guard)


def _noise_ceiling_case(data, guard):
    spec = data.draw(specs(layout_shapes((3,)), data.draw(st.booleans())), label="spec")
    out = guard.call(ceiling, build(spec), "rsa")
    check_outcome(out if isinstance(out, Raised) else out[0], (-1.0, 1.0), ("data",))
    if not isinstance(out, Raised):
        check_outcome(out[1], (-np.inf, 1.0), ("data",))


@pytest.mark.parametrize("depth", DEPTHS)
def test_mantel_survives_hostile_input(depth, guard):
    fuzz(depth)(_mantel_case)(guard=guard)


def _mantel_case(data, guard):
    a, b = data.draw(related_pair(square_shapes), label="specs")
    out = guard.call(mantel_test, distance_like(a), distance_like(b))
    check_outcome(out, (-1.0, 1.0), ("D1", "D2"))


@pytest.mark.parametrize("depth", DEPTHS)
def test_landmark_mds_survives_hostile_input(depth, guard):
    fuzz(depth)(_landmark_mds_case)(guard=guard)


def _landmark_mds_case(data, guard):
    spec = data.draw(specs(st.tuples(sizes(2, 6), sizes(2, 12)), data.draw(st.booleans())), label="spec")
    out = guard.call(landmark_coords, *landmark_block(spec))
    check_outcome(out, (-np.inf, np.inf), ("D_landmarks", "landmarks", "n_components"))


@pytest.mark.parametrize("depth", DEPTHS)
def test_metric_mds_survives_hostile_input(depth, guard):
    fuzz(depth)(_metric_mds_case)(guard=guard)


def _metric_mds_case(data, guard):
    spec = data.draw(specs(square_shapes, data.draw(st.booleans())), label="spec")
    out = guard.call(metric_coords, distance_like(spec))
    check_outcome(out if isinstance(out, Raised) else out[0], (-np.inf, np.inf), ("D", "n_components"))
    if not isinstance(out, Raised):
        check_outcome(out[1], (0.0, np.inf), ("D",))


# ---- pictures: hostile matrices draw or raise a clear error --------------------------------------

#: Rendering is slow next to arithmetic: fewer examples in both passes (60 is a deep depth, see ``_DEEP``).
PLOT_DEPTHS = [pytest.param(8, id="quick"), pytest.param(60, id="deep", marks=pytest.mark.slow)]


@pytest.fixture(scope="module")
def plot_guard():
    pytest.importorskip("matplotlib")
    g = Guard(timeout=60.0)
    yield g
    g.close()


@pytest.mark.parametrize("depth", PLOT_DEPTHS)
def test_heatmap_survives_hostile_input(depth, plot_guard):
    fuzz(depth)(_heatmap_case)(plot_guard=plot_guard)


def _heatmap_case(data, plot_guard):
    from fuzzing import draw_plot, square_shapes, symmetrized

    spec = data.draw(specs(square_shapes, data.draw(st.booleans())), label="spec")
    M = build(spec)
    M = symmetrized(M) if data.draw(st.booleans(), label="symmetric") else M
    order = data.draw(st.sampled_from([None, "cluster"]), label="order")
    out = plot_guard.call(functools.partial(draw_plot, "heatmap", order=order), M)
    check_outcome(out, (0.0, 0.0), ("matrix_or_result", "order", "matrix"))


@pytest.mark.parametrize("depth", PLOT_DEPTHS)
def test_embedding_survives_hostile_input(depth, plot_guard):
    fuzz(depth)(_embedding_case)(plot_guard=plot_guard)


def _embedding_case(data, plot_guard):
    from fuzzing import draw_plot, square_shapes, symmetrized

    spec = data.draw(specs(st.one_of(square_shapes, matrix_shapes), data.draw(st.booleans())), label="spec")
    M = build(spec)
    M = symmetrized(M) if data.draw(st.booleans(), label="distances") else M
    out = plot_guard.call(functools.partial(draw_plot, "embedding"), M)
    check_outcome(out, (0.0, 0.0), ("embedding_or_matrix",))


@pytest.mark.parametrize("depth", PLOT_DEPTHS)
def test_point_map_survives_hostile_input(depth, plot_guard):
    fuzz(depth)(_point_map_case)(plot_guard=plot_guard)


def _point_map_case(data, plot_guard):
    numeric = data.draw(st.booleans())
    n = data.draw(st.integers(1, 30), label="n")
    points = build(data.draw(specs(st.sampled_from([(n, 2), (n, 2), (n, 3), (n,)]), numeric), label="points"))
    values = build(data.draw(specs(st.sampled_from([(n,), (n,), (n + 1,), (n, 1)]), numeric), label="values"))
    from fuzzing import draw_plot

    out = plot_guard.call(functools.partial(draw_plot, "point_map"), points, values)
    check_outcome(out, (0.0, 0.0), ("points", "values"))


@pytest.mark.parametrize("depth", PLOT_DEPTHS)
def test_null_distribution_survives_hostile_input(depth, plot_guard):
    fuzz(depth)(_null_distribution_case)(plot_guard=plot_guard)


def _null_distribution_case(data, plot_guard):
    from fuzzing import draw_plot, sizes

    null = build(data.draw(specs(st.one_of(st.tuples(sizes(1, 200)), matrix_shapes), data.draw(st.booleans()))))
    observed = data.draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just([1.0, 2.0])))
    out = plot_guard.call(functools.partial(draw_plot, "null_distribution"), null, observed)
    check_outcome(out, (0.0, 0.0), ("null", "observed"))
