"""Small HTML building blocks: escaped text, tables, embedded figures.  No templates, no external files."""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any, Iterable, Sequence

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; }
header { background: #24476b; color: #fff; padding: 14px 28px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; opacity: .85; }
nav { padding: 8px 28px; background: #eef2f6; border-bottom: 1px solid #d5dde6; }
nav a { margin-right: 14px; color: #24476b; text-decoration: none; }
main { padding: 4px 28px 40px; max-width: 1180px; }
h2 { border-bottom: 2px solid #24476b; padding-bottom: 3px; margin-top: 30px; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13px; }
th, td { border: 1px solid #cfd6de; padding: 3px 8px; text-align: right; }
th { background: #eef2f6; }
td.text, th.text { text-align: left; }
figure { display: inline-block; margin: 6px 12px 12px 0; vertical-align: top; }
figure img { border: 1px solid #e2e6ea; max-width: 100%; }
figcaption { font-size: 12px; color: #555; max-width: 560px; }
dl.columns dt { font-weight: 600; float: left; clear: left; width: 150px; }
dl.columns dd { margin-left: 160px; margin-bottom: 4px; }
pre { background: #f6f8fa; padding: 10px; overflow-x: auto; font-size: 12px; }
.note { color: #555; font-size: 13px; }
"""


def esc(value: Any) -> str:
    """``value`` as escaped HTML text."""
    return html.escape(str(value), quote=True)


def number(value: Any, digits: int = 3) -> str:
    """A number for a table cell: fixed digits, an em dash for missing or NaN."""
    if value is None:
        return "&mdash;"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return esc(value)
    return "&mdash;" if math.isnan(v) else f"{v:.{digits}f}"


def with_se(value: Any, se: Any, digits: int = 3) -> str:
    """``value ± se`` (just the value when the SE is missing)."""
    if se is None or (isinstance(se, float) and math.isnan(se)):
        return number(value, digits)
    return f"{number(value, digits)} &plusmn; {number(se, digits)}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]], text_columns: Iterable[int] = (0,)) -> str:
    """An HTML table; cells are already HTML (escape text with :func:`esc`)."""
    text_columns = set(text_columns)

    def cells(tag: str, items: Sequence[str]) -> str:
        return "".join(
            f'<{tag} class="text">{c}</{tag}>' if i in text_columns else f"<{tag}>{c}</{tag}>" for i, c in enumerate(items)
        )

    body = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    return f"<table><thead><tr>{cells('th', [esc(h) for h in header])}</tr></thead><tbody>{body}</tbody></table>"


def figure_html(fig: Any, caption: str, alt: str, *, dpi: int = 96) -> str:
    """The matplotlib figure as an embedded base64 PNG with a caption (HTML)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)  # the constrained layout already fits the labels
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f"<figcaption>{caption}</figcaption></figure>")


def new_figure(width: float, height: float, ncols: int = 1) -> tuple[Any, list]:
    """A pyplot-free matplotlib Figure (no global state, any backend) and its axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, [fig.add_subplot(1, ncols, k + 1) for k in range(ncols)]


def page(title: str, subtitle: str, sections: list[tuple[str, str, str]]) -> str:
    """The whole document; ``sections`` holds ``(anchor, heading, body HTML)``."""
    nav = " ".join(f'<a href="#{a}">{esc(h)}</a>' for a, h, _ in sections)
    body = "\n".join(f'<section id="{a}"><h2>{esc(h)}</h2>\n{b}\n</section>' for a, h, b in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{esc(title)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header><nav>{nav}</nav><main>{body}</main>"
        "</body></html>\n"
    )
