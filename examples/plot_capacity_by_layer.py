"""
Manifold capacity against layer, with standard errors
=====================================================

Eight classes whose point clouds shrink around their centers from "layer" to
"layer", as in a network that untangles its classes.  Mean-field capacity
rises while the manifold radius and dimension fall; the error bars are one
standard error of the estimate.
"""

import matplotlib.pyplot as plt
import numpy as np

import repgeo as rg

rng = np.random.default_rng(2)
n_classes, per_class, width = 8, 20, 40
labels = np.repeat(np.arange(n_classes), per_class)
centers = rng.standard_normal((n_classes, width))
noise = rng.standard_normal((len(labels), width))
layers = {f"layer {k}": centers[labels] + spread * noise for k, spread in enumerate((1.5, 1.0, 0.6, 0.35))}

results = {name: rg.capacity.mean_field(rg.capacity.from_labels(X, labels), n_t=60, rng=0)
           for name, X in layers.items()}

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), layout="constrained")
for ax, quantity in zip(axes, ("capacity", "radius", "dimension")):
    rg.plot.capacity_profile(results, quantity, ax=ax)
for name, r in results.items():
    print(f"{name}: capacity {r.capacity:.3f} +- {r.capacity_se:.3f}")
