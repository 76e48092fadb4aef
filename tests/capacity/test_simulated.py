"""Simulated capacity (Cover's function, segments) and bad input shared with GLUE."""

import numpy as np
import pytest
from scipy.special import comb

from capacity_synth import segments
from repgeo.capacity import ball_capacity, glue, simulated


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


def test_hard_margin_matches_a_generic_qp_solver():
    """The separability margin against SLSQP on min |w|^2 s.t. A w >= 1, with fewer and more points than dims."""
    from scipy.optimize import minimize

    from repgeo.capacity.simulated import _hard_margin

    rng = np.random.default_rng(0)
    for m, n in [(5, 10), (12, 6)]:
        A = rng.standard_normal((m, n)) + 3 * np.eye(n)[0]
        qp = minimize(lambda w: w @ w, np.eye(n)[0], jac=lambda w: 2 * w, method="SLSQP",
                      constraints=[{"type": "ineq", "fun": lambda w: A @ w - 1, "jac": lambda w: A}],
                      options={"ftol": 1e-14, "maxiter": 1000})
        assert _hard_margin(A) == pytest.approx(1 / np.sqrt(qp.fun), rel=1e-8)


@pytest.mark.slow
def test_simulated_margin_extrapolates_to_gardner():
    """Unit points with margin 0.5: the critical dimension grows as n_c = P / alpha + c (a finite-size
    offset c of a few dimensions), and the fitted slope gives alpha_0(0.5) within 4 standard errors."""
    from repgeo.capacity import alpha0

    rng = np.random.default_rng(0)
    sizes, n_c, se = [20, 40, 80], [], []
    for P in sizes:
        X = rng.standard_normal((P, 1, 4 * P))
        X /= np.linalg.norm(X, axis=2, keepdims=True)
        res = simulated(X, n_trials=40, rng=1, center=False, kappa=0.5)
        n_c.append(res.n_critical)
        se.append(res.n_critical_se)
    w = 1 / np.square(se)
    design = np.column_stack([sizes, np.ones(3)])
    cov = np.linalg.inv(design.T @ (w[:, None] * design))
    slope = (cov @ design.T @ (w * np.array(n_c)))[0]
    assert abs(1 / slope - alpha0(0.5)) < 4 * np.sqrt(cov[0, 0]) / slope**2, (1 / slope, n_c, se)
