"""Evidence for repgeo.paths: identities, closed forms, reference outputs, bad input, fuzzing."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg as sl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

import repgeo as rg
from repgeo import paths as P

DATA = Path(__file__).parent / "data"
RIDGE = 0.5
SPACES = ["angular", "cka", "bures", P.AIRMSpace(ridge=RIDGE)]
IDS = ["angular", "cka", "bures", "airm"]
REGISTERED = {"angular": "procrustes", "cka": "angular_cka", "bures": "procrustes_euclidean"}


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """Tiny eigendecompositions: on a busy machine BLAS threads only contend (100x slower)."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def xyz():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((30, 6))
    Y = np.tanh(X @ rng.standard_normal((6, 9)))
    Z = rng.standard_normal((30, 5))
    return X, Y, Z


def centred_basis(n: int) -> np.ndarray:
    """An orthonormal basis of the vectors orthogonal to 1 (not the one repgeo uses internally)."""
    return sl.null_space(np.ones((1, n)))


def gram(F: np.ndarray) -> np.ndarray:
    Fc = F - F.mean(axis=0)
    return Fc @ Fc.T


def widen(A: np.ndarray, w: int) -> np.ndarray:
    """Zero columns appended up to width ``w`` (tangent vectors of unequal widths)."""
    return np.pad(A, ((0, 0), (0, w - A.shape[1])))


def inner(U: np.ndarray, V: np.ndarray) -> float:
    w = max(U.shape[1], V.shape[1])
    return float(np.sum(widen(U, w) * widen(V, w)))


# ----------------------------------------------------------------------------- distances are the measures


@pytest.mark.parametrize("space", ["angular", "cka", "bures"])
def test_distance_equals_the_registered_measure(xyz, space):
    X, Y, Z = xyz
    measure = rg.get_measure(REGISTERED[space])
    for A, B in [(X, Y), (Y, Z), (X, 3 * Z + 1)]:
        assert P.distance(A, B, space=space) == pytest.approx(measure(A, B), rel=1e-12)


def test_airm_distance_equals_riemann_airm_of_the_regularised_grams(xyz):
    X, Y, _ = xyz
    n = X.shape[0]
    H = np.eye(n) - 1.0 / n
    A, B = H @ X @ X.T @ H + RIDGE * np.eye(n), H @ Y @ Y.T @ H + RIDGE * np.eye(n)
    assert P.distance(X, Y, space=P.AIRMSpace(RIDGE)) == pytest.approx(rg.riemann.airm(A, B), rel=1e-10)
    assert P.GramAIRM(RIDGE)(X, Y) == pytest.approx(rg.riemann.airm(A, B), rel=1e-10)
    # ridge 0 needs rank n - 1: more features than samples; compare on the centred subspace
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((12, 15)), rng.standard_normal((12, 20))
    Q = centred_basis(12)
    expected = rg.riemann.airm(Q.T @ X @ X.T @ Q, Q.T @ Y @ Y.T @ Q)
    assert P.distance(X, Y, space="airm") == pytest.approx(expected, rel=1e-10)


# ----------------------------------------------------------------------------- geodesics


@pytest.mark.parametrize("space", SPACES, ids=IDS)
@pytest.mark.parametrize("t", [0.0, 0.1, 0.25, 0.5, 0.8, 1.0])
def test_geodesic_point_splits_the_distance(xyz, space, t):
    X, Y, _ = xyz
    d = P.distance(X, Y, space=space)
    G = P.geodesic(X, Y, t, space=space)
    assert P.distance(X, G, space=space) == pytest.approx(t * d, rel=1e-10, abs=1e-12 * d)
    assert P.distance(G, Y, space=space) == pytest.approx((1 - t) * d, rel=1e-10, abs=1e-12 * d)


@pytest.mark.parametrize("space", SPACES, ids=IDS)
def test_outputs_are_accepted_back_and_geodesics_compose(xyz, space):
    X, Y, _ = xyz
    M = P.geodesic(X, Y, 0.5, space=space)
    Q1 = P.geodesic(X, M, 0.5, space=space)  # a quarter of the way, through an output
    Q2 = P.geodesic(X, Y, 0.25, space=space)
    scale = P.distance(X, Y, space=space)
    assert P.distance(Q1, Q2, space=space) <= 1e-9 * scale
    assert P.length([X, Q1, M, Y], space=space) == pytest.approx(scale, rel=1e-10)


@pytest.mark.parametrize("space", SPACES, ids=IDS)
def test_exp_of_log_returns_to_the_point(xyz, space):
    X, Y, Z = xyz
    d = P.distance(X, Y, space=space)
    V = P.log(X, Y, space=space)
    assert np.linalg.norm(V) == pytest.approx(d, rel=1e-10)
    assert P.distance(P.exp(X, V, space=space), Y, space=space) <= 1e-9 * d
    # and log of exp returns a (short, motion-only) tangent vector
    U = P.log(X, Z, space=space)
    w = max(V.shape[1], U.shape[1])
    W = 0.4 * widen(V, w) + 0.2 * widen(U, w)
    back = P.log(X, P.exp(X, W, space=space), space=space)
    w = max(w, back.shape[1])
    back, W = widen(back, w), widen(W, w)
    # X has rank 6: rotations of the extra (zero) columns fix it, so they are determined up to one
    r = 6 if space in ("angular", "bures") else w
    assert np.allclose(back[:, :r], W[:, :r], atol=1e-9)
    assert np.allclose(back[:, r:] @ back[:, r:].T, W[:, r:] @ W[:, r:].T, atol=1e-9)


@pytest.mark.parametrize("space", ["angular", "bures"])
def test_exp_ignores_rotations_and_column_means(xyz, space):
    X, Y, _ = xyz
    rng = np.random.default_rng(3)
    V = 0.1 * rng.standard_normal((30, 9)) * (1 if space == "angular" else 3)
    E = P.exp(X, V, space=space)
    W = P.log(X, E, space=space)  # the part of V that moves the point
    assert np.linalg.norm(W) < np.linalg.norm(V)
    assert P.distance(P.exp(X, W, space=space), E, space=space) <= 1e-10 * np.linalg.norm(W)
    assert P.distance(P.exp(X, V + 5.0, space=space), E, space=space) <= 1e-10 * np.linalg.norm(W)


def test_angular_geodesic_is_a_great_circle_of_unit_norm_data(xyz):
    X, Y, _ = xyz
    for t in (0.3, 1.4, -0.2):  # extrapolation continues the great circle
        G = P.geodesic(X, Y, t)
        assert np.linalg.norm(G) == pytest.approx(1.0, rel=1e-12)
        assert np.allclose(G.mean(axis=0), 0.0, atol=1e-15)
    # one column: no rotations but the sign, the great circle stays shortest up to pi / 2
    E = centred_basis(5)[:, :2]
    x, y = E[:, [0]], np.cos(0.3) * E[:, [0]] + np.sin(0.3) * E[:, [1]]
    for t in (-0.5, 2.0, 4.5):
        assert P.distance(x, P.geodesic(x, y, t)) == pytest.approx(abs(t) * 0.3, rel=1e-12)
        assert np.allclose(P.geodesic(x, y, t), np.cos(0.3 * t) * E[:, [0]] + np.sin(0.3 * t) * E[:, [1]])


# ----------------------------------------------------------------------------- closed forms


def embed_spd(M: np.ndarray) -> np.ndarray:
    """Centred data whose Gram matrix, restricted to the vectors orthogonal to 1, is ``M``."""
    Q = centred_basis(M.shape[0] + 1)
    return Q @ np.real(sl.sqrtm(M))


def restricted_gram(F: np.ndarray) -> np.ndarray:
    Q = centred_basis(F.shape[0])
    return Q.T @ F @ F.T @ Q


@pytest.mark.parametrize(
    "A, B, space, distance, midpoint",
    [
        (np.diag([1.0, 4.0]), np.diag([4.0, 1.0]), "airm", np.sqrt(2) * np.log(4), 2.0 * np.eye(2)),
        (np.diag([1.0, 4.0]), np.diag([4.0, 1.0]), "bures", np.sqrt(2), 2.25 * np.eye(2)),
        ([[2.0, 1.0], [1.0, 2.0]], np.diag([4.0, 1.0]), "airm", 1.302848, [[2.656093, 0.486099], [0.486099, 1.393172]]),
        ([[2.0, 1.0], [1.0, 2.0]], np.diag([4.0, 1.0]), "bures", 0.878192, [[2.893172, 0.553812], [0.553812, 1.414023]]),
    ],
)
def test_two_by_two_midpoints(A, B, space, distance, midpoint):
    # values: ../shared/methods/shape-metrics-and-paths.md, A6 (computed there with scipy, cross-checked with repsim)
    X, Y = embed_spd(np.asarray(A)), embed_spd(np.asarray(B))
    assert P.distance(X, Y, space=space) == pytest.approx(distance, abs=1e-6)
    assert np.allclose(restricted_gram(P.geodesic(X, Y, 0.5, space=space)), midpoint, atol=1e-6)


@pytest.mark.parametrize("t", [0.2, 0.5, 0.9])
def test_airm_geodesic_matches_the_closed_form(xyz, t):
    X, Y, _ = xyz
    n = X.shape[0]
    H = np.eye(n) - 1.0 / n
    A, B = H @ X @ X.T @ H + RIDGE * np.eye(n), H @ Y @ Y.T @ H + RIDGE * np.eye(n)
    Ah = np.real(sl.sqrtm(A))
    Ai = np.linalg.inv(Ah)
    expected = Ah @ np.real(sl.fractional_matrix_power(Ai @ B @ Ai, t)) @ Ah
    F = P.geodesic(X, Y, t, space=P.AIRMSpace(RIDGE))
    assert np.allclose(F @ F.T + RIDGE * np.eye(n), expected, rtol=0, atol=1e-9 * np.abs(expected).max())


@pytest.mark.parametrize("t", [0.2, 0.5, 0.9])
def test_bures_geodesic_matches_the_transport_map_form(t):
    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((10, 12)), rng.standard_normal((10, 14))  # full rank on the centred subspace
    A, B = restricted_gram(X - X.mean(0)), restricted_gram(Y - Y.mean(0))
    Ah = np.real(sl.sqrtm(A))
    Ai = np.linalg.inv(Ah)
    T = Ai @ np.real(sl.sqrtm(Ah @ B @ Ah)) @ Ai  # optimal transport map from A to B
    Mt = (1 - t) * np.eye(9) + t * T
    assert np.allclose(restricted_gram(P.geodesic(X, Y, t, space="bures")), Mt @ A @ Mt, atol=1e-9 * np.abs(A).max())


def test_cka_geodesic_is_slerp_of_the_normalised_grams(xyz):
    X, Y, _ = xyz
    Pn, Qn = (gram(M) / np.linalg.norm(gram(M)) for M in (X, Y))
    theta = np.arccos(np.sum(Pn * Qn))
    for t in (0.25, 0.6):
        F = P.geodesic(X, Y, t, space="cka")
        expected = (np.sin((1 - t) * theta) * Pn + np.sin(t * theta) * Qn) / np.sin(theta)
        assert np.allclose(F @ F.T, expected, atol=1e-13)


# ----------------------------------------------------------------------------- angles


@pytest.mark.parametrize("space", SPACES, ids=IDS)
def test_angle_is_pi_on_a_geodesic(xyz, space):
    X, Y, _ = xyz
    assert P.angle(X, P.geodesic(X, Y, 0.4, space=space), Y, space=space) == pytest.approx(np.pi, abs=1e-9)
    assert P.angle(Y, X, P.geodesic(X, Y, 0.4, space=space), space=space) == pytest.approx(0.0, abs=1e-7)


def small_triangle(space):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((20, 4))
    return X, X + 0.15 * rng.standard_normal((20, 4)), X + 0.15 * rng.standard_normal((20, 4))


def angle_sum(A, B, C, space):
    return P.angle(C, A, B, space=space) + P.angle(A, B, C, space=space) + P.angle(B, C, A, space=space)


@pytest.mark.parametrize("space", ["angular", "cka"])
def test_small_triangles_on_positively_curved_spaces_have_angle_sums_above_pi(space):
    excess = angle_sum(*small_triangle(space), space=space) - np.pi
    assert 1e-6 < excess < 0.1


def test_bures_triangles_are_not_hyperbolic():
    assert angle_sum(*small_triangle("bures"), space="bures") >= np.pi - 1e-10


def test_airm_triangles_have_angle_sums_below_pi():
    excess = angle_sum(*small_triangle("airm"), space=P.AIRMSpace(RIDGE)) - np.pi
    assert -0.5 < excess < -1e-6
    # A6: I, diag(4, 1), [[2, 1], [1, 2]] (repsim's `angle` gives the same)
    I, D, C = (embed_spd(np.asarray(M, float)) for M in (np.eye(2), np.diag([4.0, 1.0]), [[2, 1], [1, 2]]))
    angles = [P.angle(C, I, D, space="airm"), P.angle(I, D, C, space="airm"), P.angle(D, C, I, space="airm")]
    assert np.allclose(angles, [1.047198, 0.807181, 1.187616], atol=1e-6)


def test_sphere_triangle_of_single_column_representations():
    # one column: shape space is the sphere of centred unit vectors (up to sign); A6's small triangle
    E = centred_basis(6)[:, :3]
    x = E[:, [0]]
    y = np.cos(0.3) * E[:, [0]] + np.sin(0.3) * E[:, [1]]
    z = np.cos(0.3) * E[:, [0]] + np.sin(0.3) * E[:, [2]]
    angles = [P.angle(z, x, y), P.angle(x, y, z), P.angle(y, z, x)]
    assert np.allclose(angles, [np.pi / 2, 0.808236, 0.808236], atol=1e-6)
    assert sum(angles) - np.pi == pytest.approx(0.045676, abs=1e-6)


# ----------------------------------------------------------------------------- projections


@pytest.mark.parametrize("space", SPACES, ids=IDS)
def test_projection_residual_is_orthogonal_and_the_projection_is_closest(xyz, space):
    X, Y, _ = xyz
    Z = np.hstack([X, Y]) + 0.3 * np.random.default_rng(4).standard_normal((30, 15))  # off the geodesic, between
    res = P.project(Z, X, Y, space=space)
    assert 0.05 < res.t < 0.95
    assert np.allclose(res.point, P.geodesic(X, Y, res.t, space=space))
    u, v = P.log(res.point, Z, space=space), P.log(res.point, Y, space=space)
    assert abs(inner(u, v)) <= 1e-8 * np.linalg.norm(u) * np.linalg.norm(v)
    assert P.angle(Z, res.point, Y, space=space) == pytest.approx(np.pi / 2, abs=1e-8)
    assert P.angle(Z, res.point, X, space=space) == pytest.approx(np.pi / 2, abs=1e-8)
    grid = [P.distance(Z, P.geodesic(X, Y, t, space=space), space=space) for t in np.linspace(0, 1, 41)]
    assert res.distance <= min(grid) + 1e-12 * max(grid)
    assert res.distance == pytest.approx(P.distance(Z, res.point, space=space), rel=1e-12)


@pytest.mark.parametrize("space", SPACES, ids=IDS)
def test_projection_of_a_geodesic_point_recovers_its_parameter(xyz, space):
    X, Y, _ = xyz
    res = P.project(P.geodesic(X, Y, 0.35, space=space), X, Y, space=space)
    assert res.t == pytest.approx(0.35, abs=1e-8)
    assert res.distance <= 1e-7 * P.distance(X, Y, space=space)
    assert P.project(X, X, Y, space=space).t == pytest.approx(0.0, abs=1e-12)
    assert P.project(Y, X, Y, space=space).t == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("space", ["angular", "bures", "airm"])
def test_projection_stays_on_the_segment(space):
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((12, 15)), rng.standard_normal((12, 15))
    beyond = P.geodesic(X, Y, 1.5, space=space)
    assert P.project(beyond, X, Y, space=space).t == 1.0
    before = P.geodesic(X, Y, -0.5, space=space)
    assert P.project(before, X, Y, space=space).t == 0.0


# ----------------------------------------------------------------------------- reference outputs


@pytest.fixture(scope="module")
def repsim_ref():
    return np.load(DATA / "paths_repsim.npz")


@pytest.mark.parametrize("name", ["cka", "airm", "angular", "bures"])
def test_matches_repsim(repsim_ref, name):
    """repsim (wrongu/repsim ecd0a54), torch float64; script tests/data/make_paths_repsim.py."""
    ref = repsim_ref
    layers = [ref[f"layer{k}"] for k in range(5)]
    space = P.AIRMSpace(ridge=0.5) if name == "airm" else name
    s = P.summarize(layers, space=space)
    assert np.allclose(s.steps, ref[f"{name}_steps"], rtol=1e-9)
    assert np.allclose(s.angles, ref[f"{name}_angles"], rtol=1e-9)
    assert s.endpoint_distance == pytest.approx(float(ref[f"{name}_end"]), rel=1e-9)
    mid = P.geodesic(layers[0], layers[-1], 0.5, space=space)
    G = mid @ mid.T + (0.5 * np.eye(len(mid)) if name == "airm" else 0.0)
    assert np.allclose(G, ref[f"{name}_mid_gram"], atol=1e-9 * np.abs(G).max())
    assert s.projection_t[2] == pytest.approx(float(ref[f"{name}_proj_t"]), abs=1e-9)
    assert s.distance_from_geodesic[2] == pytest.approx(float(ref[f"{name}_proj_distance"]), rel=1e-9)


def test_toy_tanh_network_matches_the_notes():
    # ../shared/methods/shape-metrics-and-paths.md A6: own numpy code cross-checked with repsim
    rng = np.random.default_rng(0)
    layers = [rng.standard_normal((50, 10))]
    for _ in range(4):
        layers.append(np.tanh(layers[-1] @ rng.standard_normal((10, 10)) / np.sqrt(10) * 2))
    s = P.summarize(layers, space="cka")
    assert np.allclose(s.steps, [0.732281, 0.725964, 0.604365, 0.529356], atol=1e-6)
    assert s.length == pytest.approx(2.591966, abs=1e-6)
    assert s.endpoint_distance == pytest.approx(1.170871, abs=1e-6)
    assert 1 / s.straightness == pytest.approx(2.2137, abs=1e-4)
    assert np.allclose(s.angles, [1.492451, 1.302852, 1.747854], atol=1e-6)
    assert s.projection_t[2] == pytest.approx(0.570726, abs=1e-6)
    assert s.distance_from_geodesic[2] == pytest.approx(0.718484, abs=1e-6)


def test_airm_matches_pyriemann(xyz):
    pytest.importorskip("pyriemann.geometry.distance", reason="pyriemann not installed")
    from pyriemann.geometry.distance import distance_riemann
    from pyriemann.geometry.geodesic import geodesic_riemann
    from pyriemann.geometry.tangentspace import exp_map_riemann, log_map_riemann

    X, Y, _ = xyz
    n = X.shape[0]
    space = P.AIRMSpace(RIDGE)
    H = np.eye(n) - 1.0 / n
    A, B = H @ X @ X.T @ H + RIDGE * np.eye(n), H @ Y @ Y.T @ H + RIDGE * np.eye(n)
    assert P.distance(X, Y, space=space) == pytest.approx(distance_riemann(A, B), rel=1e-10)
    W = P.log(X, Y, space=space)  # whitened, as log_map_riemann(C12=False)
    assert np.allclose(W, log_map_riemann(B, A, C12=False), atol=1e-10)
    F = P.exp(X, 0.3 * W, space=space)
    assert np.allclose(F @ F.T + RIDGE * np.eye(n), exp_map_riemann(0.3 * W, A, Cm12=False), atol=1e-9)
    F = P.geodesic(X, Y, 0.7, space=space)
    assert np.allclose(F @ F.T + RIDGE * np.eye(n), geodesic_riemann(A, B, 0.7), atol=1e-9)


# ----------------------------------------------------------------------------- summaries


@pytest.mark.parametrize("space", SPACES, ids=IDS)
def test_summary_of_points_on_one_geodesic(xyz, space):
    X, Y, _ = xyz
    ts = [0.0, 0.2, 0.55, 1.0]
    layers = {f"l{k}": P.geodesic(X, Y, t, space=space) for k, t in enumerate(ts)}
    s = P.summarize(layers, space=space)
    d = P.distance(X, Y, space=space)
    assert s.labels == ("l0", "l1", "l2", "l3")
    assert s.straightness == pytest.approx(1.0, abs=1e-10)
    assert np.allclose(s.steps, np.diff(ts) * d, rtol=1e-9)
    assert np.allclose(s.angles, np.pi, atol=1e-8) and np.allclose(s.turning_angles, 0.0, atol=1e-8)
    assert np.allclose(s.projection_t, ts, atol=1e-8)
    assert np.allclose(s.distance_from_geodesic, 0.0, atol=1e-7 * d)
    assert np.allclose(s.distance_to_target, (1 - np.array(ts)) * d, rtol=1e-9, atol=1e-12 * d)


def test_summary_with_a_target_and_a_repeated_layer(xyz):
    X, Y, Z = xyz
    target = np.eye(10)[np.arange(30) % 10]  # one-hot labels
    with pytest.warns(rg.RepresentationWarning, match="coincides"):
        s = P.summarize([X, Y, Y, Z], space="cka", target=target)
    assert np.isnan(s.angles).all()  # every interior layer touches the zero-length step
    assert s.steps[1] == pytest.approx(0.0, abs=1e-7)
    assert np.allclose(s.distance_to_target, [P.distance(R, target, space="cka") for R in (X, Y, Y, Z)])
    assert s.length == pytest.approx(P.length([X, Y, Y, Z], space="cka"))


# ----------------------------------------------------------------------------- bad input


def test_cka_extrapolation_leaves_the_cone(xyz):
    X, Y, _ = xyz
    for t in (-0.5, 1.5):
        with pytest.raises(ValueError, match="not positive semi-definite"):
            P.geodesic(X, Y, t, space="cka")


def test_airm_extrapolation_below_the_ridge_raises(xyz):
    X, Y, _ = xyz
    with pytest.raises(ValueError, match="ridge"):
        P.geodesic(X, Y, -0.5, space=P.AIRMSpace(RIDGE))
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((8, 10)), rng.standard_normal((8, 12))
    d = P.distance(A, B, space="airm")  # ridge 0: geodesically complete, any t
    assert P.distance(A, P.geodesic(A, B, 2.5, space="airm"), space="airm") == pytest.approx(2.5 * d, rel=1e-9)


@pytest.mark.parametrize("t", [np.nan, np.inf, "0.5", None])
def test_non_finite_or_non_numeric_t_raises(xyz, t):
    X, Y, _ = xyz
    with pytest.raises(ValueError, match="t must be a finite real number"):
        P.geodesic(X, Y, t)


def test_singular_gram_for_airm_names_the_ridge(xyz):
    X, Y, _ = xyz
    with pytest.raises(ValueError, match=r"singular \(rank 6 of 29.*ridge"):
        P.distance(X, Y, space="airm")
    with pytest.raises(ValueError, match="negligible at this data scale"):
        P.distance(X * 1e9, Y, space=P.AIRMSpace(ridge=1e-9))
    with pytest.raises(ValueError, match="ridge must be in"):
        P.AIRMSpace(ridge=-1.0)


@pytest.mark.parametrize("space", SPACES, ids=IDS)
def test_mismatched_samples_raise(xyz, space):
    X, Y, Z = xyz
    short = Y[:20]
    match = "rows must be matched samples"
    calls = [
        lambda: P.distance(X, short, space=space),
        lambda: P.geodesic(X, short, 0.5, space=space),
        lambda: P.log(X, short, space=space),
        lambda: P.angle(X, short, Z, space=space),
        lambda: P.project(short, X, Y, space=space),
        lambda: P.length([X, Y, short], space=space),
        lambda: P.summarize([X, Y], space=space, target=short),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=match):
            call()


@pytest.mark.parametrize("space", SPACES, ids=IDS)
def test_degenerate_representations_raise(xyz, space):
    X, _, _ = xyz
    with pytest.raises(ValueError, match="constant"):
        P.distance(X, np.ones((30, 4)), space=space)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        P.distance(X, bad, space=space)
    with pytest.raises(ValueError, match="at least 3 samples"):
        P.distance(X[:2], X[:2], space=space)
    with pytest.raises(ValueError, match="same point"):
        P.angle(X, X[:, ::-1] + 1.0, 2 * X, space=space)  # a permuted, translated copy is the same point


def test_bad_spaces_tangents_and_containers(xyz):
    X, Y, _ = xyz
    with pytest.raises(ValueError, match="space must be one of"):
        P.distance(X, Y, space="euclid")
    with pytest.raises(TypeError, match="space must be a name"):
        P.distance(X, Y, space=rg.LinearCKA())
    with pytest.raises(ValueError, match=r"symmetric \(30, 30\)"):
        P.exp(X, np.zeros((30, 5)), space="cka")
    with pytest.raises(ValueError, match="must be symmetric"):
        P.exp(X, np.triu(np.ones((30, 30))), space=P.AIRMSpace(RIDGE))
    with pytest.raises(ValueError, match="one row per sample"):
        P.exp(X, np.zeros((20, 6)))
    with pytest.raises(ValueError, match="at least 2 representations"):
        P.length([X])
    with pytest.raises(TypeError, match="sequence or dict"):
        P.length(X)


def test_cka_exp_of_a_long_step_leaves_the_cone(xyz):
    X, Y, _ = xyz
    with pytest.raises(ValueError, match="exp_X"):
        P.exp(X, 3.0 * P.log(X, Y, space="cka"), space="cka")


# ----------------------------------------------------------------------------- spaces as objects


@pytest.mark.parametrize("space", [P.AngularSpace(), P.CKASpace(), P.BuresSpace(), P.AIRMSpace(0.1)])
def test_spaces_are_frozen_picklable_and_rebuilt_by_repr(space):
    assert pickle.loads(pickle.dumps(space)) == space
    assert eval(repr(space), vars(P)) == space
    assert hash(space) == hash(pickle.loads(pickle.dumps(space)))
    assert P.get_space(space.name if not isinstance(space, P.AIRMSpace) else space) == space


def test_gram_airm_measure_through_the_pairwise_engine(xyz):
    X, Y, Z = xyz
    m = P.GramAIRM(RIDGE)
    D = rg.pairwise([X, Y, Z], m)
    assert D[0, 1] == pytest.approx(m(X, Y)) and D[1, 2] == pytest.approx(m(Y, Z))
    assert D[0, 2] <= D[0, 1] + D[1, 2]
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 6)))[0]
    assert m(X @ Q + 3.0, Y) == pytest.approx(m(X, Y), rel=1e-10)


def test_gram_airm_keeps_the_measure_contract():
    # an absolute ridge makes the value depend on the data's scale (not homogeneous): by design
    rg.testing.check_measure(P.GramAIRM(RIDGE), skip=["extreme_scales"])

    def wide(measure, rng, like=None):  # ridge 0 needs rank n - 1: more features than samples
        return rng.standard_normal((12 if like is None else like.shape[0], int(rng.integers(14, 20))))

    # near_duplicates draws its own (n > p) data, singular without a ridge
    rg.testing.check_measure(P.GramAIRM(0.0), draw=wide, skip=["near_duplicates"])


# ----------------------------------------------------------------------------- fuzzing


def _data(seed: int, n: int, p: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "low_rank":
        return rng.standard_normal((n, 1)) @ rng.standard_normal((1, p)) + rng.standard_normal(p)
    if kind == "repeated_columns":
        X = rng.standard_normal((n, max(p // 2, 1)))
        return np.hstack([X, X])
    return rng.standard_normal((n, p))


_FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(4, 12),
    p=st.integers(1, 7),
    q=st.integers(1, 7),
    exponent=st.integers(-300, 300),
    kind=st.sampled_from(["full", "low_rank", "repeated_columns"]),
    space=st.sampled_from(["angular", "cka", "bures"]),
)
def test_fuzz_scales_and_ranks(seed, n, p, q, exponent, kind, space):
    X, Y = _data(seed, n, p, kind), _data(seed + 1, n, q, "full")
    s = 10.0**exponent
    d = P.distance(X, Y, space=space)
    d_scaled = P.distance(s * X, s * Y, space=space)
    expected = d * s if space == "bures" else d
    assert d_scaled == pytest.approx(expected, rel=1e-9, abs=1e-12 * (s if space == "bures" else 1.0))
    M = P.geodesic(s * X, s * Y, 0.5, space=space)
    assert np.isfinite(M).all()
    if d > 1e-6:
        assert P.distance(s * X, M, space=space) == pytest.approx(expected / 2, rel=1e-8)


@_FUZZ
@given(
    seed=st.integers(0, 2**32 - 1),
    exponent=st.integers(-300, 300),
    kind=st.sampled_from(["full", "low_rank", "repeated_columns"]),
    space=st.sampled_from(["angular", "cka", "bures"]),
)
def test_fuzz_angles_and_projections_are_scale_free(seed, exponent, kind, space):
    A, B, C = _data(seed, 10, 4, kind), _data(seed + 1, 10, 5, "full"), _data(seed + 2, 10, 3, "full")
    s = 10.0**exponent
    assert P.angle(s * A, s * B, s * C, space=space) == pytest.approx(P.angle(A, B, C, space=space), abs=1e-9)
    res, res_s = P.project(C, A, B, space=space), P.project(s * C, s * A, s * B, space=space)
    assert res_s.t == pytest.approx(res.t, abs=1e-7)
    assert np.isfinite(res_s.point).all() and np.isfinite(res_s.distance)


@_FUZZ
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 9), exponent=st.integers(-300, 300))
def test_fuzz_airm_scales(seed, n, exponent):
    X, Y = _data(seed, n, n + 2, "full"), _data(seed + 1, n, n + 3, "full")
    s = 10.0**exponent
    try:
        d = P.distance(X, Y, space="airm")
    except ValueError as exc:  # an ill-conditioned draw: the error must say so
        assert "condition" in str(exc) or "singular" in str(exc)
        return
    assert P.distance(s * X, s * Y, space="airm") == pytest.approx(d, rel=1e-8)
    if abs(exponent) < 150:  # factors of points at scale s^2 are representable
        M = P.geodesic(s * X, s * Y, 0.5, space="airm")
        assert P.distance(s * X, M, space="airm") == pytest.approx(d / 2, rel=1e-8)


@_FUZZ
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 10), space=st.sampled_from(["angular", "cka", "bures", P.AIRMSpace(1.0)]))
def test_fuzz_constant_representations_raise(seed, n, space):
    X = _data(seed, n, 3, "full")
    const = np.full((n, 2), float(seed % 7) - 3.0)
    with pytest.raises(ValueError, match="constant|HSIC"):
        P.distance(X, const, space=space)


def test_no_runtime_warnings_on_typical_calls(xyz):
    X, Y, Z = xyz
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for space in SPACES:
            P.summarize([X, Y, Z], space=space)
