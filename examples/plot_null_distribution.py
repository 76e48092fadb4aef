"""
Is a similarity larger than chance? A permutation null
======================================================

Linear CKA between two small representations that share a weak signal, and
its null distribution: the same statistic after shuffling the rows of one
representation (which breaks the stimulus correspondence).  The p-value is the
share of null draws at least as large as the observed value.
"""

import numpy as np
from scipy.stats import permutation_test

import repgeo as rg

rng = np.random.default_rng(4)
signal = rng.standard_normal((40, 3))
X = signal @ rng.standard_normal((3, 15)) + 2.0 * rng.standard_normal((40, 15))
Y = signal @ rng.standard_normal((3, 12)) + 2.0 * rng.standard_normal((40, 12))
cka = rg.LinearCKA()

result = permutation_test((np.arange(len(X)),), lambda idx: cka(X, Y[idx]), permutation_type="pairings",
                          n_resamples=300, alternative="greater", random_state=0)
ax = rg.plot.null_distribution(result, xlabel="linear CKA")
print(f"CKA {result.statistic:.3f}, p = {result.pvalue:.3f}")
