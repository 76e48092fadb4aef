"""SPD distances: axioms of the spectral ratio, closed forms, and independent per-point implementations."""

import numpy as np
import pytest
import scipy.linalg

from repgeo import riemann as rr


def random_spd(rng, n, m, spread=1.0):
    A = rng.standard_normal((n, m, m))
    Q = np.linalg.qr(A)[0]
    w = np.exp(spread * rng.standard_normal((n, m)))
    return np.einsum("pij,pj,pkj->pik", Q, w, Q)


@pytest.fixture
def rng():
    return np.random.default_rng(12)


def test_spectral_ratio_axioms(rng):
    n, m = 500, 3
    A, B, C = (random_spd(rng, n, m) for _ in range(3))
    d_ab = rr.spectral_ratio(A, B)
    assert np.all((d_ab >= 0) & (d_ab < 1))
    np.testing.assert_allclose(d_ab, rr.spectral_ratio(B, A), atol=1e-13)
    np.testing.assert_allclose(rr.spectral_ratio(A, A), 0, atol=1e-13)
    c = np.exp(rng.standard_normal(n))[:, None, None]
    np.testing.assert_allclose(rr.spectral_ratio(A, c * A), 0, atol=1e-13)
    np.testing.assert_allclose(rr.spectral_ratio(A, c * B), d_ab, atol=1e-12)
    S = rng.standard_normal((n, m, m))  # congruence (change of chart), invertible a.s.
    cong = lambda G: np.einsum("pji,pjk,pkl->pil", S, G, S)  # noqa: E731
    np.testing.assert_allclose(rr.spectral_ratio(cong(A), cong(B)), d_ab, atol=1e-9)
    np.testing.assert_allclose(rr.spectral_ratio(np.linalg.inv(A), np.linalg.inv(B)), d_ab, atol=1e-12)
    # triangle inequality on random triples
    assert np.all(rr.spectral_ratio(A, C) <= d_ab + rr.spectral_ratio(B, C) + 1e-12)


def test_spectral_ratio_is_transformed_hilbert_metric(rng):
    A, B = random_spd(rng, 200, 4), random_spd(rng, 200, 4)
    lam = np.array([scipy.linalg.eigh(a, b, eigvals_only=True) for a, b in zip(A, B)])
    h = np.log(lam[:, -1] / lam[:, 0])
    np.testing.assert_allclose(rr.spectral_ratio(A, B), 1 - np.exp(-h / 2), atol=1e-13)


@pytest.mark.parametrize("m", [1, 2, 5, 16])
def test_batched_matches_per_point_scipy(rng, m):
    A, B = random_spd(rng, 60, m), random_spd(rng, 60, m)
    lam = np.array([scipy.linalg.eigh(a, b, eigvals_only=True) for a, b in zip(A, B)])
    np.testing.assert_allclose(rr.generalized_eigvalsh(A, B), lam, rtol=1e-10)
    np.testing.assert_allclose(rr.spectral_ratio(A, B), 1 - np.sqrt(lam[:, 0] / lam[:, -1]), atol=1e-12)
    np.testing.assert_allclose(rr.airm(A, B), np.linalg.norm(np.log(lam), axis=1), rtol=1e-10)
    np.testing.assert_allclose(rr.thompson(A, B), np.abs(np.log(lam)).max(axis=1), rtol=1e-10)
    k = 5  # scipy.linalg.logm is slow (tens of ms per call)
    le = [np.linalg.norm(scipy.linalg.logm(a) - scipy.linalg.logm(b)) for a, b in zip(A[:k], B[:k])]
    np.testing.assert_allclose(rr.log_euclidean(A[:k], B[:k]), le, rtol=1e-8)
    bw = []
    for a, b in zip(A, B):
        ra = scipy.linalg.sqrtm(a).real
        bw.append(np.sqrt(max(np.trace(a) + np.trace(b) - 2 * np.trace(scipy.linalg.sqrtm(ra @ b @ ra).real), 0)))
    np.testing.assert_allclose(rr.bures(A, B), bw, rtol=1e-7, atol=1e-7)


def test_scale_closed_forms():
    G = np.diag([2.0, 0.5])
    c = 3.0  # f -> c f multiplies G by c^2
    assert rr.spectral_ratio(G, c**2 * G) == pytest.approx(0, abs=1e-15)
    assert rr.airm(c**2 * G, G) == pytest.approx(np.sqrt(2) * np.log(c**2), rel=1e-12)  # 3.107345
    assert rr.thompson(c**2 * G, G) == pytest.approx(np.log(c**2), rel=1e-12)
    assert rr.log_euclidean(c**2 * G, G) == pytest.approx(np.sqrt(2) * np.log(c**2), rel=1e-12)
    # Bures between commuting matrices: ||G1^{1/2} - G2^{1/2}||_F
    assert rr.bures(c**2 * G, G) == pytest.approx((c - 1) * np.sqrt(2.5), rel=1e-12)


def test_bures_accepts_semidefinite():
    assert rr.bures(np.diag([1.0, 0.0]), np.diag([4.0, 0.0])) == pytest.approx(1.0)


def test_airm_split(rng):
    A, B = random_spd(rng, 50, 3), random_spd(rng, 50, 3)
    s = rr.airm_split(A, B)
    np.testing.assert_allclose(s.distance, rr.airm(A, B), rtol=1e-12)
    np.testing.assert_allclose(s.distance**2, 3 * (2 * s.log_scale) ** 2 + s.shape**2, rtol=1e-10)
    s2 = rr.airm_split(A, 5.0 * A)
    np.testing.assert_allclose(s2.shape, 0, atol=1e-12)
    np.testing.assert_allclose(s2.log_scale, -0.5 * np.log(5.0), rtol=1e-12)


def test_airm_split_single_matrices_give_floats():
    s = rr.airm_split(4 * np.eye(2), np.eye(2))  # before: shape-(1,) arrays
    assert all(isinstance(v, float) for v in (s.log_scale, s.shape, s.distance))
    assert s.distance == pytest.approx(rr.airm(4 * np.eye(2), np.eye(2)))


def test_spd_distance_dispatch_and_single_matrices():
    G1, G2 = np.diag([9.0, 1.0]), np.eye(2)
    for kind in rr.SPD_DISTANCES:
        value = rr.spd_distance(G1, G2, kind)
        assert isinstance(value, float)
        assert value == pytest.approx(float(getattr(rr, kind)(G1[None], G2[None])[0]))
    with pytest.raises(ValueError, match="kind must be one of"):
        rr.spd_distance(G1, G2, "riemann")


def test_bad_spd_input():
    with pytest.raises(ValueError, match="positive definite"):
        rr.spectral_ratio(np.diag([1.0, 0.0]), np.eye(2))
    with pytest.raises(ValueError, match="G2 must be positive definite"):
        rr.airm(np.eye(2), np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match="symmetric"):
        rr.airm(np.array([[1.0, 1.0], [0.0, 1.0]]), np.eye(2))
    with pytest.raises(ValueError, match="square"):
        rr.airm(np.ones((3, 2, 3)), np.ones((3, 2, 3)))
    with pytest.raises(ValueError, match="paired point by point"):
        rr.airm(np.ones((3, 2, 2)), np.ones((4, 2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        rr.airm(np.full((2, 2), np.nan), np.eye(2))


def test_airm_matches_pyriemann(rng):
    distance = pytest.importorskip("pyriemann.geometry.distance", reason="pyriemann not installed")
    A, B = random_spd(rng, 20, 4), random_spd(rng, 20, 4)
    ref = [distance.distance_riemann(a, b) for a, b in zip(A, B)]
    np.testing.assert_allclose(rr.airm(A, B), ref, rtol=1e-10)
    ref_le = [distance.distance_logeuclid(a, b) for a, b in zip(A, B)]
    np.testing.assert_allclose(rr.log_euclidean(A, B), ref_le, rtol=1e-10)
