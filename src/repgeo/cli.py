"""The ``repgeo`` command line: list, compare, pairwise, demo."""

from __future__ import annotations

import argparse
import ast
import sys
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


def _parse_params(items: Sequence[str]) -> dict[str, Any]:
    params = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"repgeo: --param takes KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key] = value
    return params


def _load_arrays(paths: Sequence[str]) -> dict[str, np.ndarray]:
    reps: dict[str, np.ndarray] = {}
    stems = [Path(p).stem for p in paths]
    for path in paths:
        p = Path(path)
        # files are labelled by stem; by path where two files share a stem
        base = p.stem if stems.count(p.stem) == 1 else str(p.with_suffix(""))
        if p.suffix == ".npz":
            with np.load(p) as data:
                for key in data.files:
                    reps[f"{base}:{key}"] = data[key]
        elif p.suffix == ".npy":
            if base in reps:
                raise SystemExit(f"repgeo: {path} is given twice")
            reps[base] = np.load(p)
        else:
            raise SystemExit(f"repgeo: {path} is neither .npy nor .npz")
    return reps


def _cmd_list(args: argparse.Namespace) -> int:
    if args.write:
        changed = write_measures_table(args.write)
        print(f"repgeo: {'updated' if changed else 'already current:'} the measures table in {args.write}", file=sys.stderr)
        return 0
    print(measures_table(markdown=args.markdown))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    measure = get_measure(args.measure, **_parse_params(args.param))
    X, Y = np.load(args.a), np.load(args.b)
    print(repr(measure(X, Y)))
    return 0


def _cmd_pairwise(args: argparse.Namespace) -> int:
    from .pairwise import pairwise_labeled

    measure = get_measure(args.measure, **_parse_params(args.param))
    reps = _load_arrays(args.files)
    block = args.block_size if args.block_size == "auto" else int(args.block_size)
    res = pairwise_labeled(reps, measure, n_jobs=args.n_jobs, block_size=block, store=args.store, progress=True)
    if args.output is None:
        np.savetxt(sys.stdout, res.values, fmt="%.17g")
    elif args.output.endswith(".npz"):
        res.save(args.output)
    else:
        np.save(args.output, res.values)
    if args.labels_out:
        Path(args.labels_out).write_text("\n".join(res.labels) + "\n")
    print(f"{len(res.labels)} representations: " + ", ".join(res.labels), file=sys.stderr)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    result = run_demo(args.out, n_jobs=args.n_jobs, progress=True, log=lambda s: print(s, file=sys.stderr))
    print(result.summary)
    print("wrote " + ", ".join(str(f) for f in result.files), file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="repgeo", description="Measure and compare the geometry of neural representations.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="the registered measures")
    p.add_argument("--markdown", action="store_true", help="a Markdown table (as in README.md)")
    p.add_argument("--write", metavar="FILE", help="rewrite the Markdown table between the markers in FILE (README.md)")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("compare", help="one measure between two .npy arrays")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--measure", "-m", default="procrustes", help="a registered name (repgeo list)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="hyperparameter override")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("pairwise", help="all pairs of many arrays (.npy files, or .npz files of several)")
    p.add_argument("files", nargs="+")
    p.add_argument("--measure", "-m", default="procrustes")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("-o", "--output", help=".npy (matrix) or .npz (matrix, labels, measure); stdout if omitted")
    p.add_argument("--labels-out", help="write the row labels, one per line")
    p.add_argument("--n-jobs", type=int, default=None)
    p.add_argument("--block-size", default="auto")
    p.add_argument("--store", help="directory for finished tiles; a rerun resumes from it")
    p.set_defaults(func=_cmd_pairwise)

    p = sub.add_parser("demo", help="compare a family of digit classifiers (bundled data, no download)")
    p.add_argument("--out", default="repgeo-demo", help="output directory (default: repgeo-demo)")
    p.add_argument("--n-jobs", type=int, default=None)
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``repgeo`` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError) as exc:
        print(f"repgeo: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
