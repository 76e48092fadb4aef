"""Warning categories of repgeo (a low layer: every family may warn with them)."""

from __future__ import annotations

__all__ = ["RepresentationWarning", "ConvergenceWarning"]


class RepresentationWarning(UserWarning):
    """A representation is valid but degenerate for the requested computation.

    Examples: CCA on a representation with fewer samples than features (every
    pair is then at distance 0), or MSA points dropped for ill-conditioning.
    Filter it with ``warnings.simplefilter("ignore", repgeo.RepresentationWarning)``.
    """


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at its iteration cap before meeting its tolerance.

    The value returned is still the objective at the last iterate (a valid
    upper bound for minimisations); raise ``max_iter`` to go further.
    """
