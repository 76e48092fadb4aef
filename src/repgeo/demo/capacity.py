"""Demo section: capacity, geometry and decodability of the ten digit classes, layer by layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .._validation import check_rng
from ..capacity import decodability, from_labels, mean_field, simulated
from ._context import DemoContext, DemoSection

__all__ = ["capacity_table", "section"]

#: Gaussian draws per manifold, simulated-capacity trials per dimension, decoder dichotomies
_N_T, _N_TRIALS, _N_DICHOTOMIES = 150, 20, 8


def _row(mans: list[np.ndarray], gen: np.random.Generator, with_simulated: bool) -> dict:
    mf = mean_field(mans, n_t=_N_T, rng=gen, mode="corrected")
    dec = decodability(mans, n_dichotomies=_N_DICHOTOMIES, rng=gen, shots=(1,))
    row = dict(capacity=mf.capacity, capacity_se=mf.capacity_se, radius=mf.radius, radius_se=mf.radius_se,
               dimension=mf.dimension, dimension_se=mf.dimension_se, center_correlation=mf.center_correlation, n_centers=mf.n_centers, accuracy=dec.accuracy,
               accuracy_se=dec.accuracy_se, one_shot=float(dec.few_shot_accuracy[0]), points_per_class=min(map(len, mans)))
    if with_simulated:
        sim = simulated(mans, n_trials=_N_TRIALS, rng=gen)
        rank = int(np.linalg.matrix_rank(np.concatenate(mans) - np.concatenate(mans).mean(axis=0)))
        row.update(simulated=sim.capacity, simulated_se=sim.capacity_se, simulated_below=len(mans) / rank)
    return row


def _simulated_text(r: dict) -> str:
    if "simulated" not in r:
        return ""
    if np.isnan(r["simulated"]):  # even the full span separates fewer than half of the dichotomies
        return f"<{r['simulated_below']:.3f}"
    return f"{r['simulated']:.3f}+-{r['simulated_se']:.3f}"


def _zero(text: str) -> str:
    """No "-0.00": a value that rounds to zero prints without a sign."""
    return text.replace("-", " ", 1) if text.strip().startswith("-") and float(text) == 0 else text


def _columns(n_classes: int) -> list[str]:
    """What each column of the table is (printed under it)."""
    return [
        f"columns: capacity = mean-field capacity of the P = {n_classes} class manifolds: the P/N at which half",
        "  of the random class dichotomies are linearly separable (higher = more separable per neuron);",
        '  capacity.mean_field(mode="corrected", n_t=150); +- is one standard error over its draws.',
        "  simulated = the same capacity found directly (capacity.simulated: random projections,",
        "  20 dichotomies per dimension; <x: below P/rank = x). radius, dim = mean manifold radius (in",
        "  units of the center norm) and dimension from the mean-field fit. rho_c = mean correlation",
        "  between class centers. K = common center directions removed. acc = held-out accuracy of a",
        "  ridge decoder on 8 random class dichotomies; 1-shot = that decoder trained on one image per class.",
    ]


def _change(c0: float, se0: float, c1: float, se1: float) -> str:
    """``rises``/``falls`` only when the change exceeds two standard errors of the difference."""
    if abs(c1 - c0) <= 2 * np.hypot(se0, se1):
        return "no clear change"
    return "rises" if c1 > c0 else "falls"


def capacity_table(layers: dict[str, Any], labels: Any, out_dir: Path, rng: Any = None, *,
                   simulate: Iterable[str] | None = None, shuffled: Iterable[str] = ()) -> list[str]:
    """Capacity (with standard errors), geometry and decodability per layer, and what the table shows.

    Each class is a manifold of all its points (every held-out image).
    ``mean_field`` runs in corrected mode (``n_t = 150`` draws per manifold,
    its default 30 restarts of the center search); layers named in
    ``simulate`` also get the directly simulated capacity (20 dichotomies per
    projected dimension; ``<x`` means even the full span separated fewer than
    half of them, so the capacity is below ``P / rank = x``), and the decoder
    uses 8 random dichotomies.  Networks named in ``shuffled`` were trained on
    shuffled labels; the summary contrasts them with the others.  Results are
    written to ``out_dir / "capacity.json"``; returns the table and summary
    lines.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.arange(4), 12)
    >>> layers = {"net/l1": rng.standard_normal((48, 16)) + 3 * np.eye(16)[y]}
    >>> lines = capacity_table(layers, y, Path(tempfile.mkdtemp()), rng=0)
    >>> lines[0].split()[:2]
    ['layer', 'capacity']
    """
    gen = check_rng(rng)
    labels = np.asarray(labels)
    simulate = set(layers) if simulate is None else set(simulate)
    table = {name: _row(from_labels(np.asarray(acts, float), labels, min_points=3), gen, name in simulate)
             for name, acts in layers.items()}
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / "capacity.json").write_text(json.dumps(table, indent=2))
    lines = [f"{'layer':<16} {'capacity':>12} {'simulated':>12} {'radius':>12} {'dim':>11} {'rho_c':>5} {'K':>2} "
             f"{'acc':>12} {'1-shot':>6}"]
    for name, r in table.items():
        rho = _zero(f"{r['center_correlation']:>5.2f}")
        lines.append(
            f"{name:<16} {r['capacity']:>5.3f}+-{r['capacity_se']:.3f} {_simulated_text(r):>12} "
            f"{r['radius']:>5.3f}+-{r['radius_se']:.3f} {r['dimension']:>5.2f}+-{r['dimension_se']:.2f} "
            f"{rho} {r['n_centers']:>2d} "
            f"{r['accuracy']:>5.3f}+-{r['accuracy_se']:.3f} {r['one_shot']:>6.2f}"
        )
    return lines + _columns(len(np.unique(labels))) + _summary(table, set(shuffled))


def _summary(table: dict[str, dict], shuffled: set[str]) -> list[str]:
    """Sentences on what the table supports: trained vs shuffled, seeds, theory vs simulation, depth."""
    lines = []
    last: dict[str, tuple[str, dict]] = {}
    for name, r in table.items():
        if "/" in name:
            last[name.split("/")[0]] = (name, r)  # the last layer listed for each network
    trained = [r for net, (_, r) in last.items() if net not in shuffled]
    fake = [r for net, (_, r) in last.items() if net in shuffled]
    if trained and fake:
        caps_t, caps_f = [r["capacity"] for r in trained], [r["capacity"] for r in fake]
        se = max(r["capacity_se"] for r in trained + fake)
        acc_t, acc_f = [r["accuracy"] for r in trained], [r["accuracy"] for r in fake]
        lines.append(
            f"Last layers: networks trained on true labels have mean-field capacity {min(caps_t):.3f}-{max(caps_t):.3f}, "
            f"the shuffled-label networks {min(caps_f):.3f}-{max(caps_f):.3f} (standard errors at most {se:.3f}); "
            f"held-out decoding of class dichotomies agrees ({min(acc_t):.2f}-{max(acc_t):.2f} vs "
            f"{min(acc_f):.2f}-{max(acc_f):.2f}).")
    ratios = [r["capacity"] / r["simulated"] for r in table.values() if np.isfinite(r.get("simulated", np.nan))]
    below = [r for r in table.values() if "simulated" in r and np.isnan(r["simulated"])]
    if ratios or below:
        text = (f"Where the simulation finds the crossing, mean-field capacity is {min(ratios):.1f}-{max(ratios):.1f}x "
                "the directly simulated one" if ratios else "The simulation finds no crossing")
        text += (f"; in {len(below)} of {len(ratios) + len(below)} simulated layers fewer than half the "
                 "dichotomies are separable even in the full span" if below else "")
        lines.append(text + ": with 10 classes the theory's large-P regime is far away, so read the mean-field "
                     "values as a ranking of layers, not as absolute capacities.")
    depth: dict[str, list[dict]] = {}
    for name, r in table.items():
        if "/" in name:
            depth.setdefault(name.split("/")[0], []).append(r)
    trends = [
        f"{net}: {_change(c[0]['capacity'], c[0]['capacity_se'], c[-1]['capacity'], c[-1]['capacity_se'])} "
        f"({c[0]['capacity']:.3f}+-{c[0]['capacity_se']:.3f} -> {c[-1]['capacity']:.3f}+-{c[-1]['capacity_se']:.3f})"
        for net, c in depth.items() if len(c) > 1
    ]
    if trends:
        lines.append("capacity from first to last hidden layer (a change within 2 SE is no clear change): "
                     + "; ".join(trends))
    return lines


def section(ctx: DemoContext) -> DemoSection:
    """:func:`capacity_table` over every layer of the digit networks (simulation on the input and last layers)."""
    ctx.log("class manifolds: capacity, geometry and decodability of the ten digit classes by layer")
    nets = ctx.nets.networks
    last = ["input"] + [f"{name}/h{len(net.layers)}" for name, net in nets.items()]
    shuffled = [name for name, net in nets.items() if net.shuffled_labels]
    lines = capacity_table(ctx.reps, ctx.nets.labels, ctx.out_dir, rng=ctx.rng, simulate=last, shuffled=shuffled)
    return DemoSection("Class manifolds (manifold capacity theory):", tuple(lines), (ctx.out_dir / "capacity.json",))
