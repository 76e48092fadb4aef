"""Regressions of the reliability review (issue 10): one test per defect, each failing before the fix.

Bounds that rounding crossed, unbiased CKA normalised by rounding noise,
overflow and hangs near the float maximum, offset data that one family
rejected and another compared, Riemannian metrics past float64's range, and
error messages that named the wrong thing.  Calls that used to hang run in a
worker process with a time limit (``tests/fuzzing.py``), so a regression
fails instead of stalling the suite.
"""

from __future__ import annotations

import numpy as np
import pytest

import repgeo as rg
from fuzzing import Guard, Raised
from repgeo.riemann import fisher_gaussian, fisher_softmax, pullback_metric, spd_distance

pytestmark = pytest.mark.filterwarnings("ignore::repgeo.RepresentationWarning")


@pytest.fixture(scope="module")
def guard():
    g = Guard(timeout=60.0)
    yield g
    g.close()


@pytest.fixture(scope="module")
def lenient_guard():
    """As a user runs it: RuntimeWarnings do not stop the call (so a hang shows as a hang)."""
    g = Guard(timeout=60.0, strict=False)
    yield g
    g.close()


# ----------------------------------------------------------------------------- CKA bounds (items 1, 2)


def u_centred(K):
    """Szekely & Rizzo's U-centring of a Gram matrix (zero diagonal)."""
    n = len(K)
    K = K.copy()
    np.fill_diagonal(K, 0.0)
    r, total = K.sum(1), K.sum()
    U = K - r[:, None] / (n - 2) - r[None, :] / (n - 2) + total / ((n - 1) * (n - 2))
    np.fill_diagonal(U, 0.0)
    return U


def test_unbiased_hsic_is_the_inner_product_of_u_centred_grams():
    """The identity behind the bounds: HSIC_1(K, L) = <K_U, L_U> / (n (n - 3)), so unbiased CKA is a
    cosine in [-1, 1] whenever both self-HSICs are positive (computed here independently)."""
    rng = np.random.default_rng(0)
    for n in (4, 5, 9, 30):
        X, Y = rng.standard_normal((n, 3)), rng.standard_normal((n, 2))
        K, L = X @ X.T, Y @ Y.T
        Kt, Lt = K.copy(), L.copy()
        np.fill_diagonal(Kt, 0.0)
        np.fill_diagonal(Lt, 0.0)
        song = rg.measures.kernel.hsic_unbiased(np.sum(Kt * Lt), Kt.sum(), Lt.sum(), Kt.sum(1) @ Lt.sum(1), n)
        assert song == pytest.approx(np.sum(u_centred(K) * u_centred(L)) / (n * (n - 3)), rel=1e-10, abs=1e-12)
        KU, LU = u_centred(K), u_centred(L)
        cosine = np.sum(KU * LU) / (np.linalg.norm(KU) * np.linalg.norm(LU))
        assert rg.LinearCKA(hsic="unbiased")(X, Y) == pytest.approx(cosine, abs=1e-12)


@pytest.mark.parametrize("name", ["kernel_cka_unbiased", "linear_cka_unbiased"])
def test_unbiased_cka_refuses_a_self_hsic_of_rounding_noise(name):
    """Variation on one sample of four: HSIC_1(X, X) is 0 in exact arithmetic; kernel CKA returned 2.0."""
    X = np.zeros((4, 1))
    X[2] = 1
    Y = np.zeros((4, 1))
    Y[3] = 1
    with pytest.raises(ValueError, match="HSIC of X with itself .* not reliably positive.*hsic='biased'"):
        rg.get_measure(name)(X, Y)
    rg.get_measure(name.replace("_unbiased", ""))(X, Y)  # the biased estimator is defined


@pytest.mark.parametrize("name", ["kernel_cka_unbiased", "linear_cka_unbiased"])
def test_unbiased_cka_on_small_samples_stays_in_bounds(name):
    """Small n, few distinct values: every value lies in [-1, 1] exactly, or the input is refused."""
    m = rg.get_measure(name)
    rng = np.random.default_rng(1)
    values = []
    for _ in range(400):
        n = int(rng.integers(4, 7))
        X = rng.integers(0, 2, (n, int(rng.integers(1, 3)))).astype(float)
        Y = rng.integers(0, 3, (n, int(rng.integers(1, 3)))).astype(float)
        try:
            values.append(m(X, Y))
        except ValueError as err:
            assert "constant" in str(err) or "reliably positive" in str(err)
    assert values and all(-1.0 <= v <= 1.0 for v in values)


def test_cka_of_a_shifted_copy_is_exactly_one():
    """Rounding gave 1.0000000000000002, whose arccos is NaN."""
    x = np.array([[2.0], [-1.0], [2.0], [1.0], [0.0]])
    assert rg.LinearCKA()(x, x - 7) == 1.0
    assert rg.KernelCKA()(x, x - 7) <= 1.0
    assert rg.AngularCKA()(x, x - 7) == 0.0


def test_indefinite_polynomial_kernel_declares_wider_bounds():
    """With coef0 < 0 the kernel is not positive semi-definite and biased CKA can be negative:
    the claim says so (it claimed [0, 1] before); invalid degrees are refused."""
    m = rg.KernelCKA(kernel="polynomial", coef0=-1.0, degree=3)
    assert m.info.bounds == (-1.0, 1.0)
    assert rg.KernelCKA(kernel="polynomial").info.bounds == (0.0, 1.0)
    rng = np.random.default_rng(3)
    values = [m(rng.standard_normal((10, 2)), rng.standard_normal((10, 2))) for _ in range(40)]
    assert min(values) < 0 and all(-1 <= v <= 1 for v in values)
    with pytest.raises(ValueError, match="degree must be an integer >= 1"):
        rg.KernelCKA(kernel="polynomial", degree=0.5)
    with pytest.raises(ValueError, match="gamma"):
        rg.KernelCKA(kernel="polynomial", gamma=-1.0)


# ----------------------------------------------------------------------------- extreme scales (items 7, 8)


def near_max_column():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((30, 3))
    Z[:, 0] = 1.7e308 * np.sign(Z[:, 0])
    return Z, rng.standard_normal((30, 3))


@pytest.mark.parametrize("name", ["permutation", "procrustes", "cca", "shape", "linear_cka", "kernel_cka", "rsa_euclidean"])
def test_a_column_near_the_float_maximum_changes_nothing_but_the_exponent(name, guard):
    """Z and Z / 16 differ by a power of two: a scale-free measure must give the same bits.
    permutation returned pi/2 (1.489 for Z / 16), procrustes a numpy error, cca an IndexError."""
    Z, W = near_max_column()
    m = rg.get_measure(name)
    got = guard.call(m, Z, W)
    assert not isinstance(got, Raised), got
    assert got == m(Z / 16, W)


@pytest.mark.parametrize("name", ["permutation_euclidean", "procrustes_euclidean"])
def test_euclidean_distances_past_float64s_range_are_refused(name):
    """permutation_euclidean returned NaN: a distance of about 1e309 cannot be represented."""
    Z, W = near_max_column()
    with pytest.raises(ValueError, match="X has a norm of about 9.3e\\+308 after centring"):
        rg.get_measure(name)(Z, W)
    assert np.isfinite(rg.get_measure(name)(Z / 16, W))


@pytest.mark.parametrize("name", ["procrustes", "cca", "shape"])
def test_an_overflowing_column_mean_no_longer_hangs(name, lenient_guard):
    """The column mean overflowed to -inf and LAPACK's SVD spun forever."""
    X = np.random.default_rng(0).standard_normal((30, 3)) * 1e307
    X[:, 0] = -1e307
    Y = np.random.default_rng(1).standard_normal((30, 3))
    got = lenient_guard.call(rg.get_measure(name), X, Y)
    assert not isinstance(got, Raised), got
    assert got == pytest.approx(rg.get_measure(name)(X / 1e300, Y), rel=1e-12)


def test_pullback_metric_scales_exactly_or_refuses():
    """pullback_metric(J * 1e200) returned +-inf; J * 1e-200 silently underflowed to 0."""
    J = np.random.default_rng(0).standard_normal((5, 4, 2))
    G = pullback_metric(J)
    np.testing.assert_allclose(pullback_metric(J * 1e150), G * 1e300, rtol=1e-14)
    np.testing.assert_allclose(pullback_metric(J * 1e-150), G * 1e-300, rtol=1e-14)
    for scale in (1e200, 1e-200):
        with pytest.raises(ValueError, match="pulled back from J does not fit in float64"):
            pullback_metric(J * scale)
    A = np.diag([1e300, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="J and ambient"):
        pullback_metric(J * 1e10, ambient=A)


def test_fisher_metrics_at_extreme_scales():
    rng = np.random.default_rng(1)
    J, ds, s = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 2)), rng.uniform(0.5, 2, 4)
    g = fisher_gaussian(J, s, ds)
    for c in (1e150, 1e-200):  # J, sigma and grad sigma in the same units: the metric does not change
        np.testing.assert_allclose(fisher_gaussian(J * c, s * c, ds * c), g, rtol=1e-13)
    with pytest.raises(ValueError, match="J_mean and sigma"):
        fisher_gaussian(J, 1e-300)
    z = rng.standard_normal((4, 3))
    np.testing.assert_allclose(fisher_softmax(z, J * 1e100), fisher_softmax(z, J) * 1e200, rtol=1e-13)


def test_metric_tensors_near_the_float_maximum_are_symmetrised_without_overflow():
    G = np.array([[1.7e308, 1e308], [1e308, 1.7e308]])
    assert np.isfinite(spd_distance(G, np.eye(2), "spectral_ratio"))


def test_bures_distance_past_float64s_range_is_refused():
    """MSA with the Bures distance returned inf for a Jacobian near the float maximum."""
    J1 = np.ones((1, 2, 1))
    J2 = np.full((1, 2, 1), 1.7e308)
    with pytest.raises(ValueError, match="Bures distance between the metrics of X and Y exceeds float64's range at point 0"):
        rg.get_measure("msa_bures")(J1, J2)


def test_volume_weights_ignore_dropped_points():
    """A dropped point's volume overflowed exp() in the weights of the kept ones."""
    rng = np.random.default_rng(2)
    J = rng.standard_normal((3, 5, 3)) * 1e-300
    J[0] = 0.0  # a singular metric: dropped
    m = rg.MSA(weighting="volume_x", on_ill_conditioned="drop")
    with pytest.warns(rg.RepresentationWarning):
        assert np.isfinite(m(J, J + 1e-301 * rng.standard_normal(J.shape)))


# ----------------------------------------------------------------------------- one precision rule (item 13)


@pytest.mark.parametrize("name", ["procrustes", "permutation", "linear_cka", "kernel_cka", "linear_cka_unbiased", "rsa_euclidean"])
def test_offset_data_are_refused_alike_with_the_precision_lost(name):
    """X + 1e16 keeps only the rounding of X's variation: shape metrics said "zero variance", CKA and RSA
    computed a value.  Now every translation-invariant measure says what was lost."""
    X = np.random.default_rng(0).standard_normal((20, 3))
    with pytest.raises(ValueError, match=r"X is constant to working precision: .* only 0\.\d significant digits"):
        rg.get_measure(name)(X + 1e16, X)
    assert np.isfinite(rg.get_measure(name)(X + 1e10, X))  # 6 digits left: compared


def test_a_small_column_next_to_a_large_one_still_counts():
    """The old rule compared every column's spread with the largest entry of the whole matrix."""
    rng = np.random.default_rng(0)
    X = np.c_[np.full(20, 1e10), 1e-3 * rng.standard_normal(20)]
    assert np.isfinite(rg.get_measure("procrustes")(X, rng.standard_normal((20, 2))))


# ----------------------------------------------------------------------------- smaller (item 13)


def test_bfloat16_tensors_are_accepted_with_their_precision():
    torch = pytest.importorskip("torch")
    X = torch.randn(30, 4, generator=torch.Generator().manual_seed(0)).to(torch.bfloat16)
    Y = torch.randn(30, 3, generator=torch.Generator().manual_seed(1))
    assert rg.LinearCKA()(X, Y) == rg.LinearCKA()(X.float(), Y)
    assert rg.ShapeMetric()(X, Y) == pytest.approx(rg.ShapeMetric()(X.float(), Y), abs=1e-12)
    from repgeo.measures.shape import _input_eps

    assert _input_eps(X) == 2.0**-7
    with pytest.raises(TypeError, match="X must hold real numbers"):
        rg.LinearCKA()(torch.zeros(5, 2, dtype=torch.complex64), Y[:5])


def test_spd_errors_name_the_singular_point():
    """The error blamed point 0 when point 3 was singular."""
    G = np.stack([np.eye(3)] * 5)
    G[3] = np.diag([1.0, 1.0, 0.0])
    for kind in ("airm", "log_euclidean", "spectral_ratio"):
        with pytest.raises(ValueError, match="G1 must be positive definite; at point 3"):
            spd_distance(G, np.eye(3)[None].repeat(5, 0), kind)
        with pytest.raises(ValueError, match="G2 must be positive definite; at point 3"):
            spd_distance(np.eye(3)[None].repeat(5, 0), G, kind)


def test_pairwise_refuses_a_string():
    """pairwise("abc") compared the characters and talked about reps['0'] having 0 rows.

    Since issue 14 one string is a path (a directory or archive of representations): one that names
    nothing is refused, saying what reps may be."""
    with pytest.raises(ValueError, match="reps is the path 'abc', which does not exist; reps must be a sequence or dict"):
        rg.pairwise("abc", "procrustes")


# ----------------------------------------------------------------------------- iteration caps (item 9)


def test_the_demo_training_loop_stops_on_divergence():
    """The only iterative loop outside capacity/: a fixed step count (the cap) and now a NaN check."""
    from repgeo.demo.msa import init_mlp, train_xor

    with np.errstate(all="ignore"), pytest.raises(ValueError, match="training diverged at step \\d+ .* lower lr=1000000.0"):
        train_xor(init_mlp(8, rng=0), 1.0, steps=200, lr=1e6, rng=0)


@pytest.mark.parametrize(
    "name", ["procrustes", "cca", "shape", "permutation", "linear_cka", "linear_cka_unbiased", "kernel_cka", "rsa_euclidean"]
)
@pytest.mark.parametrize("edge", [np.finfo(float).max, -1e300, 1e-300])
def test_a_constant_column_changes_nothing_at_any_scale(name, edge):
    """A constant column is removed by centring: the value must not move, even when the column sits
    at the float maximum (found by the thorough fuzz run: a global rescaling pushed the other columns
    into the subnormal range and the whitening overflowed)."""
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((12, 3)), rng.standard_normal((12, 2))
    m = rg.get_measure(name)
    assert m(np.c_[X, np.full(12, edge)], Y) == pytest.approx(m(X, Y), rel=1e-12, abs=1e-14)


def test_non_finite_metric_tensors_get_the_standard_error():
    """The blocked symmetry check subtracted inf from inf (a RuntimeWarning) before the finiteness check."""
    G = np.stack([np.eye(2)] * 3)
    G[1, 0, 1] = np.inf
    with pytest.raises(ValueError, match="G1 must be finite; it has 0 NaN and 1 infinite entries"):
        spd_distance(G, np.stack([np.eye(2)] * 3), "airm")


def test_subnormal_metric_tensors_do_not_overflow_the_normalisation():
    """Found by the fuzz run after the MSA speed merge: 1 / (a t) overflowed for matrices of size 1e-320.
    Closed forms for G and c G: spectral ratio 0, Thompson |log c|, AIRM sqrt(m) |log c|."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((1, 4, 4))
    G = A @ A.swapaxes(-1, -2) + np.eye(4)
    c = 1e-310  # the entries of c G are subnormal (a few bits lost)
    assert spd_distance(G, c * G, "spectral_ratio") < 1e-6
    assert spd_distance(G, c * G, "thompson") == pytest.approx(-np.log(c), rel=1e-6)
    assert spd_distance(G, c * G, "airm") == pytest.approx(2.0 * -np.log(c), rel=1e-6)


def test_conv_and_stochastic_metrics_near_the_float_maximum():
    """Found by the fuzz run once the convolutional and stochastic metrics were registered: the
    conv metric's column mean overflowed; a stochastic distance past float64's range overflowed."""
    rng = np.random.default_rng(5)
    A, B = rng.standard_normal((6, 3, 3, 2)), rng.standard_normal((6, 3, 3, 2))
    A_big = A.copy()
    A_big[..., 0] = np.finfo(float).max  # a constant channel: centring removes it
    conv = rg.get_measure("conv_shape")
    assert conv(A_big, B) == pytest.approx(conv(A[..., 1:], B), rel=1e-12)
    S = rng.standard_normal((2, 2, 1))
    huge = np.array([-1.0, 1.0, 1.0, 1.0]).reshape(2, 2, 1) * np.finfo(float).max  # a spread of ~2e308
    with pytest.raises(ValueError, match="exceeds float64's range; rescale X and Y"):
        rg.get_measure("gaussian_shape")(S, huge)


def test_data_near_the_smallest_normal_number():
    """Found by the thorough fuzz run: the map used only by fit() overflowed in prepare() for data of
    size 1e-308, and the energy metric's reweighting divided by a floor of 1e-320 for identical inputs."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((3, 1))
    Y = np.array([[3.45584192e-308], [3.45584192e-308], [3.30437076e-308]])  # centred: subnormal
    assert rg.get_measure("cca")(X, Y) == pytest.approx(rg.get_measure("cca")(X, [[1.0], [1.0], [0.0]]), rel=1e-12)
    with pytest.raises(ValueError, match="Y is too far from unit scale for fit"):
        rg.ShapeMetric(alpha=0.0).fit(X, Y)
    S = np.array([-1.0, -1.0, 0.0, 0.0]).reshape(2, 2, 1)
    assert rg.get_measure("energy_shape")(S, S) == 0.0


def test_dsa_on_degenerate_and_extreme_trajectories():
    """Found by the fuzz harness once DSA was registered: short one-hot trials made the one-step
    regression singular (a raw LinAlgError); centring near the float maximum overflowed."""
    rng = np.random.default_rng(183)
    X = rng.standard_normal((6, 2, 5))
    Y = np.zeros((6, 2, 5))
    Y.reshape(12, 5)[np.arange(12), rng.integers(0, 5, 12)] = 1.0
    with pytest.raises(ValueError, match="Y's one-step pairs of delay coordinates are linearly dependent"):
        rg.get_measure("dsa")(X, Y)
    Z = rng.standard_normal((3, 40, 3))
    Z_big = np.concatenate([Z, np.full((3, 40, 1), np.finfo(float).max)], axis=-1)  # a constant feature
    for name in ("dsa", "input_dsa"):
        got = rg.get_measure(name)(Z_big[..., [0, 1, 3, 2]], Z)
        assert np.isfinite(got)


def test_havok_near_the_float_maximum_fits_at_unit_scale():
    """The Hankel singular values were scaled back before choosing the rank, overflowing for data near
    the float maximum; the rank rules (other than an absolute threshold) are scale-free."""
    from repgeo.dynamics import havok_dmd

    t = np.arange(200) * 0.1
    X = np.stack([np.cos(t), np.sin(t)], axis=1)
    big = X * (np.finfo(float).max / 4)  # centred values stay finite, singular values do not
    fit, ref = havok_dmd(big, n_delays=3, rank=2), havok_dmd(X, n_delays=3, rank=2)
    np.testing.assert_allclose(np.sort_complex(fit.eigenvalues), np.sort_complex(ref.eigenvalues), atol=1e-12)
    assert np.isinf(fit.singular_values).any()
    assert np.isfinite(rg.get_measure("dsa_wasserstein")(big, X))
