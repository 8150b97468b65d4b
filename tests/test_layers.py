"""Imports only go down the layers of DESIGN.md; no step package imports another; no import cycle.

Every import in every module counts (also those inside functions), except those under
``if TYPE_CHECKING:`` (type hints only, never executed).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mimtpy"
STEP_PACKAGES = {"basic", "analysis", "tools", "preprocess", "inversion", "relax", "datacube"}
#: top-level part of mimtpy -> layer (a module may import its own package and lower layers)
LAYERS = {
    "errors": 0, "_version": 0, "_kernels": 0, "core": 1, "template": 2, "config": 3, "io": 4, "models": 4,
    "ops": 5, "context": 5.5, "viz": 6, **{p: 7 for p in STEP_PACKAGES}, "steps": 8, "api": 9, "": 9.5,
    "app": 10, "docgen": 10, "cli": 11,
}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(source: str, module: str) -> set[str]:
    """mimtpy modules imported by ``source`` (module ``module``), TYPE_CHECKING blocks left out."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "mimtpy")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")[:-node.level]
                base = ".".join([*parts, base] if base else parts)
            if base.split(".")[0] == "mimtpy":
                found.update(f"{base}.{a.name}" for a in node.names)   # a module, or a name of ``base``
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return found


def part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def violations(sources: dict[str, str]) -> list[str]:
    """Layer and cycle problems of a tree given as {module name: source}."""
    known = set(sources)
    graph: dict[str, set[str]] = {}
    problems = []
    for module, source in sources.items():
        targets = set()
        for name in imports(source, module):
            while name not in known and "." in name:      # 'from pkg import func' -> pkg
                name = name.rsplit(".", 1)[0]
            if name in known and name != module:
                targets.add(name)
        graph[module] = targets
        mine = part(module)
        for target in sorted(targets):
            theirs = part(target)
            if theirs == mine:
                continue
            if mine in STEP_PACKAGES and theirs in STEP_PACKAGES:
                problems.append(f"step package {mine} imports step package {theirs}: {module} -> {target}")
            elif LAYERS.get(theirs, 99) >= LAYERS.get(mine, -1) and not (mine == "" and theirs == "errors"):
                problems.append(f"{module} ({mine or 'mimtpy'}, layer {LAYERS.get(mine)}) imports {target} "
                                f"({theirs}, layer {LAYERS.get(theirs)})")
    problems += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in graph:
        if v not in index:
            strong(v)
    return found


def tree() -> dict[str, str]:
    sources = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        sources[".".join(parts)] = path.read_text()
    return sources


def test_imports_follow_the_layers_and_have_no_cycle():
    assert violations(tree()) == []


def test_the_checker_finds_a_step_importing_another_and_a_cycle():
    sources = tree()
    sources["mimtpy.basic.velcumu"] += "\nfrom mimtpy.analysis.tracks import Track\n"
    sources["mimtpy.ops.units"] += "\ndef f():\n    from mimtpy.viz.maps import MapData\n"
    sources["mimtpy.ops.paths"] += "\nimport mimtpy.ops.units\n"
    sources["mimtpy.ops.units"] += "\nimport mimtpy.ops.paths\n"
    found = violations(sources)
    assert any("step package basic imports step package analysis" in p for p in found)
    assert any(p.startswith("mimtpy.ops.units (ops, layer 5) imports mimtpy.viz.maps") for p in found)
    assert any("import cycle" in p and "mimtpy.ops.paths" in p for p in found)
    typed = tree()
    typed["mimtpy.basic.velcumu"] += "\nif TYPE_CHECKING:\n    from mimtpy.analysis.tracks import Track\n"
    assert violations(typed) == []
