"""The house's plan, enforced: packages by stage, each importing only from those before it.

Counted are every import of a scoring module, at the top, inside functions and under
`TYPE_CHECKING` alike: a type-only import still ties two modules together for a reader.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# The stages in the order data flows (README, "Architecture"); a module may import its own
# package and those listed before it.
LAYERS = ["base", "language", "rulesets", "inputs", "evaluation", "history", "explanations",
          "outputs", "run", "checks", "streaming", "api", "web", "cli"]


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / "scoring").rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        if "_vendor" in rel.parts:
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """The scoring modules `name` imports (a `from package import module` names the module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "scoring":
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            if base.split(".")[0] != "scoring":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub if sub in MODULES else base), node.lineno


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "api"  # `scoring` itself is the face


GRAPH = {name: sorted({m for m, _ in _imports(name, path) if m in MODULES and m != name})
         for name, path in MODULES.items()}


def test_every_module_belongs_to_a_stage() -> None:
    strays = [m for m in MODULES if _stage(m) not in LAYERS]
    assert strays == [], f"modules outside the stages of LAYERS: {strays}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_its_own_stage_or_earlier(name: str) -> None:
    mine = LAYERS.index(_stage(name))
    upward = [f"{m} (line {line})" for m, line in _imports(name, MODULES[name])
              if m in MODULES and LAYERS.index(_stage(m)) > mine]
    assert upward == [], f"{name} imports a later stage: {upward}"


def test_no_import_cycle() -> None:
    """Tarjan's strongly connected components over every import, type-only ones included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == [], f"import cycles: {cycles}"


def test_the_core_imports_no_click_and_no_web() -> None:
    """Only the faces speak to terminals and browsers."""
    faces = {"cli", "web"}
    offenders = []
    for name, path in MODULES.items():
        if _stage(name) in faces:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""])
                if any(n.split(".")[0] in {"click", "starlette", "jinja2", "uvicorn"}
                       for n in names):
                    offenders.append(name)
    assert offenders == []
