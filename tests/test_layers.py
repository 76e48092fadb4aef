"""The import graph has no upward arrow, and `import repgeo` stays light.

Every module of the package belongs to a unit (a top-level module or
subpackage); units are ordered in layers.  A module may import its own unit
and units of lower layers only: never a higher layer, never a sibling of its
own layer, and never the package root (the facade in ``__init__``).  The
check reads every import statement, including those inside functions, so a
cycle cannot hide in a runtime import.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "repgeo"

#: Lowest first.  Units on one line form a layer and may not import each other.
LAYERS = [
    {"_version", "_warnings"},
    {"_linalg"},
    {"_backend"},  # the NumPy/torch gap module
    {"_batched"},  # batched cross-products and nuclear norms on either backend
    {"_validation", "_result"},  # checks at the boundary; what every result dataclass can do
    {"_measure"},
    {"_registry", "_store"},
    {"riemann", "capacity", "dynamics", "datasets"},  # numerical families: arrays in, arrays out
    {"measures"},  # the registered measures, built on the families
    {"pairwise"},  # the engine over many representations
    {"embed"},  # embeddings of many representations (landmark distances go through the engine)
    {"paths", "shape_space", "stats", "testing", "capture", "plot"},  # tools built on measures and engines
    {"report", "demo"},  # applications
    {"cli"},
    {"__main__"},
]
LEVEL = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def _unit(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imported_units(path: Path) -> set[tuple[str, int]]:
    """(unit, line) for each repgeo module that ``path`` imports; "" is the package root."""
    package = ["repgeo", *path.relative_to(SRC).parts[:-1]]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[list[str]] = []
        if isinstance(node, ast.Import):
            targets = [a.name.split(".") for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = (package[: len(package) - node.level + 1] if node.level else []) + (node.module or "").split(".")
            base = [p for p in base if p]
            if base == ["repgeo"]:  # `from repgeo import x` / `from .. import x`: x may be a submodule
                targets = [["repgeo", a.name] for a in node.names]
            else:
                targets = [base]
        for parts in targets:
            if parts[0] != "repgeo":
                continue
            name = parts[1] if len(parts) > 1 else ""
            exists = (SRC / name).is_dir() or (SRC / f"{name}.py").exists()
            out.add((name if exists else "", node.lineno))
    return out


MODULES = sorted(p for p in SRC.rglob("*.py") if p.name != "__init__.py" or p.parent != SRC)


def test_every_unit_has_a_layer():
    units = {_unit(p) for p in MODULES}
    assert units <= set(LEVEL), f"units without a layer in tests/test_layers.py: {sorted(units - set(LEVEL))}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_upward_import(path):
    unit = _unit(path)
    wrong = []
    for target, line in sorted(_imported_units(path)):
        if target == unit:
            continue
        if target == "":
            wrong.append(f"line {line}: imports the package root")
        elif LEVEL.get(target, -1) >= LEVEL[unit]:
            wrong.append(f"line {line}: imports {target} (layer {LEVEL.get(target)}) from layer {LEVEL[unit]}")
    assert not wrong, f"{path.relative_to(SRC)} (unit {unit}): " + "; ".join(wrong)


def test_the_layer_check_sees_runtime_imports(tmp_path):
    """The checker itself: an import inside a function, upward, is found."""
    probe = SRC / "riemann" / "_layer_probe_for_test.py"
    probe.write_text("def f():\n    from ..demo import run_demo\n")
    try:
        assert ("demo", 2) in _imported_units(probe)
    finally:
        probe.unlink()


def test_import_repgeo_loads_no_application_code():
    code = (
        "import sys, repgeo; bad = sorted(m for m in sys.modules if m.startswith(('repgeo.demo', 'repgeo.cli', "
        "'threadpoolctl', 'sklearn', 'torch', 'matplotlib', 'dask', 'distributed'))); print(bad); assert not bad"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_public_surface_imports():
    """Star import, getmembers and every name of __all__ work; unknown attributes raise AttributeError."""
    code = (
        "import inspect, repgeo\n"
        "ns = {}\nexec('from repgeo import *', ns)\n"
        "assert set(repgeo.__all__) <= set(ns)\n"
        "inspect.getmembers(repgeo)\n"
        "for name in repgeo.__all__: getattr(repgeo, name)\n"
        "assert not any(n in dir(repgeo) for n in ('Any', 'importlib', 'annotations'))\n"
        "import repgeo.measures as M\nfor name in M.__all__: getattr(M, name)\nassert 'MSA' in M.__all__\n"
        "for sub in repgeo.SUBMODULES: getattr(repgeo, sub)\n"
        "try:\n    repgeo.no_such_thing\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit('no AttributeError')\n"
        "assert not hasattr(repgeo, 'paths_that_do_not_exist')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_public_module_is_reachable():
    """Each public module or subpackage at the top is a listed submodule, an application or imported eagerly."""
    import repgeo

    eager = {"measures", "pairwise"}
    public = {p.stem for p in SRC.glob("*.py") if not p.stem.startswith("_")}
    public |= {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists() and not p.name.startswith("_")}
    reachable = set(repgeo.SUBMODULES) | set(repgeo._APPLICATIONS) | eager
    assert public <= reachable, f"public modules not reachable as repgeo.<name>: {sorted(public - reachable)}"
