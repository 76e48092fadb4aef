"""Demo section: plain vs residual deep MLPs on digits, read as paths through representation space.

Each network's layers -- pixels, eight hidden layers, class probabilities --
on held-out images form a path (Lange et al. 2023).  The section trains a
plain and a residual 8-layer ReLU MLP for two seeds each
(:func:`repgeo.datasets.train_digit_mlp`, NumPy, a few seconds) and reports,
in the angular Procrustes and the angular CKA spaces, each path's length,
end-to-end distance, straightness, mean turning angle and the distance of
its layers to the one-hot labels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from ..datasets import train_digit_mlp
from ..paths import summarize
from ._context import DemoContext, DemoSection

__all__ = ["path_table", "plain_vs_residual", "section"]


def path_table(nets: dict[str, Any], target: np.ndarray, space: str) -> tuple[list[str], dict]:
    """Summary lines and a JSON-ready table of every network's path in ``space``.

    ``nets`` maps names to objects with a ``layers`` sequence (such as
    :class:`repgeo.datasets.DigitMLP`); ``target`` is compared with every layer.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((30, 4))
    >>> net = SimpleNamespace(layers=[X, np.tanh(X), np.tanh(X) ** 2])
    >>> lines, table = path_table({"toy": net}, X, "cka")
    >>> lines[1].split()[:2]
    ['network', 'length']
    """
    lines = [
        f"{space} space",
        f"  {'network':<12} {'length':>7} {'end-to-end':>10} {'straightness':>12} {'mean turn':>9}   "
        "distance to labels: first layer, middle, last hidden, output",
    ]
    table = {}
    for name, net in nets.items():
        s = summarize(list(net.layers), space=space, target=target)
        d = s.distance_to_target
        lines.append(
            f"  {name:<12} {s.length:7.3f} {s.endpoint_distance:10.3f} {s.straightness:12.3f} "
            f"{np.nanmean(s.turning_angles) if s.turning_angles.size else np.nan:9.3f}   "
            f"{d[0]:.3f} {d[len(d) // 2]:.3f} {d[-2]:.3f} {d[-1]:.3f}"
        )
        table[name] = {
            "length": s.length,
            "endpoint_distance": s.endpoint_distance,
            "straightness": s.straightness,
            "steps": s.steps.tolist(),
            "angles": s.angles.tolist(),
            "distance_to_target": d.tolist(),
            "projection_t": s.projection_t.tolist(),
            "distance_from_geodesic": s.distance_from_geodesic.tolist(),
        }
    return lines, table


def plain_vs_residual(
    out_dir: Path,
    *,
    seeds: tuple = (0, 1),
    depth: int = 8,
    width: int = 32,
    rng: Any = 0,
    log: Callable[[str], None] | None = None,
) -> list[str]:
    """Train plain and residual MLPs, compare their paths, write ``paths.json``; returns summary lines."""
    nets = {}
    with threadpool_limits(1):  # small matrices: BLAS threads only contend
        for residual in (False, True):
            for seed in seeds:
                name = f"{'residual' if residual else 'plain'}-s{seed}"
                nets[name] = train_digit_mlp(residual=residual, depth=depth, width=width, seed=seed, rng=rng)
                if log is not None:
                    log(f"trained {name}: test accuracy {nets[name].test_accuracy:.3f}")
        target = np.eye(10)[next(iter(nets.values())).labels]
        lines = [f"{depth}-layer ReLU MLPs of width {width}; test accuracy: "
                 + ", ".join(f"{k} {v.test_accuracy:.3f}" for k, v in nets.items())]
        results = {}
        for space in ("angular", "cka"):
            more, results[space] = path_table(nets, target, space)
            lines += more
    for space, table in results.items():
        mean = {kind: np.mean([v["length"] for k, v in table.items() if k.startswith(kind)]) for kind in ("plain", "residual")}
        straight = {kind: np.mean([v["straightness"] for k, v in table.items() if k.startswith(kind)]) for kind in ("plain", "residual")}
        lines.append(
            f"{space}: residual paths are {'shorter' if mean['residual'] < mean['plain'] else 'longer'} "
            f"(mean length {mean['residual']:.3f} vs {mean['plain']:.3f}) and "
            f"{'straighter' if straight['residual'] > straight['plain'] else 'less straight'} "
            f"({straight['residual']:.3f} vs {straight['plain']:.3f})"
        )
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / "paths.json").write_text(json.dumps(results, indent=2))
    return lines


def section(ctx: DemoContext) -> DemoSection:
    """:func:`plain_vs_residual` (its own networks: depth is the point, the family is shallow)."""
    ctx.log("representational paths: plain vs residual deep MLPs on digits")
    lines = plain_vs_residual(ctx.out_dir, rng=ctx.rng, log=ctx.log)
    return DemoSection("Representational paths (plain vs residual networks):", tuple(lines), (ctx.out_dir / "paths.json",))
