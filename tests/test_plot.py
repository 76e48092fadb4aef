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
