"""A self-contained HTML report of a results directory (such as the one ``repgeo demo`` writes).

The report is one file: figures are embedded as base64 PNG, the style sheet
is inline, and nothing is fetched when it is opened.  Each kind of result
file the directory holds becomes a section:

=================================  ==========================================
file                               section
=================================  ==========================================
``networks.json``, ``matrices.npz``  inputs: the networks and the representations
``matrices.npz`` (+ ``measures.json``),  the measures' declared properties; one
any saved ``PairwiseResult`` ``.npz``  clustered heatmap per matrix
``embedding_*.csv``                2-D embeddings coloured by network
``capacity.json``                  capacity table with SEs and column
                                   explanations; capacity and geometry against layer
``msa_lazy_vs_rich.json`` (+ CSV)  MSA vs CKA; per-point MSA maps
``paths.json``                     path summaries; distance to labels by layer
``stochastic.json``                stochastic shape distances of noisy responses
``dynamics.json``                  DSA tables and heatmaps (oscillators, attractors)
``summary.txt``                    the text summary
=================================  ==========================================

matplotlib is needed (``pip install "repgeo[plot]"``).
"""

from __future__ import annotations

import os
from pathlib import Path

from .._version import __version__

__all__ = ["build_report", "write_report"]


def build_report(results_dir: str | os.PathLike, *, title: str = "repgeo report") -> str:
    """The HTML text of the report on ``results_dir``.

    Parameters
    ----------
    results_dir : path
        A directory of result files (see the module docstring).
    title : str, default "repgeo report"

    Returns
    -------
    str
        A complete HTML document with every image embedded.

    Raises
    ------
    ValueError
        If ``results_dir`` is not a directory or holds no result file the
        report knows.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError('the report draws with matplotlib: pip install "repgeo[plot]"') from exc
    from . import _sections as s
    from ._html import page

    d = Path(results_dir)
    if not d.is_dir():
        raise ValueError(f"results_dir must be a directory of results (e.g. from `repgeo demo`); got {str(d)!r}")
    sections = []
    for build in (s.inputs, s.measures_and_matrices, s.embedding_section, s.capacity_section, s.msa_section,
                  s.paths_section, s.stochastic_section, s.dynamics_section, s.summary_section):
        try:
            built = build(d)
        except (ValueError, KeyError, IndexError, TypeError) as exc:  # a malformed or foreign file
            raise ValueError(f"results_dir {str(d)!r}: {build.__doc__.split(' (')[0].strip()} could not be read from "
                             f"its file ({type(exc).__name__}: {exc})") from exc
        sections += built if isinstance(built, list) else [] if built is None else [built]
    if not sections:
        raise ValueError(
            f"results_dir {str(d)!r} holds no result file a report knows (networks.json, matrices.npz, an .npz "
            "from `repgeo pairwise -o`, embedding_*.csv, capacity.json, msa_lazy_vs_rich.json, paths.json, stochastic.json, dynamics.json, summary.txt)"
        )
    return page(title, f"results from {d.resolve()} · repgeo {__version__}", sections)


def write_report(results_dir: str | os.PathLike, out: str | os.PathLike | None = None, *,
                 title: str = "repgeo report") -> Path:
    """Write :func:`build_report` to ``out`` (default ``results_dir/report.html``); returns the path.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "summary.txt").write_text("hello")
    >>> write_report(d).name
    'report.html'
    """
    html_text = build_report(results_dir, title=title)
    path = Path(results_dir) / "report.html" if out is None else Path(out)
    path.write_text(html_text, encoding="utf-8")
    return path
