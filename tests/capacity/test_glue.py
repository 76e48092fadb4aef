"""GLUE on the published definitions: closed forms, identities, correlations, margins, saturation, solvers."""

import warnings
from itertools import product

import numpy as np
import pytest
from scipy.integrate import quad

from capacity_synth import orthonormal, segments
from repgeo.capacity import CapacitySaturationWarning, alpha0, ball_capacity, glue, mean_field
from repgeo.capacity._glue_solver import lawson_hanson_qp, solve_draws, solve_draws_per_draw
from repgeo.capacity.simulated import _separable


def segment_geometry(R):
    """Closed forms for one segment c +- R u (c, u orthonormal) among decoupled manifolds.

    In the plane (t0, t1) = (c.t, u.t), at angle theta: the segment is not anchored in
    its polar wedge (|theta - pi| < atan(1/R)); inside its cone (|theta| < atan R) the anchor
    is c + tan(theta) u, elsewhere an endpoint c +- R u.  With a the anchor's u-coordinate,
    the segment contributes b = t1^2 and c = a^2 t1^2 / (1 + a^2) to a draw (its row of
    S0 S0^T + S1 S1^T is 1 + a^2), so E[b] and E[c] are angular integrals (E[r^2] = 2).
    Returns E[b], E[c], E[b - c].
    """
    beta = np.arctan(R)
    edge = np.pi / 2 + beta  # the polar wedge starts at pi - atan(1/R)

    def integral(f, lo, hi):
        return quad(f, lo, hi, epsabs=1e-13)[0] / np.pi  # (2 / 2 pi) for E[r^2] over the angle

    e_b = 2 * integral(lambda th: np.sin(th) ** 2, 0, edge)
    touch = 2 * integral(lambda th: np.sin(th) ** 2, beta, edge)
    e_c = 2 * integral(lambda th: np.sin(th) ** 4, 0, beta) + touch * R**2 / (1 + R**2)
    e_d = 2 * integral(lambda th: (np.sin(th) * np.cos(th)) ** 2, 0, beta) + touch / (1 + R**2)
    return e_b, e_c, e_d


def within(value, exact, se, k=4.0):
    assert abs(value - exact) < k * se, (value, exact, se)


@pytest.mark.parametrize("radius", [0.5, 1.0, 2.0])
def test_decoupled_segments_match_the_closed_forms(radius):
    """Unit segments: D -> E[t1^2; anchored] = 0.909 (R = 1), R and Psi from the angular integrals."""
    mans = np.stack(segments(15, 200, radius, np.random.default_rng(5))[:15])
    g = glue(mans, n_t=800, rng=6, center=False)
    e_b, e_c, e_d = segment_geometry(radius)
    within(g.capacity, ball_capacity(radius, 1), g.capacity_se)
    within(g.dimension, e_b, g.dimension_se)
    within(g.radius, np.sqrt(e_c / e_d), g.radius_se)
    within(g.utility, e_c * ball_capacity(radius, 1), g.utility_se)
    if radius == 1.0:
        assert e_b == pytest.approx(1 - (np.pi / 4 - 0.5) / np.pi, rel=1e-12)  # 0.9092
    # orthogonal manifolds: every alignment vanishes up to rounding
    for value in (g.center_alignment, g.axis_alignment, g.center_axis_alignment):
        assert abs(value) < 1e-12


def test_capacity_decomposes_exactly():
    """alpha = Psi (1 + R^-2) / D holds for the sample means, and a = F at kappa = 0 (so P / E[a] = alpha)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((12, 6, 60)) + 2 * rng.standard_normal((12, 1, 60))
    g = glue(X, n_t=200, rng=2)
    assert g.utility * (1 + g.radius**-2) / g.dimension == pytest.approx(g.capacity, rel=1e-8)


def test_points_have_no_axis_geometry():
    g = glue(np.random.default_rng(0).standard_normal((20, 1, 60)), n_t=400, rng=0, center=False)
    within(g.capacity, 2.0, g.capacity_se)
    assert g.dimension == 0 and g.radius == 0 and g.utility == 0
    assert np.isnan(g.axis_alignment) and np.isnan(g.center_axis_alignment)
    assert -1 < g.center_alignment < 1


@pytest.mark.parametrize("kappa", [0.5, 1.0])
@pytest.mark.parametrize("solver", ["active_set", "scipy"])
def test_points_with_margin_follow_gardner(kappa, solver):
    """Orthonormal points (unit centers) give alpha_0(kappa)."""
    pts = np.eye(40)[:20, None, :]
    g = glue(pts, n_t=600 if solver == "active_set" else 150, rng=1, center=False, kappa=kappa, solver=solver)
    within(g.capacity, alpha0(kappa), g.capacity_se)


def test_margin_on_unseparable_dichotomies_gives_zero_capacity():
    with pytest.warns(CapacitySaturationWarning, match="toward 0 at this kappa"):
        g = glue(np.random.default_rng(11).standard_normal((10, 20, 30)), n_t=20, rng=0, kappa=0.5)
    assert g.capacity == 0.0 and g.saturated


def planted(rho, rng, P=20, N=300):
    """Segments whose unit centers share a component of weight sqrt(rho) (pairwise center cosines ~ rho g g')."""
    basis = orthonormal(N, 2 * P + 1, rng)
    shared = np.abs(rng.standard_normal(P))  # one sign: the planted correlation is positive
    C = np.sqrt(1 - rho) * basis[:P] + np.sqrt(rho) * shared[:, None] * basis[-1]
    C /= np.linalg.norm(C, axis=1, keepdims=True)
    return np.stack([np.stack([C[q] + 0.5 * basis[P + q], C[q] - 0.5 * basis[P + q]]) for q in range(P)])


def test_center_alignment_tracks_planted_correlation():
    """rho_c rises with the planted correlation in both forms; capacity falls."""
    rows = []
    for rho in (0.0, 0.3, 0.6, 0.9):
        data = planted(rho, np.random.default_rng(9))
        cos = glue(data, n_t=200, rng=10, center=False)
        inner = glue(data, n_t=200, rng=10, center=False, alignments="inner_product")
        rows.append((cos.center_alignment, inner.center_alignment, cos.capacity, cos.capacity_se))
    cos_a, inner_a, caps, ses = map(np.array, zip(*rows))
    assert (np.diff(cos_a) > 0).all() and (np.diff(inner_a) > 0).all()
    assert abs(cos_a[0]) < 0.05 and cos_a[-1] > 0.5
    assert caps[0] - caps[-1] > 4 * np.hypot(ses[0], ses[-1])


def test_inner_product_form_is_in_data_units():
    """Definition B.6's unnormalised form scales with the data squared; the cosine form does not."""
    data = planted(0.5, np.random.default_rng(3))
    a = glue(data, n_t=100, rng=4, center=False, alignments="inner_product")
    b = glue(3.0 * data, n_t=100, rng=4, center=False, alignments="inner_product")
    assert b.center_alignment == pytest.approx(9.0 * a.center_alignment, rel=1e-9)
    c = glue(3.0 * data, n_t=100, rng=4, center=False)
    d = glue(data, n_t=100, rng=4, center=False)
    assert c.center_alignment == pytest.approx(d.center_alignment, rel=1e-9)


@pytest.mark.parametrize("radius", [0.5, 1.0])
def test_agrees_with_mean_field_on_uncorrelated_segments(radius):
    mans = np.stack(segments(20, 400, radius, np.random.default_rng(5))[:20])
    g = glue(mans, n_t=300, rng=6)
    m = mean_field(mans, n_t=300, rng=6, mode="corrected")
    assert abs(g.capacity - m.capacity) < 4 * np.hypot(g.capacity_se, m.capacity_se)
    assert not g.saturated


def test_flags_saturation():
    with pytest.warns(CapacitySaturationWarning):
        g = glue(np.random.default_rng(11).standard_normal((10, 20, 30)), n_t=30, rng=0)
    assert g.saturated and abs(g.capacity - 10 / g.rank) < 4 * g.capacity_se


def test_standard_error_matches_spread_over_seeds():
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
def test_nonseparable_fraction_matches_lp(shape):
    """Every labelling of these data is enumerated with an LP; GLUE's draws are a binomial sample of them."""
    data = np.random.default_rng(sum(shape)).standard_normal(shape)
    exact = _exact_nonseparable_fraction(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = glue(data, n_t=300, rng=1, center=False, labels="iid")
    se = np.sqrt(exact * (1 - exact) / g.n_t)
    if exact == 0:  # e.g. P <= rank: every dichotomy is separable, nothing may be flagged
        assert g.nonseparable_fraction == 0 and not g.saturated
        assert not any(issubclass(w.category, CapacitySaturationWarning) for w in caught)
    else:
        assert abs(g.nonseparable_fraction - exact) < 4 * se, (g.nonseparable_fraction, exact)
        assert g.saturated


@pytest.mark.parametrize("labels", ["balanced", "iid", "one_vs_rest"])
def test_label_ensembles(labels):
    g = glue(np.random.default_rng(0).standard_normal((7, 1, 30)), n_t=50, rng=0, center=False, labels=labels)
    assert g.labels == labels and np.isfinite(g.capacity)


@pytest.mark.parametrize("kappa", [0.0, 0.7])
def test_fast_solver_matches_exact_per_draw_solver(kappa):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((8, 6, 40)) + 3 * rng.standard_normal((8, 1, 40))
    X = X.reshape(-1, 40) - X.reshape(-1, 40).mean(0)
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    B, owner = (U * s).T, np.repeat(np.arange(8), 6)
    T, Y = rng.standard_normal((25, len(B))), np.sign(rng.standard_normal((25, 8)))
    fast, exact = solve_draws(B, owner, T, Y, kappa), solve_draws_per_draw(B, owner, T, Y, kappa)
    np.testing.assert_allclose(fast.F, exact.F, rtol=1e-9)
    signs = Y[:, owner]
    # KKT of the dual at the fast solution: lambda >= 0, gradient >= 0 off the support, = 0 on it
    grad = signs * ((fast.lam * signs) @ B.T @ B - (T @ B + kappa * signs))
    assert (fast.lam >= 0).all() and (grad >= -1e-8).all()
    assert np.abs(grad[fast.lam > 0]).max() < 1e-8
    a = glue(X.reshape(8, 6, 40), n_t=40, rng=3, kappa=kappa)
    b = glue(X.reshape(8, 6, 40), n_t=40, rng=3, kappa=kappa, solver="scipy")
    for field in ("capacity", "radius", "dimension", "utility", "center_alignment"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-7, abs=1e-12), field


def test_lawson_hanson_qp_against_nnls():
    """With Q = A^T A and q = -A^T b the quadratic program is NNLS."""
    from scipy.optimize import nnls

    rng = np.random.default_rng(4)
    for m, n in [(10, 6), (6, 10)]:
        A, b = rng.standard_normal((m, n)), rng.standard_normal(m)
        np.testing.assert_allclose(A @ lawson_hanson_qp(A.T @ A, -A.T @ b), A @ nnls(A, b)[0], atol=1e-9)
