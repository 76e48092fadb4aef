"""The ``repgeo`` command line: list, compare, pairwise, demo, report."""

from __future__ import annotations

import argparse
import contextlib
import ast
import dataclasses
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._registry import get_measure, registered

__all__ = ["main", "measures_table", "write_measures_table"]

#: The markers around the generated table in README.md.
TABLE_MARKERS = ("<!-- measures-table:start -->", "<!-- measures-table:end -->")


def _short_reference(ref: str) -> str:
    return ref.split(").")[0] + ")" if ")." in ref else ref


def measures_table(markdown: bool = False) -> str:
    """The registry as a table (name, kind, metric, input, invariances, references).

    ``markdown=True`` gives the table embedded in README.md.

    Examples
    --------
    >>> "| procrustes | distance | yes |" in measures_table(markdown=True)
    True
    """
    rows = []
    for name, m in registered().items():
        info = m.info
        rows.append(
            [
                name,
                info.kind,
                "yes" if info.metric else "no",
                info.input,
                ", ".join(sorted(info.invariances)) or "-",
                "; ".join(_short_reference(r) for r in info.references),
                repr(m),
            ]
        )
    header = ["name", "kind", "metric", "input", "invariances", "references", "instance"]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r[:-1] + [f"`{r[-1]}`"]) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header[:5])]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
    lines = [fmt.format(*header[:6])]
    lines += [fmt.format(*r[:6]) for r in rows]
    return "\n".join(lines)


def write_measures_table(path: str | Path) -> bool:
    """Replace the Markdown table between :data:`TABLE_MARKERS` in ``path`` by the current registry.

    Returns whether the file changed.  Raises ``ValueError`` when the file lacks
    either marker (nothing is written then).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"the file to rewrite must exist; {path} is not a file")
    text = path.read_text()
    start, end = TABLE_MARKERS
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"{path} must contain the line {start} once, followed by {end} once")
    head, rest = text.split(start)
    tail = rest.split(end)[1]
    new = f"{head}{start}\n{measures_table(markdown=True)}\n{end}{tail}"
    if new != text:
        path.write_text(new)
    return new != text


class UsageError(ValueError):
    """Bad input to the command line: reported as one line, exit status 2."""


def _parse_params(items: Sequence[str], measure_name: str) -> dict[str, Any]:
    params = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--param takes KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key] = value
    known = registered().get(measure_name)
    if known is not None and dataclasses.is_dataclass(known):
        fields = [f.name for f in dataclasses.fields(known)]
        unknown = sorted(set(params) - set(fields))
        if unknown:
            raise UsageError(
                f"--param {unknown[0]}: the measure {measure_name!r} ({type(known).__name__}) has no "
                f"hyperparameter {unknown[0]!r}; it has {', '.join(fields) or 'none'}"
            )
    return params


_NPY_MAGIC, _ZIP_MAGICS = b"\x93NUMPY", (b"PK\x03\x04", b"PK\x05\x06")


def _split_member(spec: str) -> tuple[Path, str | None]:
    """``archive.npz:name`` -> (archive path, member name); anything else -> (path, None)."""
    head, sep, member = spec.rpartition(":")
    if sep and head.endswith(".npz") and member and not Path(spec).exists():
        return Path(head), member
    return Path(spec), None


def _open_input(path: Path) -> bytes:
    """The first bytes of an input file, after checking that it is a readable file."""
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give .npy files or .npz archives")
    if path.suffix not in (".npy", ".npz"):
        raise UsageError(f"{path} is neither .npy nor .npz")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise UsageError(f"{path} cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise UsageError(f"{path} is empty (0 bytes), not a NumPy file")
    return head


def _load_npy(path: Path) -> np.ndarray:
    head = _open_input(path)
    if not head.startswith(_NPY_MAGIC):
        kind = "a zip archive (an .npz?)" if head.startswith(_ZIP_MAGICS) else "not a NumPy .npy file (a text file?)"
        raise UsageError(f"{path} is {kind}; save arrays with numpy.save")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise UsageError(f"{path} holds Python objects (dtype object), not numbers") from exc
        raise UsageError(f"{path} is a damaged .npy file ({exc})") from exc
    except (OSError, EOFError) as exc:
        raise UsageError(f"{path} is a damaged .npy file ({exc})") from exc


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    head = _open_input(path)
    if not head.startswith(_ZIP_MAGICS):
        raise UsageError(f"{path} is not an .npz archive (not a zip file); save arrays with numpy.savez")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise UsageError(f"{path} holds Python objects (dtype object), not numbers") from exc
        raise UsageError(f"{path} is a damaged .npz archive ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - zipfile raises many kinds of errors for damaged archives
        raise UsageError(f"{path} is a damaged .npz archive ({type(exc).__name__}: {exc})") from exc


def _load_one(spec: str) -> np.ndarray:
    """One array for ``compare``: an .npy file, or ``archive.npz:name`` (or an archive of one array)."""
    path, member = _split_member(spec)
    if path.suffix != ".npz":
        return _load_npy(path)
    arrays = _load_npz(path)
    if member is None and len(arrays) == 1:
        return next(iter(arrays.values()))
    if member not in arrays:
        names = ", ".join(arrays) or "none"
        what = f"has no array {member!r}" if member is not None else f"holds {len(arrays)} arrays"
        raise UsageError(f"{path} {what} ({names}); pick one as {path}:NAME")
    return arrays[member]


def _load_arrays(paths: Sequence[str], minimum: int = 2) -> dict[str, np.ndarray]:
    reps: dict[str, np.ndarray] = {}
    stems = [_split_member(p)[0].stem for p in paths]
    for spec in paths:
        p, member = _split_member(spec)
        # files are labelled by stem; by path where two files share a stem
        base = p.stem if stems.count(p.stem) == 1 else str(p.with_suffix(""))
        if p.suffix == ".npz":
            arrays = _load_npz(p)
            if member is not None:
                arrays = {member: _load_one(spec)}
            if not arrays:
                raise UsageError(f"{p} holds no arrays")
            new = {f"{base}:{key}": arr for key, arr in arrays.items()}
        else:
            new = {base: _load_npy(p)}
        for label in new:
            if label in reps:
                raise UsageError(f"{spec} is given twice")
        reps.update(new)
    if len(reps) < minimum:
        raise UsageError(
            f"pairwise needs at least two representations; {', '.join(paths)} hold{'s' if len(paths) == 1 else ''} "
            f"one ({', '.join(reps)})"
        )
    return reps


#: Suffixes of ``pairwise -o`` and what each writes.
OUTPUTS = {".npy": "the matrix", ".npz": "matrix, labels and measure", ".txt": "the matrix as text", ".csv": "the matrix as comma-separated text"}


def _check_writable(path_text: str, option: str, suffixes: Sequence[str] | None = None) -> Path:
    """Fail before any computation if ``path_text`` cannot be written (so no result is lost)."""
    path = Path(path_text)
    if suffixes is not None and path.suffix not in suffixes:
        raise UsageError(f"{option} must end in {', '.join(suffixes)}; got {path_text!r}")
    if path.is_dir():
        raise UsageError(f"{option} {path_text} is a directory; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option} {path_text}: the directory {parent} does not exist")
    try:  # a real probe: permission bits do not tell the whole story (read-only mounts, root)
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".repgeo-probe-"):
            pass
        if path.exists():
            with open(path, "ab"):
                pass
    except OSError as exc:
        raise UsageError(f"{option} {path_text} cannot be written ({exc.strerror or exc})") from exc
    return path


def _block_size(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 'auto' or an integer >= 1, got {text!r}")
    return value


def _n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(f"must be a non-zero integer (-1 for all cores), got {text!r}")
    return value


def _cmd_list(args: argparse.Namespace) -> int:
    if args.write:
        changed = write_measures_table(args.write)
        print(f"repgeo: {'updated' if changed else 'already current:'} the measures table in {args.write}", file=sys.stderr)
        return 0
    print(measures_table(markdown=args.markdown))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    measure = get_measure(args.measure, **_parse_params(args.param, args.measure))
    X, Y = _load_one(args.a), _load_one(args.b)
    try:
        value = measure(X, Y)
    except (ValueError, TypeError) as exc:  # the measure names X and Y: say which files they are
        raise type(exc)(f"{exc} (X is {args.a}, Y is {args.b})") from exc
    print(repr(value))
    return 0


def _cmd_pairwise(args: argparse.Namespace) -> int:
    from .pairwise import pairwise_labeled

    measure = get_measure(args.measure, **_parse_params(args.param, args.measure))
    # every output is checked before the computation, so a finished run is never lost
    output = None if args.output is None else _check_writable(args.output, "-o", tuple(OUTPUTS))
    labels_out = None if args.labels_out is None else _check_writable(args.labels_out, "--labels-out")
    if output is not None and labels_out is not None and output.resolve() == labels_out.resolve():
        raise UsageError(f"-o and --labels-out name the same file ({args.output})")
    if args.store is not None and Path(args.store).exists() and not Path(args.store).is_dir():
        raise UsageError(f"--store must be a directory (new or holding a previous run); {args.store} is a file")
    reps = _load_arrays(args.files)
    other = None if args.other is None else _load_arrays(args.other, minimum=1)
    with contextlib.ExitStack() as stack:
        client = None if args.scheduler is None else stack.enter_context(_dask_client(args.scheduler, args.n_jobs))
        res = pairwise_labeled(
            reps, measure, other=other, n_jobs=args.n_jobs, block_size=args.block_size, store=args.store,
            progress=True, client=client,
        )
    if output is None:
        np.savetxt(sys.stdout, res.values, fmt="%.17g")
    elif output.suffix == ".npz":
        res.save(output)
    elif output.suffix == ".npy":
        np.save(output, res.values)
    else:
        np.savetxt(output, res.values, fmt="%.17g", delimiter="," if output.suffix == ".csv" else " ")
    if labels_out is not None:
        labels_out.write_text("\n".join(res.labels) + "\n")
    print(f"{len(res.labels)} representations: " + ", ".join(res.labels), file=sys.stderr)
    return 0


@contextlib.contextmanager
def _dask_client(address: str, n_jobs: int | None) -> Any:
    """A Dask client on the scheduler at ``address``, or on a new LocalCluster for ``"local"``."""
    try:
        import distributed
    except ImportError as exc:
        raise UsageError("--scheduler needs dask.distributed (pip install 'repgeo[dask]')") from exc
    if address == "local":
        workers = n_jobs if n_jobs is not None and n_jobs > 0 else (os.cpu_count() or 1)
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
        )
        with cluster, distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--scheduler {address}: cannot reach a Dask scheduler there ({exc})") from exc
    with client:
        yield client


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out must be a directory; {args.out} is a file")
    result = run_demo(args.out, n_jobs=args.n_jobs, progress=True, log=lambda s: print(s, file=sys.stderr))
    print(result.summary)
    print("wrote " + ", ".join(str(f) for f in result.files), file=sys.stderr)
    _demo_report(args.out)
    return 0


def _demo_report(out: str) -> None:
    """The demo's HTML report, or one line saying why there is none (matplotlib is optional)."""
    try:
        from .report import write_report

        print(f"report: {write_report(out)}", file=sys.stderr)
    except ImportError as exc:
        print(f"repgeo: no report.html written: {exc}", file=sys.stderr)


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    out = None if args.output is None else _check_writable(args.output, "--output", [".html", ".htm"])
    print(f"wrote {write_report(args.results_dir, out)}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="repgeo",
        description="Measure and compare the geometry of neural representations.",
        epilog="Exit status: 0 success, 2 bad input (one line on stderr), 3 internal error.",
    )
    parser.add_argument("--traceback", action="store_true", help="show the Python traceback of an internal error")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="the registered measures")
    p.add_argument("--markdown", action="store_true", help="a Markdown table (as in README.md)")
    p.add_argument("--write", metavar="FILE", help="rewrite the Markdown table between the markers in FILE (README.md)")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("compare", help="one measure between two arrays (.npy files, or archive.npz:NAME)")
    p.add_argument("a", help="X: an .npy file, or archive.npz:NAME")
    p.add_argument("b", help="Y: an .npy file, or archive.npz:NAME")
    p.add_argument("--measure", "-m", default="procrustes", help="a registered name (repgeo list)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="hyperparameter override")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("pairwise", help="all pairs of many arrays (.npy files, .npz archives, or archive.npz:NAME)")
    p.add_argument("files", nargs="+")
    p.add_argument("--measure", "-m", default="procrustes")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("-o", "--output", help=".npy (matrix), .npz (matrix, labels, measure), .txt or .csv (text); stdout if omitted")
    p.add_argument("--labels-out", help="write the row labels, one per line")
    p.add_argument("--n-jobs", type=_n_jobs, default=None, help="parallel workers (-1: all cores)")
    p.add_argument("--block-size", type=_block_size, default="auto", help="side of the tiles of pairs (default: auto)")
    p.add_argument("--store", help="directory for finished tiles; a rerun resumes from it")
    p.add_argument("--other", nargs="+", metavar="FILE", help="column representations: the len(files) x len(other) matrix")
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS (tcp://host:port), or 'local' for a LocalCluster"
    )
    p.set_defaults(func=_cmd_pairwise)

    p = sub.add_parser("demo", help="compare a family of digit classifiers (bundled data, no download)")
    p.add_argument("--out", default="repgeo-demo", help="output directory (default: repgeo-demo)")
    p.add_argument("--n-jobs", type=_n_jobs, default=None)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("report", help="one self-contained HTML page of a results directory (e.g. repgeo demo's)")
    p.add_argument("results_dir", help="directory of result files, such as the --out of repgeo demo")
    p.add_argument("-o", "--output", help="the .html file to write (default: RESULTS_DIR/report.html)")
    p.set_defaults(func=_cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``repgeo`` command.

    Exit status: 0 on success; 2 for bad input or usage (one line on stderr,
    no traceback); 3 for an internal error (a bug: one line, or the traceback
    with ``--traceback``); 130 when interrupted.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError) as exc:  # bad input: the message says what and why
        print(f"repgeo: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the file system refused (disk full, permissions, ...)
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"repgeo: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("repgeo: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug; the traceback on request
        if args.traceback:
            raise
        print(
            f"repgeo: internal error (please report it; --traceback shows where): {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
