"""The command line: its output equals the Python API."""

import subprocess
import sys

import numpy as np
import pytest

import repgeo as rg
from repgeo.cli import main, measures_table


@pytest.fixture
def arrays(tmp_path):
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal((30, 4 + k)) for k in range(3)]
    for k, a in enumerate(arrs):
        np.save(tmp_path / f"a{k}.npy", a)
    np.savez(tmp_path / "more.npz", x=rng.standard_normal((30, 5)), y=rng.standard_normal((30, 2)))
    return tmp_path, arrs


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in rg.list_measures():
        assert f"\n{name} " in out


def test_compare_equals_api(arrays, capsys):
    tmp, arrs = arrays
    args = ["compare", str(tmp / "a0.npy"), str(tmp / "a1.npy"), "--measure", "shape", "--param", "alpha=0.5"]
    want = rg.ShapeMetric(alpha=0.5)(arrs[0], arrs[1])
    assert main([*args, "--value-only"]) == 0
    assert float(capsys.readouterr().out) == want
    assert main(args) == 0  # labelled: what was compared, with which measure, and what kind of number
    assert capsys.readouterr().out == f"shape distance between {tmp / 'a0.npy'} and {tmp / 'a1.npy'}: {want!r}\n"


def test_pairwise_equals_api(arrays, capsys):
    tmp, arrs = arrays
    out = tmp / "D.npy"
    files = [str(tmp / f"a{k}.npy") for k in range(3)] + [str(tmp / "more.npz")]
    args = ["pairwise", *files, "--measure", "linear_cka", "-o", str(out), "--n-jobs", "2", "--labels-out", str(tmp / "l.txt")]
    assert main(args) == 0
    with np.load(tmp / "more.npz") as more:
        reps = {"a0": arrs[0], "a1": arrs[1], "a2": arrs[2], "more:x": more["x"], "more:y": more["y"]}
    np.testing.assert_allclose(np.load(out), rg.pairwise(reps, "linear_cka"), rtol=1e-13)
    assert (tmp / "l.txt").read_text().split() == list(reps)
    assert main(["pairwise", *files, "-o", str(tmp / "D.npz")]) == 0
    assert list(np.load(tmp / "D.npz")["labels"]) == list(reps)


def test_errors_are_reported_not_raised(arrays, capsys):
    tmp, _ = arrays
    np.save(tmp / "short.npy", np.random.default_rng(1).standard_normal((20, 3)))
    assert main(["compare", str(tmp / "a0.npy"), str(tmp / "short.npy")]) == 2
    assert "rows must be matched" in capsys.readouterr().err


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "repgeo", "list"], capture_output=True, text=True)
    assert out.returncode == 0 and "procrustes" in out.stdout


def test_readme_table_is_current():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    start, end = "<!-- measures-table:start -->", "<!-- measures-table:end -->"
    assert start in readme and end in readme
    current = readme.split(start)[1].split(end)[0].strip()
    assert current == measures_table(markdown=True), "README table is stale: run `repgeo list --write README.md`"


def test_list_write_rewrites_only_the_table(tmp_path, capsys):
    doc = tmp_path / "doc.md"
    doc.write_text("# intro\n\n<!-- measures-table:start -->\n| old |\n<!-- measures-table:end -->\n\nafter\n")
    assert main(["list", "--write", str(doc)]) == 0
    text = doc.read_text()
    assert text.startswith("# intro\n\n<!-- measures-table:start -->\n| name | kind |") and text.endswith("-->\n\nafter\n")
    assert "| old |" not in text and measures_table(markdown=True) in text
    assert main(["list", "--write", str(doc)]) == 0 and doc.read_text() == text  # idempotent
    assert "already current" in capsys.readouterr().err
    (tmp_path / "plain.md").write_text("no markers\n")
    assert main(["list", "--write", str(tmp_path / "plain.md")]) == 2
    assert "must contain the line <!-- measures-table:start -->" in capsys.readouterr().err
    assert (tmp_path / "plain.md").read_text() == "no markers\n"


@pytest.mark.slow
def test_demo_end_to_end(tmp_path, capsys):
    """The main job: trained networks cluster, shuffled-label networks sit far away."""
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "shuffled-label networks" in out and "ring vs line attractors" in out
    for name in ("matrices.npz", "measures.json", "embedding_procrustes.csv", "networks.json", "summary.txt",
                 "report.html"):
        assert (tmp_path / name).exists()
    _check_demo_report(tmp_path)
    data = np.load(tmp_path / "matrices.npz")
    labels = list(data["labels"])
    D = data["procrustes"]
    trained = [labels.index(f"w64-d2-s{s}/h2") for s in range(3)]
    shuffled = [labels.index(f"shuffled-s{s}/h2") for s in range(2)]
    within = np.mean([D[i, j] for i in trained for j in trained if i < j])
    across = np.mean([D[i, j] for i in trained for j in shuffled])
    assert across > 2 * within
    # the matrices written are what the API computes for those representations: the networks
    # are retrained from the same seed (deterministic) and a sample of entries recomputed directly
    from repgeo.datasets import digit_networks

    reps = digit_networks(rng=0).layer_reps()
    assert list(reps) == labels
    pick = np.random.default_rng(0).choice(len(labels), size=(6, 2))
    for name, measure in [("procrustes", rg.get_measure("procrustes")), ("linear_cka", rg.LinearCKA()),
                          ("shape_alpha_0.5", rg.ShapeMetric(alpha=0.5)), ("rsa", rg.get_measure("rsa"))]:
        for i, j in pick:
            want = measure(reps[labels[i]], reps[labels[j]]) if i != j else measure.info.identity_value
            assert data[name][i, j] == pytest.approx(want, rel=1e-10, abs=1e-12), (name, labels[i], labels[j])


def _check_demo_report(out):
    """The demo's report in a real browser: every section, every image loaded, no errors."""
    from browser import chromium, open_page

    text = (out / "report.html").read_text()
    for heading in ("Inputs", "Measures", "Matrices", "Embeddings", "Class manifolds: capacity and geometry",
                    "Intrinsic geometry (MSA)", "Representational paths", "Dynamics (DSA)", "Text summary"):
        assert f"<h2>{heading}</h2>" in text
    if chromium() is None:
        return  # the report's own browser tests say why they skip
    seen = open_page(out / "report.html", out / "browser", height=6000)
    assert seen.errors == [] and seen.console == []
    assert len(seen.images) == text.count("<img ") >= 8
    assert all(im["naturalWidth"] > 0 for im in seen.images)


def test_files_with_the_same_stem_keep_distinct_labels(tmp_path, capsys):
    rng = np.random.default_rng(1)
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        np.save(tmp_path / d / "x.npy", rng.standard_normal((20, 3)))
    out = tmp_path / "D.npz"
    assert main(["pairwise", str(tmp_path / "a" / "x.npy"), str(tmp_path / "b" / "x.npy"), "-o", str(out)]) == 0
    labels = list(np.load(out)["labels"])
    assert len(labels) == 2 and labels[0] != labels[1]


def test_pairwise_reads_npy_inputs_as_memory_maps(tmp_path):
    """The command line hands .npy inputs to the engine memory-mapped (read when prepared, never all at once)."""
    from repgeo.cli._files import load_arrays

    for k in range(3):
        np.save(tmp_path / f"r{k}.npy", np.random.default_rng(k).standard_normal((20, 4)))
    reps = load_arrays([str(tmp_path / f"r{k}.npy") for k in range(3)])
    assert all(isinstance(X, np.memmap) and not X.flags.writeable for X in reps.values())
