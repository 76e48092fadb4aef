"""
Layers as paths through representation space
============================================

Two toy networks carry the same input to the same output: one along the
geodesic of the angular CKA space (a straight path), one through a detour of
unrelated intermediate layers.  :func:`repgeo.plot.paths` embeds all layers
together by classical MDS and draws each network as a line.
"""

import numpy as np

import repgeo as rg

rng = np.random.default_rng(3)
X = rng.standard_normal((80, 10))
Y = np.tanh(X @ rng.standard_normal((10, 6)))
steps = np.linspace(0, 1, 6)
nets = {
    "geodesic": [rg.paths.geodesic(X, Y, t, space="cka") for t in steps],
    "detour": [X, *(np.tanh(X @ rng.standard_normal((10, 8))) for _ in range(4)), Y],
}
ax = rg.plot.paths(nets, measure=rg.paths.get_space("cka").measure)
for name, layers in nets.items():
    print(f"{name}: length {rg.paths.length(layers, space='cka'):.3f}, "
          f"end to end {rg.paths.distance(layers[0], layers[-1], space='cka'):.3f}")
