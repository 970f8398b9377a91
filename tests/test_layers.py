"""The layers of docs/architecture.md, checked over every import statement in src/autolog.

A module may import its own layer and the layers below it, never one above; every module
belongs to a layer (a new package must be placed here, and in docs/architecture.md, first);
and no two modules import each other at import time. Imports inside functions and under
``if TYPE_CHECKING:`` count for the layers too: a lazy import upward is still an upward
dependency.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: top to bottom; a module belongs to the layer of the longest prefix naming it
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("command line", ("autolog.cli", "autolog._cli")),
    ("applications", ("autolog.server", "autolog.serving", "autolog.projects", "autolog.migrate", "autolog.testing")),
    ("public API", ("autolog",)),
    ("library plugins", ("autolog.flavors",)),
    ("autologging", ("autolog.autologging",)),
    ("models", ("autolog.models",)),
    ("tracking", ("autolog.tracking",)),
    ("model registry", ("autolog.registry",)),
    ("stores", ("autolog.store",)),
    ("vocabulary", ("autolog.core",)),
    ("foundation", ("autolog.errors", "autolog._plugins", "autolog._installed", "autolog._version")),
]

#: (importer, imported) pairs that break the layers today, each with the work that removes it
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("autolog.autologging._recorder", "autolog"): "enable() hands the recorder a typed client",
    ("autolog.flavors.sklearn._autolog", "autolog"): "flavors log models through the recorder",
    ("autolog.flavors.torch._session", "autolog"): "flavors log models through the recorder",
    ("autolog.flavors.xgboost._autolog", "autolog"): "flavors log models through the recorder",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "autolog").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _owner(name: str) -> str:
    """The module an imported name lives in: ``autolog.x.y`` -> the longest known prefix."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _layer(module: str) -> int:
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best is not None, f"{module} belongs to no layer: add it to LAYERS and docs/architecture.md"
    return best


def _imports(module: str, top_level_only: bool = False) -> set[str]:
    """The autolog modules ``module`` imports (a name imported from a package counts as the
    submodule when it is one)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nodes: list[ast.AST] = []
    if top_level_only:
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test):
                continue
            nodes.extend(ast.walk(stmt))
    else:
        nodes = list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(_owner(a.name) for a in node.names if a.name.split(".")[0] == "autolog")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "autolog":
                continue
            for alias in node.names:
                found.add(_owner(f"{node.module}.{alias.name}"))
    found.discard(module)
    return found


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        _layer(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_layer_above_it(module: str) -> None:
    mine = _layer(module)
    upward = sorted(
        target
        for target in _imports(module)
        if _layer(target) < mine and (module, target) not in KNOWN_EXCEPTIONS
    )
    assert not upward, (
        f"{module} ({LAYERS[mine][0]}) imports from layers above it: "
        + ", ".join(f"{t} ({LAYERS[_layer(t)][0]})" for t in upward)
    )


def test_known_exceptions_still_exist() -> None:
    """An exception that no longer happens must leave the list, so it cannot come back."""
    gone = [pair for pair in KNOWN_EXCEPTIONS if pair[1] not in _imports(pair[0])]
    assert not gone, f"these imports are gone; remove them from KNOWN_EXCEPTIONS: {gone}"


def test_no_import_cycles_at_import_time() -> None:
    graph = {module: _imports(module, top_level_only=True) for module in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert not cycles, f"modules that import each other at import time: {cycles}"


def test_packages_form_no_cycle() -> None:
    """Across packages, lazy imports included: the packages' dependency graph has no cycle."""

    def package(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:2]) if len(parts) > 1 else module

    edges: dict[str, set[str]] = defaultdict(set)
    for module in MODULES:
        if any(module == a for a, _ in KNOWN_EXCEPTIONS):
            targets = {t for t in _imports(module) if (module, t) not in KNOWN_EXCEPTIONS}
        else:
            targets = _imports(module)
        for target in targets:
            if package(target) != package(module) and package(target) != "autolog":
                edges[package(module)].add(package(target))
    for start in list(edges):
        seen, todo = set(), list(edges[start])
        while todo:
            current = todo.pop()
            assert current != start, f"package {start} depends on itself through {sorted(seen)}"
            if current not in seen:
                seen.add(current)
                todo.extend(edges.get(current, ()))
