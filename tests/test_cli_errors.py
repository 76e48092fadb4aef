"""The command line on bad input: one clear line on stderr, exit status 2, never a traceback.

Each case is one way a user gets it wrong (issue 10, item 12; issue 16): a
missing, empty, damaged or mislabelled file, an .npz where one array is
needed, an unwritable or misnamed output, a store that is a file or whose
metadata is damaged, a malformed option.  Outputs are checked before any
computation, so a finished run is never lost to a bad ``-o``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import repgeo as rg
from repgeo.cli import main

SRC = str(Path(rg.__file__).resolve().parents[1])


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "a.npy", rng.standard_normal((30, 4)))
    np.save(tmp_path / "b.npy", rng.standard_normal((30, 3)))
    np.save(tmp_path / "short.npy", rng.standard_normal((20, 3)))
    np.save(tmp_path / "empty_array.npy", np.zeros((0, 3)))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "two.npz", x=rng.standard_normal((30, 5)), y=rng.standard_normal((30, 2)))
    np.savez(tmp_path / "one.npz", only=rng.standard_normal((30, 5)))
    (tmp_path / "empty.npy").write_bytes(b"")
    (tmp_path / "text.npy").write_text("1 2 3\n4 5 6\n")
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    (tmp_path / "notzip.npz").write_text("hello")
    (tmp_path / "data.txt").write_text("1 2\n")
    (tmp_path / "dir.npy").mkdir()
    good = (tmp_path / "a.npy").read_bytes()
    (tmp_path / "truncated.npy").write_bytes(good[: len(good) - 100])
    (tmp_path / "a_file").write_text("x")
    bad_meta = tmp_path / "bad_meta"
    bad_meta.mkdir()
    (bad_meta / "meta.json").write_text("{not json")
    orphan = tmp_path / "orphan"
    orphan.mkdir()
    (orphan / "tile_0_0.npz").write_bytes(b"x")
    return tmp_path


def P(name):
    """A placeholder for a path inside the test's directory."""
    return f"@{name}"


# (argv, fragment of the one-line message)
CASES = {
    "compare_missing": (["compare", P("a.npy"), P("nope.npy")], "nope.npy: no such file"),
    "compare_directory": (["compare", P("a.npy"), P("dir.npy")], "dir.npy is a directory"),
    "compare_empty_file": (["compare", P("empty.npy"), P("a.npy")], "empty.npy is empty (0 bytes)"),
    "compare_text_as_npy": (["compare", P("text.npy"), P("a.npy")], "text.npy is not a NumPy .npy file (a text file?)"),
    "compare_objects": (["compare", P("objects.npy"), P("a.npy")], "objects.npy holds Python objects"),
    "compare_truncated": (["compare", P("truncated.npy"), P("a.npy")], "truncated.npy is a damaged .npy file"),
    "compare_corrupt_npz": (["compare", P("corrupt.npz"), P("a.npy")], "corrupt.npz is a damaged .npz archive"),
    "compare_not_zip": (["compare", P("notzip.npz"), P("a.npy")], "notzip.npz is not an .npz archive"),
    "compare_npz_of_two": (["compare", P("two.npz"), P("b.npy")], "two.npz holds 2 arrays (x, y); pick one as"),
    "compare_npz_no_member": (["compare", P("two.npz:z"), P("b.npy")], "two.npz has no array 'z' (x, y)"),
    "compare_wrong_suffix": (["compare", P("data.txt"), P("a.npy")], "data.txt is neither .npy nor .npz"),
    "compare_unmatched": (["compare", P("a.npy"), P("short.npy")], "rows must be matched samples (X is"),
    "compare_empty_array": (["compare", P("empty_array.npy"), P("a.npy")], "X must not be empty; got shape (0, 3) (X is"),
    "compare_unknown_param": (["compare", P("a.npy"), P("b.npy"), "--param", "foo=1"], "has no hyperparameter 'foo'; it has alpha"),
    "compare_param_without_value": (["compare", P("a.npy"), P("b.npy"), "--param", "alpha"], "--param takes KEY=VALUE"),
    "compare_bad_param_value": (["compare", P("a.npy"), P("b.npy"), "--param", "alpha=2"], "alpha must be in [0, 1]; got 2"),
    "compare_unknown_measure": (["compare", P("a.npy"), P("b.npy"), "-m", "nope"], "measure must be a registered name"),
    "pairwise_missing": (["pairwise", P("a.npy"), P("nope.npy")], "nope.npy: no such file"),
    "pairwise_text_as_npy": (["pairwise", P("a.npy"), P("text.npy")], "text.npy is not a NumPy .npy file"),
    "pairwise_corrupt_npz": (["pairwise", P("a.npy"), P("corrupt.npz")], "corrupt.npz is a damaged .npz archive"),
    "pairwise_one_array_npz": (["pairwise", P("one.npz")], "pairwise needs at least two representations; "),
    "pairwise_one_file": (["pairwise", P("a.npy")], "pairwise needs at least two representations"),
    "pairwise_twice": (["pairwise", P("a.npy"), P("a.npy")], "a.npy is given twice"),
    "pairwise_store_is_file": (["pairwise", P("a.npy"), P("b.npy"), "--store", P("a_file")], "--store must be a directory"),
    "pairwise_store_bad_meta": (["pairwise", P("a.npy"), P("b.npy"), "--store", P("bad_meta")], "meta.json' is damaged (not valid JSON"),
    "pairwise_store_orphan_tiles": (["pairwise", P("a.npy"), P("b.npy"), "--store", P("orphan")], "but no meta.json"),
    # outputs: checked before computing -- the inputs here would fail only inside the computation
    "pairwise_output_missing_dir": (["pairwise", P("a.npy"), P("short.npy"), "-o", P("nodir/D.npy")], "-o @nodir/D.npy: the directory"),
    "pairwise_output_suffix": (["pairwise", P("a.npy"), P("short.npy"), "-o", P("D.dat")], "-o must end in .npy, .npz, .txt, .csv"),
    "pairwise_output_is_dir": (["pairwise", P("a.npy"), P("short.npy"), "-o", P("dir.npy")], "is a directory; give a file name"),
    "pairwise_output_under_a_file": (["pairwise", P("a.npy"), P("short.npy"), "-o", P("a_file/D.npy")], "does not exist"),
    "pairwise_labels_missing_dir": (["pairwise", P("a.npy"), P("short.npy"), "--labels-out", P("nodir/l.txt")], "--labels-out"),
    "pairwise_same_outputs": (["pairwise", P("a.npy"), P("b.npy"), "-o", P("D.txt"), "--labels-out", P("D.txt")], "name the same file"),
    "demo_out_is_file": (["demo", "--out", P("a_file")], "--out must be a directory"),
}
#: Malformed options: argparse's usage line, then one error line.
ARGPARSE_CASES = {
    "block_size_text": (["pairwise", P("a.npy"), P("b.npy"), "--block-size", "abc"], "must be 'auto' or an integer >= 1, got 'abc'"),
    "block_size_zero": (["pairwise", P("a.npy"), P("b.npy"), "--block-size", "0"], "got '0'"),
    "n_jobs_zero": (["pairwise", P("a.npy"), P("b.npy"), "--n-jobs", "0"], "non-zero integer (-1 for all cores)"),
}


def expand(argv, root):
    return [str(root / a[1:]) if a.startswith("@") else a for a in argv]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_one_clear_line(case, files, capsys):
    argv, fragment = CASES[case]
    assert main(expand(argv, files)) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("repgeo: error: "), err
    assert fragment.replace("@", str(files) + "/") in lines[0]


@pytest.mark.parametrize("case", sorted(ARGPARSE_CASES))
def test_malformed_options_are_usage_errors(case, files, capsys):
    argv, fragment = ARGPARSE_CASES[case]
    with pytest.raises(SystemExit) as exit_:
        main(expand(argv, files))
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("repgeo pairwise: error: ") and fragment in err
    assert err.rstrip().endswith("(see repgeo pairwise --help)")


def test_outputs_are_checked_before_any_computation(files, capsys, monkeypatch):
    """An unwritable -o used to fail after the whole computation, losing the result."""
    engine = sys.modules["repgeo.pairwise"]  # (repgeo.pairwise is also the function's name)
    monkeypatch.setattr(engine, "pairwise_labeled", lambda *a, **k: pytest.fail("computed before checking -o"))
    for out in ("nodir/D.npy", "D.dat", "dir.npy"):
        assert main(["pairwise", str(files / "a.npy"), str(files / "b.npy"), "-o", str(files / out)]) == 2
    assert main(["pairwise", str(files / "a.npy"), str(files / "b.npy"), "--labels-out", str(files / "nodir" / "l")]) == 2


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root writes anywhere")
def test_a_read_only_directory_is_refused_before_computing(files, capsys):
    locked = files / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["pairwise", str(files / "a.npy"), str(files / "b.npy"), "-o", str(locked / "D.npy")]) == 2
        assert "cannot be written" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("suffix,delimiter", [(".txt", None), (".csv", ",")])
def test_text_outputs_are_written_where_asked(files, suffix, delimiter):
    """-o out.txt wrote out.txt.npy (and said nothing)."""
    out = files / f"D{suffix}"
    assert main(["pairwise", str(files / "a.npy"), str(files / "b.npy"), "-o", str(out)]) == 0
    assert not (files / f"D{suffix}.npy").exists()
    expected = rg.pairwise({"a": np.load(files / "a.npy"), "b": np.load(files / "b.npy")}, "procrustes")
    np.testing.assert_array_equal(np.loadtxt(out, delimiter=delimiter), expected)


def test_npz_members_can_be_named(files, capsys):
    with np.load(files / "two.npz") as two:
        x, y = two["x"], two["y"]
    assert main(["compare", str(files / "two.npz:x"), str(files / "two.npz:y"), "--value-only"]) == 0
    assert float(capsys.readouterr().out) == rg.get_measure("procrustes")(x, y)
    assert main(["compare", str(files / "one.npz"), str(files / "two.npz:y")]) == 0  # one array: no name needed
    assert main(["pairwise", str(files / "two.npz:x"), str(files / "a.npy"), "-o", str(files / "D.npz")]) == 0
    assert list(np.load(files / "D.npz")["labels"]) == ["two:x", "a"]


def test_internal_errors_are_one_line_unless_asked(files, capsys, monkeypatch):
    import repgeo.cli as cli

    monkeypatch.setattr(cli, "get_measure", lambda *a, **k: 1 / 0)
    assert main(["compare", str(files / "a.npy"), str(files / "b.npy")]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" in err and "ZeroDivisionError" in err
    with pytest.raises(ZeroDivisionError):
        main(["--traceback", "compare", str(files / "a.npy"), str(files / "b.npy")])


def test_the_installed_command_prints_no_traceback(files):
    env = {**os.environ, "PYTHONPATH": SRC}
    for argv in (["compare", "a.npy", "nope.npy"], ["pairwise", "a.npy", "text.npy"], ["pairwise", "a.npy", "b.npy", "--block-size", "abc"]):
        out = subprocess.run([sys.executable, "-m", "repgeo", *argv], cwd=files, env=env, capture_output=True, text=True)
        assert out.returncode == 2 and "Traceback" not in out.stderr and "error:" in out.stderr, out.stderr


def run(*argv, cwd=None, stdin=None):
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "repgeo", *argv], capture_output=True, text=True, env=env, cwd=cwd)


#: Each subcommand (and the bare command) given bad input, as a new user types it: (argv, exit status, fragment).
SUBPROCESS_CASES = {
    "no_command": ([], 2, "repgeo: error: the following arguments are required: COMMAND"),
    "unknown_command": (["comapre"], 2, "invalid choice: 'comapre'"),
    "list_bad_option": (["list", "--wide"], 2, "unrecognized arguments: --wide"),
    "list_write_missing": (["list", "--write", "@nope.md"], 2, "nope.md is not a file"),
    "compare_missing": (["compare", "@a.npy", "@nope.npy"], 2, "nope.npy: no such file"),
    "compare_one_file": (["compare", "@a.npy"], 2, "the following arguments are required: B"),
    "compare_npz_of_two": (["compare", "@two.npz", "@a.npy"], 2, "pick one as"),
    "compare_bad_param": (["compare", "@a.npy", "@b.npy", "-m", "shape", "--param", "alpha=2"], 2, "alpha must be in [0, 1]"),
    "compare_param_type": (["compare", "@a.npy", "@b.npy", "-m", "shape", "--param", "alpha=[1"], 2, "--param alpha=[1"),
    "pairwise_missing": (["pairwise", "@a.npy", "@nope.npy"], 2, "nope.npy: no such file"),
    "pairwise_no_files": (["pairwise"], 2, "the following arguments are required: FILES"),
    "pairwise_bad_suffix": (["pairwise", "@a.npy", "@b.npy", "-o", "@out.dat"], 2, "-o must end in .npy, .npz, .txt, .csv"),
    "pairwise_bad_block": (["pairwise", "@a.npy", "@b.npy", "--block-size", "x"], 2, "must be 'auto' or an integer"),
    "demo_out_is_file": (["demo", "--out", "@a_file"], 2, "--out must be a directory"),
    "demo_bad_jobs": (["demo", "--n-jobs", "zero"], 2, "non-zero integer"),
}


@pytest.mark.parametrize("case", sorted(SUBPROCESS_CASES))
def test_every_subcommand_fails_in_one_line(case, files, capsys):
    argv, code, fragment = SUBPROCESS_CASES[case]
    try:
        got = main(expand(argv, files))
    except SystemExit as exit_:  # argparse's usage errors
        got = exit_.code
    out = capsys.readouterr()
    assert got == code and out.out == ""
    lines = out.err.splitlines()
    assert len(lines) == 1 and fragment in lines[0], out.err


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(SUBPROCESS_CASES))
def test_every_subcommand_fails_without_traceback_in_a_real_process(case, files):
    argv, code, fragment = SUBPROCESS_CASES[case]
    out = run(*expand(argv, files), cwd=files)
    assert out.returncode == code and "Traceback" not in out.stderr and out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and fragment in lines[0], out.stderr


def test_a_closed_pipe_ends_quietly():
    """`repgeo list | head -1` ended in a BrokenPipeError traceback."""
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-m", "repgeo", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait() == 141 and err == ""


def _help(capsys, *argv):
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_version_and_help_texts(capsys):
    assert _help(capsys, "--version").strip() == f"repgeo {rg.__version__}"
    for command, words in {
        "compare": ["A ", "B ", "archive.npz:NAME", "examples:", "--value-only"],
        "pairwise": ["FILES", "--n-jobs", "-1 = all cores", "--block-size", "tiles", "examples:", "--store"],
        "list": ["examples:", "--markdown"],
        "demo": ["examples:", "--out"],
    }.items():
        text = _help(capsys, command, "--help")
        for word in words:
            assert word in text, (command, word)
    assert "141" in _help(capsys, "--help")


def test_list_fits_in_100_columns(capsys):
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= 100
    for name in rg.list_measures():
        assert any(line.startswith(name + " ") for line in text.splitlines())


def test_no_progress_bar_when_stderr_is_not_a_terminal(files):
    out = run("pairwise", str(files / "a.npy"), str(files / "b.npy"), str(files / "two.npz"), "-o", str(files / "D.npy"))
    assert out.returncode == 0 and "\r" not in out.stderr and "it/s" not in out.stderr
    assert out.stderr.strip() == "4 representations: a, b, two:x, two:y"
