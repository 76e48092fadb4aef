"""Compatible mode against the reference replicaMFT on real layers (stored values, tests/data/README.md).

The reference (schung039/neural_manifolds_replicaMFT at d56eda1, unmodified,
pymanopt 0.2.5 + cvxopt) was run with 20 seeds on the input and both ReLU
layers of a digits MLP (10 classes x 50 images, kappa = 0, n_t = 300); its
values are in tests/data/capacity_replicamft_digits.json.  The reference itself
depends on its seed through the center-direction restarts: on the input layer
it removed K = 1 direction in 9 seeds and K = 2 in 11.  A repgeo run is compared
with the reference's runs that chose the same K, and that K must be one the
reference chose in at least a quarter of its seeds; the tolerance is two
combined standard errors, the reference's being the spread of its runs (Monte
Carlo and center step together).
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from repgeo.capacity import mean_field

DATA = Path(__file__).resolve().parents[1] / "data"
sys.path.insert(0, str(DATA))
from make_capacity_digits import digits_layers  # noqa: E402

REFERENCE = json.loads((DATA / "capacity_replicamft_digits.json").read_text())


@pytest.fixture(scope="module")
def layers():
    return digits_layers()


@pytest.mark.slow
@pytest.mark.parametrize("layer", ["input", "hidden1", "hidden2"])
@pytest.mark.parametrize("seed", [0, 1])
def test_compatible_mode_matches_replicamft_on_digits(layers, layer, seed):
    res = mean_field(layers[layer], n_t=REFERENCE["meta"]["n_t"], rng=seed, mode="compatible")
    runs = REFERENCE["runs"][layer]
    same_k = [r for r in runs if r["n_centers"] == res.n_centers]
    assert len(same_k) >= len(runs) / 4, (res.n_centers, [r["n_centers"] for r in runs])
    assert res.center_converged
    for field in ("capacity", "radius", "dimension"):
        ref = np.array([r[field] for r in same_k])
        combined = np.hypot(getattr(res, field + "_se"), ref.std(ddof=1))
        assert abs(getattr(res, field) - ref.mean()) < 2 * combined, (field, getattr(res, field), ref.mean(), combined)
    assert res.center_correlation == pytest.approx(runs[0]["center_correlation"], rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["compatible", "corrected"])
@pytest.mark.parametrize("layer", ["input", "hidden1", "hidden2"])
def test_digits_results_survive_ulp_rescale_and_shift(layers, mode, layer):
    """A 1-ulp rescale, a rescale by 1e-6 or 1e6 and a constant shift move nothing by more than one SE."""
    X = layers[layer]
    base = mean_field(X, n_t=300, rng=0, mode=mode)
    for Y in (X * (1 + 2.0**-52), X * 1e-6, X * 1e6, X + 0.5):
        res = mean_field(Y, n_t=300, rng=0, mode=mode)
        assert res.n_centers == base.n_centers
        for field in ("capacity", "radius", "dimension"):
            assert abs(getattr(res, field) - getattr(base, field)) < getattr(base, field + "_se"), field
