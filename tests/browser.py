"""Open an HTML file in headless Chromium: a screenshot, and what the page saw (images, errors).

No DevTools client is needed: a copy of the page gets a small script at the
top of its ``<head>`` that records every error event (including resources that
fail to load), every ``console.error`` and unhandled rejection, and, on
``load``, the natural size of every image.  It writes that record into the DOM,
which ``chromium --dump-dom`` prints.  Chromium's own log of console messages
(``--enable-logging=stderr``) is read as well.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  var t = e.target && e.target !== window ? (e.target.tagName + " " + String(e.target.src || e.target.href).slice(0, 60)) : "";
  window.__errors.push("error: " + (e.message || ("resource failed to load: " + t)));
}, true);
window.addEventListener("unhandledrejection", function (e) { window.__errors.push("unhandled rejection: " + e.reason); });
(function () {
  var original = console.error;
  console.error = function () { window.__errors.push("console.error: " + Array.prototype.join.call(arguments, " ")); return original.apply(console, arguments); };
})();
window.addEventListener("load", function () {
  var images = Array.prototype.map.call(document.images, function (i) {
    return {alt: i.alt, complete: i.complete, naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight};
  });
  var p = document.createElement("pre");
  p.id = "__browser_check";
  p.textContent = JSON.stringify({errors: window.__errors, images: images, title: document.title,
                                  headings: Array.prototype.map.call(document.querySelectorAll("h2"), function (h) { return h.textContent; })});
  document.body.appendChild(p);
});
</script>"""

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", "--allow-file-access-from-files"]


def chromium() -> str | None:
    """Path of a Chromium (Debian's ``chromium`` package), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@dataclass(frozen=True)
class PageCheck:
    """What the browser saw: images (alt, complete, naturalWidth, naturalHeight), errors, headings."""

    images: list
    errors: list
    console: list
    headings: list
    title: str
    screenshot: Path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=cwd)


def open_page(html_file: Path, work: Path, *, width: int = 1280, height: int = 3000) -> PageCheck:
    """Load ``html_file`` in headless Chromium; return what it saw and a screenshot (PNG in ``work``)."""
    exe = chromium()
    if exe is None:
        raise RuntimeError("no chromium on PATH")
    work.mkdir(parents=True, exist_ok=True)
    text = Path(html_file).read_text(encoding="utf-8")
    probed = re.sub(r"<head>", "<head>" + PROBE, text, count=1) if "<head>" in text else PROBE + text
    copy = work / "probed.html"
    copy.write_text(probed, encoding="utf-8")
    profile = work / "profile"  # a throw-away profile: nothing shared with other runs
    common = [exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
    dom = _run(common + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom",
                         copy.as_uri()], work)
    match = re.search(r'<pre id="__browser_check">(.*?)</pre>', dom.stdout, re.S)
    if match is None:
        raise RuntimeError(f"chromium printed no page record (exit {dom.returncode}); stderr tail: {dom.stderr[-800:]}")
    import html

    record = json.loads(html.unescape(match.group(1)))
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    shot = work / "screenshot.png"
    _run(common + [f"--screenshot={shot}", Path(html_file).resolve().as_uri()], work)
    if not shot.exists():
        raise RuntimeError("chromium wrote no screenshot")
    return PageCheck(images=record["images"], errors=record["errors"], console=console,
                     headings=record["headings"], title=record["title"], screenshot=shot)
