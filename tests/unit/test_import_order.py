"""No crm_core module imports itself back through others at module level: such a cycle fails
only when the wrong one is imported first (customers.value_store, first, failed: value ->
service.read -> service.queues -> customers.read -> customers.listing -> customers.value)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_imports() -> dict[str, set[str]]:
    """Each crm_core module's crm_core imports made at module level (not in a function)."""
    files = {}
    for path in (ROOT / "crm_core").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        files[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        found: set[str] = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {target for target in found if target in files and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that reach each other (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while (member := stack.pop()) != module:
                group.append(member)
            if group:
                out.append(sorted([module, *group]))

    for module in graph:
        if module not in index:
            visit(module)
    return out


def test_the_cycle_finder_finds_a_cycle_of_three_and_not_a_chain() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_crm_core_module_imports_itself_back_at_module_level() -> None:
    graph = module_imports()
    assert len(graph) > 50 and "crm_core.service.read" in graph["crm_core.customers.value"]
    assert cycles(graph) == []
