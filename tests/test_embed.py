import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform

from repgeo.embed import classical_mds


def test_recovers_euclidean_configurations():
    pts = np.random.default_rng(0).standard_normal((20, 3))
    emb = classical_mds(squareform(pdist(pts)), n_components=3)
    np.testing.assert_allclose(pdist(emb.coords), pdist(pts), rtol=1e-9)
    assert emb.negative_mass < 1e-10 and emb.explained == pytest.approx(1.0)
    assert emb.rank_correlation == pytest.approx(1.0)


def test_matches_scikit_learn_classical_mds_when_available():
    manifold = pytest.importorskip("sklearn.manifold")
    if not hasattr(manifold, "ClassicalMDS"):
        pytest.skip("scikit-learn < 1.8 has no ClassicalMDS")
    pts = np.random.default_rng(1).standard_normal((15, 4))
    D = squareform(pdist(pts, "cityblock"))  # not Euclidean: negative eigenvalues appear
    ours = classical_mds(D, n_components=2)
    theirs = manifold.ClassicalMDS(n_components=2, metric="precomputed").fit(D)
    np.testing.assert_allclose(np.abs(ours.coords), np.abs(theirs.embedding_), rtol=1e-8, atol=1e-10)
    assert ours.negative_mass > 0


def test_bad_distance_matrices():
    with pytest.raises(ValueError, match="square"):
        classical_mds(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="symmetric"):
        classical_mds(np.array([[0, 1.0, 2], [1, 0, 1], [3, 1, 0]]))
    with pytest.raises(ValueError, match="zero diagonal"):
        classical_mds(np.ones((3, 3)))
    with pytest.raises(ValueError, match="n_components must be <"):
        classical_mds(squareform(pdist(np.eye(3))), n_components=3)


def test_scale_and_equidistant_points():
    pts = np.random.default_rng(2).standard_normal((10, 3))
    D = squareform(pdist(pts))
    small, big = classical_mds(D), classical_mds(1e100 * D)  # D**2 alone would overflow above ~1e154
    np.testing.assert_allclose(pdist(big.coords), 1e100 * pdist(small.coords), rtol=1e-9)  # up to axis signs
    np.testing.assert_allclose(big.eigenvalues[:3], 1e200 * small.eigenvalues[:3], rtol=1e-9)
    assert big.rank_correlation == pytest.approx(small.rank_correlation)
    simplex = classical_mds(1.0 - np.eye(4))  # all distances equal: no order to keep
    assert np.isnan(simplex.rank_correlation) and simplex.negative_mass < 1e-12


# ----------------------------------------------------------------------------- landmark and metric MDS

import repgeo as rg  # noqa: E402
from repgeo.embed import landmark_distances, landmark_mds, metric_mds  # noqa: E402
from scipy.spatial.distance import cdist  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402


def test_landmark_mds_recovers_euclidean_points_and_landmarks_match_classical():
    pts = np.random.default_rng(3).standard_normal((80, 3))
    idx = np.array([5, 17, 33, 40, 51, 62, 79])
    emb = landmark_mds(cdist(pts[idx], pts), landmarks=idx, n_components=3)
    np.testing.assert_allclose(pdist(emb.coords), pdist(pts), rtol=1e-9, atol=1e-12)
    # the landmarks sit exactly at their own classical MDS coordinates
    own = classical_mds(squareform(pdist(pts[idx])), n_components=3)
    np.testing.assert_allclose(np.abs(emb.coords[idx]), np.abs(own.coords), atol=1e-10)
    np.testing.assert_allclose(emb.eigenvalues, own.eigenvalues, rtol=1e-9, atol=1e-12)
    assert emb.rank_correlation == pytest.approx(1.0)
    big = landmark_mds(1e150 * cdist(pts[idx], pts), landmarks=idx, n_components=3)
    np.testing.assert_allclose(big.coords / 1e150, emb.coords, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="would overflow"):
        landmark_mds(1e160 * cdist(pts[idx], pts), landmarks=idx, n_components=3)


def test_landmark_mds_equals_classical_when_every_point_is_a_landmark():
    pts = np.random.default_rng(4).standard_normal((25, 5))
    D = squareform(pdist(pts, "cityblock"))
    full = classical_mds(D, 2)
    lm = landmark_mds(D, landmarks=np.arange(25), n_components=2)
    np.testing.assert_allclose(np.abs(lm.coords), np.abs(full.coords), atol=1e-10)


def _family(K, seed):
    """Representations whose shapes vary along two latent parameters (plus small noise)."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((40, 6))
    gens = [rng.standard_normal((6, 6)) / 3 for _ in range(2)]
    return [base @ (np.eye(6) + sum(t * G for t, G in zip(rng.uniform(0, 1, 2), gens)))
            + 0.05 * rng.standard_normal((40, 6)) for _ in range(K)]


def test_landmark_distances_are_rows_of_the_all_pairs_matrix_and_maxmin():
    reps = _family(30, 0)
    m = rg.ShapeMetric(alpha=1.0, score="angular")
    D = rg.pairwise(reps, m)
    ld = landmark_distances(reps, m, n_landmarks=6, rng=1)
    np.testing.assert_allclose(ld.distances, D[ld.landmarks], atol=1e-12)
    for j in range(1, 6):  # each landmark is the point farthest from the landmarks before it
        nearest = D[ld.landmarks[:j]].min(axis=0)
        assert nearest[ld.landmarks[j]] == pytest.approx(nearest.max(), abs=1e-12)
    again = landmark_distances(dict(zip("abcdefghijklmnopqrstuvwxyz0123", reps)), m, landmarks=ld.landmarks)
    # given landmarks go through the engine's tiles: GEMMs blocked differently, rounding only
    np.testing.assert_allclose(again.distances, ld.distances, atol=1e-12)
    assert (again.distances[np.arange(6), ld.landmarks] == 0).all()
    parallel = landmark_distances(reps, m, landmarks=ld.landmarks, n_jobs=2)
    np.testing.assert_allclose(parallel.distances, again.distances, atol=1e-12)
    assert again.labels[:2] == ["a", "b"]


def _distortion(K, seed, L):
    reps = _family(K, seed)
    m = rg.ShapeMetric(alpha=1.0, score="angular")
    D = rg.pairwise(reps, m)
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0.0)
    ld = landmark_distances(reps, m, n_landmarks=L, rng=seed)
    return spearmanr(pdist(landmark_mds(ld.distances, ld.landmarks).coords), pdist(classical_mds(D).coords)).statistic


def test_landmark_embedding_keeps_the_order_of_classical_distances():
    # Spearman correlation of the 2-D landmark and classical embeddings' distances.  Calibrated over
    # 20 seeds of this family: K = 60, L = 10 gives mean 0.99973, sd 0.00035, min 0.99866; the bound
    # sits 8 sd below the mean.  (Unrelated embeddings give about 0; a wrong triangulation, e.g.
    # without the column-mean centring, falls far below.)
    assert _distortion(60, 0, 10) > 0.997


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_landmark_embedding_k300(seed):
    # K = 300, L = 20 over 20 seeds (benchmarks/bench_landmark_mds.py): mean 0.9998, sd 0.0002, min 0.9992
    assert _distortion(300, seed, 20) > 0.998


def test_metric_mds_recovers_points_and_improves_on_classical_stress():
    pts = np.random.default_rng(5).standard_normal((30, 2))
    emb = metric_mds(squareform(pdist(pts)))
    assert emb.stress < 1e-3 and emb.rank_correlation == pytest.approx(1.0, abs=1e-6)
    D = squareform(pdist(np.random.default_rng(6).standard_normal((30, 6))))  # not 2-D: stress remains
    start = classical_mds(D)
    stress0 = np.sqrt(np.sum((pdist(start.coords) - squareform(D)) ** 2) / np.sum(squareform(D) ** 2))
    emb = metric_mds(D)
    assert emb.stress < stress0 and 0 < emb.n_iter <= 300
    np.testing.assert_array_equal(metric_mds(D).coords, emb.coords)  # deterministic


def test_landmark_bad_input():
    pts = np.random.default_rng(0).standard_normal((10, 2))
    idx = np.array([0, 3, 6])
    D = cdist(pts[idx], pts)
    with pytest.raises(ValueError, match="landmarks must be 3 integer indices"):
        landmark_mds(D, landmarks=[0, 3])
    with pytest.raises(ValueError, match="landmarks must be distinct indices in \\[0, 10\\)"):
        landmark_mds(D, landmarks=[0, 3, 3])
    with pytest.raises(ValueError, match="n_components must be < the number of landmarks"):
        landmark_mds(D, landmarks=idx, n_components=3)
    with pytest.raises(ValueError, match="D_landmarks\\[:, landmarks\\] must be symmetric"):
        landmark_mds(D, landmarks=[1, 3, 6])  # not the rows: the landmark block is not a distance matrix
    with pytest.raises(ValueError, match="D_landmarks must be finite"):
        landmark_mds(D * np.nan, landmarks=idx)
    with pytest.raises(ValueError, match="measure must be a symmetric distance"):
        landmark_distances([pts, pts], "linear_cka", n_landmarks=2)
    with pytest.raises(ValueError, match="n_landmarks must be <="):
        landmark_distances([pts, pts], "procrustes", n_landmarks=3)


def test_classical_mds_refuses_distances_whose_squares_overflow():
    """Distances near 1e300 once gave infinite eigenvalues silently; now a clear error, and 1e150 still works."""
    D = squareform(pdist(np.random.default_rng(0).standard_normal((6, 2))))
    big = classical_mds(D * 1e150)
    assert np.isfinite(big.eigenvalues).all() and np.isfinite(big.coords).all()
    with pytest.raises(ValueError, match="D has distances up to .*divide D by a constant"):
        classical_mds(D * 1e300)


def test_given_landmarks_go_through_the_engine_with_a_store(tmp_path):
    reps = _family(12, 3)
    idx = np.array([4, 0, 9])
    first = landmark_distances(reps, "procrustes", landmarks=idx, store=tmp_path / "s")
    assert list((tmp_path / "s").glob("tile_*.npz"))  # tiles kept: a rerun resumes
    again = landmark_distances(reps, "procrustes", landmarks=idx, store=tmp_path / "s")
    np.testing.assert_array_equal(again.distances, first.distances)
    D = rg.pairwise(reps, "procrustes")
    np.testing.assert_allclose(first.distances, D[idx], atol=1e-12)
