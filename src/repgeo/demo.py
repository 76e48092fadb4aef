"""The main job on shipped data: compare a family of digit classifiers, layer by layer.

``repgeo demo`` trains small MLPs on scikit-learn's bundled digits (different
seeds, widths and depths, two trained on shuffled labels), computes all-pairs
matrices of their hidden layers under several measures, embeds them with
classical MDS, and writes a readable summary plus every matrix to a folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from scipy.spatial.distance import squareform
from scipy.stats import spearmanr

from .datasets import DigitNetworks, digit_networks
from .embed import classical_mds
from ._registry import get_measure
from .pairwise import PairwiseResult, pairwise_labeled

__all__ = ["DemoResult", "run_demo", "DEMO_MEASURES"]

#: label -> registry name and overrides
DEMO_MEASURES: dict[str, tuple[str, dict]] = {
    "procrustes": ("procrustes", {}),
    "shape_alpha_0.5": ("shape", {"alpha": 0.5}),
    "linear_cka": ("linear_cka", {}),
    "rsa": ("rsa", {}),
}


@dataclass(frozen=True, eq=False)
class DemoResult:
    """What the demo computed: the summary text, the matrices and the files written."""

    summary: str
    matrices: dict
    files: tuple


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


def run_demo(
    out_dir: str | Path = "repgeo-demo",
    *,
    n_jobs: int | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
    rng: Any = 0,
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

    Returns
    -------
    DemoResult
    """
    say = log or (lambda line: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say("training the digit network family (scikit-learn digits, bundled; no download)")
    nets = digit_networks(rng=rng, log=say)
    reps = nets.layer_reps()
    results: dict[str, PairwiseResult] = {}
    for label, (name, overrides) in DEMO_MEASURES.items():
        say(f"all pairs of {len(reps)} representations: {label}")
        results[label] = pairwise_labeled(reps, get_measure(name, **overrides), n_jobs=n_jobs, progress=progress)
    emb = classical_mds(results["procrustes"].values, n_components=2)

    lines = ["repgeo demo: nine MLPs on scikit-learn digits, compared layer by layer", ""]
    lines.append(f"{'network':<12} {'hidden widths':<14} {'labels':<9} {'train acc':>9} {'test acc':>8}")
    for name, net in nets.networks.items():
        widths = "-".join(map(str, net.widths))
        kind = "shuffled" if net.shuffled_labels else "true"
        lines.append(f"{name:<12} {widths:<14} {kind:<9} {net.train_accuracy:>9.3f} {net.test_accuracy:>8.3f}")
    lines += [""] + _cluster_lines(nets, results["procrustes"])
    lines += [""] + _layer_lines(nets, results["procrustes"])
    lines += [""] + _agreement_lines(results)
    lines += [
        "",
        f"Classical MDS of the Procrustes distances: 2 components keep {emb.explained:.1%} of the positive "
        f"spectrum; rank correlation of embedded with true distances {emb.rank_correlation:.3f}; "
        f"non-Euclidean share {emb.negative_mass:.1%}.",
    ]

    say("class manifolds: capacity, geometry and decodability of the ten digit classes by layer")
    from .capacity import demo_section as capacity_section

    lines += ["", "Class manifolds (manifold capacity theory):"] + capacity_section(reps, nets.labels, out, rng=rng)

    say("intrinsic geometry: a lazy and a rich network on continuous XOR (MSA vs CKA)")
    from .riemann import demo_section as msa_section

    lines += ["", "Intrinsic geometry (Metric Similarity Analysis):"] + msa_section(out, rng=rng)

    files = []
    matrices = {label: res.values for label, res in results.items()}
    np.savez(out / "matrices.npz", labels=np.array(list(reps)), **matrices)
    files.append(out / "matrices.npz")
    with open(out / "embedding_procrustes.csv", "w") as fh:
        fh.write("label,x,y\n")
        for lab, (x, y) in zip(reps, emb.coords):
            fh.write(f"{lab},{x:.6f},{y:.6f}\n")
    files.append(out / "embedding_procrustes.csv")
    meta = {
        name: {"widths": list(n.widths), "seed": n.seed, "shuffled_labels": n.shuffled_labels,
               "train_accuracy": n.train_accuracy, "test_accuracy": n.test_accuracy}
        for name, n in nets.networks.items()
    }
    (out / "networks.json").write_text(json.dumps(meta, indent=2))
    files.append(out / "networks.json")
    summary = "\n".join(lines) + "\n"
    (out / "summary.txt").write_text(summary)
    files.append(out / "summary.txt")
    files.extend(sorted(p for p in [*out.glob("msa_*"), *out.glob("capacity*")] if p not in files))
    return DemoResult(summary=summary, matrices=matrices, files=tuple(files))
