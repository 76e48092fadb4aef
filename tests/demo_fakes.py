"""Small stand-ins for the demo's trained networks (random ReLU networks with the same interface)."""

import numpy as np

import repgeo as rg
from repgeo.demo.stochastic import SYSTEMS


def relu_net(seed, widths=(12, 8)):
    """A random ReLU network with the ``hidden`` method of repgeo.datasets.DigitNetwork."""
    rng = np.random.default_rng(seed)
    sizes = (64, *widths)
    weights = tuple((rng.standard_normal((a, b)) / np.sqrt(a), 0.1 * rng.standard_normal(b))
                    for a, b in zip(sizes[:-1], sizes[1:]))
    return rg.datasets.DigitNetwork(widths, seed, False, 1.0, 1.0, (), weights)


def fake_family():
    """The networks named in the stochastic section's SYSTEMS, 60 random 'images' and their 3 classes."""
    rng = np.random.default_rng(0)
    images, labels = rng.random((60, 64)), np.repeat(np.arange(3), 20)
    return {name: relu_net(k) for k, name in enumerate(sorted({net for _, net, _ in SYSTEMS}))}, images, labels
