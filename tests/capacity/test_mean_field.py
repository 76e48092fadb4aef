"""Mean-field capacity against closed forms, its solver against independent ones."""

import numpy as np
import pytest
from scipy.optimize import minimize, nnls
from scipy.spatial import ConvexHull

from capacity_synth import balls, fibonacci_sphere, orthonormal_clouds, points, polygon, segments
from repgeo.capacity import alpha0, ball_capacity, from_labels, mean_field
from repgeo.capacity._centers import center_structure, residual_cosine_cost
from repgeo.capacity._nnls import batched_nnls

EXACT = dict(mode="corrected", n_centers=0)


def within(res, exact, k=4.0):
    assert abs(res.capacity - exact) < k * res.capacity_se, (res.capacity, res.capacity_se, exact)


@pytest.mark.parametrize("kappa", [0.0, 0.5, 1.0, 2.0])
def test_points_alpha0(kappa):
    res = mean_field(points(10, 40, np.random.default_rng(0)), kappa=kappa, n_t=2000, rng=1, **EXACT)
    within(res, alpha0(kappa))
    assert res.radius == 0 and res.dimension == 0


@pytest.mark.parametrize("n_points", [3, 5, 10])
def test_orthonormal_clouds_two_over_m(n_points):
    mans = orthonormal_clouds(10, n_points, 300, np.random.default_rng(n_points))
    within(mean_field(mans, n_t=500, rng=2, **EXACT), 2.0 / n_points)


@pytest.mark.parametrize("radius,exact", [(0.3, 1.4587), (0.5, 1.2576), (1.0, 1.0), (2.0, 0.8300)])
def test_segments_table(radius, exact):
    mans = segments(10, 80, radius, np.random.default_rng(3))
    res = mean_field(mans, n_t=1000, rng=4, **EXACT)
    within(res, exact)
    # anchor radius <= R and, in the rank-reduced frame, D_M = 1 exactly (mean_cos)
    assert res.radius <= radius + 4 * res.radius_se
    alt = mean_field(mans, n_t=1000, rng=4, dimension_definition="mean_cos", **EXACT)
    assert abs(alt.dimension - 1.0) < 1e-6


def test_padded_frame_dimension_bias():
    """Compatible mode pads segments to a 2-D frame: D_M = 2 (2/pi)^2 = 0.8106."""
    mans = segments(10, 80, 1.0, np.random.default_rng(5))
    res = mean_field(mans, n_t=1000, rng=6, mode="compatible", n_centers=0)
    assert abs(res.dimension - 2 * (2 / np.pi) ** 2) < 4 * res.dimension_se
    assert (res.frame_dims == 2).all()
    within(res, 1.0)


def test_circle_two_thirds():
    n = 180  # inscribed polygon: capacity between the unit disc and the inradius disc
    res = mean_field(balls(4, 40, 1.0, polygon(n), np.random.default_rng(7)), n_t=300, rng=8, **EXACT)
    lo, hi = 2.0 / 3.0, ball_capacity(np.cos(np.pi / n), 2)
    assert lo - 4 * res.capacity_se < res.capacity < hi + 4 * res.capacity_se


def test_sphere_two_over_d_plus_one_with_sampling_bias():
    pts = fibonacci_sphere(300)
    inradius = np.abs(ConvexHull(pts).equations[:, -1]).min()
    res = mean_field(balls(3, 40, 1.0, pts, np.random.default_rng(9)), n_t=300, rng=10, **EXACT)
    lo, hi = 2.0 / 4.0, ball_capacity(inradius, 3)
    assert hi > lo + 0.002  # the polytope bias is real and bounded
    assert lo - 4 * res.capacity_se < res.capacity < hi + 4 * res.capacity_se


def test_standard_error_matches_spread_over_seeds():
    mans = segments(5, 40, 1.0, np.random.default_rng(11))
    runs = [mean_field(mans, n_t=200, rng=s, **EXACT) for s in range(40)]
    caps = np.array([r.capacity for r in runs])
    ses = np.array([r.capacity_se for r in runs])
    radii = np.array([r.radius for r in runs])
    ratio = caps.std(ddof=1) / ses.mean()
    assert 0.6 < ratio < 1.5, ratio
    ratio_r = radii.std(ddof=1) / np.mean([r.radius_se for r in runs])
    assert 0.6 < ratio_r < 1.5, ratio_r


def test_batched_nnls_matches_scipy_and_kkt():
    rng = np.random.default_rng(12)
    for d, m in [(6, 8), (9, 8), (4, 30)]:  # tall, square-ish, many points in few dims
        A = rng.standard_normal((5, d, m))
        A[:, -1] = 1.0
        B = rng.standard_normal((5, d, 40))
        Z = batched_nnls(A, B).z
        for p in range(5):
            for j in range(40):
                ref = nnls(A[p], B[p, :, j])[0]
                np.testing.assert_allclose(A[p] @ Z[p, :, j], A[p] @ ref, atol=1e-9)
                w = A[p].T @ (A[p] @ Z[p, :, j] - B[p, :, j])
                assert (Z[p, :, j] >= 0).all() and (w >= -1e-9).all()


def test_anchor_qp_matches_generic_qp_solver():
    """F(t) = min ||v - t||^2 s.t. S^T v <= -kappa, solved by SLSQP draw by draw."""
    rng = np.random.default_rng(13)
    S = np.vstack([rng.standard_normal((4, 6)) * 0.7, np.ones(6)])
    kappa = 0.3
    T = rng.standard_normal((1, 5, 15))
    b = T.copy()
    b[0, -1] += kappa
    Z = batched_nnls(S[None], b).z
    for j in range(15):
        t = T[0, :, j]
        cons = {"type": "ineq", "fun": lambda v: -kappa - S.T @ v, "jac": lambda v: -S.T}
        qp = minimize(lambda v: ((v - t) ** 2).sum(), t - 3, jac=lambda v: 2 * (v - t),
                      constraints=[cons], method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
        assert abs(qp.fun - ((S @ Z[0, :, j]) ** 2).sum()) < 1e-6


def test_compatible_and_corrected_capacities_agree_on_exact_geometry():
    mans = segments(10, 80, 0.5, np.random.default_rng(14))
    a = mean_field(mans, n_t=300, rng=15, mode="compatible", n_centers=0)
    b = mean_field(mans, n_t=300, rng=15, **EXACT)
    # same cone, different frames: both estimate the same capacity
    assert abs(a.capacity - b.capacity) < 4 * np.hypot(a.capacity_se, b.capacity_se)


def test_center_gradient_and_planted_structure():
    rng = np.random.default_rng(16)
    X = rng.standard_normal((8, 7))
    V = np.linalg.qr(rng.standard_normal((7, 2)))[0]
    _, g = residual_cosine_cost(V, X)
    E = rng.standard_normal(V.shape)
    h = 1e-6
    fd = (residual_cosine_cost(V + h * E, X)[0] - residual_cosine_cost(V - h * E, X)[0]) / (2 * h)
    assert abs(fd - (g * E).sum()) < 1e-5 * max(1.0, abs(fd))
    u = np.linalg.qr(rng.standard_normal((200, 2)))[0]
    centers = 0.1 * rng.standard_normal((40, 200)) + rng.standard_normal((40, 2)) @ u.T * 3
    res = center_structure(centers)
    assert res.n_components == 2
    cosines = np.linalg.svd(u.T @ res.basis, compute_uv=False)
    assert cosines.min() > 0.99
    # reported correlation is the plain mean |cos| between centered centers
    Xb = centers - centers.mean(0)
    norms = np.linalg.norm(Xb, axis=1)
    C = (Xb @ Xb.T) / np.outer(norms, norms)
    assert abs(res.correlation - (np.abs(C).sum() - 40) / (40 * 39)) < 1e-12


@pytest.mark.parametrize("P", [2, 3, 5, 11])
def test_small_number_of_manifolds_runs(P):
    mans = np.random.default_rng(P).standard_normal((P, 6, 30))
    res = mean_field(mans, n_t=50, rng=0)
    assert np.isfinite(res.capacity) and res.n_centers <= max(P - 2, 0)
    assert res.n_centers >= (1 if P >= 3 else 0)


def test_ragged_and_from_labels():
    rng = np.random.default_rng(17)
    X = rng.standard_normal((60, 20)) + np.repeat(rng.standard_normal((4, 20)) * 3, 15, axis=0)
    labels = np.repeat(np.arange(4), 15)
    mans = from_labels(X, labels)
    res = mean_field(mans[:3] + [mans[3][:7]], n_t=50, rng=0)
    assert res.capacities.shape == (4,) and np.isfinite(res.capacities).all()


def test_reproducible_with_seed():
    mans = np.random.default_rng(18).standard_normal((4, 5, 20))
    a, b = mean_field(mans, n_t=30, rng=7), mean_field(mans, n_t=30, rng=7)
    np.testing.assert_array_equal(a.capacities, b.capacities)


@pytest.mark.parametrize(
    "bad,kwargs,match",
    [
        (np.ones((1, 3, 4)), {}, "P=1 manifold; at least 2"),
        ([np.ones((2, 3)), np.ones((2, 4))], {}, "ambient dimension"),
        ([np.ones((2, 3)), np.ones((0, 3))], {}, "must not be empty"),
        (np.full((2, 3, 4), np.nan), {}, "finite"),
        (np.random.default_rng(0).standard_normal((3, 3, 4)), {"kappa": -0.1}, "kappa must be in"),
        (np.random.default_rng(0).standard_normal((3, 3, 4)), {"mode": "fast"}, "mode must be one of"),
        (np.random.default_rng(0).standard_normal((3, 3, 4)), {"n_t": 1}, "n_t must be an integer >= 2"),
    ],
)
def test_bad_input(bad, kwargs, match):
    with pytest.raises(ValueError, match=match):
        mean_field(bad, **kwargs)


def test_mean_field_rejects_overflowing_kappa():
    X = np.random.default_rng(0).standard_normal((5, 4, 20))
    with pytest.raises(ValueError, match=r"kappa must be in \[0, 1e\+06\]; got 1e\+200"):
        mean_field(X, kappa=1e200, n_t=10, rng=0)
    res = mean_field(X, kappa=1e6, n_t=10, rng=0)  # the largest accepted margin stays finite
    assert 0 < res.capacity < 1e-11 and np.isfinite(res.capacity_se)


def test_too_many_center_directions_raise():
    mans = np.random.default_rng(3).standard_normal((4, 5, 30))
    with pytest.raises(ValueError, match="n_centers=5 exceeds the 2 common center directions"):
        mean_field(mans, n_t=10, rng=0, n_centers=5)
    assert mean_field(mans, n_t=10, rng=0, n_centers=2).n_centers == 2
