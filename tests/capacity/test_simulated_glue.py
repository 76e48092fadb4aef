"""Simulated capacity (Cover's function, segments) and GLUE (agreement, correlations, saturation)."""

import warnings
from itertools import product

import numpy as np
import pytest
from scipy.special import comb

from capacity_synth import orthonormal, segments
from repgeo.capacity import CapacitySaturationWarning, ball_capacity, glue, mean_field, simulated
from repgeo.capacity.simulated import _separable


def cover_fraction(P, n):
    return 2.0 ** (1 - P) * sum(comb(P - 1, k, exact=True) for k in range(n))


def test_simulated_points_follow_cover_and_cross_at_two():
    P = 40
    res = simulated(np.random.default_rng(0).standard_normal((P, 1, 60)), n_trials=100, rng=1, center=False)
    for n, p, se in zip(res.n_features, res.fractions, res.fractions_se):
        assert abs(p - cover_fraction(P, n)) < 4 * se, (n, p, cover_fraction(P, n))
    assert abs(res.capacity - 2.0) < 4 * res.capacity_se
    assert not res.saturated


@pytest.mark.slow
def test_simulated_unit_segments_cross_at_one():
    mans = np.stack(segments(40, 400, 1.0, np.random.default_rng(2))[:40])  # no mirrors: random dichotomies
    res = simulated(mans, n_trials=60, rng=3)
    assert abs(res.capacity - ball_capacity(1.0, 1)) < 4 * res.capacity_se


def test_simulated_saturation_flag():
    res = simulated(np.random.default_rng(4).standard_normal((6, 30, 10)), n_trials=10, rng=0)
    assert res.saturated and np.isnan(res.capacity)


@pytest.mark.parametrize("radius", [0.5, 1.0])
def test_glue_agrees_with_mean_field_on_uncorrelated_segments(radius):
    mans = np.stack(segments(20, 400, radius, np.random.default_rng(5))[:20])
    g = glue(mans, n_t=300, rng=6)
    m = mean_field(mans, n_t=300, rng=6, mode="corrected")
    assert abs(g.capacity - m.capacity) < 4 * np.hypot(g.capacity_se, m.capacity_se)
    assert abs(g.capacity - ball_capacity(radius, 1)) < 4 * g.capacity_se
    assert not g.saturated


def test_glue_points_two():
    g = glue(np.random.default_rng(7).standard_normal((20, 1, 60)), n_t=400, rng=8, center=False)
    assert abs(g.capacity - 2.0) < 4 * g.capacity_se


def planted(rho, rng, P=20, N=400):
    basis = orthonormal(N, 2 * P + 1, rng)
    C = np.sqrt(1 - rho) * basis[:P] + np.sqrt(rho) * rng.standard_normal(P)[:, None] * basis[-1]
    C /= np.linalg.norm(C, axis=1, keepdims=True)
    return np.stack([np.stack([C[q] + 0.5 * basis[P + q], C[q] - 0.5 * basis[P + q]]) for q in range(P)])


def test_glue_drops_with_planted_center_correlation():
    rng = np.random.default_rng(9)
    res = [glue(planted(rho, rng), n_t=300, rng=10) for rho in (0.0, 0.8)]
    gap = res[0].capacity - res[1].capacity
    assert gap > 3 * np.hypot(res[0].capacity_se, res[1].capacity_se)
    assert res[1].center_alignment > res[0].center_alignment


def test_glue_flags_saturation():
    with pytest.warns(CapacitySaturationWarning):
        g = glue(np.random.default_rng(11).standard_normal((10, 20, 30)), n_t=30, rng=0)
    assert g.saturated and abs(g.capacity - 10 / g.rank) < 4 * g.capacity_se


@pytest.mark.parametrize("fn", [simulated, glue])
def test_bad_input(fn):
    with pytest.raises(ValueError, match="P=1 manifold"):
        fn(np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match="ambient dimension"):
        fn([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="finite"):
        fn(np.full((2, 2, 3), np.inf))


@pytest.mark.slow
def test_simulated_standard_error_matches_spread_over_seeds():
    """Same manifolds, fresh projections and dichotomies: the reported SE predicts the spread."""
    data = np.random.default_rng(21).standard_normal((24, 1, 40))
    runs = [simulated(data, n_trials=20, rng=seed, center=False) for seed in range(14)]
    caps = np.array([r.capacity for r in runs])
    ratio = caps.std(ddof=1) / np.mean([r.capacity_se for r in runs])
    assert 0.5 < ratio < 1.7, ratio  # the sample std of 14 values is itself uncertain by ~20%
    assert abs(caps.mean() - 2.0) < 4 * caps.std(ddof=1) / np.sqrt(len(caps))


def test_glue_standard_error_matches_spread_over_seeds():
    runs = [glue(np.random.default_rng(100 + s).standard_normal((20, 1, 60)), n_t=100, rng=s, center=False)
            for s in range(30)]
    caps = np.array([g.capacity for g in runs])
    ratio = caps.std(ddof=1) / np.mean([g.capacity_se for g in runs])
    assert 0.65 < ratio < 1.4, ratio
    assert abs(caps.mean() - 2.0) < 4 * caps.std(ddof=1) / np.sqrt(len(caps))


def _exact_nonseparable_fraction(data):
    """Share of the 2^P - 2 two-sided manifold dichotomies that an LP finds non-separable."""
    P, M, N = data.shape
    labellings = [np.array(y, float) for y in product([-1, 1], repeat=P) if abs(sum(y)) < P]
    return np.mean([not _separable(data.reshape(-1, N), np.repeat(y, M)) for y in labellings])


@pytest.mark.parametrize("shape", [(2, 1, 5), (6, 1, 4), (8, 1, 6), (5, 3, 8)])
def test_glue_nonseparable_fraction_matches_lp(shape):
    """Every labelling of these data is enumerated with an LP; GLUE's draws are a binomial sample of them."""
    data = np.random.default_rng(sum(shape)).standard_normal(shape)
    exact = _exact_nonseparable_fraction(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = glue(data, n_t=300, rng=1, center=False)
    se = np.sqrt(exact * (1 - exact) / g.n_t)
    if exact == 0:  # e.g. P <= rank: every dichotomy is separable, nothing may be flagged
        assert g.nonseparable_fraction == 0 and not g.saturated
        assert not any(issubclass(w.category, CapacitySaturationWarning) for w in caught)
    else:
        assert abs(g.nonseparable_fraction - exact) < 4 * se, (g.nonseparable_fraction, exact)
        assert g.saturated


def test_glue_geometry_of_points_is_zero():
    """Anchors of points never move: no axis part, so D = 0 and R = 0; axis alignments are undefined."""
    g = glue(np.random.default_rng(0).standard_normal((20, 1, 60)), n_t=200, rng=0, center=False)
    assert g.dimension == 0 and g.radius == 0 and g.dimension_se == 0
    assert np.isnan(g.axis_alignment) and np.isnan(g.center_axis_alignment)
    assert 0 < g.center_alignment < 1


@pytest.mark.parametrize("radius", [1.0, 2.0])
def test_glue_geometry_point_and_segment_closed_form(radius):
    """A point c1 and a segment c2 +- R u with c1, c2, u orthonormal decouple exactly.

    In the plane (t0, t1) = (c2.t, u.t) the segment is anchored unless t is in its
    polar wedge t0 <= -R|t1| (half-angle phi = atan(1/R)); its anchor is c2 + (t1/t0) u
    inside the cone and a vertex c2 +- R u otherwise.  The point is anchored iff
    c1.t > 0.  A draw then has |T|^2 = t1^2 when the segment is anchored and
    R^2 = |s1|^2 / |s0|^2 (its own axis part over its center), and 0 when only the
    point is.  Averaging over the draws with at least one anchor (so including the
    draws where only one manifold is anchored) gives the closed forms below.
    """
    b = np.eye(4)
    g = glue([b[:1], np.stack([b[1] + radius * b[2], b[1] - radius * b[2]])], n_t=1000, rng=3, center=False)
    phi = np.arctan(1 / radius)
    p_point, p_seg = 0.5, 1 - phi / np.pi
    p_any = 1 - (1 - p_point) * (1 - p_seg)
    e_t1sq = 1 - (phi - np.sin(phi) * np.cos(phi)) / np.pi  # E[t1^2; segment anchored]
    dimension = e_t1sq * (1 - p_point / 2) / p_any  # D = E[t1^2 1(seg) / k | k >= 1]
    e_a2 = (radius - np.arctan(radius)) / np.pi + radius**2 / 2  # E[|s1|^2; segment anchored]
    assert abs(g.dimension - dimension) < 4 * g.dimension_se, (g.dimension, dimension)
    assert abs(g.radius - np.sqrt(e_a2 / p_any)) < 4 * g.radius_se, (g.radius, np.sqrt(e_a2 / p_any))
