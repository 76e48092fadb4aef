"""Sphinx configuration.  Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.

The API pages are generated here from each module's ``__all__`` (so every public
name is documented, and a new one appears without editing the docs); the
gallery runs ``examples/plot_*.py``.  Nothing is fetched: no intersphinx.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "src"))
os.environ.setdefault("MPLBACKEND", "Agg")

import repgeo  # noqa: E402

project = "repgeo"
author = "the repgeo developers"
copyright = "repgeo developers"  # noqa: A001
release = version = repgeo.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "sg_execution_times.rst"]
html_theme = "alabaster"
html_theme_options = {"description": "geometry of neural representations", "fixed_sidebar": True}
html_static_path: list[str] = []
autosummary_generate = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
suppress_warnings = ["config.cache"]

sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": str(HERE / "auto_examples"),
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(^|/)(?!plot_)[^/]*\.py$",  # the command-line examples are not gallery scripts
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
}

#: module -> one line; the API reference lists every name of each module's ``__all__``
MODULES = {
    "repgeo": "Measures, the registry and the all-pairs engine.",
    **{f"repgeo.{m}": "" for m in repgeo.SUBMODULES},
    "repgeo.report": "",
}


def _first_line(module) -> str:
    doc = (module.__doc__ or "").strip().splitlines()
    return doc[0].rstrip(".") if doc else ""


def write_api_pages() -> None:
    """``api/<module>.rst`` for every public module and ``api/index.rst``."""
    out = HERE / "api"
    out.mkdir(exist_ok=True)
    toc = []
    for name, blurb in MODULES.items():
        mod = importlib.import_module(name)
        public = [n for n in mod.__all__ if not (name == "repgeo" and n in repgeo.SUBMODULES)]
        title = f"``{name}``"
        lines = [title, "=" * len(title), "", blurb or _first_line(mod), "", f".. module:: {name}", "",
                 ".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {n}" for n in sorted(public, key=str.lower)]
        (out / f"{name}.rst").write_text("\n".join(lines) + "\n")
        toc.append(f"   {name}")
    index = ["API reference", "=============", "",
             "Every public name, generated from the docstrings (numpydoc).", "",
             ".. toctree::", "   :maxdepth: 1", "", *toc, "   ../cli"]
    (out / "index.rst").write_text("\n".join(index) + "\n")
    # the command line's help, included by cli.rst
    from repgeo.cli import build_parser

    parser = build_parser()
    texts = [parser.format_help()]
    for action in parser._subparsers._group_actions:  # one help text per subcommand
        for sub_name, sub in action.choices.items():
            texts.append(f"$ repgeo {sub_name} --help\n" + sub.format_help())
    (HERE / "cli.txt").write_text("\n".join(texts))


write_api_pages()
