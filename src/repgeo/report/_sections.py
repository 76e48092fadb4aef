"""One function per kind of result file: each reads its files from a results directory and returns HTML.

A section function returns ``(anchor, heading, body)`` or ``None`` when its
files are absent, so a report shows whatever a directory holds.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import numpy as np

from .._registry import get_measure, registered
from ..plot import capacity_profile, embedding, heatmap, layer_profile, point_map
from ._html import esc, figure_html, new_figure, number, table, with_se

Section = tuple[str, str, str]


def _json(path: Path) -> Any:
    return json.loads(path.read_text())  # Python's json reads the NaN the demo writes


def _network_of(label: str) -> str:
    return label.split("/")[0] if "/" in label else label


def inputs(d: Path) -> Section | None:
    """The networks (networks.json) and the representations compared (the labels of the matrices)."""
    parts = []
    if (d / "networks.json").exists():
        nets = _json(d / "networks.json")
        rows = [[esc(name), esc("-".join(map(str, n.get("widths", [])))),
                 "shuffled" if n.get("shuffled_labels") else "true", number(n.get("seed")),
                 number(n.get("train_accuracy")), number(n.get("test_accuracy"))] for name, n in nets.items()]
        parts.append("<p>The networks whose layers are compared (multi-layer perceptrons trained on "
                     "scikit-learn's bundled 8&times;8 digits; accuracies on the training and held-out images).</p>")
        parts.append(table(["network", "hidden widths", "labels", "seed", "train acc", "test acc"], rows, (0, 1, 2)))
    mats = _matrices(d)
    if mats:
        labels = mats[0][2]
        what = (", each the activations of one layer on the same held-out images" if (d / "networks.json").exists()
                else "")
        parts.append(f"<p>{len(labels)} representations{what} (rows matched across representations): "
                     f"{esc(', '.join(labels))}.</p>")
    return ("inputs", "Inputs", "\n".join(parts)) if parts else None


def _measure_for(label: str, meta: dict) -> Any:
    """The measure behind a matrix: from measures.json when present, else the registry name itself."""
    entry = meta.get(label)
    try:
        if entry is not None:
            return get_measure(entry["name"], **entry.get("params", {}))
        return get_measure(label)
    except (KeyError, ValueError, TypeError):
        return None


def measure_from_repr(text: str) -> Any:
    """Rebuild a registered measure class from its ``repr`` (literal keyword values only; nothing is evaluated).

    Returns None when the text is not a call of a registered measure class with literal arguments.
    """
    try:
        call = ast.parse(text.strip(), mode="eval").body
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.args:
            return None
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
    except (SyntaxError, ValueError):
        return None
    classes = {type(m).__name__: type(m) for m in registered().values()}
    try:
        return classes[call.func.id](**kwargs) if call.func.id in classes else None
    except (TypeError, ValueError):
        return None


def _matrices(d: Path) -> list[tuple[str, np.ndarray, list[str], Any]]:
    """``(label, matrix, row labels, measure or None)`` from matrices.npz and any saved PairwiseResult (.npz)."""
    out = []
    if (d / "matrices.npz").exists():
        meta = _json(d / "measures.json") if (d / "measures.json").exists() else {}
        with np.load(d / "matrices.npz") as z:
            labels = [str(x) for x in z["labels"]]
            out += [(k, z[k], labels, _measure_for(k, meta)) for k in z.files if k != "labels"]
    for f in sorted(d.glob("*.npz")):  # `repgeo pairwise -o X.npz` / PairwiseResult.save: values, labels, measure
        if f.name == "matrices.npz":
            continue
        with np.load(f) as z:
            if {"values", "labels"} <= set(z.files):
                measure = measure_from_repr(str(z["measure"])) if "measure" in z.files else None
                out.append((f.stem, z["values"], [str(x) for x in z["labels"]], measure))
    return out


def measures_and_matrices(d: Path) -> list[Section]:
    """The measures' declared properties and one clustered heatmap per all-pairs matrix (matrices.npz, *.npz)."""
    mats = _matrices(d)
    if not mats:
        return []
    rows, figs = [], []
    for key, M, labels, m in mats:
        if m is None:
            rows.append([esc(key), "not a registered measure"] + ["&mdash;"] * 7)
            kind = "values"
        else:
            info = m.info
            lo, hi = info.bounds
            rows.append([esc(key), f"<code>{esc(repr(m))}</code>", esc(info.kind), number(info.metric),
                         number(info.symmetric), esc(", ".join(sorted(info.invariances)) or "none"), esc(info.input),
                         f"[{number(lo, 2)}, {number(hi, 2)}]".replace("inf", "&infin;"), number(info.identity_value, 2)])
            kind = info.kind + (", a metric" if info.metric else "")
        square = M.shape[0] == M.shape[1] and np.isfinite(M).all()
        fig, (ax,) = new_figure(5.6, 4.9)
        heatmap(M, labels=labels if len(labels) == M.shape[0] else None, order="cluster" if square else None,
                ax=ax, title=f"{key}: {kind}")
        figs.append(figure_html(fig, f"<b>{esc(key)}</b> ({esc(kind)}) between every pair of representations"
                                     + ("; rows and columns ordered by average-linkage clustering, so blocks are "
                                        "groups of similar representations." if square else "."),
                                f"heatmap of {key}"))
    intro = ("<p>What each number is, as each measure declares it in its <code>MeasureInfo</code> (checked for every "
             "registered measure by the contract test): a <i>distance</i> is 0 for identical inputs and grows with "
             "difference; a <i>similarity</i> is largest for identical inputs; <i>metric</i> means the triangle "
             "inequality holds; <i>invariances</i> are the transformations of one input that leave the value "
             "unchanged.</p>")
    head = ["label", "measure", "kind", "metric", "symmetric", "invariant to", "input", "range", "identity"]
    refs = sorted({r for *_, m in mats if m is not None for r in m.info.references})
    ref_html = "<p class=\"note\">References: " + "; ".join(esc(r) for r in refs) + "</p>" if refs else ""
    return [("measures", "Measures", intro + table(head, rows, (0, 1, 2, 5, 6)) + ref_html),
            ("matrices", "Matrices", "\n".join(figs))]


def embedding_section(d: Path) -> Section | None:
    """A 2-D MDS embedding of the layers (embedding_*.csv), coloured by network."""
    files = sorted(d.glob("embedding_*.csv"))
    if not files:
        return None
    parts = []
    for f in files:
        rows = [line.split(",") for line in f.read_text().splitlines()[1:] if line.strip()]
        labels = [r[0] for r in rows]
        coords = np.array([[float(r[1]), float(r[2])] for r in rows])
        measure = f.stem.removeprefix("embedding_")
        last = {_network_of(lab): lab for lab in labels}  # each network's last layer listed
        names = [lab if lab == last[_network_of(lab)] else "" for lab in labels]  # fewer labels, no pile-up
        fig, (ax,) = new_figure(7.5, 6)
        embedding(coords, labels=names, colors=[_network_of(lab) for lab in labels], ax=ax,
                  title=f"classical MDS of the {measure} distances")
        ax.set_xlabel("MDS 1")
        ax.set_ylabel("MDS 2")
        parts.append(figure_html(fig, f"Each point is one layer, placed by classical multidimensional scaling so "
                                      f"that distances in the picture approximate the {esc(measure)} distances; "
                                      "colour: network; text: each network's last layer.", f"embedding by {measure}"))
    return "embedding", "Embeddings", "\n".join(parts)


CAPACITY_COLUMNS = [
    ("capacity", "Mean-field manifold capacity &alpha; (corrected mode): the largest number of class manifolds "
                 "per neuron that a linear read-out can still separate for random labellings of the classes. "
                 "Higher: classes more separable per neuron. &plusmn; one standard error over the Gaussian draws."),
    ("simulated", "Capacity measured directly by simulating random dichotomies in random projections; "
                  "&lt;x means even the full span separated fewer than half of them (capacity below x)."),
    ("radius", "Manifold radius R<sub>M</sub>: the size of a class manifold relative to the norm of its center "
               "(mean-field geometry). Smaller radius: higher capacity."),
    ("dimension", "Manifold dimension D<sub>M</sub>: how many directions a class manifold effectively spans "
                  "(mean-field geometry). Smaller dimension: higher capacity."),
    ("center corr.", "Mean absolute cosine between the class centers (after subtracting their mean), before the "
                     "common center directions are removed."),
    ("K", "Number of common center directions the analysis removed before measuring."),
    ("decoding acc", "Held-out accuracy of a ridge linear classifier on random dichotomies of the classes "
                     "(&plusmn; SE over dichotomies): the empirical counterpart of capacity."),
    ("1-shot", "Accuracy of the same read-out trained on one random point per class."),
]


def capacity_section(d: Path) -> Section | None:
    """The capacity table with SEs and column explanations, and capacity/geometry against layer (capacity.json)."""
    if not (d / "capacity.json").exists():
        return None
    rows_in = _json(d / "capacity.json")
    rows = []
    for name, r in rows_in.items():
        sim = r.get("simulated")
        if sim is None:
            sim_html = "&mdash;"
        elif np.isnan(sim):
            sim_html = f"&lt;{number(r.get('simulated_below'))}"
        else:
            sim_html = with_se(sim, r.get("simulated_se"))
        rows.append([esc(name), with_se(r["capacity"], r.get("capacity_se")), sim_html, number(r.get("radius")),
                     number(r.get("dimension"), 2), number(r.get("center_correlation")), number(r.get("n_centers")),
                     with_se(r.get("accuracy"), r.get("accuracy_se")), number(r.get("one_shot"))])
    head = ["layer"] + [c for c, _ in CAPACITY_COLUMNS]
    explain = "<dl class=\"columns\">" + "".join(f"<dt>{esc(c)}</dt><dd>{t}</dd>" for c, t in CAPACITY_COLUMNS) + "</dl>"
    groups: dict[str, dict] = {}
    shared = {k: v for k, v in rows_in.items() if "/" not in k}  # e.g. the input, the start of every curve
    for name, r in rows_in.items():
        if "/" in name:
            net = _network_of(name)
            groups.setdefault(net, dict(shared))[name.split("/", 1)[1]] = r
    figs = []
    if groups:
        fig, axes = new_figure(13, 3.8, ncols=3)
        for ax, q in zip(axes, ("capacity", "radius", "dimension")):
            capacity_profile(groups, q, ax=ax)
        for ax in axes[1:]:
            ax.get_legend().remove()
        figs.append(figure_html(fig, "Capacity (with standard-error bars), radius and dimension of the ten digit "
                                     "classes against layer, one line per network (the first point is the input).",
                                "capacity and geometry against layer"))
    n = next(iter(rows_in.values())).get("points_per_class")
    note = f"<p class=\"note\">Each class is a manifold of its held-out images ({n} or more per class).</p>" if n else ""
    return "capacity", "Class manifolds: capacity and geometry", (
        table(head, rows) + note + explain + "\n".join(figs))


def msa_section(d: Path) -> Section | None:
    """MSA vs linear CKA for the lazy and rich networks, and per-point MSA maps (msa_*.json, msa_*_pointwise.csv)."""
    if not (d / "msa_lazy_vs_rich.json").exists():
        return None
    res = _json(d / "msa_lazy_vs_rich.json")
    pairs = [k for k, v in res.items() if isinstance(v, dict) and "msa" in v]
    rows = [[esc(k.replace("_vs_", " vs ")), with_se(res[k]["msa"], None), number(res[k].get("msa_std")),
             number(res[k]["linear_cka"])] for k in pairs]
    parts = ["<p>A 2-64-64-1 tanh network trained on continuous XOR over the square [-1, 1]&sup2;, lazily "
             "(&alpha;=100) and richly (&alpha;=0.1) from one initialisation. MSA (Metric Similarity Analysis) "
             "compares the intrinsic geometry of the second hidden layer, point by point, through the metric its "
             "input Jacobians induce (0: same geometry, 1: most different); linear CKA compares the point clouds.</p>",
             table(["pair", "MSA (mean over points)", "MSA spread (std)", "linear CKA"], rows)]
    extra = [(k, v) for k, v in res.items() if k not in pairs]
    if extra:
        flat = [[esc(f"{k} ({kk})"), number(vv)] for k, v in extra if isinstance(v, dict) for kk, vv in v.items()]
        flat += [[esc(k), number(v)] for k, v in extra if not isinstance(v, dict)]
        parts.append(table(["quantity", "value"], flat))
    csv = d / "msa_lazy_vs_rich_pointwise.csv"
    if csv.exists():
        header = csv.read_text().splitlines()[0].split(",")
        data = np.loadtxt(csv, delimiter=",", skiprows=1, ndmin=2)
        cols = [c for c in header if c.startswith("dsr_")]
        if cols:
            fig, axes = new_figure(4.2 * len(cols), 3.9, ncols=len(cols))
            for ax, c in zip(axes, cols):
                point_map(data[:, :2], data[:, header.index(c)], ax=ax, label="MSA per point",
                          title=c.removeprefix("dsr_").replace("_vs_", " vs "))
            parts.append(figure_html(fig, "Per-point MSA over the input square: where the two networks' intrinsic "
                                          "geometries differ (the XOR decision boundary is the two axes).",
                                     "per-point MSA maps"))
    return "msa", "Intrinsic geometry (MSA)", "\n".join(parts)


def paths_section(d: Path) -> Section | None:
    """Path length, straightness and distance to the labels for each network and space (paths.json)."""
    if not (d / "paths.json").exists():
        return None
    spaces = _json(d / "paths.json")
    parts = ["<p>Each network's layers form a path through representation space. <i>length</i>: the sum of "
             "distances between consecutive layers; <i>end-to-end</i>: the distance from the first to the last; "
             "<i>straightness</i>: end-to-end over length (1 is a geodesic); <i>mean turn</i>: the mean angle "
             "between consecutive steps (radians).</p>"]
    fig, axes = new_figure(5.2 * len(spaces), 3.8, ncols=len(spaces))
    for ax, (space, nets) in zip(axes, spaces.items()):
        rows = [[esc(name), number(t["length"]), number(t["endpoint_distance"]), number(t["straightness"]),
                 number(np.nanmean(t["angles"]) if t.get("angles") else None)] for name, t in nets.items()]
        parts.append(f"<h3>{esc(space)} space</h3>" + table(["network", "length", "end-to-end", "straightness",
                                                               "mean turn"], rows))
        layer_profile({name: t["distance_to_target"] for name, t in nets.items()}, ax=ax,
                      ylabel="distance to one-hot labels", title=f"{space} space")
    parts.append(figure_html(fig, "Distance of every layer (pixels first, class probabilities last) to the one-hot "
                                  "labels, by network and space.", "distance to labels against layer"))
    return "paths", "Representational paths", "\n".join(parts)


STOCHASTIC_MEASURES = ("procrustes (means)", "gaussian (Wasserstein)", "energy")


def stochastic_section(d: Path) -> Section | None:
    """Stochastic shape distances between responses to noisy images (stochastic.json)."""
    if not (d / "stochastic.json").exists():
        return None
    res = _json(d / "stochastic.json")
    names = res["labels"]
    mats = {key: np.array(res[key]) for key in STOCHASTIC_MEASURES}
    parts = [f"<p>Each network answers each of {res['n_conditions']} images, shown {res['n_repeats']} times with "
             "Gaussian pixel noise, with a cloud of responses (second hidden layer). <i>procrustes (means)</i>: "
             "the angular Procrustes distance between the clouds' means only; <i>gaussian (Wasserstein)</i>: the "
             "stochastic shape distance that aligns means and covariances with one rotation (Duong et al. 2023); "
             "<i>energy</i>: the energy distance between the whole response distributions, aligned. Distances from "
             f"<b>{esc(names[0])}</b>:</p>"]
    rows = [[esc(name)] + [number(mats[key][0, i]) for key in STOCHASTIC_MEASURES] for i, name in
            enumerate(names) if i > 0]
    parts.append(table(["system", *STOCHASTIC_MEASURES], rows, (0,)))
    fig, axes = new_figure(15, 4.6, ncols=3)
    for ax, key in zip(axes, STOCHASTIC_MEASURES):
        heatmap(mats[key], labels=names, ax=ax, title=key)
    parts.append(figure_html(fig, "The three distances between every pair of systems. Row two is the first "
                                  "network at three times the pixel noise: compare how far each measure puts it "
                                  "with how far it puts another seed (row three) and a shuffled-label network "
                                  "(row four).", "stochastic shape heatmaps"))
    return "stochastic", "Noisy responses (stochastic shape metrics)", "\n".join(parts)


def dynamics_section(d: Path) -> Section | None:
    """DSA among Van der Pol variants and among ring and line attractors (dynamics.json)."""
    if not (d / "dynamics.json").exists():
        return None
    res = _json(d / "dynamics.json")
    osc, att = res["oscillators"], res["attractors"]
    parts = ["<p>Dynamical Similarity Analysis (DSA) compares how systems <i>evolve</i>: each system's states are "
             "delay-embedded and fitted by a linear operator (DMD), and two operators are compared up to an "
             "orthogonal change of coordinates (angular distance, radians). A smooth invertible warp of the states "
             "keeps the dynamics; the Procrustes shape distance, which compares the states themselves at equal "
             "time points, sees the warp.</p>"]
    dsa, names = np.array(osc["dsa"]), osc["labels"]
    shape = dict(zip(osc["procrustes_labels"], np.array(osc["procrustes"])[0]))
    rows = [[esc(name), number(dsa[0, i]), number(shape.get(name)) if name in shape else "&mdash;"]
            for i, name in enumerate(names) if i > 0]
    parts.append(f"<h3>Van der Pol oscillator and its warps</h3><p>Distances from <b>{esc(names[0])}</b> "
                 f"(DSA with {esc(', '.join(f'{k}={v}' for k, v in osc['settings'].items()))}; &mdash;: the time points are not paired, so the shape "
                 "distance does not apply).</p>" + table(["system", "DSA", "angular Procrustes"], rows, (0,)))
    fig, axes = new_figure(11.5, 4.6, ncols=2)
    heatmap(dsa, labels=names, ax=axes[0], title="oscillators: DSA")
    A = np.array(att["dsa"])
    heatmap(A, labels=att["labels"], ax=axes[1], title="attractors: DSA")
    parts.append(figure_html(fig, "DSA between every pair of systems. Left: the oscillator, another start, three "
                                  "warps (small distances) and a different system (mu=3, large). Right: ring and "
                                  "line attractor populations, two seeds each: within-kind distances are the "
                                  "smaller.", "DSA heatmaps"))
    return "dynamics", "Dynamics (DSA)", "\n".join(parts)


def summary_section(d: Path) -> Section | None:
    """The demo's plain-text summary (summary.txt), verbatim."""
    if not (d / "summary.txt").exists():
        return None
    return "summary", "Text summary", f"<pre>{esc((d / 'summary.txt').read_text())}</pre>"
