"""repgeo.plot: figures draw without error and show what they claim."""

import subprocess
import sys

import numpy as np
import pytest

import repgeo as rg

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_importing_plot_does_not_import_matplotlib():
    code = "import repgeo.plot, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_paths_draws_one_line_per_network_at_the_embedded_layers(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    Y = np.tanh(X @ rng.standard_normal((6, 8)))
    nets = {
        "straight": {f"l{k}": rg.paths.geodesic(X, Y, t, space="cka") for k, t in enumerate((0, 0.5, 1))},
        "detour": [X, rng.standard_normal((40, 5)), Y],
    }
    target = np.eye(4)[np.arange(40) % 4]
    ax = rg.plot.paths(nets, measure=rg.paths.get_space("cka").measure, target=target)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["straight", "detour"]
    assert all(len(line.get_xdata()) == 3 for line in lines)
    # the straight path's embedded steps add up to its end-to-end span more closely than the detour's
    def ratio(line):
        xy = np.column_stack([line.get_xdata(), line.get_ydata()])
        return np.linalg.norm(xy[-1] - xy[0]) / np.linalg.norm(np.diff(xy, axis=0), axis=1).sum()

    assert ratio(lines[0]) > ratio(lines[1])
    ax.figure.savefig(tmp_path / "paths.png")
    assert (tmp_path / "paths.png").stat().st_size > 0


def test_paths_rejects_bad_input():
    with pytest.raises(TypeError, match="networks must be a non-empty dict"):
        rg.plot.paths([np.zeros((5, 2))])
    with pytest.raises(ValueError, match="at least 2 representations"):
        rg.plot.paths({"a": [np.random.default_rng(0).standard_normal((5, 2))]})


# ---- rendered content: every figure is drawn to PNG and looked at -------------------------------


def _png(ax, tmp_path, name):
    """Render the figure of ``ax`` to PNG; return the RGB pixels."""
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    path = tmp_path / f"{name}.png"
    ax.figure.savefig(path, dpi=60)
    plt.close(ax.figure)
    return mpimg.imread(path)[..., :3]


def _ink(pixels):
    """Share of pixels that are not (near) white."""
    return float((pixels.min(axis=-1) < 0.9).mean())


def _blocks(rng, sizes=(4, 3, 5)):
    """A distance matrix of well-separated groups, rows shuffled; returns (D, group of each row)."""
    group = np.repeat(np.arange(len(sizes)), sizes)
    centers = 10 * rng.standard_normal((len(sizes), 3))
    X = centers[group] + 0.1 * rng.standard_normal((len(group), 3))
    perm = rng.permutation(len(group))
    X, group = X[perm], group[perm]
    return np.linalg.norm(X[:, None] - X[None], axis=-1), group


def test_heatmap_shows_the_matrix_with_its_labels_and_a_colorbar(tmp_path):
    rng = np.random.default_rng(1)
    D, _ = _blocks(rng)
    labels = [f"r{i}" for i in range(len(D))]
    ax = rg.plot.heatmap(D, labels=labels)
    np.testing.assert_array_equal(ax.images[0].get_array(), D)
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    assert len(ax.figure.axes) == 2  # the heatmap and its colour bar
    pixels = _png(ax, tmp_path, "heatmap")
    assert _ink(pixels) > 0.3 and pixels.std() > 0.05


def test_heatmap_cluster_order_groups_blocks_and_keeps_labels_with_rows():
    rng = np.random.default_rng(2)
    D, group = _blocks(rng)
    labels = [f"g{g}-{i}" for i, g in enumerate(group)]
    ax = rg.plot.heatmap(D, labels=labels, order="cluster")
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert sorted(shown) == sorted(labels)
    shown_groups = [int(s[1]) for s in shown]
    # each group is one contiguous run
    runs = [g for k, g in enumerate(shown_groups) if k == 0 or g != shown_groups[k - 1]]
    assert sorted(runs) == [0, 1, 2]
    # the image is the matrix permuted consistently with the labels
    idx = [labels.index(s) for s in shown]
    np.testing.assert_array_equal(ax.images[0].get_array(), D[np.ix_(idx, idx)])


def test_cluster_order_reads_similarities_and_distances_alike():
    rng = np.random.default_rng(3)
    D, group = _blocks(rng)
    S = np.exp(-D / D.max())  # a similarity: largest on the diagonal
    for M in (D, S):
        order = rg.plot.cluster_order(M)
        assert sorted(order.tolist()) == list(range(len(D)))
        g = group[order]
        assert (np.diff(g) != 0).sum() == 2  # three contiguous blocks


def test_heatmap_of_a_pairwise_result_takes_labels_and_title():
    rng = np.random.default_rng(4)
    reps = {f"L{i}": rng.standard_normal((20, 4)) for i in range(4)}
    res = rg.pairwise_labeled(reps, "linear_cka")
    ax = rg.plot.heatmap(res, order=[3, 2, 1, 0])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["L3", "L2", "L1", "L0"]
    assert "LinearCKA" in ax.get_title()
    np.testing.assert_allclose(ax.images[0].get_array(), res.values[::-1, ::-1])


def test_heatmap_rejects_bad_input():
    D = np.zeros((3, 3))
    with pytest.raises(ValueError, match="labels must have one entry per row of the matrix \\(3\\); got 2"):
        rg.plot.heatmap(D, labels=["a", "b"])
    with pytest.raises(ValueError, match="order must be one of 'cluster'"):
        rg.plot.heatmap(D, order="sorted")
    with pytest.raises(ValueError, match="order must be a permutation"):
        rg.plot.heatmap(D, order=[0, 0, 1])
    with pytest.raises(ValueError, match="order='cluster' needs a square matrix"):
        rg.plot.heatmap(np.zeros((3, 4)), order="cluster")
    with pytest.raises(ValueError, match="must be 2-D"):
        rg.plot.heatmap(np.zeros(3))


def test_embedding_of_distances_keeps_them_and_colours_groups(tmp_path):
    rng = np.random.default_rng(5)
    D, group = _blocks(rng)
    names = [f"p{i}" for i in range(len(D))]
    ax = rg.plot.embedding(D, labels=names, colors=[f"group {g}" for g in group])
    assert len(ax.collections) == 3
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["group 0", "group 1", "group 2"]
    assert [t.get_text() for t in ax.texts] == names
    # the drawn points reproduce the distances (these are Euclidean in 3-D; 2 MDS axes keep most of it)
    xy = np.zeros((len(D), 2))
    for coll, g in zip(ax.collections, [f"group {k}" for k in dict.fromkeys(group)]):
        xy[np.array([f"group {k}" for k in group]) == g] = coll.get_offsets()
    E = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    assert np.corrcoef(E[np.triu_indices(len(D), 1)], D[np.triu_indices(len(D), 1)])[0, 1] > 0.95
    pixels = _png(ax, tmp_path, "embedding")
    assert 0.005 < _ink(pixels) < 0.5


def test_embedding_numeric_colours_get_a_colorbar_and_coordinates_draw_as_given():
    coords = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 1.0]])
    ax = rg.plot.embedding(coords, colors=[0.1, 0.2, 0.3, 0.4])
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), coords)
    np.testing.assert_allclose(ax.collections[0].get_array(), [0.1, 0.2, 0.3, 0.4])
    assert len(ax.figure.axes) == 2
    emb = rg.embed.classical_mds(np.linalg.norm(coords[:, None] - coords[None], axis=-1))
    ax = rg.plot.embedding(emb)
    np.testing.assert_allclose(ax.collections[0].get_offsets(), emb.coords[:, :2])
    assert ax.get_xlabel() == "MDS 1"


def test_embedding_rejects_a_similarity_result_and_bad_lengths():
    rng = np.random.default_rng(6)
    res = rg.pairwise_labeled([rng.standard_normal((15, 3)) for _ in range(3)], "linear_cka")
    with pytest.raises(ValueError, match="not distances"):
        rg.plot.embedding(res)
    with pytest.raises(ValueError, match="colors must have one entry per point \\(3\\); got 2"):
        rg.plot.embedding(np.zeros((3, 2)), colors=["a", "b"])


def test_layer_profile_bars_span_one_standard_error(tmp_path):
    v = {"net a": [0.1, 0.2, 0.4], "net b": [0.1, 0.15]}
    se = {"net a": [0.01, 0.02, 0.05], "net b": [0.02, 0.03]}
    ax = rg.plot.layer_profile(v, se, layers=["input", "h1", "h2"], ylabel="capacity")
    assert len(ax.containers) == 2
    for cont, name in zip(ax.containers, v):
        line, _, (bars,) = cont.lines
        np.testing.assert_allclose(line.get_ydata(), v[name])
        spans = np.array([seg[:, 1] for seg in bars.get_segments()])
        np.testing.assert_allclose(spans[:, 1] - spans[:, 0], 2 * np.array(se[name]))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["net a", "net b"]
    assert _ink(_png(ax, tmp_path, "profile")) > 0.01


def test_capacity_profile_reads_mean_field_results():
    rng = np.random.default_rng(7)
    y = np.repeat(np.arange(4), 10)
    layers = {f"h{k}": rng.standard_normal((40, 12)) + k * 2 * np.eye(12)[y] for k in range(3)}
    results = {name: rg.capacity.mean_field(rg.capacity.from_labels(X, y), n_t=40, rng=0) for name, X in layers.items()}
    ax = rg.plot.capacity_profile(results, "radius")
    (cont,) = ax.containers
    np.testing.assert_allclose(cont.lines[0].get_ydata(), [r.radius for r in results.values()])
    (bars,) = cont.lines[2]
    half = np.array([seg[1, 1] - seg[0, 1] for seg in bars.get_segments()]) / 2
    np.testing.assert_allclose(half, [r.radius_se for r in results.values()])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["h0", "h1", "h2"]
    with pytest.raises(ValueError, match="results have no 'volume'"):
        rg.plot.capacity_profile(results, "volume")


def test_point_map_puts_each_value_at_its_grid_cell_and_leaves_nan_blank(tmp_path):
    u1, u2 = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 4), indexing="ij")
    P = np.c_[u1.ravel(), u2.ravel()]
    values = P[:, 0] * 10 + P[:, 1]
    values[3] = np.nan
    ax = rg.plot.point_map(P, values, label="MSA")
    Z = ax.collections[0].get_array()
    assert Z.shape == (4, 5)  # rows: u2, columns: u1
    for (x, y), v in zip(P, values):
        i, j = np.argmin(np.abs(np.linspace(-1, 1, 4) - y)), np.argmin(np.abs(np.linspace(-1, 1, 5) - x))
        if np.isnan(v):
            assert Z.mask[i, j]
        else:
            assert Z[i, j] == v
    assert ax.figure.axes[1].get_ylabel() == "MSA"
    assert _ink(_png(ax, tmp_path, "map")) > 0.2
    # scattered points: one coloured dot each
    ax = rg.plot.point_map(np.random.default_rng(0).uniform(size=(30, 2)), np.arange(30.0))
    assert len(ax.collections[0].get_offsets()) == 30


def test_point_map_reads_an_msa_result():
    from charts import sphere

    U = np.stack(np.meshgrid(np.linspace(0.5, 2.5, 6), np.linspace(0, 3, 5)), -1).reshape(-1, 2)
    _, J = sphere(U)
    res = rg.MSA().evaluate(J, 2 * J + 0.1 * np.random.default_rng(0).standard_normal(J.shape))
    ax = rg.plot.point_map(U, res)
    np.testing.assert_allclose(np.sort(ax.collections[0].get_array().compressed()),
                               np.sort(res.per_point[np.isfinite(res.per_point)]))
    with pytest.raises(ValueError, match="points must have 2 columns"):
        rg.plot.point_map(np.zeros((4, 3)), np.zeros(4))


def test_null_distribution_marks_the_observed_value_and_p_value(tmp_path):
    from scipy.stats import permutation_test

    rng = np.random.default_rng(8)
    null = rng.standard_normal(500)
    ax = rg.plot.null_distribution(null, 2.0, pvalue=0.03)
    assert float(ax.lines[0].get_xdata()[0]) == 2.0
    assert sum(p.get_height() for p in ax.patches) == 500
    assert "p = 0.03" in ax.get_legend().get_texts()[1].get_text()
    assert _ink(_png(ax, tmp_path, "null")) > 0.02
    # a SciPy result fills observed and p-value itself
    x, y = rng.standard_normal(30), rng.standard_normal(30) + 1
    res = permutation_test((x, y), lambda a, b: np.mean(a) - np.mean(b), n_resamples=199, random_state=0)
    ax = rg.plot.null_distribution(res)
    assert float(ax.lines[0].get_xdata()[0]) == pytest.approx(res.statistic)
    assert f"p = {res.pvalue:.3g}" in ax.get_legend().get_texts()[1].get_text()
    with pytest.raises(TypeError, match="observed must be given"):
        rg.plot.null_distribution(null)
    with pytest.raises(ValueError, match="observed must be one number"):
        rg.plot.null_distribution(null, [1.0, 2.0])


def test_cluster_order_is_scale_free_up_to_the_float_range():
    rng = np.random.default_rng(9)
    M = rng.standard_normal((6, 6))  # neither a distance nor a similarity: rows are clustered
    order = rg.plot.cluster_order(M)
    for scale in (1e-300, 1e300):
        np.testing.assert_array_equal(rg.plot.cluster_order(M * scale), order)
