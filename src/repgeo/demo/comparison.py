"""Demo section: all-pairs matrices of every layer of the digit networks under four measures.

Writes ``matrices.npz`` (one matrix per measure, and the labels), ``measures.json``
(the registered name and hyperparameters behind each matrix) and
``embedding_procrustes.csv`` (classical MDS of the Procrustes distances).
"""

from __future__ import annotations

import json

import numpy as np
from scipy.spatial.distance import squareform
from scipy.stats import spearmanr

from .._registry import get_measure
from ..datasets import DigitNetworks
from ..embed import classical_mds
from ..pairwise import PairwiseResult, pairwise_labeled
from ._context import DemoContext, DemoSection

__all__ = ["DEMO_MEASURES", "section"]

#: label -> registry name and overrides
DEMO_MEASURES: dict[str, tuple[str, dict]] = {
    "procrustes": ("procrustes", {}),
    "shape_alpha_0.5": ("shape", {"alpha": 0.5}),
    "linear_cka": ("linear_cka", {}),
    "rsa": ("rsa", {}),
}


def _last_layers(nets: DigitNetworks) -> dict[str, str]:
    return {name: f"{name}/h{len(net.layers)}" for name, net in nets.networks.items()}


def _sub(res: PairwiseResult, labels: list[str]) -> np.ndarray:
    idx = [res.labels.index(lab) for lab in labels]
    return res.values[np.ix_(idx, idx)]


def _cluster_lines(nets: DigitNetworks, res: PairwiseResult) -> list[str]:
    last = _last_layers(nets)
    names = list(last)
    D = _sub(res, [last[n] for n in names])
    lines = ["Which networks cluster (Procrustes distance between last hidden layers):"]
    for i, name in enumerate(names):
        order = [j for j in np.argsort(D[i]) if j != i]
        lines.append(f"  {name:<12} nearest: {names[order[0]]:<12} ({D[i, order[0]]:.3f})")
    shuffled = np.array([nets.networks[n].shuffled_labels for n in names])
    trained = ~shuffled
    within = D[np.ix_(trained, trained)][np.triu_indices(trained.sum(), 1)].mean()
    across = D[np.ix_(trained, shuffled)].mean()
    lines.append(
        f"  mean distance among correctly trained networks {within:.3f}; between them and the "
        f"shuffled-label networks {across:.3f} ({across / within:.2f}x farther)"
    )
    return lines


def _layer_lines(nets: DigitNetworks, res: PairwiseResult) -> list[str]:
    seeds = [n for n in nets.networks if n.startswith("w64-d2-")]
    lines = ["How layers relate (Procrustes):"]
    for k in (1, 2):
        labels = [f"{n}/h{k}" for n in seeds]
        D = _sub(res, labels)
        across = D[np.triu_indices(len(labels), 1)].mean()
        from_input = np.mean([res.value("input", lab) for lab in labels])
        lines.append(f"  layer h{k}: distance across seeds {across:.3f}, distance from the input {from_input:.3f}")
    deep = [lab for lab in res.labels if lab.startswith("w64-d3-")]
    steps = [res.value(a, b) for a, b in zip(["input"] + deep[:-1], deep)]
    lines.append(
        "  3-layer network, distance of each layer from the one before: "
        + ", ".join(f"{s:.3f}" for s in steps)
        + f"; input to last layer directly: {res.value('input', deep[-1]):.3f}"
    )
    return lines


def _agreement_lines(results: dict[str, PairwiseResult]) -> list[str]:
    base = squareform(results["procrustes"].values, checks=False)
    lines = ["Agreement between measures (Spearman rank correlation of all pairs with Procrustes distance):"]
    for label, res in results.items():
        if label == "procrustes":
            continue
        values = squareform(res.values, checks=False)
        sign = -1.0 if label in ("linear_cka", "rsa") else 1.0  # similarities: larger means closer
        lines.append(f"  {label:<16} {sign * spearmanr(base, values).statistic:+.3f}")
    return lines


def section(ctx: DemoContext) -> DemoSection:
    """All pairs of layers under :data:`DEMO_MEASURES`, their agreement and an MDS embedding."""
    reps, nets, out = ctx.reps, ctx.nets, ctx.out_dir
    results: dict[str, PairwiseResult] = {}
    for label, (name, overrides) in DEMO_MEASURES.items():
        ctx.log(f"all pairs of {len(reps)} representations: {label}")
        results[label] = pairwise_labeled(reps, get_measure(name, **overrides), n_jobs=ctx.n_jobs, progress=ctx.progress)
    emb = classical_mds(results["procrustes"].values, n_components=2)
    lines = _cluster_lines(nets, results["procrustes"])
    lines += [""] + _layer_lines(nets, results["procrustes"])
    lines += [""] + _agreement_lines(results)
    lines += [
        "",
        f"Classical MDS of the Procrustes distances: 2 components keep {emb.explained:.1%} of the positive "
        f"spectrum; rank correlation of embedded with true distances {emb.rank_correlation:.3f}; "
        f"non-Euclidean share {emb.negative_mass:.1%}.",
    ]
    np.savez(out / "matrices.npz", labels=np.array(list(reps)), **{k: r.values for k, r in results.items()})
    # which registered measure (and hyperparameters) made each matrix: the report shows their declared properties
    (out / "measures.json").write_text(json.dumps(
        {k: {"name": name, "params": params, "repr": results[k].measure} for k, (name, params) in DEMO_MEASURES.items()},
        indent=2))
    with open(out / "embedding_procrustes.csv", "w") as fh:
        fh.write("label,x,y\n")
        for lab, (x, y) in zip(reps, emb.coords):
            fh.write(f"{lab},{x:.6f},{y:.6f}\n")
    files = (out / "matrices.npz", out / "measures.json", out / "embedding_procrustes.csv")
    return DemoSection("All-pairs comparison of every layer:", tuple(lines), files)
