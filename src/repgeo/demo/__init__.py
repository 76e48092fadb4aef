"""``repgeo demo``: the main job on data that ships with scikit-learn, one module per section.

:func:`run_demo` trains a family of small digit classifiers
(:func:`repgeo.datasets.digit_networks`), then runs each section of
:data:`SECTIONS` on them in turn.  A section is a module with a function
``section(ctx: DemoContext) -> DemoSection``: it writes its own files to
``ctx.out_dir`` and returns summary lines.  Adding a section is one module and
one entry in :data:`SECTIONS`.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..datasets import DigitNetworks, digit_networks
from ._context import DemoContext, DemoSection

__all__ = ["DemoContext", "DemoSection", "DemoResult", "SECTIONS", "run_demo"]

#: Section modules of this package, in the order the summary shows them.
SECTIONS = ("comparison", "stochastic", "capacity", "msa", "paths", "dynamics")


@dataclass(frozen=True, eq=False)
class DemoResult:
    """The whole demo: the summary text, each section and every file written."""

    summary: str
    sections: tuple
    files: tuple


def _network_table(nets: DigitNetworks) -> list[str]:
    lines = [f"{'network':<12} {'hidden widths':<14} {'labels':<9} {'train acc':>9} {'test acc':>8}"]
    for name, net in nets.networks.items():
        widths = "-".join(map(str, net.widths))
        kind = "shuffled" if net.shuffled_labels else "true"
        lines.append(f"{name:<12} {widths:<14} {kind:<9} {net.train_accuracy:>9.3f} {net.test_accuracy:>8.3f}")
    return lines


def run_demo(
    out_dir: str | Path = "repgeo-demo",
    *,
    n_jobs: int | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
    rng: Any = 0,
    sections: tuple = SECTIONS,
    blas_threads: int | None = 1,
) -> DemoResult:
    """Run the demo and write its outputs to ``out_dir``.

    Parameters
    ----------
    out_dir : path, default "repgeo-demo"
    n_jobs : int, optional
        Workers for the all-pairs engine.
    progress : bool
        Progress bars for the all-pairs computations.
    log : callable, optional
        Receives progress lines (the CLI prints them).
    rng : int or Generator, default 0
    sections : tuple of str
        Names from :data:`SECTIONS` to run, in order.
    blas_threads : int or None, default 1
        BLAS threads while the demo runs (threadpoolctl); ``None`` leaves them
        as they are.  The demo's matrices are small, so extra threads only
        compete for the cores: one thread ran it 1.6x faster on a busy
        two-core machine (``benchmarks/bench_demo.py``).

    Returns
    -------
    DemoResult
    """
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=blas_threads, user_api="blas"):
        return _run(out_dir, n_jobs=n_jobs, progress=progress, log=log, rng=rng, sections=sections)


def _run(out_dir: str | Path, *, n_jobs: int | None, progress: bool, log: Callable[[str], None] | None,
         rng: Any, sections: tuple) -> DemoResult:
    say = log or (lambda line: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ValueError(f"sections must be drawn from {SECTIONS}; got unknown {unknown}")
    say("training the digit network family (scikit-learn digits, bundled; no download)")
    nets = digit_networks(rng=rng, log=say)
    ctx = DemoContext(nets=nets, reps=nets.layer_reps(), out_dir=out, rng=rng, n_jobs=n_jobs, progress=progress, log=say)
    done = [importlib.import_module(f".{name}", __name__).section(ctx) for name in sections]

    lines = [f"repgeo demo: {len(nets.networks)} MLPs on scikit-learn digits, compared layer by layer", ""]
    lines += _network_table(nets)
    for sec in done:
        lines += ["", sec.title, *sec.lines]
    meta = {
        name: {"widths": list(n.widths), "seed": n.seed, "shuffled_labels": n.shuffled_labels,
               "train_accuracy": n.train_accuracy, "test_accuracy": n.test_accuracy}
        for name, n in nets.networks.items()
    }
    (out / "networks.json").write_text(json.dumps(meta, indent=2))
    summary = "\n".join(lines) + "\n"
    (out / "summary.txt").write_text(summary)
    files = [out / "networks.json", out / "summary.txt"] + [f for sec in done for f in sec.files]
    return DemoResult(summary=summary, sections=tuple(done), files=tuple(files))
