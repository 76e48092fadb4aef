"""ConvShapeMetric: equals the brute force (roll, flatten, Procrustes, min over shifts)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ortho_group

import repgeo as rg


def brute_force(X, Y, alpha=1.0, score="angular"):
    """Every circular shift of Y, flattened, through ShapeMetric; the grid and its minimum."""
    flat = rg.ShapeMetric(alpha=alpha, score=score)
    _, h, w, c = X.shape
    grid = np.empty((h, w))
    for i, j in itertools.product(range(h), range(w)):
        Ys = np.roll(Y, (i, j), axis=(1, 2))
        grid[i, j] = flat(X.reshape(-1, c), Ys.reshape(-1, Y.shape[-1]))
    return grid


def scipy_procrustes_angle(A, B):
    """Independent angular Procrustes: centre, normalise, zero-pad, SVD of the cross-product."""
    p = max(A.shape[1], B.shape[1])
    A = np.pad(A - A.mean(0), ((0, 0), (0, p - A.shape[1])))
    B = np.pad(B - B.mean(0), ((0, 0), (0, p - B.shape[1])))
    A, B = A / np.linalg.norm(A), B / np.linalg.norm(B)
    return np.arccos(min(1.0, np.linalg.svd(A.T @ B, compute_uv=False).sum()))


CASES = [((6, 5, 4, 3), 3), ((4, 8, 8, 6), 6), ((5, 3, 7, 4), 2), ((3, 1, 6, 5), 5)]


@pytest.mark.parametrize("shape,c2", CASES)
@pytest.mark.parametrize("alpha,score", [(1.0, "angular"), (1.0, "euclidean"), (0.5, "angular"), (0.0, "euclidean")])
def test_equals_brute_force_over_all_shifts(shape, c2, alpha, score):
    rng = np.random.default_rng(hash((shape, c2, alpha, score)) % 2**32)
    X = rng.standard_normal(shape)
    # Y: a shifted, mixed copy of X with noise, so one shift is clearly best
    Y = np.roll(X, (1, 2), axis=(1, 2)) @ rng.standard_normal((shape[3], c2)) + 0.5 * rng.standard_normal((*shape[:3], c2))
    m = rg.ConvShapeMetric(alpha=alpha, score=score)
    grid = brute_force(X, Y, alpha, score)
    scale = 1.0 if score == "angular" else np.linalg.norm(X)
    assert m(X, Y) == pytest.approx(grid.min(), abs=1e-10 * scale)


@pytest.mark.parametrize("seed", range(3))
def test_fft_cross_products_equal_each_shift(seed):
    """The whole FFT grid of cosines, not only its best cell, matches the per-shift products."""
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((5, 6, 5, 4)), rng.standard_normal((5, 6, 5, 7))
    m = rg.ConvShapeMetric()
    cos = m.shift_cosines(m.prepare(X), m.prepare(Y))
    for i, j in itertools.product(range(6), range(5)):
        Ys = np.roll(Y, (i, j), axis=(1, 2))
        expected = np.cos(scipy_procrustes_angle(X.reshape(-1, 4), Ys.reshape(-1, 7)))
        assert cos[i, j] == pytest.approx(expected, abs=1e-12)


def test_invariant_to_shift_and_channel_rotation_and_identity_zero():
    rng = np.random.default_rng(1)
    X, Z = rng.standard_normal((8, 5, 6, 4)), rng.standard_normal((8, 5, 6, 3))
    Q = ortho_group.rvs(4, random_state=2)
    moved = 2.5 * np.roll(X, (3, -2), axis=(1, 2)) @ Q + 1.0
    m = rg.ConvShapeMetric()
    assert m(X, X) <= 1e-12  # the residual of the fitted rotation: rounding only
    assert m(X, moved) == pytest.approx(0.0, abs=1e-7)
    assert m(moved, Z) == pytest.approx(m(X, Z), abs=1e-12)


def test_shift_is_a_real_invariance_not_flattening():
    """Flattening without the shift group is not shift invariant; the conv metric is."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((6, 5, 5, 3))
    Y = np.roll(X, (2, 1), axis=(1, 2))
    assert rg.ShapeMetric()(X.reshape(-1, 3), Y.reshape(-1, 3)) > 0.3
    assert rg.ConvShapeMetric()(X, Y) == pytest.approx(0.0, abs=1e-7)


def test_fit_recovers_shift_and_scores_held_out_images():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 6, 6, 5))
    Q = ortho_group.rvs(5, random_state=4)
    Y = np.roll(X, (-2, 3), axis=(1, 2)) @ Q + 0.05 * rng.standard_normal(X.shape)
    fitted = rg.ConvShapeMetric().fit(X[:30], Y[:30])
    assert fitted.shift == (2, 3)  # roll(Y, (2, 3)) undoes the (-2, 3) roll (3 == -3 mod 6)
    assert fitted.distance == pytest.approx(rg.ConvShapeMetric()(X[:30], Y[:30]), abs=1e-12)
    held_out = fitted(X[30:], Y[30:])
    assert 0 <= held_out < 0.1
    # held-out data of an unrelated layer is far
    assert fitted(X[30:], rng.standard_normal((10, 6, 6, 5))) > 1.0


def test_euclidean_fit_is_in_data_units():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((10, 4, 4, 3))
    Y = X + 0.1 * rng.standard_normal(X.shape)
    m = rg.ConvShapeMetric(score="euclidean")
    assert m.fit(X, Y)(X, Y) == pytest.approx(m(X, Y), rel=1e-9)


def test_bad_input():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((5, 4, 4, 3))
    m = rg.ConvShapeMetric(zero_pad=False)
    with pytest.raises(ValueError, match=r"X must be \(n_samples, height, width, channels\); got a 3-D array"):
        m(X[0], X[0])
    with pytest.raises(ValueError, match="X has 3 channels but Y has 4; channel counts must match when zero_pad=False"):
        m(X, rng.standard_normal((5, 4, 4, 4)))
    assert rg.ConvShapeMetric()(X, rng.standard_normal((5, 4, 4, 4))) > 0
    with pytest.raises(ValueError, match=r"spatial size \(4, 4\) but Y has \(4, 5\); circular shifts need equal"):
        rg.ConvShapeMetric()(X, rng.standard_normal((5, 4, 5, 3)))
    with pytest.raises(ValueError, match="rows must be matched"):
        rg.ConvShapeMetric()(X, X[:3])
    with pytest.raises(ValueError, match="finite"):
        rg.ConvShapeMetric()(X, np.full_like(X, np.nan))
    with pytest.raises(ValueError, match="zero_pad must be one of"):
        rg.ConvShapeMetric(zero_pad="yes")
    fitted = rg.ConvShapeMetric().fit(X, X)
    with pytest.raises(ValueError, match="the fit saw"):
        fitted(X[:, :3], X[:, :3])
    with pytest.raises(ValueError, match="spatial size"):
        rg.pairwise([X, rng.standard_normal((5, 3, 4, 3))], "conv_shape")


@settings(max_examples=25, deadline=None)
@given(
    log_scale=st.floats(-300, 300),
    seed=st.integers(0, 2**32 - 1),
    shape=st.sampled_from([(3, 2, 3, 2), (4, 3, 3, 5), (2, 1, 4, 3)]),
)
def test_extreme_scales_are_scale_free(log_scale, seed, shape):
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal(shape), rng.standard_normal(shape)
    m = rg.ConvShapeMetric()
    s = 10.0**log_scale
    got = m(s * X, s * Y)
    assert np.isfinite(got)
    assert got == pytest.approx(m(X, Y), abs=1e-9)
    assert m(s * X, s * X) <= 1e-12


@pytest.mark.parametrize("case", ["repeated_channel", "wide", "float32"])
def test_rank_deficient_and_wide_layers_match_brute_force(case):
    """A repeated channel, fewer positions than channels, float32 activations: the R-factor
    preparation drops the same directions ShapeMetric's SVD does."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((4, 3, 3, 5))
    Y = np.roll(X, (1, 0), axis=(1, 2)) @ rng.standard_normal((5, 5)) + 0.3 * rng.standard_normal(X.shape)
    if case == "repeated_channel":
        X = np.concatenate([X, X[..., :1]], axis=-1)
    elif case == "wide":
        X, Y = X[:1, :2, :2], rng.standard_normal((1, 2, 2, 9))
    else:
        X, Y = X.astype(np.float32), Y.astype(np.float32)
    m = rg.ConvShapeMetric()
    grid = brute_force(X.astype(float), Y.astype(float))
    if case == "float32":  # both see float32 rounding: compare with float32-aware ShapeMetric on float32 input
        flat = rg.ShapeMetric()
        grid = np.array([[flat(X.reshape(-1, 5), np.roll(Y, (i, j), axis=(1, 2)).reshape(-1, 5)) for j in range(3)]
                         for i in range(3)])
    assert m(X, Y) == pytest.approx(grid.min(), abs=1e-10)
