"""The stochastic section of `repgeo demo`: responses to noisy images compared as distributions."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

import repgeo as rg
from demo_fakes import fake_family, relu_net
from repgeo.demo.stochastic import SYSTEMS, compare_noisy, noisy_responses, section


def test_noisy_responses_are_the_network_on_noisy_copies():
    net = relu_net(0)
    images = np.random.default_rng(1).random((5, 64))
    got = noisy_responses(net, images, 0.2, 3, rng=7)
    noise = 0.2 * np.random.default_rng(7).standard_normal((5, 3, 64))
    np.testing.assert_allclose(got, net.hidden((images[:, None] + noise).reshape(-1, 64))[-1].reshape(5, 3, -1))
    assert np.array_equal(noisy_responses(net, images, 0.0, 2, rng=0)[:, 1], net.hidden(images)[-1])


def test_compare_noisy_is_the_measures_on_the_responses():
    nets, images, labels = fake_family()
    res = compare_noisy(nets, images, labels, per_class=3, n_repeats=6, rng=0)
    assert res["labels"] == [label for label, _, _ in SYSTEMS] and res["n_conditions"] == 9
    gen = np.random.default_rng(0)
    chosen = np.concatenate([np.flatnonzero(labels == c)[:3] for c in range(3)])
    responses = [noisy_responses(nets[net], images[chosen], noise, 6, gen) for _, net, noise in SYSTEMS]
    assert res["energy"][0][2] == pytest.approx(rg.EnergyShapeMetric()(responses[0], responses[2]), abs=1e-10)
    assert res["gaussian (Wasserstein)"][1][3] == pytest.approx(
        rg.GaussianShapeMetric(alpha=1.0)(responses[1], responses[3]), abs=1e-10)
    assert res["procrustes (means)"][0][1] == pytest.approx(
        rg.ShapeMetric(alpha=1.0)(responses[0].mean(1), responses[1].mean(1)), abs=1e-12)


@pytest.mark.slow
def test_more_noise_moves_the_spread_not_the_mean_geometry(tmp_path):
    """On the trained family: noise 0.1 -> 0.3 moves the means less than another seed does, while the
    Wasserstein distance moves more than another seed does (measured 0.178 < 0.233 and 5.62 > 3.24)."""
    fam = {k: rg.datasets.DEFAULT_FAMILY[k] for k in ("w64-d2-s0", "w64-d2-s1", "shuffled-s0")}
    nets = rg.datasets.digit_networks(fam, rng=0)
    ctx = SimpleNamespace(nets=nets, out_dir=tmp_path, rng=0, n_jobs=None, log=lambda line: None)
    sec = section(ctx)
    res = json.loads((tmp_path / "stochastic.json").read_text())
    means, gauss = np.array(res["procrustes (means)"]), np.array(res["gaussian (Wasserstein)"])
    assert means[0, 1] < means[0, 2] < means[0, 3]
    assert gauss[0, 1] > gauss[0, 2] and gauss[0, 3] > gauss[0, 2]
    assert len(sec.lines) == 3 and sec.files == (tmp_path / "stochastic.json",)
