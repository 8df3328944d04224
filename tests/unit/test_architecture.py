"""The layout keeps its promises: layers import only downwards, and no module imports in a circle.

Every ``import`` statement in ``src/allocate`` counts, wherever it stands: at the top, inside a
function, or under ``if TYPE_CHECKING:``.  (CI also runs import-linter's ``layers`` contract from
pyproject.toml; this test is the same rule written out, and it also forbids cycles inside a
layer.)  See docs/architecture.md.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "src"
PACKAGE = ROOT / "allocate"

#: Layers from the bottom up; a module may import its own layer and the ones below it.
#: ``pipeline`` and ``report`` stand side by side and may not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("allocate.core",),
    ("allocate.checks",),
    ("allocate.pipeline", "allocate.report"),
    ("allocate.analysis",),
    ("allocate.testing",),
)
#: The public face: the package itself, the command line and the documented public modules,
#: which re-export a layer's names.  Nothing below them may import them.
TOP = {
    "allocate",
    "allocate.cashflow",
    "allocate.cli",
    "allocate.display",
    "allocate.examples",
    "allocate.plots",
    "allocate.review",
    "allocate.rules",
    "allocate.scenarios",
    "allocate.schema",
    "allocate.service",
    "allocate.synthetic",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """Every module of ``allocate`` that ``name`` imports, with the line, anywhere in the file."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "allocate" or alias.name.startswith("allocate."):
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base != "allocate" and not base.startswith("allocate."):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub if sub in known else base), node.lineno


def _graph() -> dict[str, dict[str, int]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        for target, line in _imports(name, path, known):
            if target != name:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def _layer(module: str) -> int | None:
    if module in TOP:
        return len(LAYERS)
    for level, packages in enumerate(LAYERS):
        if any(module == pkg or module.startswith(pkg + ".") for pkg in packages):
            return level
    return None


def _package(module: str) -> str:
    for packages in LAYERS:
        for pkg in packages:
            if module == pkg or module.startswith(pkg + "."):
                return pkg
    return module


def test_every_module_belongs_to_a_layer() -> None:
    strays = [m for m in _modules() if _layer(m) is None]
    assert not strays, f"modules in no layer (add them to a layer package): {strays}"


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for module, edges in _graph().items():
        here = _layer(module)
        assert here is not None
        for target, line in edges.items():
            there = _layer(target)
            if there is None:
                wrong.append(f"{module}:{line} imports unknown {target}")
            elif there > here:
                wrong.append(f"{module}:{line} imports {target} from a layer above")
            elif there == here < len(LAYERS) and _package(module) != _package(target):
                wrong.append(f"{module}:{line} imports {target}, a sibling layer")
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_in_a_circle() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from allocate.core import model\n", {"allocate.core.model"}),
        ("def f():\n    from allocate.report.html import x\n", {"allocate.report.html"}),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import allocate.cli\n",
            {"allocate.cli"},
        ),
        ("from . import model\n", {"allocate.core.model"}),
    ],
)
def test_the_scanner_sees_every_kind_of_import(
    source: str, expected: set[str], tmp_path: Path
) -> None:
    # a module placed as if it were allocate/core/probe.py
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    found = {t for t, _ in _imports("allocate.core.probe", path, set(_modules()))}
    assert found == expected


def test_importing_allocate_leaves_pandas_and_the_optional_extras_unloaded() -> None:
    # pandas (loaded on the first table, allocate.core.frames) and the optional extras would
    # more than double the start-up of the command line and of every sweep worker
    extras = ("pandas", "matplotlib", "dask", "tqdm", "fastapi", "starlette", "uvicorn")
    code = (
        "import sys, allocate, allocate.cli, allocate.service; "
        f"print(sorted(m for m in {extras!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
