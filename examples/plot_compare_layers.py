"""
Compare every layer of several networks
=======================================

All pairs of layers under two measures, drawn as clustered heatmaps, and a
2-D embedding of the distances.  The "networks" are random tanh layers stacked
on one input, two of them (``a`` and ``b``) sharing their weights up to a small
perturbation, and one (``c``) independent.
"""

import matplotlib.pyplot as plt
import numpy as np

import repgeo as rg

rng = np.random.default_rng(0)
X = rng.standard_normal((200, 20))  # 200 stimuli, 20 input features
weights = [rng.standard_normal((20, 20)) / np.sqrt(20) for _ in range(3)]
reps = {"input": X}
for net, noise in (("a", 0.0), ("b", 0.3), ("c", None)):
    h = X
    for k, W in enumerate(weights, start=1):
        W = rng.standard_normal(W.shape) / np.sqrt(20) if noise is None else W + noise * rng.standard_normal(W.shape) / np.sqrt(20)
        h = np.tanh(2 * h @ W)
        reps[f"{net}/h{k}"] = h

# %%
# Angular Procrustes distance and linear CKA (a similarity) between every pair.
# ``order="cluster"`` puts layers that are close to each other side by side.
procrustes = rg.pairwise_labeled(reps, "procrustes")
cka = rg.pairwise_labeled(reps, "linear_cka")
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
rg.plot.heatmap(procrustes, order="cluster", ax=axes[0], title="angular Procrustes distance")
rg.plot.heatmap(cka, order="cluster", ax=axes[1], title="linear CKA (similarity)")

# %%
# Classical MDS of the Procrustes distances, coloured by network.  Each
# network's first layer is close to the input; network ``c`` leaves the others.
ax = rg.plot.embedding(procrustes, colors=[label.split("/")[0] for label in procrustes.labels])
emb = rg.embed.classical_mds(procrustes.values)
print(f"2 components keep {emb.explained:.0%} of the positive spectrum; "
      f"rank correlation with the true distances {emb.rank_correlation:.3f}")
