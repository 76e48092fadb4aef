"""Warning categories of repgeo (a low layer: every family may warn with them)."""

from __future__ import annotations

__all__ = ["RepresentationWarning"]


class RepresentationWarning(UserWarning):
    """A representation is valid but degenerate for the requested computation.

    Examples: CCA on a representation with fewer samples than features (every
    pair is then at distance 0), or MSA points dropped for ill-conditioning.
    Filter it with ``warnings.simplefilter("ignore", repgeo.RepresentationWarning)``.
    """
