"""The capacity section of `repgeo demo`."""

import json

import numpy as np

from repgeo.demo.capacity import capacity_table


def test_capacity_table(tmp_path):
    rng = np.random.default_rng(4)
    y = np.repeat(np.arange(10), 50)
    layers = {f"mlp/layer{i}": rng.standard_normal((500, 32)) + (1 + 2 * i) * np.eye(32)[y] for i in range(3)}
    lines = capacity_table(layers, y, tmp_path, rng=0)
    data = json.loads((tmp_path / "capacity.json").read_text())
    assert set(data) == set(layers) and len(lines) == 5
    caps = [data[k]["capacity"] for k in layers]
    assert caps[0] < caps[-1]  # better separated classes have higher capacity
    assert "rises" in lines[-1]
