"""MSA and the SPD distances near the conditioning limit, at extreme scales, and with dropped points."""

import warnings

import numpy as np
import pytest

import repgeo as rg
from repgeo import riemann as rr
from repgeo import RepresentationWarning


def jacobians_with_singular_values(rng, n, p, s):
    """``n`` random ``p x m`` Jacobians with singular values ``s`` (random orientations)."""
    out = []
    for _ in range(n):
        U = np.linalg.qr(rng.standard_normal((p, len(s))))[0]
        V = np.linalg.qr(rng.standard_normal((len(s), len(s))))[0]
        out.append(U @ np.diag(s) @ V.T)
    return np.stack(out)


def exact_airm(J1, J2):
    """AIRM of the pullback metrics in 60-digit arithmetic (mpmath)."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 60
    out = []
    for a, b in zip(J1, J2):
        A, B = mp.matrix(a.tolist()), mp.matrix(b.tolist())
        lam, _ = mp.eig(mp.inverse(B.T * B) * (A.T * A))
        out.append(float(mp.sqrt(sum(mp.log(mp.re(x)) ** 2 for x in lam))))
    return np.array(out)


@pytest.mark.parametrize("m", [2, 3])
def test_pairs_of_ill_conditioned_but_kept_metrics_are_accurate(m):
    # each metric has condition 1.1e9 < max_condition; the pair's pencil has condition ~1e18.
    # Before: AIRM mean 387.4 against an exact 27.49 (lambda_min clipped to the smallest float).
    rng = np.random.default_rng(1)
    s = np.geomspace(1, 3e-5, m)
    J1 = jacobians_with_singular_values(rng, 60, 5, s)
    J2 = jacobians_with_singular_values(rng, 60, 5, s)
    exact = exact_airm(J1, J2)
    res = rg.MSA(spd="airm").evaluate(J1, J2)
    assert res.dropped_fraction == 0
    np.testing.assert_allclose(res.per_point, exact, rtol=1e-8)
    assert rg.MSA(spd="airm")(J1, J2) == pytest.approx(exact.mean(), rel=1e-9)
    # log_scale = (log det G1 - log det G2) / (2m) = 0: equal singular values
    assert np.abs(res.log_scale).max() < 1e-10
    # the metric-field path (Cholesky-whitened) agrees with the Jacobian path
    G1, G2 = rr.pullback_metric(J1), rr.pullback_metric(J2)
    assert rg.MSA(spd="airm", field="metric")(G1, G2) == pytest.approx(exact.mean(), rel=1e-5)


def test_standalone_distances_on_ill_conditioned_positive_definite_matrices():
    # before: "G1 must be positive definite" for two PD matrices of condition 1e9
    rot = lambda t: np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])  # noqa: E731
    R1, R2 = rot(0.3), rot(0.3 + np.pi / 2 + 1e-3)
    G1, G2 = R1 @ np.diag([1.0, 1e-9]) @ R1.T, R2 @ np.diag([1.0, 1e-9]) @ R2.T
    assert rr.airm(G1, G2) == pytest.approx(29.3071221926612, rel=1e-8)  # mpmath, 60 digits
    assert rr.spectral_ratio(G1, G2) == pytest.approx(0.999999998999999, rel=1e-12)
    lam = rr.generalized_eigvalsh(G1, G2)
    np.testing.assert_allclose(lam, [1.000000992508383e-09, 999998997.6025594], rtol=1e-6)


def test_singular_matrix_error_names_the_point():
    G = np.stack([np.eye(2), np.diag([1.0, 0.0])])
    with pytest.raises(ValueError, match="G1 must be positive definite; at point 1 it is singular"):
        rr.airm(G, np.stack([np.eye(2)] * 2))
    with pytest.raises(ValueError, match="too ill-conditioned at point 0"):
        rr.airm(np.diag([1.0, 1e-15]), np.array([[1.0, 0.0], [0.0, 1e-15]])[::-1, ::-1])


@pytest.mark.parametrize("spd", rr.SPD_DISTANCES)
@pytest.mark.parametrize("c", [1e-160, 1e160])
def test_extreme_scales(spd, c):
    # before: MSA()(J * 1e-160, K) returned 0.0 (subnormal metrics) against 0.676, and
    # J * 1e160 dropped every point with overflow warnings
    rng = np.random.default_rng(0)
    J, K = rng.standard_normal((30, 5, 2)), rng.standard_normal((30, 4, 2))
    m = rg.MSA(spd=spd)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        base = m(J, K)
        assert base > 0.1
        if spd == "bures":  # homogeneous of degree 1/2 in G = c^2 J^T J
            assert m(c * J, c * K) == pytest.approx(c * base, rel=1e-12, abs=0)
        else:
            assert m(c * J, c * K) == pytest.approx(base, rel=1e-12, abs=0)
        if spd in ("spectral_ratio",):
            assert m(c * J, K) == pytest.approx(base, rel=1e-12, abs=0)
        elif spd == "airm":  # every log-eigenvalue moves by log(c^2): closed form per point
            res = m.evaluate(c * J, K)
            expected = rr.airm_split(rr.pullback_metric(J), rr.pullback_metric(K))
            np.testing.assert_allclose(res.log_scale, expected.log_scale + np.log(c), rtol=1e-12)
        G, H = rr.pullback_metric(J), rr.pullback_metric(K)
        assert rr.spd_distance(c * G, c * H, spd) == pytest.approx(
            rr.spd_distance(G, H, spd) * (np.sqrt(c) if spd == "bures" else 1.0), rel=1e-10, abs=0
        )


# ----------------------------------------------------------------------------- dropped points and the metric claim


def reviewer_triple():
    """X, Y, Z whose masks differ by pair: Y's second metric is singular to max_condition."""
    I = np.eye(2)
    return np.stack([I, I]), np.stack([I, np.diag([1.0, 1e-12])]), np.stack([I, np.diag([4.0, 1.0])])


def test_pair_dependent_mask_raises_by_default():
    X, Y, Z = reviewer_triple()
    m = rg.MSA(field="metric")
    assert m.info.metric
    assert m(X, Z) == pytest.approx(0.25)
    for A, B in [(X, Y), (Y, Z)]:
        with pytest.raises(ValueError, match=r"1 of 2 points \(50.0%\) must be dropped.*ridge > 0.*on_ill_conditioned='drop'"):
            m(A, B)
    with pytest.raises(ValueError, match="must be dropped"):
        rg.pairwise([X, Y, Z], m)
    # evaluate reports instead of raising
    assert m.evaluate(X, Y).dropped_fraction == 0.5
    # a ridge regularises: nothing dropped, and the triangle inequality holds
    r = rg.MSA(field="metric", ridge=1e-6)
    assert r(X, Z) <= r(X, Y) + r(Y, Z)


def test_drop_mode_warns_and_does_not_claim_a_metric():
    X, Y, Z = reviewer_triple()
    m = rg.MSA(field="metric", on_ill_conditioned="drop")
    assert not m.info.metric and m.info.symmetric
    with pytest.warns(RepresentationWarning, match=r"1 of 2 points \(50.0%\) must be dropped"):
        dxy = m(X, Y)
    with pytest.warns(RepresentationWarning):
        dyz = m(Y, Z)
    # why the claim must be dropped: the reviewer's counterexample to the triangle inequality
    assert (dxy, dyz, m(X, Z)) == (0.0, 0.0, pytest.approx(0.25))
    with pytest.raises(ValueError, match="on_ill_conditioned must be one of"):
        rg.MSA(on_ill_conditioned="ignore")


def test_triangle_inequality_near_the_conditioning_limit():
    # metrics of condition up to ~1e9 at every point (all kept), three unrelated fields
    rng = np.random.default_rng(5)
    for spd in ("spectral_ratio", "airm", "thompson", "log_euclidean", "bures"):
        m = rg.MSA(spd=spd)
        assert m.info.metric
        for _ in range(5):
            X, Y, Z = (
                jacobians_with_singular_values(rng, 20, 4, [1.0, 10 ** rng.uniform(-4.5, -1)]) for _ in range(3)
            )
            dxy, dyz, dxz = m(X, Y), m(Y, Z), m(X, Z)
            tol = 1e-9 * (dxy + dyz + dxz)
            assert dxz <= dxy + dyz + tol and dxy <= dxz + dyz + tol and dyz <= dxy + dxz + tol


# ----------------------------------------------------------------------------- invalid input named


def test_indefinite_metrics_raise_instead_of_being_dropped():
    rng = np.random.default_rng(3)
    G = rr.pullback_metric(rng.standard_normal((30, 5, 2)))
    H = G.copy()
    H[7] = np.diag([1.0, -5.0])  # before: silently dropped (dropped_fraction 1/30)
    with pytest.raises(ValueError, match="Y must be positive semi-definite; at point 7 the smallest eigenvalue is -5"):
        rg.MSA(field="metric").evaluate(G, H)
    with pytest.raises(ValueError, match="G1 must be positive semi-definite; at point 0"):
        rr.bures(np.diag([1.0, -5.0]), np.eye(2))  # before: 1.0
    with pytest.raises(ValueError, match="G2 must be positive definite; at point 0 the smallest eigenvalue is -5"):
        rr.airm(np.eye(2), np.diag([1.0, -5.0]))
    with pytest.raises(ValueError, match="ambient must be positive semi-definite"):
        rr.pullback_metric(np.ones((3, 4, 2)), ambient=-np.eye(4))  # before: a negative-definite G
    # near-singular PSD matrices are still only dropped
    H[7] = np.diag([1.0, -1e-14])
    assert rg.MSA(field="metric").evaluate(G, H).dropped_fraction == pytest.approx(1 / 30)


def test_shape_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"sigma must have shape \(\) or \(1,\) or \(3,\)"):
        rr.fisher_gaussian(np.ones((3, 4, 2)), np.ones(2))
    torch = pytest.importorskip("torch")
    W = torch.randn(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    U = np.random.default_rng(0).uniform(-1, 1, (10, 2))
    one_step = lambda u: torch.tanh(W @ u)[None]  # noqa: E731
    with pytest.raises(ValueError, match="time='joint' needs trajectories of at least 2 time steps.*n_time=1"):
        rr.compare_models(one_step, one_step, U)
    two_steps = lambda u: torch.stack([torch.tanh(W @ u), torch.tanh(2 * W @ u)])  # noqa: E731
    with pytest.raises(ValueError, match=r"weights must have shape \(10,\) or \(10, 2\)"):
        rr.compare_models(two_steps, two_steps, U, weights=np.ones(7))
    assert rr.compare_models(two_steps, two_steps, U, weights=np.ones((10, 2))).mean < 1e-12


def test_compare_models_passes_the_neighbourhood_ridge():
    U = np.repeat(np.linspace(-1, 1, 20)[:, None], 2, axis=1)  # collinear chart samples
    X = np.c_[U, U.sum(axis=1)]
    with pytest.raises(ValueError, match="set ridge > 0"):
        rr.compare_models((U, X), (U, X), n_neighbors=5)
    res = rr.compare_models((U, X), (U, X), n_neighbors=5, neighbor_ridge=1e-3, ridge=1e-3)
    assert res.mean < 1e-12
