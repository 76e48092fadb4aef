"""The ``repgeo`` command line: list, compare, pairwise, demo, report.

Every failure ends in one line on stderr and a documented exit status (see
:func:`main`), never in a traceback: bad input and usage errors exit 2, an
internal error 3 (``--traceback`` shows it), an interrupt 130, a closed
output pipe (``repgeo list | head -1``) 141 without a message.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import os
import sys
from pathlib import Path
from typing import Any, NoReturn, Sequence

import numpy as np

from .._registry import get_measure, registered
from .._version import __version__
from ._dask import dask_client
from ._files import OUTPUTS, UsageError, check_writable, load_arrays, load_one
from ._table import TABLE_MARKERS, measures_table, write_measures_table

__all__ = ["TABLE_MARKERS", "build_parser", "main", "measures_table", "write_measures_table"]


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


def _measure(args: argparse.Namespace) -> Any:
    """The measure named by ``--measure`` with the ``--param`` overrides; any problem is a usage error."""
    params = _parse_params(args.param, args.measure)
    try:
        return get_measure(args.measure, **params)
    except (ValueError, TypeError) as exc:
        where = f"--param {' '.join(args.param)}: " if args.param else ""
        raise UsageError(f"{where}{exc}") from exc


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


def _progress() -> bool:
    """Progress bars only on a terminal: a redirected log gets no carriage-return noise."""
    return sys.stderr.isatty()


def _cmd_list(args: argparse.Namespace) -> int:
    if args.write:
        changed = write_measures_table(args.write)
        print(f"repgeo: {'updated' if changed else 'already current:'} the measures table in {args.write}", file=sys.stderr)
        return 0
    print(measures_table(markdown=args.markdown))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    measure = _measure(args)
    X, Y = load_one(args.a), load_one(args.b)
    try:
        value = measure(X, Y)
    except (ValueError, TypeError) as exc:  # the measure names X and Y: say which files they are
        raise type(exc)(f"{exc} (X is {args.a}, Y is {args.b})") from exc
    if args.value_only:
        print(repr(value))
    else:
        print(f"{args.measure} {measure.info.kind} between {args.a} and {args.b}: {value!r}")
    return 0


def _cmd_pairwise(args: argparse.Namespace) -> int:
    from ..pairwise import pairwise_labeled

    measure = _measure(args)
    # every output is checked before the computation, so a finished run is never lost
    output = None if args.output is None else check_writable(args.output, "-o", tuple(OUTPUTS))
    labels_out = None if args.labels_out is None else check_writable(args.labels_out, "--labels-out")
    if output is not None and labels_out is not None and output.resolve() == labels_out.resolve():
        raise UsageError(f"-o and --labels-out name the same file ({args.output})")
    if args.store is not None and Path(args.store).exists() and not Path(args.store).is_dir():
        raise UsageError(f"--store must be a directory (new or holding a previous run); {args.store} is a file")
    reps = load_arrays(args.files)
    other = None if args.other is None else load_arrays(args.other, minimum=1)
    with contextlib.ExitStack() as stack:
        client = None if args.scheduler is None else stack.enter_context(dask_client(args.scheduler, args.n_jobs))
        res = pairwise_labeled(
            reps, measure, other=other, n_jobs=args.n_jobs, block_size=args.block_size, store=args.store,
            progress=_progress(), client=client,
        )
    if output is None:
        np.savetxt(sys.stdout, res.values, fmt="%.17g")
    elif output.suffix == ".npz":
        res.save(output)
    elif output.suffix == ".npy":
        with open(output, "wb") as fh:  # exactly this name
            np.save(fh, res.values)
    else:
        np.savetxt(output, res.values, fmt="%.17g", delimiter="," if output.suffix == ".csv" else " ")
    if labels_out is not None:
        labels_out.write_text("\n".join(res.labels) + "\n")
    print(f"{len(res.labels)} representations: " + ", ".join(res.labels), file=sys.stderr)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out must be a directory; {args.out} is a file")
    result = run_demo(args.out, n_jobs=args.n_jobs, progress=_progress(), log=lambda s: print(s, file=sys.stderr))
    print(result.summary)
    print("wrote " + ", ".join(str(f) for f in result.files), file=sys.stderr)
    _demo_report(args.out)
    return 0


def _demo_report(out: str) -> None:
    """The demo's HTML report, or one line saying why there is none (matplotlib is optional)."""
    try:
        from ..report import write_report

        print(f"report: {write_report(out)}", file=sys.stderr)
    except ImportError as exc:
        print(f"repgeo: no report.html written: {exc}", file=sys.stderr)


def _cmd_report(args: argparse.Namespace) -> int:
    from ..report import write_report

    out = None if args.output is None else check_writable(args.output, "--output", [".html", ".htm"])
    print(f"wrote {write_report(args.results_dir, out)}", file=sys.stderr)
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``repgeo pairwise: error: ...; see --help``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


_FILES_HELP = "an .npy file (numpy.save), or one array of an .npz archive as archive.npz:NAME"
_EXAMPLES = {
    "list": "examples:\n  repgeo list\n  repgeo list --markdown\n  repgeo list | head -3",
    "compare": (
        "examples:\n  repgeo compare layer1.npy layer2.npy\n"
        "  repgeo compare acts.npz:conv1 acts.npz:conv2 -m linear_cka\n"
        "  repgeo compare a.npy b.npy -m shape --param alpha=0.5 --value-only"
    ),
    "pairwise": (
        "examples:\n  repgeo pairwise net1/*.npy net2/*.npy -o distances.npz\n"
        "  repgeo pairwise layers.npz -m linear_cka -o cka.csv --labels-out labels.txt\n"
        "  repgeo pairwise big/*.npy --n-jobs -1 --store run1   # rerun the same line to resume"
    ),
    "demo": "examples:\n  repgeo demo\n  repgeo demo --out results --n-jobs 2",
    "report": "examples:\n  repgeo report repgeo-demo\n  repgeo report results -o results.html",
}


def _sub(sub: Any, name: str, help: str, description: str) -> argparse.ArgumentParser:
    return sub.add_parser(
        name, help=help, description=description, epilog=_EXAMPLES[name],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _measure_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--measure", "-m", default="procrustes", help="a registered measure name (see repgeo list); default procrustes"
    )
    p.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE",
        help="set a hyperparameter of the measure, e.g. alpha=0.5 (repeatable; values are Python literals)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="repgeo",
        description="Measure and compare the geometry of neural representations.",
        epilog="Exit status: 0 success, 2 bad input or usage (one line on stderr), 3 internal error, "
        "130 interrupted, 141 output pipe closed early.",
    )
    parser.add_argument("--version", action="version", version=f"repgeo {__version__}")
    parser.add_argument("--traceback", action="store_true", help="show the Python traceback of an internal error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = _sub(sub, "list", "the registered measures", "List the registered measures and what each claims.")
    p.add_argument("--markdown", action="store_true", help="the full Markdown table (as in README.md)")
    p.add_argument("--write", metavar="FILE", help="rewrite the Markdown table between the markers in FILE (README.md)")
    p.set_defaults(func=_cmd_list)

    p = _sub(sub, "compare", "one measure between two arrays", "One measure between two representations: "
             "arrays of shape (n_samples, n_features) whose rows are the same stimuli.")
    p.add_argument("a", metavar="A", help=f"the first representation (X): {_FILES_HELP}")
    p.add_argument("b", metavar="B", help=f"the second representation (Y): {_FILES_HELP}")
    _measure_options(p)
    p.add_argument("--value-only", action="store_true", help="print the bare number (for scripts)")
    p.set_defaults(func=_cmd_compare)

    p = _sub(sub, "pairwise", "all pairs of many arrays", "The matrix of a measure between every pair of "
             "representations; rows and columns follow the order of FILES.")
    p.add_argument("files", nargs="+", metavar="FILES", help=f"two or more representations: {_FILES_HELP}, "
                   "or a whole .npz archive (each array one representation, labelled archive:NAME)")
    _measure_options(p)
    p.add_argument("-o", "--output", help="write the matrix to a file ending .npy (matrix), .npz (matrix, labels, "
                   "measure), .txt or .csv (text); default: text on stdout")
    p.add_argument("--labels-out", metavar="FILE", help="write the row labels, one per line")
    p.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N", help="parallel worker processes "
                   "(joblib; -1 = all cores; default 1)")
    p.add_argument("--block-size", type=_block_size, default="auto", metavar="B", help="pairs are computed in "
                   "tiles of B x B representations, one tile per task (default auto: about 8 tiles per worker, at least 16; about 4 serially)")
    p.add_argument("--store", metavar="DIR", help="save each finished tile in DIR; rerunning the same command resumes")
    p.add_argument("--other", nargs="+", metavar="FILE", help="column representations: the matrix is "
                   "len(files) x len(other) (rows: files, columns: other)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run the tiles on the Dask scheduler at ADDRESS "
                   "(tcp://host:port), or 'local' to start a LocalCluster of --n-jobs worker processes")
    p.set_defaults(func=_cmd_pairwise)

    p = _sub(sub, "demo", "compare a family of digit classifiers", "Train small digit classifiers (bundled data, "
             "no download) and compare their layers with several measures; writes results to --out.")
    p.add_argument("--out", default="repgeo-demo", metavar="DIR", help="output directory (default: repgeo-demo)")
    p.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N", help="parallel workers for the comparisons")
    p.set_defaults(func=_cmd_demo)

    p = _sub(sub, "report", "one self-contained HTML page of a results directory", "One self-contained HTML "
             "page (images embedded) of a results directory, such as the --out of repgeo demo.")
    p.add_argument("results_dir", metavar="RESULTS_DIR", help="directory of result files, e.g. repgeo demo's --out")
    p.add_argument("-o", "--output", help="the .html file to write (default: RESULTS_DIR/report.html)")
    p.set_defaults(func=_cmd_report)
    return parser


def _closed_pipe() -> int:
    """The reader of stdout went away (``| head``): stop quietly, as Unix tools do (128 + SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail again
    except (OSError, ValueError):
        pass
    return 141


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``repgeo`` command.

    Exit status: 0 on success; 2 for bad input or usage (one line on stderr,
    no traceback); 3 for an internal error (a bug: one line, or the traceback
    with ``--traceback``); 130 when interrupted; 141 when the output pipe
    closes early.
    """
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _closed_pipe()
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
