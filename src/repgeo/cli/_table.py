"""The registry as a table: compact for the terminal, complete (Markdown) for README.md."""

from __future__ import annotations

from pathlib import Path

from .._registry import registered

__all__ = ["TABLE_MARKERS", "measures_table", "write_measures_table"]

#: The markers around the generated table in README.md.
TABLE_MARKERS = ("<!-- measures-table:start -->", "<!-- measures-table:end -->")


#: Short names of the invariances in the terminal table (which stays under 100 characters a line).
_SHORT = {"translation": "shift", "isotropic_scaling": "scale", "orthogonal": "rotate", "permutation": "permute",
          "invertible_linear": "linear", "-": "-"}
_PLAIN = "{:<24} {:<10} {:<6} {:<10} {}"


def _short_reference(ref: str) -> str:
    return ref.split(").")[0] + ")" if ")." in ref else ref


def measures_table(markdown: bool = False) -> str:
    """The registry as a table.

    ``markdown=True`` gives the table embedded in README.md (name, kind,
    metric, input, invariances, references, instance); the plain table, for a
    terminal, keeps lines under 100 characters (name, kind, metric, input,
    short names of the invariances).

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
    lines = [_PLAIN.format("name", "kind", "metric", "input", "invariant to")]
    lines += [_PLAIN.format(r[0], r[1], r[2], r[3], ", ".join(_SHORT[i] for i in r[4].split(", ")) if r[4] != "-" else "-")
              for r in rows]
    lines.append("")
    legend = [f"{s} = {name}" for name, s in _SHORT.items() if name != "-"]
    lines.append("invariant to: " + ", ".join(legend[:3]) + ",")
    lines.append("              " + ", ".join(legend[3:]))
    lines.append("references and instances: repgeo list --markdown")
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
