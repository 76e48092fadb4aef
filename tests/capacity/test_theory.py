"""Closed forms: the replica ball capacity against the quadrature table and its two limits.

Table values are from ../shared/methods/capacity.md section 1e (computed there by an
independent quadrature); the limits are the analytic large-D and small-R forms.
"""

import numpy as np
import pytest

from repgeo.capacity import alpha0, ball_capacity

TABLE = [  # (radius, dim, kappa, alpha)
    (0.001, 1, 0.0, 1.9975),
    (0.1, 1, 0.0, 1.7748),
    (0.3, 1, 0.0, 1.4587),
    (0.5, 1, 0.0, 1.2576),
    (0.6, 1, 0.0, 1.1848),
    (1.0, 1, 0.0, 1.0000),
    (2.0, 1, 0.0, 0.8300),
    (1.0, 3, 1.0, 0.23581),
    (1.0, 100, 0.0, 0.01980),
    (1.0, 400, 0.0, 0.00499),
    (0.5, 400, 0.0, 0.01238),
    (2.0, 400, 0.0, 0.00312),
    (0.1, 100, 0.0, 0.5251),
    (0.05, 400, 0.0, 0.5210),
    (0.2, 50, 0.0, 0.3502),
]


@pytest.mark.parametrize("radius,dim,kappa,alpha", TABLE)
def test_ball_capacity_matches_quadrature_table(radius, dim, kappa, alpha):
    digits = len(repr(alpha).split(".")[1])
    assert ball_capacity(radius, dim, kappa) == pytest.approx(alpha, abs=0.6 * 10.0**-digits)


@pytest.mark.parametrize("dim", [2, 3, 5, 10])
def test_unit_balls_have_capacity_two_over_d_plus_one(dim):
    assert ball_capacity(1.0, dim) == pytest.approx(2.0 / (dim + 1), rel=1e-7)


@pytest.mark.parametrize("radius", [0.5, 1.0, 2.0])
def test_large_dimension_limit(radius):
    """alpha -> (1 + R^2) / (R^2 D) as D grows, with a shrinking relative error."""
    errors = []
    for dim in (100, 400, 1600):
        limit = (1 + radius**2) / (radius**2 * dim)
        errors.append(abs(ball_capacity(radius, dim) / limit - 1))
    assert errors[-1] < 0.02
    assert errors[0] > errors[1] > errors[2]


@pytest.mark.parametrize("radius,dim", [(0.1, 100), (0.05, 400), (0.2, 50)])
def test_small_radius_limit(radius, dim):
    """alpha -> (1 + R^2) alpha_0(R sqrt(D)) when R -> 0 with R sqrt(D) fixed."""
    limit = (1 + radius**2) * alpha0(radius * np.sqrt(dim))
    assert ball_capacity(radius, dim) == pytest.approx(limit, rel=2e-3)


def test_points_are_the_zero_radius_limit():
    for kappa in (0.0, 0.5, 1.0, 2.0):
        assert ball_capacity(1e-6, 1, kappa) == pytest.approx(alpha0(kappa), rel=1e-5)
    assert alpha0(0.5) == pytest.approx(0.961205, abs=1e-6)
    assert alpha0(2.0) == pytest.approx(0.200230, abs=2e-6)  # the table truncates 0.2002310


def test_bad_arguments():
    with pytest.raises(ValueError, match="radius"):
        ball_capacity(0.0, 2)
    with pytest.raises(ValueError, match="dim"):
        ball_capacity(1.0, 0)
    with pytest.raises(ValueError, match="kappa"):
        alpha0(-1.0)
