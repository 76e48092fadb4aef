"""repgeo.report: one self-contained HTML page of a results directory, checked in a real browser."""

import base64
import json
import re

import numpy as np
import pytest

import repgeo as rg
from repgeo.cli import main

pytest.importorskip("matplotlib")

from browser import chromium, open_page  # noqa: E402

NO_BROWSER = "chromium is not installed (apt-get install chromium; .ci/run installs it when absent)"


def make_results(d, rng=0):
    """A small results directory in the demo's formats, from the library's own functions."""
    from repgeo.demo.capacity import capacity_table
    from repgeo.demo.paths import path_table

    gen = np.random.default_rng(rng)
    y = np.repeat(np.arange(4), 8)
    X = gen.standard_normal((32, 6)) + 2 * np.eye(6)[y]
    reps = {"input": X}
    for net, scale in (("a", 1.0), ("b", 3.0)):
        h = X
        for k in (1, 2):
            h = np.tanh(scale * h @ gen.standard_normal((h.shape[1], 5)))
            reps[f"{net}/h{k}"] = h
    nets = {n: {"widths": [5, 5], "seed": i, "shuffled_labels": False, "train_accuracy": 0.9, "test_accuracy": 0.8}
            for i, n in enumerate(("a", "b"))}
    (d / "networks.json").write_text(json.dumps(nets))
    mats = {"procrustes": rg.pairwise(reps, "procrustes"), "linear_cka": rg.pairwise(reps, rg.LinearCKA())}
    np.savez(d / "matrices.npz", labels=np.array(list(reps)), **mats)
    (d / "measures.json").write_text(json.dumps({"procrustes": {"name": "procrustes", "params": {}},
                                                 "linear_cka": {"name": "linear_cka", "params": {}}}))
    emb = rg.embed.classical_mds(mats["procrustes"])
    (d / "embedding_procrustes.csv").write_text(
        "label,x,y\n" + "".join(f"{k},{x:.6f},{z:.6f}\n" for k, (x, z) in zip(reps, emb.coords)))
    capacity_table(reps, y, d, rng=0, simulate=["input"])
    u = np.stack(np.meshgrid(np.linspace(-1, 1, 8), np.linspace(-1, 1, 8), indexing="ij"), -1).reshape(-1, 2)
    pairs = {"rich_vs_init": {"msa": 0.5, "msa_std": 0.2, "linear_cka": 0.9},
             "lazy_vs_init": {"msa": 0.01, "msa_std": 0.005, "linear_cka": 1.0}}
    (d / "msa_lazy_vs_rich.json").write_text(json.dumps({**pairs, "rich_msa_far": 0.4}))
    np.savetxt(d / "msa_lazy_vs_rich_pointwise.csv", np.c_[u, np.abs(u[:, 0] * u[:, 1]), 0.01 + 0 * u[:, 0]],
               delimiter=",", header="u1,u2,dsr_rich_vs_init,dsr_lazy_vs_init", comments="")
    from types import SimpleNamespace

    layered = {n: SimpleNamespace(layers=[reps["input"], reps[f"{n}/h1"], reps[f"{n}/h2"]]) for n in ("a", "b")}
    target = np.eye(4)[y]
    (d / "paths.json").write_text(json.dumps({"cka": path_table(layered, target, "cka")[1]}))
    from repgeo.demo.dynamics import attractors, oscillators
    from repgeo.demo.stochastic import compare_noisy

    from demo_fakes import fake_family

    (d / "stochastic.json").write_text(json.dumps(compare_noisy(*fake_family(), per_class=3, n_repeats=6)))

    (d / "dynamics.json").write_text(json.dumps({"oscillators": oscillators(n_time=300), "attractors": attractors()}))
    (d / "summary.txt").write_text("a <summary> & its text\n")
    return d


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = make_results(tmp_path_factory.mktemp("results"))
    return d, rg.report.write_report(d)


def _images(text):
    return re.findall(r'<img src="data:image/png;base64,([^"]+)"', text)


@pytest.mark.slow
def test_report_is_one_file_with_every_section_and_embedded_pngs(report):
    d, path = report
    text = path.read_text()
    assert path == d / "report.html"
    # self-contained: no link, script or image that points outside the file
    assert not re.search(r'(src|href)="(?!data:|#)', text)
    for heading in ("Inputs", "Measures", "Matrices", "Embeddings", "Class manifolds: capacity and geometry",
                    "Intrinsic geometry (MSA)", "Representational paths", "Noisy responses (stochastic shape metrics)", "Dynamics (DSA)",
                    "Text summary"):
        assert f"<h2>{heading}</h2>" in text
    images = _images(text)
    # one heatmap per measure, one embedding, capacity profiles, MSA maps, path profiles, stochastic and DSA heatmaps
    assert len(images) == 2 + 1 + 1 + 1 + 1 + 1 + 1
    # the DSA table: every system against the oscillator, the shape distance only where time points pair up
    dyn = json.loads((d / "dynamics.json").read_text())["oscillators"]
    for i, name in enumerate(dyn["labels"][1:], start=1):
        shape = (f"{dict(zip(dyn['procrustes_labels'], dyn['procrustes'][0]))[name]:.3f}"
                 if name in dyn["procrustes_labels"] else "&mdash;")
        assert f"<td class=\"text\">{name}</td><td>{dyn['dsa'][0][i]:.3f}</td><td>{shape}</td>" in text
    for data in images:
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert "a &lt;summary&gt; &amp; its text" in text  # text is escaped


@pytest.mark.slow
def test_report_states_measure_properties_and_capacity_with_standard_errors(report):
    d, path = report
    text = path.read_text()
    info = rg.get_measure("procrustes").info
    row = re.search(r"<tr><td class=\"text\">procrustes</td>(.*?)</tr>", text).group(1)
    assert ">distance<" in row and ", ".join(sorted(info.invariances)) in row
    row = re.search(r"<tr><td class=\"text\">linear_cka</td>(.*?)</tr>", text).group(1)
    assert ">similarity<" in row
    table = json.loads((d / "capacity.json").read_text())
    r = table["a/h2"]
    assert f"{r['capacity']:.3f} &plusmn; {r['capacity_se']:.3f}" in text
    assert f"{r['accuracy']:.3f} &plusmn; {r['accuracy_se']:.3f}" in text
    for column in ("capacity", "simulated", "radius", "dimension", "decoding acc", "1-shot"):
        assert f"<dt>{column}</dt>" in text  # every column explained


def test_a_small_report_is_self_contained(tmp_path):
    rng = np.random.default_rng(0)
    reps = {f"L{i}": rng.standard_normal((12, 3)) for i in range(3)}
    np.savez(tmp_path / "matrices.npz", labels=np.array(list(reps)), procrustes=rg.pairwise(reps, "procrustes"))
    text = rg.report.build_report(tmp_path)
    assert not re.search(r'(src|href)="(?!data:|#)', text)
    (image,) = _images(text)
    assert base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<h2>Inputs</h2>" in text and "3 representations" in text
    row = re.search(r"<tr><td class=\"text\">procrustes</td>(.*?)</tr>", text).group(1)
    assert "ShapeMetric(alpha=1.0" in row and ">distance<" in row


def test_report_shows_only_what_the_directory_holds(tmp_path):
    (tmp_path / "summary.txt").write_text("only text")
    text = rg.report.build_report(tmp_path)
    assert "<h2>Text summary</h2>" in text and "<h2>Matrices</h2>" not in text
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="holds no result file a report knows"):
        rg.report.build_report(empty)
    with pytest.raises(ValueError, match="must be a directory"):
        rg.report.build_report(tmp_path / "missing")
    (tmp_path / "capacity.json").write_text("{not json")
    with pytest.raises(ValueError, match="capacity table .* could not be read from its file"):
        rg.report.build_report(tmp_path)


@pytest.mark.slow
def test_cli_report(tmp_path, capsys, report):
    d, _ = report
    out = tmp_path / "r.html"
    assert main(["report", str(d), "-o", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert main(["report", str(d), "-o", str(tmp_path / "r.txt")]) == 2
    assert "--output must end in .html" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "must be a directory" in err


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason=NO_BROWSER)
def test_report_in_a_real_browser(report, tmp_path):
    import matplotlib.image as mpimg

    _, path = report
    seen = open_page(path, tmp_path / "browser")
    assert seen.errors == [] and seen.console == []
    assert len(seen.images) == len(_images(path.read_text())) == 8
    assert all(im["complete"] and im["naturalWidth"] > 0 and im["naturalHeight"] > 0 for im in seen.images)
    assert seen.headings[:3] == ["Inputs", "Measures", "Matrices"]
    pixels = mpimg.imread(seen.screenshot)[..., :3]
    assert pixels.shape[:2] == (3000, 1280)
    assert (pixels.min(axis=-1) < 0.9).mean() > 0.05  # drawn, not blank


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason=NO_BROWSER)
def test_the_browser_check_sees_broken_images_and_script_errors(tmp_path):
    """The check above can fail: a broken image and a throwing script are caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><title>t</title></head><body><h2>x</h2>'
                   '<img alt="broken" src="data:image/png;base64,AAAA"><script>no_such_function();</script>'
                   "<script>console.error('boom')</script></body></html>")
    seen = open_page(bad, tmp_path / "browser")
    assert seen.images == [{"alt": "broken", "complete": True, "naturalWidth": 0, "naturalHeight": 0}]
    text = " ".join(seen.errors)
    assert "no_such_function" in text and "boom" in text and "resource failed to load: IMG" in text


def test_importing_report_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import repgeo.report, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_report_of_a_pairwise_run_names_its_measure(tmp_path, capsys):
    rng = np.random.default_rng(3)
    files = []
    for k in range(4):
        files.append(tmp_path / f"layer{k}.npy")
        np.save(files[-1], rng.standard_normal((15, 4)))
    out = tmp_path / "results"
    out.mkdir()
    assert main(["pairwise", *map(str, files), "-m", "shape", "--param", "alpha=0.5", "-o", str(out / "D.npz")]) == 0
    text = rg.report.build_report(out)
    row = re.search(r"<tr><td class=\"text\">D</td>(.*?)</tr>", text).group(1)
    assert "ShapeMetric(alpha=0.5," in row and ">distance<" in row
    assert "4 representations (rows matched" in text and "layer0, layer1" in text
    assert len(_images(text)) == 1


def test_measure_from_repr_rebuilds_registered_classes_and_evaluates_nothing():
    from repgeo.report._sections import measure_from_repr

    m = rg.ShapeMetric(alpha=0.25, score="euclidean")
    assert measure_from_repr(repr(m)) == m
    assert measure_from_repr(repr(rg.RSA(rdm="euclidean"))) == rg.RSA(rdm="euclidean")
    for text in ("__import__('os').system('true')", "ShapeMetric(alpha=__import__('os'))", "ShapeMetric(alpha=2.0)",
                 "NotAMeasure()", "ShapeMetric(", "", "ShapeMetric(1.0)"):
        assert measure_from_repr(text) is None, text
