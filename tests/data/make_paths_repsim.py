"""Reference geodesic quantities from repsim, for tests/test_paths.py.

Run with repsim (wrongu/repsim, commit ecd0a54) importable, in an environment
with torch; repgeo is *not* needed:

    PYTHONPATH=/path/to/repsim/src python tests/data/make_paths_repsim.py

It writes tests/data/paths_repsim.npz: the layers of a toy tanh network
(numpy-seeded, stored too) and, in float64, repsim's distances, angles,
geodesic midpoints and projections in its AngularCKA (biased HSIC, linear
kernel), AffineInvariantRiemannian (Gram mode, eps=0.5), AngularShapeMetric
and EuclideanShapeMetric (alpha=1) spaces.
"""

from pathlib import Path

import numpy as np
import torch
from repsim.geometry.optimize import OptimResult, project_by_tangent_iteration
from repsim.geometry.trig import angle
from repsim.metrics import AffineInvariantRiemannian, AngularCKA, AngularShapeMetric, EuclideanShapeMetric

torch.set_default_dtype(torch.float64)

rng = np.random.default_rng(2023)
n, p = 30, 8
layers = [rng.standard_normal((n, p))]
for _ in range(4):
    layers.append(np.tanh(layers[-1] @ rng.standard_normal((p, p)) / np.sqrt(p) * 1.5))

spaces = {
    "cka": AngularCKA(n, use_unbiased_hsic=False),
    "airm": AffineInvariantRiemannian(n, eps=0.5, mode="gram"),
    "angular": AngularShapeMetric(n, p),
    "bures": EuclideanShapeMetric(n, p),
}
out = {f"layer{k}": x for k, x in enumerate(layers)}
for name, space in spaces.items():
    pts = [space.neural_data_to_point(torch.tensor(x)) for x in layers]
    out[f"{name}_steps"] = np.array([float(space.length(a, b)) for a, b in zip(pts[:-1], pts[1:])])
    out[f"{name}_angles"] = np.array([float(angle(space, pts[k - 1], pts[k], pts[k + 1])) for k in (1, 2, 3)])
    out[f"{name}_end"] = float(space.length(pts[0], pts[-1]))
    mid = space.geodesic(pts[0], pts[-1], frac=0.5)
    # the midpoint as a Gram matrix (for the shape spaces, of the centred data point)
    out[f"{name}_mid_gram"] = (mid @ mid.T if name in ("angular", "bures") else mid).numpy()
    proj, status = project_by_tangent_iteration(space, pts[0], pts[-1], pts[2], tol=1e-12, max_iterations=500)
    assert status == OptimResult.CONVERGED, (name, status)
    out[f"{name}_proj_t"] = float(space.length(pts[0], proj) / space.length(pts[0], pts[-1]))
    out[f"{name}_proj_distance"] = float(space.length(proj, pts[2]))

np.savez(Path(__file__).with_name("paths_repsim.npz"), **out)
for key, value in out.items():
    if not key.startswith("layer") and np.size(value) < 10:
        print(key, np.round(value, 6))
