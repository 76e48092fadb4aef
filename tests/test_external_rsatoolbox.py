"""Held-out check against rsatoolbox 0.3.2 (installed in CI when it installs cleanly).

rsatoolbox computes its Euclidean RDM from the data; its 'cosine_cov' comparison of two such
RDMs is linear CKA, and its 'bures' comparison is the cosine of the angular Procrustes distance
(both identities are documented in ../shared/methods/ecosystem.md section 6).
"""

import numpy as np
import pytest

import repgeo as rg

rsatoolbox = pytest.importorskip("rsatoolbox", reason="rsatoolbox 0.3.2 is an optional external check")
from rsatoolbox.data import Dataset  # noqa: E402
from rsatoolbox.rdm import calc_rdm, compare  # noqa: E402


def rsatoolbox_compare(X, Y, method):
    rx = calc_rdm(Dataset(X), method="euclidean")
    ry = calc_rdm(Dataset(Y), method="euclidean")
    return float(np.asarray(compare(rx, ry, method=method)).squeeze())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cosine_cov_equals_linear_cka(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 30))
    Y = X[:, :10] @ rng.standard_normal((10, 50)) + rng.standard_normal((40, 50))
    assert rg.LinearCKA()(X, Y) == pytest.approx(rsatoolbox_compare(X, Y, "cosine_cov"), abs=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bures_equals_cosine_of_angular_procrustes(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 30))
    Y = X[:, :10] @ rng.standard_normal((10, 50)) + rng.standard_normal((40, 50))
    # rsatoolbox's Bures similarity goes through an eigendecomposition (agreement ~1e-8)
    assert np.cos(rg.get_measure("procrustes")(X, Y)) == pytest.approx(rsatoolbox_compare(X, Y, "bures"), abs=1e-7)
