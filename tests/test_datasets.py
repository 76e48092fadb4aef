"""repgeo.datasets: the NumPy digit MLP trains correctly."""

import numpy as np
import pytest

from repgeo.datasets import _forward, _gradients, _probabilities, train_digit_mlp


@pytest.mark.parametrize("residual", [False, True])
def test_backpropagation_matches_finite_differences(residual):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 6)), rng.integers(0, 10, 20)
    onehot = np.eye(10)[y]
    shapes = [(6, 5), (5, 5), (5, 5), (5, 10)]
    params = [[rng.standard_normal(s), 0.1 * rng.standard_normal(s[1])] for s in shapes]

    def loss():
        p = _probabilities(params, _forward(params, X, residual)[0][-1])
        return -np.mean(np.log(p[np.arange(20), y]))

    grads = _gradients(params, X, onehot, residual)
    for layer, grad in zip(params, grads):
        for value, g in zip(layer, grad):
            numeric = np.zeros_like(value)
            for idx in np.ndindex(value.shape):
                old = value[idx]
                value[idx] = old + 1e-6
                up = loss()
                value[idx] = old - 1e-6
                numeric[idx] = (up - loss()) / 2e-6
                value[idx] = old
            assert np.allclose(numeric, g, atol=1e-7)


def test_layers_run_from_pixels_to_probabilities():
    net = train_digit_mlp(residual=True, depth=3, width=16, epochs=40, n_test=100)
    assert [layer.shape for layer in net.layers] == [(100, 64), (100, 16), (100, 16), (100, 16), (100, 10)]
    assert np.allclose(net.layers[-1].sum(axis=1), 1.0)
    assert net.labels.shape == (100,) and 0.0 <= net.test_accuracy <= 1.0
    plain = train_digit_mlp(residual=False, depth=3, width=16, epochs=40, n_test=100)
    assert np.array_equal(plain.labels, net.labels) and np.array_equal(plain.layers[0], net.layers[0])


@pytest.mark.slow
def test_default_budget_learns_digits():
    for residual in (False, True):
        net = train_digit_mlp(residual=residual)
        assert net.train_accuracy > 0.99 and net.test_accuracy > 0.95
