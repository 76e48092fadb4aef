"""Inference over stimuli: permutation tests, bootstrap intervals, noise ceilings, Mantel tests.

Each function resamples the stimuli (the rows that two representations share)
and calls :func:`scipy.stats.permutation_test` or :func:`scipy.stats.bootstrap`
underneath; every one takes ``rng`` (None, an int or a Generator), so the
same seed gives the same output.
"""

from ._permutation import PermutationResult, mantel, permutation_test
from ._resampling import BootstrapResult, NoiseCeiling, bootstrap_ci, noise_ceiling, spearman_brown

__all__ = [
    "BootstrapResult",
    "NoiseCeiling",
    "PermutationResult",
    "bootstrap_ci",
    "mantel",
    "noise_ceiling",
    "permutation_test",
    "spearman_brown",
]
