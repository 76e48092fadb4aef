"""ShapeMetric: closed forms, identities with independent implementations, reference values."""

import warnings

import numpy as np
import pytest
import scipy.linalg
from scipy.stats import ortho_group

import repgeo as rg
from repgeo import RepresentationWarning


def centred(X):
    return X - X.mean(axis=0)


def padded(X, width):
    return np.hstack([X, np.zeros((X.shape[0], width - X.shape[1]))])


def procrustes_independent(X, Y, *, angular):
    """Zero-pad, centre (and normalise), then SciPy's orthogonal Procrustes rotation."""
    p = max(X.shape[1], Y.shape[1])
    A, B = padded(centred(X), p), padded(centred(Y), p)
    if angular:
        A, B = A / np.linalg.norm(A), B / np.linalg.norm(B)
    R, _ = scipy.linalg.orthogonal_procrustes(B, A)
    if angular:
        return np.arccos(np.clip(np.sum(A * (B @ R)), -1, 1))
    return np.linalg.norm(A - B @ R)


def partial_whitening_independent(X, alpha):
    """Eigendecomposition of the covariance (not the SVD of the data)."""
    Xc = centred(X)
    lam, V = np.linalg.eigh(Xc.T @ Xc / len(X))
    keep = lam > 1e-10 * lam.max()
    lam, V = lam[keep], V[:, keep]
    gains = alpha + (1 - alpha) / np.sqrt(lam / lam.mean())
    return Xc @ V @ np.diag(gains) @ V.T


@pytest.mark.parametrize("shape_x,shape_y", [((60, 5), (60, 5)), ((60, 4), (60, 9)), ((10, 30), (10, 20))])
@pytest.mark.parametrize("seed", [0, 1])
def test_procrustes_matches_nuclear_norm_formula_and_scipy(shape_x, shape_y, seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal(shape_x), rng.standard_normal(shape_y)
    Xc, Yc = centred(X), centred(Y)
    nuc = np.linalg.svd(Xc.T @ Yc, compute_uv=False).sum()
    formula = np.arccos(nuc / (np.linalg.norm(Xc) * np.linalg.norm(Yc)))
    got = rg.get_measure("procrustes")(X, Y)
    assert got == pytest.approx(formula, abs=1e-12)
    assert got == pytest.approx(procrustes_independent(X, Y, angular=True), abs=1e-10)
    euclid = rg.get_measure("procrustes_euclidean")(X, Y)
    assert euclid == pytest.approx(procrustes_independent(X, Y, angular=False), rel=1e-10)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("score", ["angular", "euclidean"])
def test_similarity_transform_gives_zero(alpha, score):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((80, 6)) @ rng.standard_normal((6, 6))
    Q = ortho_group.rvs(6, random_state=4)
    c = 1.0 if score == "euclidean" else 3.7
    Y = c * X @ Q + rng.standard_normal(6)
    d = rg.ShapeMetric(alpha=alpha, score=score)(X, Y)
    assert d == pytest.approx(0.0, abs=1e-6 * (1 if score == "angular" else np.linalg.norm(X)))


def test_alpha_zero_is_arccos_of_mean_canonical_correlation():
    rng = np.random.default_rng(5)
    for _ in range(5):
        X = rng.standard_normal((100, 7))
        Y = X @ rng.standard_normal((7, 7)) + 2.0 * rng.standard_normal((100, 7))
        # canonical correlations are the cosines of the principal angles between the centred column spaces
        rho = np.cos(scipy.linalg.subspace_angles(centred(X), centred(Y)))
        assert rg.get_measure("cca")(X, Y) == pytest.approx(np.arccos(rho.mean()), abs=1e-10)


@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.5, 0.9])
def test_partial_whitening_matches_covariance_eigendecomposition(alpha):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((90, 5)) @ np.diag([5, 2, 1, 0.5, 0.1])
    Y = rng.standard_normal((90, 8)) @ rng.standard_normal((8, 8))
    expected = procrustes_independent(
        partial_whitening_independent(X, alpha), partial_whitening_independent(Y, alpha), angular=True
    )
    assert rg.ShapeMetric(alpha=alpha)(X, Y) == pytest.approx(expected, abs=1e-9)


@pytest.mark.slow
def test_netrep_and_repsim_reference_values():
    """Stored outputs of netrep (HEAD 0186b8a) and repsim; see tests/data/README.md."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((2000, 200)), rng.standard_normal((2000, 200))
    assert rg.get_measure("procrustes")(X, Y) == pytest.approx(1.303985, abs=5e-7)
    assert rg.get_measure("cca")(X, Y) == pytest.approx(1.298496, abs=5e-7)
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((200, 30)), rng.standard_normal((200, 30))
    assert rg.get_measure("procrustes")(X, Y) == pytest.approx(1.259389, abs=5e-7)


def test_euclidean_scales_with_the_data():
    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((50, 4)), rng.standard_normal((50, 6))
    for alpha in (0.0, 0.5, 1.0):
        m = rg.ShapeMetric(alpha=alpha, score="euclidean")
        assert m(2.5 * X, 2.5 * Y) == pytest.approx(2.5 * m(X, Y), rel=1e-10)


def test_huge_ridge_approaches_procrustes():
    rng = np.random.default_rng(8)
    X, Y = rng.standard_normal((40, 5)) @ np.diag([4, 2, 1, 1, 0.2]), rng.standard_normal((40, 5))
    assert rg.ShapeMetric(alpha=0.0, ridge=1e12)(X, Y) == pytest.approx(rg.ShapeMetric()(X, Y), abs=1e-6)


def test_rank_deficient_and_wide_inputs_do_not_crash():
    rng = np.random.default_rng(9)
    base = rng.standard_normal((30, 3))
    X = np.hstack([base, base[:, :1], np.ones((30, 1))])  # duplicated and constant columns
    Y = rng.standard_normal((30, 50))  # n < p
    for alpha in (0.0, 0.5, 1.0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RepresentationWarning)
            d = rg.ShapeMetric(alpha=alpha)(X, Y)
        assert np.isfinite(d) and 0 <= d <= np.pi / 2
    assert rg.ShapeMetric()(X, base) == pytest.approx(rg.ShapeMetric()(np.hstack([base, base[:, :1]]), base))


def test_cca_with_fewer_samples_than_features_warns_and_collapses():
    """The pitfall netrep users hit: alpha=0 with n <= p fits noise, distance 0."""
    rng = np.random.default_rng(10)
    X, Y = rng.standard_normal((20, 40)), rng.standard_normal((20, 30))
    with pytest.warns(RepresentationWarning, match="ridge"):
        d = rg.get_measure("cca")(X, Y)
    assert d == pytest.approx(0.0, abs=1e-7)
    assert rg.ShapeMetric(alpha=0.0, ridge=0.1)(X, Y) > 0.1


@pytest.mark.parametrize("score", ["angular", "euclidean"])
@pytest.mark.parametrize("widths", [(5, 5), (4, 7), (7, 4)])
def test_fit_reproduces_training_distance_and_maps(score, widths):
    rng = np.random.default_rng(11)
    X, Y = rng.standard_normal((70, widths[0])), rng.standard_normal((70, widths[1]))
    m = rg.ShapeMetric(alpha=0.5, score=score)
    fitted = m.fit(X, Y)
    assert fitted.distance == pytest.approx(m(X, Y), abs=1e-10)
    assert fitted(X, Y) == pytest.approx(m(X, Y), abs=1e-9)
    assert fitted.transform_x(X).shape == fitted.transform_y(Y).shape


def test_held_out_distance_exposes_cca_overfitting():
    rng = np.random.default_rng(12)
    X, Y = rng.standard_normal((120, 30)), rng.standard_normal((120, 30))
    fitted = rg.get_measure("cca").fit(X[:60], Y[:60])
    # in-sample, CCA finds spurious alignment (mean canonical correlation ~0.66 for n = 2p);
    # on held-out samples the fitted maps give a cosine near 0, i.e. an angle near pi/2
    assert np.cos(fitted.distance) > 0.5
    assert abs(np.cos(fitted(X[60:], Y[60:]))) < 0.1
    Q = ortho_group.rvs(30, random_state=13)
    related = rg.ShapeMetric(alpha=0.5).fit(X[:60], X[:60] @ Q)
    assert related(X[60:], X[60:] @ Q) == pytest.approx(0.0, abs=1e-7)


def test_fit_rejects_mismatched_held_out_data():
    rng = np.random.default_rng(14)
    fitted = rg.ShapeMetric().fit(rng.standard_normal((30, 4)), rng.standard_normal((30, 5)))
    with pytest.raises(ValueError, match="columns"):
        fitted(rng.standard_normal((10, 5)), rng.standard_normal((10, 5)))
    with pytest.raises(ValueError, match="rows must be matched"):
        fitted(rng.standard_normal((10, 4)), rng.standard_normal((11, 5)))


@pytest.mark.parametrize("kwargs,match", [({"alpha": 1.5}, "alpha"), ({"score": "cosine"}, "score"), ({"ridge": -1.0}, "ridge")])
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rg.ShapeMetric(**kwargs)


def test_row_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"X has 40 rows \(shape \(40, 5\)\) but Y has 50 \(shape \(50, 5\)\)"):
        rg.ShapeMetric()(np.random.rand(40, 5), np.random.rand(50, 5))


def test_float32_rank_deficient_activations_keep_their_invariances():
    """float32 rounding leaves unused directions at ~1e-8 of the top singular value; CCA must
    not whiten them up to full weight (it gave 1.1 for an orthogonal copy)."""
    rng = np.random.default_rng(20)
    X = (rng.standard_normal((500, 4)) @ rng.standard_normal((4, 32))).astype(np.float32)
    Q = ortho_group.rvs(32, random_state=21).astype(np.float32)
    for alpha in (0.0, 0.5):
        assert rg.ShapeMetric(alpha=alpha)(X, X @ Q) == pytest.approx(0.0, abs=1e-3)
    torch = pytest.importorskip("torch")
    assert rg.get_measure("cca")(torch.from_numpy(X), torch.from_numpy(X @ Q)) == pytest.approx(0.0, abs=1e-3)


CONVENTION_DATA = np.load(__import__("pathlib").Path(__file__).parents[1] / "data" / "shape_conventions.npz")


@pytest.mark.parametrize(
    "tool,score,pair",
    [(t, s, p) for t in ("netrep", "repsim") for s, p in (("angular", ""), ("euclidean", ""), ("angular", "_wide"))],
)
def test_conventions_reproduce_netrep_and_repsim(tool, score, pair):
    """Values computed by netrep (0186b8a) and repsim (wrongu/repsim ecd0a54) themselves at
    alpha 0, 0.25, 0.5, 0.75, 1; see tests/data/README.md and make_shape_conventions.py."""
    d = CONVENTION_DATA
    X, Y = (d["Xw"], d["Yw"]) if pair else (d["X"], d["Y"])
    expected = d[f"{tool}_{score}{pair}"]
    got = [rg.ShapeMetric(alpha=float(a), score=score, convention=tool)(X, Y) for a in d["alphas"]]
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_conventions_differ_only_at_intermediate_alpha():
    d = CONVENTION_DATA
    X, Y = d["X"], d["Y"]
    for alpha in (0.0, 1.0):
        values = [rg.ShapeMetric(alpha=alpha, convention=c)(X, Y) for c in ("repgeo", "netrep", "repsim")]
        assert np.ptp(values) < 1e-12
    values = [rg.ShapeMetric(alpha=0.5, convention=c)(X, Y) for c in ("repgeo", "netrep", "repsim")]
    assert min(abs(values[0] - values[1]), abs(values[0] - values[2]), abs(values[1] - values[2])) > 1e-3


def test_netrep_and_repsim_conventions_depend_on_scale_repgeo_does_not():
    d = CONVENTION_DATA
    X, Y = d["X"], d["Y"]
    for conv in ("netrep", "repsim"):
        m = rg.ShapeMetric(alpha=0.5, convention=conv)
        assert "isotropic_scaling" not in m.info.invariances
        assert abs(m(X, Y) - m(100 * X, Y)) > 1e-4
    m = rg.ShapeMetric(alpha=0.5)
    assert "isotropic_scaling" in m.info.invariances
    assert m(X, Y) == pytest.approx(m(100 * X, Y), abs=1e-12)


def test_convention_is_validated():
    with pytest.raises(ValueError, match="convention must be one of 'repgeo', 'netrep', 'repsim'; got 'sklearn'"):
        rg.ShapeMetric(convention="sklearn")


def test_held_out_scoring_at_extreme_scales():
    """Held-out samples far from unit scale: the angular score is scale-free (no norm overflow at 1e150),
    and coordinates or distances float64 cannot hold raise a clear error instead of a warning and inf."""
    import warnings

    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 5))
    Y = X @ np.linalg.qr(rng.standard_normal((5, 5)))[0]
    fitted = rg.ShapeMetric().fit(X[:60], Y[:60])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fitted(1e150 * X[60:], 1e150 * Y[60:]) == pytest.approx(0.0, abs=1e-7)
        euclidean = rg.ShapeMetric(score="euclidean").fit(X[:60], Y[:60])  # maps in data units
        huge = np.full((40, 5), 1.7e308)  # every coordinate sums five terms near the float maximum
        with pytest.raises(ValueError, match="X is too far from the training data's scale"):
            euclidean.transform_x(huge * np.sign(euclidean.map_x[:, 0]))
        with pytest.raises(ValueError, match="exceeds float64's range"):
            euclidean(1e160 * X[60:], 1e160 * Y[60:] + 1e300)
