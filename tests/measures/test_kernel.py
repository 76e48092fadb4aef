"""CKA: the Frobenius formula, Song et al.'s HSIC_1 on Gram matrices, kernels, estimator bias."""

import numpy as np
import pytest

import repgeo as rg


def gram_centred(K):
    n = len(K)
    H = np.eye(n) - np.ones((n, n)) / n
    return H @ K @ H


def hsic1_gram(K, L):
    """Song et al. (2012) eq. 5, written directly on Gram matrices with zeroed diagonals."""
    n = len(K)
    K, L = K.copy(), L.copy()
    np.fill_diagonal(K, 0)
    np.fill_diagonal(L, 0)
    one = np.ones(n)
    return (np.trace(K @ L) + (one @ K @ one) * (one @ L @ one) / ((n - 1) * (n - 2)) - 2 / (n - 2) * one @ K @ L @ one) / (n * (n - 3))


def cka_from_grams(K, L, estimator):
    if estimator == "biased":
        Kc, Lc = gram_centred(K), gram_centred(L)
        return np.sum(Kc * Lc) / (np.linalg.norm(Kc) * np.linalg.norm(Lc))
    return hsic1_gram(K, L) / np.sqrt(hsic1_gram(K, K) * hsic1_gram(L, L))


@pytest.mark.parametrize("shapes", [((50, 6), (50, 9)), ((12, 40), (12, 3))])
def test_linear_cka_matches_frobenius_and_gram_formulas(shapes):
    rng = np.random.default_rng(0)
    X = rng.standard_normal(shapes[0])
    Y = X[:, :1] + 0.5 * rng.standard_normal(shapes[1])
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    frobenius = np.linalg.norm(Xc.T @ Yc) ** 2 / (np.linalg.norm(Xc.T @ Xc) * np.linalg.norm(Yc.T @ Yc))
    assert rg.LinearCKA()(X, Y) == pytest.approx(frobenius, rel=1e-12)
    assert rg.LinearCKA()(X, Y) == pytest.approx(cka_from_grams(X @ X.T, Y @ Y.T, "biased"), rel=1e-10)


@pytest.mark.parametrize("shapes", [((30, 5), (30, 8)), ((10, 25), (10, 4))])
def test_unbiased_linear_cka_matches_song_hsic1(shapes):
    rng = np.random.default_rng(1)
    X = rng.standard_normal(shapes[0]) + 3.0  # uncentred on purpose: HSIC_1 ignores the offset
    Y = X[:, :1] ** 2 + rng.standard_normal(shapes[1])
    expected = cka_from_grams(X @ X.T, Y @ Y.T, "unbiased")
    got = rg.LinearCKA(hsic="unbiased")(X, Y)
    assert got == pytest.approx(expected, rel=1e-9)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    assert got == pytest.approx(cka_from_grams(Xc @ Xc.T, Yc @ Yc.T, "unbiased"), rel=1e-9)


def test_unbiased_estimator_removes_the_bias_between_independent_data():
    """n = 128 independent Gaussian pairs over 20 seeds: unbiased CKA averages ~0, biased does not."""
    biased, unbiased = [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        X, Y = rng.standard_normal((128, 64)), rng.standard_normal((128, 64))
        biased.append(rg.LinearCKA()(X, Y))
        unbiased.append(rg.LinearCKA(hsic="unbiased")(X, Y))
    assert abs(np.mean(unbiased)) < 0.01
    assert np.mean(biased) > 0.2
    # the spread of the unbiased values is what makes 0.01 a meaningful bound
    assert np.std(unbiased) / np.sqrt(20) < 0.005


@pytest.mark.parametrize("hsic", ["biased", "unbiased"])
def test_kernel_cka_rbf_matches_direct_implementation(hsic):
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((40, 3)), rng.standard_normal((40, 5))
    Y[:, 0] = np.sin(X[:, 0])

    def rbf(A):
        sq = np.sum((A[:, None] - A[None]) ** 2, axis=-1)
        d = np.sqrt(sq[np.triu_indices(len(A), 1)])
        sigma = np.median(d)
        return np.exp(-sq / (2 * sigma**2))

    assert rg.KernelCKA(hsic=hsic)(X, Y) == pytest.approx(cka_from_grams(rbf(X), rbf(Y), hsic), rel=1e-9)


@pytest.mark.parametrize("hsic", ["biased", "unbiased"])
def test_degree_one_polynomial_kernel_cka_is_linear_cka(hsic):
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((35, 4)), rng.standard_normal((35, 6))
    poly = rg.KernelCKA(kernel="polynomial", degree=1, coef0=0.0, hsic=hsic)
    assert poly(X, Y) == pytest.approx(rg.LinearCKA(hsic=hsic)(X, Y), rel=1e-9)


def test_polynomial_kernel_cka_matches_direct_implementation():
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((30, 3)), rng.standard_normal((30, 4))
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    K, L = (Xc @ Xc.T / 3 + 1.0) ** 3, (Yc @ Yc.T / 4 + 1.0) ** 3
    assert rg.KernelCKA(kernel="polynomial")(X, Y) == pytest.approx(cka_from_grams(K, L, "biased"), rel=1e-10)


def test_angular_cka_is_arccos_of_linear_cka():
    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((40, 6)), rng.standard_normal((40, 3))
    assert rg.AngularCKA()(X, Y) == pytest.approx(np.arccos(rg.LinearCKA()(X, Y)), abs=1e-12)


def test_unbiased_needs_four_samples():
    X = np.random.default_rng(6).standard_normal((3, 2))
    with pytest.raises(ValueError, match="at least 4"):
        rg.LinearCKA(hsic="unbiased")(X, X)


@pytest.mark.parametrize("kwargs,match", [({"kernel": "laplace"}, "kernel"), ({"sigma": 0.0}, "sigma"), ({"hsic": "song"}, "hsic")])
def test_kernel_cka_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rg.KernelCKA(**kwargs)
