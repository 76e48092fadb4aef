"""
Why ``alpha=0`` (CCA) needs more samples than features
======================================================

The shape metric with ``alpha=0`` whitens each representation before aligning
them: it is invariant to every invertible linear map.  With ``n`` samples and
``p >= n`` features, any two representations of full row rank span the same
``n``-dimensional space once whitened, so their CCA distance is 0 whatever they
are.  Procrustes (``alpha=1``) does not whiten and keeps telling independent
representations apart; partial whitening (``0 < alpha < 1``) sits in between.
repgeo warns (``RepresentationWarning``) whenever whitening meets fewer samples
than it can fit; the loop below silences that warning to draw the curve.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

import repgeo as rg

rng = np.random.default_rng(1)
p = 40
ns = [10, 20, 30, 40, 60, 80, 120, 200]
alphas = {"alpha=0 (CCA)": 0.0, "alpha=0.5": 0.5, "alpha=1 (Procrustes)": 1.0}
values = {name: [] for name in alphas}
for n in ns:
    X, Y = rng.standard_normal((n, p)), rng.standard_normal((n, p))  # independent: nothing in common
    for name, alpha in alphas.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rg.RepresentationWarning)
            values[name].append(rg.ShapeMetric(alpha=alpha)(X, Y))

fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
for name, v in values.items():
    ax.plot(ns, v, "o-", label=name)
ax.axvline(p, color="0.5", ls=":", label=f"n = p = {p}")
ax.set_xscale("log")
ax.set_xlabel("samples n")
ax.set_ylabel("angular shape distance (radians)")
ax.set_title("Two independent random representations", fontsize=10)
ax.legend(fontsize=8)
print({name: round(v[0], 6) for name, v in values.items()})

# %%
# At ``n <= p`` the CCA distance is 0 (to rounding): a meaningless "perfect
# match".  Use a ``ridge > 0``, reduce the features first (e.g. PCA), or
# cross-validate: ``rg.ShapeMetric(alpha=0).fit(X_train, Y_train)`` returns a
# fitted map to score on held-out samples.
