"""MSA: closed forms from the method note (msa.md section 4), measure claims, bad input."""

import pickle

import numpy as np
import pytest
from scipy.integrate import quad

import repgeo as rg
from repgeo import RepresentationWarning

from charts import sphere


def grid(n1, n2, lo1, hi1, lo2, hi2):
    """Midpoint grid on a rectangle, flattened to (n1*n2, 2)."""
    a = lo1 + (np.arange(n1) + 0.5) * (hi1 - lo1) / n1
    b = lo2 + (np.arange(n2) + 0.5) * (hi2 - lo2) / n2
    return np.stack(np.meshgrid(a, b, indexing="ij"), -1).reshape(-1, 2)


def sheet(U):
    X = np.c_[U, np.zeros(len(U))]
    J = np.broadcast_to(np.array([[1.0, 0], [0, 1], [0, 0]]), (len(U), 3, 2))
    return X, J


def cylinder(U):
    u1, u2 = U.T
    X = np.c_[np.cos(u1), np.sin(u1), u2]
    z = np.zeros_like(u1)
    J = np.stack([np.c_[-np.sin(u1), z], np.c_[np.cos(u1), z], np.c_[z, z + 1]], axis=1)
    return X, J


def random_jacobians(rng, n=40, p=6, m=2):
    return rng.standard_normal((n, p, m))


# ----------------------------------------------------------------------------- closed forms


def test_sheet_vs_cylinder_isometric_but_extrinsically_different():
    U = grid(40, 20, 0, 1.5 * np.pi, 0, 1)
    X1, J1 = sheet(U)
    X2, J2 = cylinder(U)
    res = rg.MSA().evaluate(J1, J2)
    assert res.mean < 1e-12 and res.dropped_fraction == 0
    assert rg.MSA(spd="airm")(J1, J2) < 1e-12
    cka = rg.LinearCKA()(X1, X2)
    procrustes = rg.ShapeMetric()(X1, X2)
    assert cka < 0.9 and procrustes > 0.3  # measured 0.808 and 0.664


def test_orthogonal_embedding_and_scaling():
    rng = np.random.default_rng(0)
    U = grid(20, 20, 0.1, 3.0, 0, 2 * np.pi)
    _, J = sphere(U)
    Q = np.linalg.qr(rng.standard_normal((10, 10)))[0]
    J_embedded = np.einsum("ij,pjm->pim", Q, np.pad(J, ((0, 0), (0, 7), (0, 0))))
    assert rg.MSA()(J, J_embedded) < 1e-12
    assert rg.MSA(spd="airm")(J, J_embedded) < 1e-12
    assert rg.MSA()(J, 3 * J) < 1e-12
    assert rg.MSA(spd="airm")(J, 3 * J) == pytest.approx(np.sqrt(2) * np.log(9), rel=1e-12)  # 3.1073


def test_linear_stretch():
    rng = np.random.default_rng(1)
    W = np.linalg.qr(rng.standard_normal((7, 2)))[0]
    J1 = np.broadcast_to(W, (30, 7, 2))
    for a, b in [(2.0, 0.5), (1.0, 3.0), (0.2, 0.3)]:
        expected = 1 - min(a, b) / max(a, b)
        assert rg.MSA()(J1, J1 @ np.diag([a, b])) == pytest.approx(expected, abs=1e-12)


def test_sphere_chart_vs_flat_chart_uniform_and_volume_weights():
    U = grid(2000, 3, 0, np.pi, 0, 2 * np.pi)
    _, J_sph = sphere(U)
    _, J_flat = sheet(U)
    res = rg.MSA().evaluate(J_sph, J_flat)
    np.testing.assert_allclose(res.per_point, 1 - np.sin(U[:, 0]), atol=1e-12)
    assert res.mean == pytest.approx(1 - 2 / np.pi, abs=1e-6)  # 0.363380
    vol = rg.MSA(weighting="volume_x").evaluate(J_sph, J_flat)
    assert vol.mean == pytest.approx(1 - np.pi / 4, abs=1e-6)  # 0.214602
    # one-sided volume weights break symmetry: the flat chart has constant volume
    assert rg.MSA(weighting="volume_x")(J_flat, J_sph) == pytest.approx(1 - 2 / np.pi, abs=1e-6)
    # the same weights given explicitly reproduce the volume-weighted value
    given = rg.MSA().evaluate(J_sph, J_flat, weights=np.sin(U[:, 0]))
    assert given.mean == pytest.approx(vol.mean, abs=1e-12) and given.weighting == "given"


def test_stereographic_sphere_is_conformal_to_the_plane():
    U = grid(30, 30, -2, 2, -2, 2)
    x, y = U.T
    D = 1 + x**2 + y**2
    dfx = np.c_[2 * (D - 2 * x**2), -4 * x * y, 4 * x] / D[:, None] ** 2
    dfy = np.c_[-4 * x * y, 2 * (D - 2 * y**2), 4 * y] / D[:, None] ** 2
    J_st = np.stack([dfx, dfy], axis=-1)
    _, J_plane = sheet(U)
    G = rg.riemann.pullback_metric(J_st)
    np.testing.assert_allclose(G, (4 / D**2)[:, None, None] * np.eye(2), atol=1e-13)
    res = rg.MSA().evaluate(J_st, J_plane)
    assert res.mean < 1e-12
    assert rg.MSA(spd="airm")(J_st, J_plane) > 1.0
    # the conformal factor the spectral ratio ignores is reported: log(2 / D)
    np.testing.assert_allclose(res.log_scale, np.log(2 / D), atol=1e-12)


def test_tiny_fast_ripple_cka_blind_msa_not():
    eps, k = 0.02, 50.0
    U = grid(2000, 5, 0, 2 * np.pi, 0, 1)
    X1, J1 = sheet(U)
    u1 = U[:, 0]
    X2 = np.c_[U, eps * np.sin(k * u1)]
    J2 = np.array(J1)
    J2[:, 2, 0] = eps * k * np.cos(k * u1)
    res = rg.MSA().evaluate(J1, J2)
    np.testing.assert_allclose(res.per_point, 1 - (1 + (eps * k * np.cos(k * u1)) ** 2) ** -0.5, atol=1e-13)
    exact = quad(lambda t: 1 - (1 + np.cos(t) ** 2) ** -0.5, 0, 2 * np.pi)[0] / (2 * np.pi)
    assert res.mean == pytest.approx(exact, abs=1e-4)  # 0.1654
    assert rg.LinearCKA()(X1, X2) > 0.999


def test_one_dimensional_manifold():
    rng = np.random.default_rng(2)
    J1, J2 = rng.standard_normal((20, 5, 1)), rng.standard_normal((20, 4, 1))
    with pytest.warns(RepresentationWarning, match="identically 0"):
        assert rg.MSA()(J1, J2) == 0.0
    g1, g2 = (J1**2).sum(axis=(1, 2)), (J2**2).sum(axis=(1, 2))
    assert rg.MSA(spd="airm")(J1, J2) == pytest.approx(np.mean(np.abs(np.log(g1 / g2))), rel=1e-12)


def tanh_rnn_jacobians(W, B, U, n_steps):
    """States of h_{t+1} = tanh(W h_t) after the pulse h_1 = tanh(B u), and dh_t/du (forward mode)."""
    h = np.tanh(U @ B.T)
    J = (1 - h**2)[:, :, None] * B[None]
    out = [J]
    for _ in range(n_steps - 1):
        h = np.tanh(h @ W.T)
        J = (1 - h**2)[:, :, None] * np.einsum("ij,pjm->pim", W, J)
        out.append(J)
    return np.stack(out, axis=1)  # (n_points, n_steps, n_units, m)


def test_rnn_vs_signed_permuted_rnn():
    rng = np.random.default_rng(3)
    n, steps = 32, 8
    W = 1.2 * rng.standard_normal((n, n)) / np.sqrt(n)
    B = rng.standard_normal((n, 2))
    P = np.eye(n)[rng.permutation(n)] * rng.choice([-1.0, 1.0], size=n)[:, None]
    U = grid(10, 10, -1, 1, -1, 1)
    J1 = tanh_rnn_jacobians(W, B, U, steps).reshape(-1, n, 2)
    J2 = tanh_rnn_jacobians(P @ W @ P.T, P @ B, U, steps).reshape(-1, n, 2)
    assert rg.MSA()(J1, J2) < 1e-12
    W3 = 1.2 * rng.standard_normal((n, n)) / np.sqrt(n)
    assert rg.MSA()(J1, tanh_rnn_jacobians(W3, B, U, steps).reshape(-1, n, 2)) > 0.05


# ----------------------------------------------------------------------------- claims


@pytest.mark.parametrize("name", ["msa", "msa_airm", "msa_log_euclidean", "msa_bures", "msa_thompson", "msa_volume"])
def test_registered_claims(name):
    rng = np.random.default_rng(4)
    m = rg.get_measure(name)
    info = m.info
    A, B, C = (random_jacobians(rng, p=p) for p in (6, 5, 8))
    assert m(A, A) == pytest.approx(info.identity_value, abs=1e-10)
    ab = m(A, B)
    assert info.bounds[0] <= ab <= info.bounds[1]
    assert (abs(ab - m(B, A)) < 1e-10) == info.symmetric
    if info.metric:
        assert m(A, C) <= ab + m(B, C) + 1e-10
    Q = np.linalg.qr(rng.standard_normal((5, 5)))[0]
    transforms = {
        "orthogonal": np.einsum("ij,pjm->pim", Q, B),
        "permutation": B[:, rng.permutation(5)],
        "isotropic_scaling": 2.5 * B,
    }
    assert "translation" not in info.invariances
    assert abs(m(A, B + 3.0) - ab) > 1e-6  # a constant added to J is not an offset of f
    for inv, B2 in transforms.items():
        if inv in info.invariances:
            assert m(A, B2) == pytest.approx(ab, abs=1e-10), inv
    if "isotropic_scaling" not in info.invariances:
        assert abs(m(A, 2.5 * B) - ab) > 1e-6
    assert m(A, B) == m.compare(m.prepare(A), m.prepare(B))
    assert pickle.loads(pickle.dumps(m)) == m
    D = rg.pairwise([A, B, C], m)
    assert D[0, 1] == pytest.approx(ab) and D[1, 2] == pytest.approx(m(B, C)) and D[2, 0] == pytest.approx(m(C, A))


def test_metric_field_input_matches_jacobians():
    rng = np.random.default_rng(5)
    A, B = random_jacobians(rng), random_jacobians(rng, p=3)
    GA, GB = rg.riemann.pullback_metric(A), rg.riemann.pullback_metric(B)
    for spd in rg.riemann.SPD_DISTANCES:
        assert rg.MSA(spd=spd, field="metric")(GA, GB) == pytest.approx(rg.MSA(spd=spd)(A, B), rel=1e-12)
        direct = np.mean(rg.riemann.spd_distance(GA, GB, spd))
        assert rg.MSA(spd=spd)(A, B) == pytest.approx(direct, rel=1e-10)


def test_fisher_metric_fields():
    # a softmax read-out of a 2-D input: scaling the logits changes the Fisher metric's shape
    rng = np.random.default_rng(9)
    U = rng.uniform(-1, 1, (50, 2))
    A = rng.standard_normal((4, 2))
    z, J = U @ A.T, np.broadcast_to(A, (50, 4, 2))
    g1 = rg.riemann.fisher_softmax(z, J)
    g2 = rg.riemann.fisher_softmax(3 * z, 3 * J)
    assert rg.MSA(field="metric")(g1, g1) < 1e-12
    assert rg.MSA(field="metric")(g1, g2) > 0.01
    # a Gaussian read-out with constant noise: only the scale changes, which d_SR ignores
    assert rg.MSA(field="metric")(rg.riemann.fisher_gaussian(J, 0.5), rg.riemann.fisher_gaussian(J, 2.0)) < 1e-12
    assert rg.MSA(field="metric", spd="airm")(rg.riemann.fisher_gaussian(J, 0.5), rg.riemann.fisher_gaussian(J, 2.0)) == pytest.approx(
        np.sqrt(2) * np.log(16), rel=1e-10
    )


def test_result_fields():
    rng = np.random.default_rng(6)
    A, B = random_jacobians(rng), random_jacobians(rng)
    res = rg.MSA().evaluate(A, B)
    d = rg.riemann.spectral_ratio(rg.riemann.pullback_metric(A), rg.riemann.pullback_metric(B))
    np.testing.assert_allclose(res.per_point, d, atol=1e-13)
    assert res.mean == pytest.approx(d.mean()) and res.std == pytest.approx(d.std())
    assert res.weights.sum() == pytest.approx(1.0) and res.spd == "spectral_ratio"
    assert res.mean == rg.MSA()(A, B)


# ----------------------------------------------------------------------------- bad input


def test_bad_input():
    rng = np.random.default_rng(7)
    A = random_jacobians(rng)
    with pytest.raises(ValueError, match="X has 40 points but Y has 30; Jacobians must be evaluated"):
        rg.MSA()(A, A[:30])
    with pytest.raises(ValueError, match="chart dimension m=2 but Y has m=3"):
        rg.MSA()(A, random_jacobians(rng, m=3))
    bad = A.copy()
    bad[3, 1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        rg.MSA()(A, bad)
    with pytest.raises(ValueError, match="got a 2-D array"):
        rg.MSA()(A[:, :, 0], A[:, :, 1])
    with pytest.raises(ValueError, match="spd must be one of"):
        rg.MSA(spd="riemann")
    with pytest.raises(ValueError, match="weighting must be one of"):
        rg.MSA(weighting="volume")
    with pytest.raises(ValueError, match="weights must be 40 non-negative"):
        rg.MSA().evaluate(A, A, weights=-np.ones(40))


def test_rank_deficient_points_are_dropped_and_reported():
    rng = np.random.default_rng(8)
    A, B = random_jacobians(rng), random_jacobians(rng)
    A[:10, :, 1] = 2 * A[:10, :, 0]  # rank 1: singular metric at 10 of 40 points
    res = rg.MSA().evaluate(A, B)
    assert res.dropped_fraction == pytest.approx(0.25)
    assert np.isnan(res.per_point[:10]).all() and np.all(res.weights[:10] == 0)
    assert res.mean == pytest.approx(np.mean(res.per_point[10:]))
    # a ridge regularises instead of dropping
    assert rg.MSA(ridge=1e-3).evaluate(A, B).dropped_fraction == 0
    # nothing left
    with pytest.raises(ValueError, match="nothing is left to compare"):
        rg.MSA()(np.zeros((5, 3, 2)), np.ones((5, 3, 2)))
    # ill-conditioned (not singular) points follow max_condition: condition in (1e8, 1e10)
    C = B.copy()
    C[:4, :, 1] = C[:4, :, 0] + 1e-4 * C[:4, :, 1]
    cond = np.linalg.cond(rg.riemann.pullback_metric(C[:4]))
    assert (cond > 1e8).all() and (cond < 1e10).all()
    assert rg.MSA().evaluate(B, C).dropped_fraction == 0
    assert np.isfinite(rg.MSA()(B, C))
    assert rg.MSA(max_condition=1e8).evaluate(B, C).dropped_fraction == pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"4 of 40 points \(10.0%\) must be dropped"):
        rg.MSA(max_condition=1e8)(B, C)
