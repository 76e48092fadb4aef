"""The SPD pencil reads each stack once: its quick block screen never accepts what the full checks
reject, its false alarms change no value, and its errors are those of a separate validation pass."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repgeo import riemann as rr
from repgeo._linalg import blocks
from repgeo._validation import as_metrics, metric_scan


def random_spd(rng, n, m):
    J = rng.standard_normal((n, m + 3, m))
    return np.einsum("pia,pib->pab", J, J)


def first_error(fn, *args):
    try:
        fn(*args)
    except (ValueError, TypeError) as err:
        return type(err), str(err)
    return None


def separate_pass(G1, G2):
    """The errors a validation pass over both whole stacks raises, in its order (None if valid)."""
    for G, name in ((G1, "G1"), (G2, "G2")):
        err = first_error(as_metrics, G, name)
        if err:
            return err
    if np.shape(G1) != np.shape(G2):
        return "shape"
    return None


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 9),
    log2_scale=st.integers(-1060, 1020),
    asym=st.sampled_from([0.0, 1e-12, 2.4e-9, 4.9e-9, 5.1e-9, 9.9e-9, 1.01e-8, 1e-6]),
    seed=st.integers(0, 2**31),
)
def test_screen_never_accepts_what_the_full_check_rejects(m, log2_scale, asym, seed):
    rng = np.random.default_rng(seed)
    G = random_spd(rng, 6, m) * 2.0**log2_scale
    E = rng.uniform(-1, 1, (6, m, m)) * asym * np.abs(G).max(axis=(1, 2))[:, None, None]
    G = G + np.triu(E, 1)  # asymmetric by up to asym (relative), the lower triangle untouched
    for scale in (None, np.abs(G).reshape(6, -1).max(axis=1)):
        _, clean = metric_scan(G, scale=scale)
        for i in np.flatnonzero(clean):
            as_metrics(G[i], "G")  # must not raise


@pytest.mark.parametrize("kind", ["spectral_ratio", "airm", "thompson"])
def test_false_alarms_change_no_value(kind):
    """Blocks the screen cannot certify (asymmetry within tolerance but above its margin, scales near
    the float limits) go through the full check and the general normalisation: same values."""
    rng = np.random.default_rng(3)
    n, m = 3000, 5  # several blocks
    G1, G2 = random_spd(rng, n, m), random_spd(rng, n, m)
    fn = getattr(rr, kind)
    base = fn(G1, G2)
    H1 = G1.copy()
    H1[1500, 0, m - 1] += 0.8e-8 * np.abs(G1[1500]).max()  # valid (below 1e-8 relative), but not clean
    assert not metric_scan(H1[1500:1501])[1].all()
    assert fn(H1, G2)[1500] == pytest.approx(base[1500], rel=1e-7, abs=1e-7)
    # the other points of that block are scaled by max|G| instead of tr(G) / m: the normalised entries
    # differ by an ulp, which the pencil's condition (up to ~1e4 here) turns into ~1e-13
    np.testing.assert_allclose(np.delete(fn(H1, G2), 1500), np.delete(base, 1500), rtol=1e-11, atol=1e-13)
    S1, S2 = G1.copy(), G2.copy()
    S1[7] *= 2.0**-1000  # below the screened range: the general path
    S2[2999] *= 2.0**1000
    expected = base.copy()
    if kind != "spectral_ratio":  # scale-aware: the log-scale moves by a known amount
        expected[7] = fn(G1[7] * 2.0**-1000, G2[7])
        expected[2999] = fn(G1[2999], G2[2999] * 2.0**1000)
    np.testing.assert_allclose(fn(S1, S2), expected, rtol=1e-11, atol=1e-13)


def _cases(rng, n, m):
    G1, G2 = random_spd(rng, n, m), random_spd(rng, n, m)
    late = n - 1  # beyond the first block
    cases = {}
    A = G1.copy(); A[late, 1, 0] = np.nan; B = G2.copy(); B[0] = -B[0]
    cases["G1 NaN late, G2 indefinite early"] = (A, B)
    A = G1.copy(); A[late, 0, 1] = np.inf  # upper triangle only: Cholesky never reads it
    cases["G1 inf in the upper triangle"] = (A, G2)
    A = G1.copy(); A[0, 0, 0] = 0.0; A[0, 1, 1] = 0.0; B = G2.copy(); B[late, 0, 1] += 1e-3 * B[late, 0, 0]
    cases["G1 singular early, G2 asymmetric late"] = (A, B)
    A = G1.copy(); A[late] = 0.0
    cases["G1 zero late"] = (A, G2)
    B = G2.copy(); B[late, 2, 2] = np.nan
    cases["G2 NaN, shapes differ"] = (G1[:-1], B)
    cases["G1 NaN, G2 not square"] = (np.where(np.arange(n)[:, None, None] == late, np.nan, G1), G2[:, :, :-1])
    A = G1.copy(); A[late] = np.diag([1.0, 1e-14, 1.0, 1.0])
    B = G2.copy(); B[late] = np.diag([1e-14, 1.0, 1.0, 1.0])
    cases["unresolvable late"] = (A, B)
    return cases


@pytest.mark.parametrize("fn", [rr.spectral_ratio, rr.airm, rr.generalized_eigvalsh, rr.airm_split])
def test_errors_are_those_of_a_separate_pass(fn):
    rng = np.random.default_rng(5)
    n, m = 2 * blocks(10**6, 4)[0].stop + 5, 4
    for label, (G1, G2) in _cases(rng, n, m).items():
        got = first_error(fn, G1, G2)
        assert got is not None, label
        before = separate_pass(G1, G2)
        if before is None:  # a numerical error (singular, unresolvable): names the point
            assert "point" in got[1], (label, got)
        elif before == "shape":
            assert "paired point by point" in got[1], (label, got)
        else:
            assert got == before, (label, got, before)
