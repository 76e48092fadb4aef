"""Demo section: capacity, geometry and decodability of the ten digit classes, layer by layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_rng
from ..capacity import decodability, from_labels, mean_field
from ._context import DemoContext, DemoSection

__all__ = ["capacity_table", "section"]

#: per-layer budget that keeps ~30 layers under ~20 s on 2 cores
_MAX_POINTS, _N_T, _N_DICHOTOMIES = 40, 60, 8


def capacity_table(layers: dict[str, Any], labels: Any, out_dir: Path, rng: Any = None) -> list[str]:
    """Capacity, radius, dimension, center correlation and decodability per layer.

    Each class is a manifold; at most 40 points per class are used, ``n_t = 60``
    draws per manifold (corrected mode) and 8 random dichotomies for the
    decoder, which keeps about 30 layers under 20 s on 2 cores.  Results are
    written to ``out_dir / "capacity.json"``; returns summary lines.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.arange(4), 12)
    >>> layers = {"net/l1": rng.standard_normal((48, 16)) + 3 * np.eye(16)[y]}
    >>> lines = capacity_table(layers, y, Path(tempfile.mkdtemp()), rng=0)
    >>> lines[0].split()[0]
    'layer'
    """
    gen = check_rng(rng)
    labels = np.asarray(labels)
    rows, table = [], {}
    for name, acts in layers.items():
        mans = from_labels(np.asarray(acts, float), labels, min_points=3)
        mans = [m[gen.permutation(len(m))[:_MAX_POINTS]] for m in mans]
        mf = mean_field(mans, n_t=_N_T, rng=gen, mode="corrected")
        dec = decodability(mans, n_dichotomies=_N_DICHOTOMIES, rng=gen, shots=(1,))
        table[name] = dict(capacity=mf.capacity, capacity_se=mf.capacity_se, radius=mf.radius,
                           dimension=mf.dimension, center_correlation=mf.center_correlation,
                           n_centers=mf.n_centers, accuracy=dec.accuracy, one_shot=float(dec.few_shot_accuracy[0]))
        rows.append((name, table[name]))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / "capacity.json").write_text(json.dumps(table, indent=2))
    lines = [f"{'layer':<28} {'capacity':>9} {'radius':>7} {'dim':>6} {'rho_c':>6} {'acc':>5} {'1-shot':>6}"]
    for name, r in rows:
        lines.append(f"{name:<28} {r['capacity']:>9.4f} {r['radius']:>7.3f} {r['dimension']:>6.2f} "
                     f"{r['center_correlation']:>6.3f} {r['accuracy']:>5.2f} {r['one_shot']:>6.2f}")
    by_net: dict[str, list[float]] = {}
    for name, r in rows:
        by_net.setdefault(name.split("/")[0], []).append(r["capacity"])
    trends = [f"{net}: {'rises' if c[-1] > c[0] else 'falls'} ({c[0]:.3f} -> {c[-1]:.3f})"
              for net, c in by_net.items() if len(c) > 1]
    if trends:
        lines.append("capacity over depth (higher = classes more separable per neuron): " + "; ".join(trends))
    return lines


def section(ctx: DemoContext) -> DemoSection:
    """:func:`capacity_table` over every layer of the digit networks."""
    ctx.log("class manifolds: capacity, geometry and decodability of the ten digit classes by layer")
    lines = capacity_table(ctx.reps, ctx.nets.labels, ctx.out_dir, rng=ctx.rng)
    return DemoSection("Class manifolds (manifold capacity theory):", tuple(lines), (ctx.out_dir / "capacity.json",))
