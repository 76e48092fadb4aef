"""repgeo.stats: exact tests against enumeration, uniform null p-values, coverage, seeds."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.stats
from scipy.spatial.distance import pdist, squareform

import repgeo as rg
from repgeo import stats
from repgeo._measure import Measure, MeasureInfo


@dataclass(frozen=True)
class Pearson(Measure):
    """Correlation of two flattened representations (a test-only similarity)."""

    @property
    def info(self):
        return MeasureInfo("pearson", "similarity", False, True, identity_value=1.0, bounds=(-1.0, 1.0))

    def compare(self, a, b):
        return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def _related(seed, n=30, noise=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    return X, X @ rng.standard_normal((4, 3)) + noise * rng.standard_normal((n, 3))


# ----------------------------------------------------------------------------- permutation test


@pytest.mark.parametrize(
    "measure", [rg.LinearCKA(), rg.LinearCKA("unbiased"), rg.AngularCKA(), rg.RSA(), rg.RSA("correlation", "spearman"),
                rg.get_measure("rsa_kendall")], ids=repr
)
def test_permuted_prepared_forms_equal_preparing_again(measure):
    X, Y = _related(0, n=12)
    a, b = measure.prepare(X), measure.prepare(Y)
    for idx in np.random.default_rng(1).permuted(np.tile(np.arange(12), (5, 1)), axis=1):
        fast = stats._permutation._permuted(measure, b, idx)
        assert fast is not None
        assert measure.compare(a, fast) == pytest.approx(measure.compare(a, measure.prepare(Y[idx])), abs=1e-13)


@pytest.mark.parametrize("measure", ["linear_cka", "procrustes"])
def test_exact_test_equals_enumeration(measure):
    # n = 5: 120 permutations <= n_permutations, so scipy enumerates them all
    X, Y = _related(2, n=5, noise=3.0)
    m = rg.get_measure(measure)
    values = np.array([m(X, Y[list(p)]) for p in itertools.permutations(range(5))])
    obs = m(X, Y)
    tol = 1e-12
    for alt in ("greater", "less"):
        res = stats.permutation_test(X, Y, measure, n_permutations=999, alternative=alt, rng=0)
        extreme = values >= obs - tol if alt == "greater" else values <= obs + tol
        assert res.pvalue == pytest.approx(extreme.mean(), abs=1e-12)
        np.testing.assert_allclose(np.sort(res.null_distribution), np.sort(values), atol=1e-12)
    assert res.statistic == obs
    default = stats.permutation_test(X, Y, measure, rng=0).alternative
    assert default == ("greater" if m.info.kind == "similarity" else "less")


def test_related_data_give_small_pvalues_and_seed_fixes_output():
    X, Y = _related(3, n=40, noise=0.5)
    r1 = stats.permutation_test(X, Y, rg.LinearCKA(), n_permutations=199, rng=7)
    r2 = stats.permutation_test(X, Y, rg.LinearCKA(), n_permutations=199, rng=7)
    r3 = stats.permutation_test(X, Y, rg.LinearCKA(), n_permutations=199, rng=8)
    assert r1.pvalue == 1 / 200  # (1 + 0) / (1 + B): never zero
    np.testing.assert_array_equal(r1.null_distribution, r2.null_distribution)
    assert not np.array_equal(r1.null_distribution, r3.null_distribution)


def _null_pvalues(seeds, n_permutations, measure="linear_cka"):
    out = []
    for s in seeds:
        rng = np.random.default_rng(s)
        X, Y = rng.standard_normal((15, 3)), rng.standard_normal((15, 4))
        out.append(stats.permutation_test(X, Y, measure, n_permutations=n_permutations, rng=rng).pvalue)
    return np.array(out)


def _assert_uniform(p, grid):
    """Under the null, P(p <= k/grid) = k/grid exactly: KS test plus the 5% level against its SE."""
    assert scipy.stats.kstest(p, "uniform").pvalue > 1e-3
    rate, nominal = np.mean(p <= 0.05 + 1e-12), 0.05
    se = np.sqrt(nominal * (1 - nominal) / len(p))
    assert abs(rate - nominal) < 4 * se, (rate, se)


def test_pvalues_are_uniform_under_independence():
    _assert_uniform(_null_pvalues(range(200), 19), 20)


@pytest.mark.slow
@pytest.mark.parametrize("measure, n_seeds", [("linear_cka", 1500), ("rsa", 1500), ("procrustes", 400)])
def test_pvalues_are_uniform_under_independence_many_seeds(measure, n_seeds):
    # procrustes has no permuted prepared form (each permutation prepares Y again): fewer seeds
    _assert_uniform(_null_pvalues(range(1000, 1000 + n_seeds), 99, measure), 100)


def test_bad_input():
    X, Y = _related(0)
    with pytest.raises(ValueError, match="X has 30 rows .* Y has 29"):
        stats.permutation_test(X, Y[:29], "linear_cka")
    with pytest.raises(ValueError, match="n_permutations"):
        stats.permutation_test(X, Y, "linear_cka", n_permutations=0)
    with pytest.raises(ValueError, match="alternative"):
        stats.permutation_test(X, Y, "linear_cka", alternative="bigger")
    with pytest.raises(TypeError, match="measure"):
        stats.permutation_test(X, Y, np.mean)
    with pytest.raises(ValueError, match="Y must be finite"):
        stats.permutation_test(X, Y * np.nan, "linear_cka")


# ----------------------------------------------------------------------------- bootstrap


def test_bootstrap_percentile_interval_is_the_quantiles_and_seeded():
    X, Y = _related(4, n=50)
    a = stats.bootstrap_ci(X, Y, "linear_cka", n_resamples=300, method="percentile", rng=3)
    b = stats.bootstrap_ci(X, Y, "linear_cka", n_resamples=300, method="percentile", rng=3)
    assert (a.low, a.high) == (b.low, b.high)
    np.testing.assert_allclose([a.low, a.high], np.quantile(a.bootstrap_distribution, [0.025, 0.975]), rtol=1e-12)
    assert a.statistic == rg.LinearCKA()(X, Y)
    assert a.standard_error == pytest.approx(np.std(a.bootstrap_distribution, ddof=1))
    # a resample is X[I], Y[I]: the first one is reproduced from the same stream scipy draws from
    assert len(a.bootstrap_distribution) == 300


def test_bootstrap_of_a_constant_statistic():
    X, _ = _related(5)
    ci = stats.bootstrap_ci(X, 2 * X + 1, "linear_cka", n_resamples=50, rng=0)
    assert ci.low == pytest.approx(1.0, abs=1e-12) and ci.high == pytest.approx(1.0, abs=1e-12)


def _rsa_statistic(monkeypatch, X, Y, measure):
    """The per-resample statistic that bootstrap_ci hands to scipy (scipy's resampler replaced by a recorder)."""
    seen = {}

    def record(data, statistic, **kwargs):
        seen["statistic"] = statistic
        raise StopIteration

    monkeypatch.setattr(scipy.stats, "bootstrap", record)
    with pytest.raises(StopIteration):
        stats.bootstrap_ci(X, Y, measure, n_resamples=10)
    return seen["statistic"]


@pytest.mark.parametrize("measure", [rg.RSA(), rg.RSA("euclidean", "pearson"), rg.RSA("cosine", "kendall_tau_a")])
def test_rsa_bootstrap_leaves_out_a_stimulus_against_its_own_copy(monkeypatch, measure):
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((12, 5)), rng.standard_normal((12, 5))
    statistic = _rsa_statistic(monkeypatch, X, Y, measure)
    distinct = rng.permutation(12)[:9]  # no copies: the plain measure on the resampled rows
    assert statistic(distinct) == pytest.approx(measure(X[distinct], Y[distinct]), abs=1e-12)
    idx = np.array([0, 0, 3, 5, 5, 5, 7, 8, 9, 11])
    # independently: the RDMs of the resampled rows, pairs of one stimulus with itself removed
    metric = {"correlation": "correlation", "euclidean": "euclidean", "cosine": "cosine"}[measure.rdm]
    dx, dy = pdist(X[idx], metric), pdist(Y[idx], metric)
    i, j = np.triu_indices(len(idx), 1)
    keep = idx[i] != idx[j]
    assert keep.sum() == 45 - 1 - 3  # one pair of copies of 0, three of 5
    compare = {
        "spearman": lambda a, b: scipy.stats.spearmanr(a, b).statistic,
        "pearson": lambda a, b: scipy.stats.pearsonr(a, b).statistic,
        "kendall_tau_a": lambda a, b: _tau_a(a, b),
    }[measure.comparison]
    assert statistic(idx) == pytest.approx(compare(dx[keep], dy[keep]), abs=1e-12)


def _tau_a(a, b):
    n = len(a)
    s = sum(np.sign(a[k] - a[m]) * np.sign(b[k] - b[m]) for k in range(n) for m in range(k + 1, n))
    return s / (n * (n - 1) / 2)


def test_rsa_bootstrap_is_not_pulled_up_by_copies():
    """Naive resampling puts a shared zero in both RDMs for every copied stimulus: for unrelated X and Y its
    bootstrap distribution sits about one standard error above the statistic; the corrected one does not."""
    measure = rg.RSA()
    for seed in range(3):
        rng = np.random.default_rng(seed)
        X, Y = rng.standard_normal((20, 10)), rng.standard_normal((20, 10))
        ci = stats.bootstrap_ci(X, Y, measure, n_resamples=300, rng=seed)
        draws = np.random.default_rng(seed).integers(0, 20, (300, 20))
        naive = np.array([measure(X[d], Y[d]) for d in draws])
        assert naive.mean() - ci.statistic > 0.7 * ci.standard_error
        assert abs(ci.bootstrap_distribution.mean() - ci.statistic) < 0.25 * ci.standard_error


def test_rsa_from_a_precomputed_rdm_equals_rsa_of_the_data():
    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((15, 6)), rng.standard_normal((15, 6))
    for measure in (rg.RSA(), rg.RSA("euclidean", "pearson"), rg.RSA("sqeuclidean", "kendall_tau_a")):
        direct = measure(X, Y)
        metric = "sqeuclidean" if measure.rdm == "sqeuclidean" else measure.rdm
        given = measure.compare(measure.prepare_rdm(pdist(X, metric)), measure.prepare_rdm(pdist(Y, metric)))
        assert given == pytest.approx(direct, abs=1e-12)
    with pytest.raises(ValueError, match="at least 2 dissimilarities"):
        rg.RSA().prepare_rdm([1.0])
    with pytest.raises(ValueError, match="constant"):
        rg.RSA().prepare_rdm(np.ones(6))


def _coverage(n_sim, method):
    # 1-D representations: biased linear CKA is the squared Pearson correlation; the population value is rho^2
    rho, n, hits = 0.6, 80, 0
    for s in range(n_sim):
        rng = np.random.default_rng(s)
        x = rng.standard_normal(n)
        y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(n)
        ci = stats.bootstrap_ci(x[:, None], y[:, None], "linear_cka", n_resamples=499, method=method, rng=rng)
        hits += ci.low <= rho**2 <= ci.high
    return hits / n_sim


@pytest.mark.slow
def test_bootstrap_bca_covers_at_the_nominal_rate():
    n_sim = 400
    rate = _coverage(n_sim, "BCa")
    se = np.sqrt(0.95 * 0.05 / n_sim)
    assert abs(rate - 0.95) < 3 * se, (rate, se)


# ----------------------------------------------------------------------------- noise ceiling


def test_spearman_brown_closed_forms():
    assert stats.spearman_brown(0.5) == pytest.approx(2 / 3)
    assert stats.spearman_brown(1.0) == 1.0 and stats.spearman_brown(0.0) == 0.0
    np.testing.assert_allclose(stats.spearman_brown(np.array([0.2, 0.5]), 3), [0.6 / 1.4, 1.5 / 2.0])


def test_noise_ceiling_predicts_the_reliability_of_the_full_average():
    # signal s ~ N(0, 1) and noise e ~ N(0, sn^2) per repeat: the mean of m repeats has reliability
    # 1 / (1 + sn^2 / m); split halves of R = 8 repeats (m = 4), corrected, predict m = 8
    sn2, R = 4.0, 8
    rng = np.random.default_rng(0)
    values = []
    for _ in range(20):
        data = rng.standard_normal((400, 1, 5)) + np.sqrt(sn2) * rng.standard_normal((400, R, 5))
        values.append(stats.noise_ceiling(data, Pearson(), n_splits=10, rng=rng))
    half = np.array([v.split_half for v in values])
    ceil = np.array([v.ceiling for v in values])
    se = ceil.std(ddof=1) / np.sqrt(len(ceil))
    assert abs(half.mean() - 1 / (1 + sn2 / (R // 2))) < 4 * half.std(ddof=1) / np.sqrt(len(half))
    assert abs(ceil.mean() - 1 / (1 + sn2 / R)) < 4 * se + 2e-3  # + the O(1/n) bias of r at n = 2000
    assert values[0].repeats_per_half == 4
    assert len(values[0].split_values) == 10


def test_noise_ceiling_at_the_float_maximum():
    # found by the thorough fuzz pass: averaging repeats near 1.8e308 overflowed
    data = np.random.default_rng(0).standard_normal((6, 4, 3))
    ref = stats.noise_ceiling(data, "rsa", n_splits=3, rng=0)
    big = stats.noise_ceiling(data * 2.0**1020, "rsa", n_splits=3, rng=0)
    np.testing.assert_allclose(big.split_values, ref.split_values, atol=1e-12)


def test_noise_ceiling_seed_and_bad_input():
    data = np.random.default_rng(0).standard_normal((20, 5, 3))
    a, b = (stats.noise_ceiling(data, "rsa", n_splits=5, rng=1) for _ in range(2))
    np.testing.assert_array_equal(a.split_values, b.split_values)
    with pytest.raises(ValueError, match="measure must be a similarity"):
        stats.noise_ceiling(data, "procrustes")
    with pytest.raises(ValueError, match="at least 2 repeats"):
        stats.noise_ceiling(data[:, :1], "rsa")
    with pytest.raises(ValueError, match="data must be 3-D"):
        stats.noise_ceiling(data[:, 0], "rsa")


# ----------------------------------------------------------------------------- Mantel


def _dist(seed, n, noise):
    rng = np.random.default_rng(seed)
    P = rng.standard_normal((n, 3))
    return squareform(pdist(P)), squareform(pdist(P + noise * rng.standard_normal((n, 3))))


@functools.lru_cache
def _mantel_by_enumeration(method, n=6):
    """The Mantel null by brute force: every relabelling of D2's objects, scipy's correlation."""
    D1, D2 = _dist(0, n, 1.0)
    iu = np.triu_indices(n, 1)
    corr = scipy.stats.pearsonr if method == "pearson" else scipy.stats.spearmanr
    values = np.array([corr(D1[iu], D2[np.ix_(p, p)][iu]).statistic for p in map(list, itertools.permutations(range(n)))])
    return D1, D2, corr(D1[iu], D2[iu]).statistic, values


@pytest.mark.parametrize("method", ["pearson", "spearman"])
@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_mantel_equals_brute_force_enumeration(method, alternative):
    D1, D2, obs, values = _mantel_by_enumeration(method)  # 6 objects: 720 relabellings, all enumerated
    res = stats.mantel(D1, D2, method=method, alternative=alternative, n_permutations=1000, rng=0)
    assert res.statistic == pytest.approx(obs, abs=1e-12)
    tol = 1e-12
    expected = {
        "greater": np.mean(values >= obs - tol),
        "less": np.mean(values <= obs + tol),
        "two-sided": min(1.0, 2 * min(np.mean(values >= obs - tol), np.mean(values <= obs + tol))),
    }[alternative]
    assert res.pvalue == pytest.approx(expected, abs=1e-12)


def test_mantel_pvalues_uniform_for_unrelated_matrices():
    p = []
    for s in range(200):
        D1, _ = _dist(s, 8, 0)
        D2, _ = _dist(10_000 + s, 8, 0)
        p.append(stats.mantel(D1, D2, n_permutations=99, rng=s).pvalue)
    _assert_uniform(np.array(p), 100)


def test_mantel_bad_input():
    D1, D2 = _dist(0, 5, 1.0)
    with pytest.raises(ValueError, match="D2 must be a square \\(5, 5\\)"):
        stats.mantel(D1, D2[:4, :4])
    with pytest.raises(ValueError, match="D1 must be symmetric"):
        stats.mantel(D1 + np.triu(np.ones((5, 5)), 1), D2)
    with pytest.raises(ValueError, match="D1 must hold non-negative"):
        stats.mantel(-D1, D2)
    with pytest.raises(ValueError, match="all off-diagonal distances equal"):
        stats.mantel(1 - np.eye(5), D2)
    with pytest.raises(ValueError, match="at least 3 objects"):
        stats.mantel(D1[:2, :2], D2[:2, :2])
    with pytest.raises(ValueError, match="D1 must be finite"):
        stats.mantel(D1 * np.nan, D2)


def test_mantel_agrees_with_scikit_bio():
    # stored outputs of scikit-bio 0.7.4 (tests/data/make_mantel_skbio.py, 99,999 permutations);
    # statistics to rounding, one-sided p-values within 4 standard errors of the two Monte Carlo
    # estimates.  scikit-bio's two-sided p counts |null| >= |r|, scipy's doubles the smaller tail:
    # different definitions, so only the statistic is compared there.
    import json
    import sys
    from pathlib import Path

    data = Path(__file__).parent / "data"
    sys.path.insert(0, str(data))
    try:
        from make_mantel_skbio import inputs
    finally:
        sys.path.remove(str(data))
    ref = json.loads((data / "mantel_skbio.json").read_text())
    n_ref, n_ours = ref["permutations"], 19_999
    for row in ref["results"]:
        D1, D2 = inputs(row["case"])
        one_sided = row["alternative"] == "greater"
        res = stats.mantel(D1, D2, method=row["method"], alternative=row["alternative"],
                           n_permutations=n_ours if one_sided else 1, rng=1)
        assert res.statistic == pytest.approx(row["statistic"], abs=1e-12)
        if one_sided:
            p = max(row["pvalue"], 1 / n_ref)
            se = np.sqrt(p * (1 - p) * (1 / n_ref + 1 / n_ours))
            assert abs(res.pvalue - row["pvalue"]) < 4 * se + 1 / n_ours, (row, res.pvalue)


def test_permutation_test_refuses_measures_of_dynamics():
    """DSA never pairs rows: permuting trials would give p = 1 whatever the data, so it is refused by name."""
    X = np.random.default_rng(0).standard_normal((4, 30, 3))
    with pytest.raises(ValueError, match="'dsa' compares dynamics"):
        rg.stats.permutation_test(X, X, "dsa", n_permutations=9, rng=0)
