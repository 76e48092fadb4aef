"""The capacity section of `repgeo demo`."""

import json

import numpy as np

from repgeo.demo.capacity import capacity_table


def test_capacity_table(tmp_path):
    rng = np.random.default_rng(4)
    y = np.repeat(np.arange(10), 50)
    layers = {f"mlp/layer{i}": rng.standard_normal((500, 32)) + (1 + 2 * i) * np.eye(32)[y] for i in range(3)}
    lines = capacity_table(layers, y, tmp_path, rng=0, simulate=["mlp/layer0"])
    data = json.loads((tmp_path / "capacity.json").read_text())
    assert set(data) == set(layers) and lines[0].split()[:2] == ["layer", "capacity"]
    caps = [data[k]["capacity"] for k in layers]
    assert caps[0] < caps[-1]  # better separated classes have higher capacity
    assert all(data[k]["capacity_se"] > 0 for k in layers) and "simulated" in data["mlp/layer0"]
    assert "rises" in lines[-1]
    assert any("large-P regime" in line for line in lines)


def test_summary_contrasts_shuffled_networks(tmp_path):
    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(6), 30)
    layers = {"good/h1": rng.standard_normal((180, 24)) + 3 * np.eye(24)[y],
              "shuffled/h1": rng.standard_normal((180, 24)) + 0.5 * np.eye(24)[y]}
    lines = capacity_table(layers, y, tmp_path, rng=0, simulate=(), shuffled=["shuffled"])
    data = json.loads((tmp_path / "capacity.json").read_text())
    summary = [line for line in lines if line.startswith("Last layers")]
    assert len(summary) == 1
    assert f"{data['good/h1']['capacity']:.3f}" in summary[0] and f"{data['shuffled/h1']['capacity']:.3f}" in summary[0]


def test_columns_are_explained_and_standard_errors_printed(tmp_path):
    rng = np.random.default_rng(6)
    y = np.repeat(np.arange(5), 20)
    layers = {"net/h1": rng.standard_normal((100, 12)) + 3 * np.eye(12)[y]}
    lines = capacity_table(layers, y, tmp_path, rng=0, simulate=())
    row = lines[1].split()
    data = json.loads((tmp_path / "capacity.json").read_text())["net/h1"]
    assert row[1] == f"{data['capacity']:.3f}+-{data['capacity_se']:.3f}"
    assert row[2] == f"{data['radius']:.3f}+-{data['radius_se']:.3f}"
    assert f"{data['accuracy']:.3f}+-{data['accuracy_se']:.3f}" in row
    text = "\n".join(lines)
    for column in ("capacity =", "simulated =", "radius, dim =", "rho_c =", "K =", "acc =", "1-shot ="):
        assert column in text, column
    assert 'mode="corrected"' in text and "P = 5 class manifolds" in text
    assert all(len(line) <= 100 for line in lines[:12])


def test_a_change_within_two_standard_errors_is_no_clear_change(tmp_path):
    from repgeo.demo.capacity import _change

    assert _change(0.174, 0.003, 0.177, 0.003) == "no clear change"  # the case the issue found called a rise
    assert _change(0.174, 0.003, 0.200, 0.003) == "rises" and _change(0.2, 0.003, 0.174, 0.003) == "falls"
    rng = np.random.default_rng(7)
    y = np.repeat(np.arange(10), 30)
    base = rng.standard_normal((300, 24)) + 3 * np.eye(24)[y]
    layers = {"net/h1": base, "net/h2": base + 1e-6 * rng.standard_normal(base.shape)}  # the same geometry
    lines = capacity_table(layers, y, tmp_path, rng=0, simulate=())
    assert "net: no clear change" in lines[-1]


def test_no_negative_zero_in_the_embedding_summary():
    import repgeo as rg

    D = rg.pairwise([np.eye(4)[:, :k + 1] * 1.0 + np.arange(4)[:, None] for k in range(3)], "procrustes")
    emb = rg.embed.classical_mds(np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0.0]]))  # points on a line: Euclidean
    assert emb.negative_mass == 0.0 and f"{emb.negative_mass:.1%}" == "0.0%"
    assert f"{rg.embed.classical_mds(D).negative_mass:.1%}"[0] != "-"
