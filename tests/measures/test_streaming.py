"""Streaming linear CKA equals full-batch linear CKA, whatever the batches."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import repgeo as rg

N = 1000


def _data(seed=0, n=N, p=6, q=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3, p) + rng.standard_normal(p)
    Y = X @ rng.standard_normal((p, q)) + 2 * rng.standard_normal((n, q))
    return X, Y


def _stream(X, Y, batch, hsic):
    acc = rg.StreamingLinearCKA(hsic)
    for i in range(0, len(X), batch):
        acc.update(X[i : i + batch], Y[i : i + batch])
    return acc


@pytest.mark.parametrize("hsic, name", [("biased", "linear_cka"), ("unbiased", "linear_cka_unbiased")])
@pytest.mark.parametrize("batch", [1, 7, 100])
def test_equals_full_batch_registered_measure(hsic, name, batch):
    X, Y = _data()
    full = rg.get_measure(name)(X, Y)
    acc = _stream(X, Y, batch, hsic)
    assert acc.n_samples == N
    assert abs(acc.value() - full) < 1e-10


@pytest.mark.parametrize("hsic", ["biased", "unbiased"])
def test_not_the_average_of_per_batch_cka(hsic):
    # the common error: averaging per-batch CKA is batch-size dependent and biased upwards
    X, Y = _data(1, n=200)
    full = rg.LinearCKA(hsic)(X, Y)
    per_batch = np.mean([rg.LinearCKA(hsic)(X[i : i + 10], Y[i : i + 10]) for i in range(0, 200, 10)])
    assert abs(per_batch - full) > 1e-3
    assert abs(_stream(X, Y, 10, hsic).value() - full) < 1e-12


@pytest.mark.parametrize("hsic", ["biased", "unbiased"])
def test_large_offset_loses_no_digits(hsic):
    # centred co-moments: an offset of 1e6 costs only the input's own rounding (~1e6 * eps),
    # where raw sums of products would cancel ~12 digits
    X, Y = _data(2)
    clean = rg.LinearCKA(hsic)(X, Y)
    acc = _stream(X + 1e6, Y - 1e6, 7, hsic)
    assert abs(acc.value() - rg.LinearCKA(hsic)(X + 1e6, Y - 1e6)) < 1e-10
    assert abs(acc.value() - clean) < 1e-10
    # the naive alternative: raw sums, centred at the end
    Xo, Yo = X + 1e6, Y - 1e6
    sxy, sx, sy = Xo.T @ Yo, Xo.sum(0), Yo.sum(0)
    sxx, syy = Xo.T @ Xo, Yo.T @ Yo
    cxy, cxx, cyy = sxy - np.outer(sx, sy) / N, sxx - np.outer(sx, sx) / N, syy - np.outer(sy, sy) / N
    naive = np.sum(cxy**2) / np.sqrt(np.sum(cxx**2) * np.sum(cyy**2))
    if hsic == "biased":
        assert abs(naive - clean) > 1e3 * abs(acc.value() - clean)


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_extreme_scales(scale):
    X, Y = _data(3, n=100)
    acc = _stream(X * scale, Y, 9, "unbiased")
    assert abs(acc.value() - rg.LinearCKA("unbiased")(X, Y)) < 1e-10


@pytest.mark.parametrize("hsic", ["biased", "unbiased"])
def test_many_model_matrix_equals_pairwise(hsic):
    rng = np.random.default_rng(4)
    n = 300
    base = rng.standard_normal((n, 5))
    models = {f"m{i}": base @ rng.standard_normal((5, w)) + rng.standard_normal((n, w)) for i, w in enumerate([3, 8, 1, 5])}
    acc = rg.StreamingCKAMatrix(hsic)
    for i in range(0, n, 64):
        acc.update({k: v[i : i + 64] for k, v in models.items()})
    expected = rg.pairwise(list(models.values()), rg.LinearCKA(hsic))
    np.testing.assert_allclose(acc.value(), expected, rtol=0, atol=1e-10)
    assert acc.labels == list(models)


def test_merge_of_two_workers_equals_one_stream():
    X, Y = _data(5, n=300)
    X[:110] *= 1e-3  # the two workers fix different working units (powers of two)
    a, b = _stream(X[:110], Y[:110], 13, "unbiased"), _stream(X[110:], Y[110:], 50, "unbiased")
    a.merge(b)
    assert abs(a.value() - rg.LinearCKA("unbiased")(X, Y)) < 1e-10
    assert abs(pickle.loads(pickle.dumps(a)).value() - a.value()) == 0


def test_torch_batches():
    torch = pytest.importorskip("torch")
    X, Y = _data(6, n=60)
    acc = rg.StreamingLinearCKA()
    acc.update(torch.from_numpy(X[:30]), torch.from_numpy(Y[:30]).float())
    acc.update(X[30:], Y[30:])
    assert abs(acc.value() - rg.LinearCKA()(X, Y)) < 1e-6


def test_bad_input_is_named():
    acc = rg.StreamingLinearCKA()
    with pytest.raises(ValueError, match="X_batch has 5 rows .* Y_batch has 4"):
        acc.update(np.ones((5, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="X_batch must be finite"):
        acc.update(np.full((5, 2), np.nan), np.ones((5, 2)))
    with pytest.raises(ValueError, match="holds 0 samples .* at least 3"):
        acc.value()
    acc.update(np.random.default_rng(0).standard_normal((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="widths of the first batch, \\(3, 2\\); got \\(4, 2\\)"):
        acc.update(np.ones((2, 4)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="X and Y hold 2 samples .* at least 3"):
        acc.value()
    acc.update(np.random.default_rng(1).standard_normal((3, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="Y is constant"):
        acc.value()
    u = rg.StreamingLinearCKA("unbiased").update(*_data(0, n=3))
    with pytest.raises(ValueError, match="at least 4 for the unbiased"):
        u.value()
    with pytest.raises(ValueError, match="hsic"):
        rg.StreamingLinearCKA("fast")
    m = rg.StreamingCKAMatrix().update({"a": np.ones((3, 2)), "b": np.ones((3, 2))})
    with pytest.raises(ValueError, match="same models|models and widths"):
        m.update({"a": np.ones((3, 2)), "c": np.ones((3, 2))})
    with pytest.raises(TypeError, match="batches"):
        m.update(np.ones((3, 2)))


def test_a_later_batch_far_larger_than_the_first():
    # the working unit follows the largest entry seen: no overflow, and the small rows still count
    X, Y = _data(7, n=60)
    X[:20] = 0.0
    X[40:] *= 1e300
    Y[20:] *= 1e-300
    acc = _stream(X, Y, 20, "biased")
    assert abs(acc.value() - rg.LinearCKA()(X, Y)) < 1e-10
