"""What a demo section receives and returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..datasets import DigitNetworks

__all__ = ["DemoContext", "DemoSection"]


@dataclass(frozen=True, eq=False)
class DemoContext:
    """What every section receives: the trained networks and the run's settings."""

    nets: DigitNetworks
    reps: dict
    out_dir: Path
    rng: Any
    n_jobs: int | None = None
    progress: bool = False
    log: Callable[[str], None] = lambda line: None


@dataclass(frozen=True, eq=False)
class DemoSection:
    """One section's title, summary lines and the files it wrote."""

    title: str
    lines: tuple
    files: tuple = ()
