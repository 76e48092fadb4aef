"""The dynamics section of `repgeo demo`: DSA's headline claims on the systems it ships."""

import json

import numpy as np
import pytest

from repgeo.demo import DemoContext
from repgeo.demo.dynamics import attractors, bend, oscillators, section, swell


def test_warps_are_smooth_invertible_maps_of_the_states():
    X = np.random.default_rng(0).standard_normal((50, 2))
    Y = bend(X, 1.5)
    np.testing.assert_array_equal(Y[:, 0], X[:, 0])
    np.testing.assert_allclose(Y[:, 1] - 1.5 * Y[:, 0] ** 2, X[:, 1], atol=1e-12)  # the inverse
    r_in, r_out = np.linalg.norm(X, axis=1), np.linalg.norm(swell(X, 3.0), axis=1)
    assert np.all(np.diff(r_out[np.argsort(r_in)]) > 0)  # radius stays monotone: invertible along each ray


def test_dsa_keeps_warps_close_and_separates_other_dynamics():
    osc = oscillators(n_time=600)
    labels, D = osc["labels"], np.array(osc["dsa"])
    warps = [labels.index(n) for n in labels if "bent" in n or "swollen" in n]
    other = labels.index("vdp mu=3")
    assert D[0, 1] < 0.02  # the same system from another start
    assert D[0, warps].max() < 0.5 * D[0, other]  # warps move DSA far less than a change of dynamics
    shape = np.array(osc["procrustes"])
    assert osc["procrustes_labels"][0] == "vdp" and len(shape) == 1 + len(warps)
    assert shape[0, 1:].min() > 4 * D[0, warps].max()  # while the raw states move a lot
    att = attractors()
    A, kinds = np.array(att["dsa"]), np.array([n.split()[0] for n in att["labels"]])
    same = kinds[:, None] == kinds[None, :]
    assert A[same & ~np.eye(len(A), dtype=bool)].max() < A[~same].min()


@pytest.mark.slow
def test_section_writes_its_json_and_summary(tmp_path):
    ctx = DemoContext(nets=None, reps={}, out_dir=tmp_path, rng=0)
    sec = section(ctx)
    res = json.loads((tmp_path / "dynamics.json").read_text())
    assert set(res) == {"oscillators", "attractors"} and sec.files == (tmp_path / "dynamics.json",)
    assert sec.lines[0].startswith("Van der Pol, warped states vs the original: DSA ")
    assert "ring vs line attractors" in sec.lines[1]
