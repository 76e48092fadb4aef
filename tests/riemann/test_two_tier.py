"""The two-tier pencil kernel: the fast eigvalsh tier agrees with the SVD tier to FAST_TOLERANCE
at every conditioning (1 to 1e12), and both tiers are used where they should be."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repgeo.riemann import _kernels as K


TOL = 1e-10  # the documented K.FAST_TOLERANCE, written out so that the test pins it


def spd_with_condition(rng, m, cond):
    Q = np.linalg.qr(rng.standard_normal((m, m)))[0]
    w = np.geomspace(1.0, cond, m) * rng.uniform(0.5, 2.0)
    return (Q * w) @ Q.T


def factors(G1, G2):
    R1 = K.chol_factor(K.normalise(G1, jacobian=False)[0])
    R2 = K.chol_factor(K.normalise(G2, jacobian=False)[0])
    return R1, K.tri_inv(R2)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    m=st.sampled_from([3, 5, 8, 16]),
    log_cond1=st.floats(0, 12),
    log_cond2=st.floats(0, 12),
)
def test_fast_tier_agrees_with_svd_tier(seed, m, log_cond1, log_cond2):
    rng = np.random.default_rng(seed)
    G1 = np.stack([spd_with_condition(rng, m, 10**log_cond1) for _ in range(8)])
    G2 = np.stack([spd_with_condition(rng, m, 10**log_cond2) for _ in range(8)])
    R1, R2_inv = factors(G1, G2)
    exact_sv = K.singular_values(R1 @ R2_inv)  # the accurate (SVD) tier everywhere
    dlog = np.zeros(len(G1))
    for kind in ("spectral_ratio", "airm", "thompson"):
        got = K.from_pencil(K.pencil_sv(R1, R2_inv, kind), dlog, kind)
        want = K.from_pencil(exact_sv, dlog, kind)
        # the bound is worst case; the SVD tier's own rounding (~m eps relative) rides on top
        assert np.all(np.abs(got - want) <= TOL + 64 * m * K.EPS * np.abs(want)), kind
    rel = np.abs(K.pencil_sv(R1, R2_inv, "eigenvalues") / exact_sv - 1)
    assert rel.max() <= TOL + 64 * m * K.EPS


def test_both_tiers_are_used():
    rng = np.random.default_rng(0)
    m = 8
    good = [spd_with_condition(rng, m, 10.0) for _ in range(5)]
    bad = [spd_with_condition(rng, m, 1e11) for _ in range(5)]
    G1, G2 = np.stack(good + bad), np.stack(good + good)
    R1, R2_inv = factors(G1, G2)
    M = R1 @ R2_inv
    w = np.linalg.eigvalsh(M.swapaxes(-1, -2) @ M)
    bound = K.fast_error(w, "spectral_ratio")
    assert (bound[:5] <= K.FAST_TOLERANCE).all() and (bound[5:] > K.FAST_TOLERANCE).all()


def test_errors_name_the_failing_point_beyond_the_first_block():
    """A singular metric at point 3, and one at point 5000 (in a later block), are named as such."""
    from repgeo.riemann import spectral_ratio

    rng = np.random.default_rng(1)
    G = np.stack([spd_with_condition(rng, 3, 10.0) for _ in range(6000)])
    for bad in (3, 5000):
        G1 = G.copy()
        G1[bad] = np.diag([1.0, 1.0, 0.0])
        with pytest.raises(ValueError, match=f"G1 must be positive definite; at point {bad} it is singular"):
            spectral_ratio(G1, G)
        G1[bad] = np.diag([1.0, 1.0, -1.0])
        with pytest.raises(ValueError, match=f"at point {bad} the smallest eigenvalue is -1"):
            spectral_ratio(G, G1)
