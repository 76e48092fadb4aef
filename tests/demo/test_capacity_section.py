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
