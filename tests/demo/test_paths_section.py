"""The paths section of `repgeo demo`: plain vs residual MLPs as paths."""

import json

import numpy as np
import pytest

import repgeo as rg
from repgeo.demo.paths import path_table, plain_vs_residual


def test_path_table_reports_the_summaries():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 5))
    layers = [rg.paths.geodesic(X, np.tanh(3 * X), t, space="cka") for t in (0.0, 0.5, 1.0)]
    nets = {"on-geodesic": type("Net", (), {"layers": layers})}
    lines, table = path_table(nets, layers[-1], "cka")
    row = table["on-geodesic"]
    assert row["straightness"] == pytest.approx(1.0) and row["distance_to_target"][-1] == pytest.approx(0.0, abs=1e-7)
    assert lines[2].split()[0] == "on-geodesic"


@pytest.mark.slow
def test_plain_vs_residual_writes_its_table(tmp_path):
    lines = plain_vs_residual(tmp_path, seeds=(0,), depth=4, rng=0)
    results = json.loads((tmp_path / "paths.json").read_text())
    assert set(results) == {"angular", "cka"} and set(results["cka"]) == {"plain-s0", "residual-s0"}
    for table in results.values():
        for row in table.values():
            assert 0 < row["straightness"] <= 1 and len(row["steps"]) == 5  # pixels, 4 hidden, output
            assert row["length"] == pytest.approx(sum(row["steps"]))
    assert any("residual paths are" in line for line in lines)
