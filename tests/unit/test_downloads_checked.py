"""A download built later (a callable `data=`) checks the session again: it goes through
`auth.deferred`, since Streamlit runs it on its download thread, outside the page's gate."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("app_pages", "ui")


def _name(node: ast.expr) -> str:
    """`partial`, `deferred`, `auth.deferred`, `st.download_button`, ... ('' for others)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _name(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    return ""


def _data_argument(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "data":
            return keyword.value
    return call.args[1] if len(call.args) > 1 else None


class _Module:
    """One module's functions and simple assignments, to follow a name to what it holds."""

    def __init__(self, tree: ast.Module) -> None:
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.assigned.setdefault(target.id, []).append(node.value)

    def unchecked(self, expr: ast.expr, seen: frozenset[str] = frozenset()) -> bool:
        """Is `expr` a callable that does not pass through auth.deferred?"""
        if isinstance(expr, ast.Lambda):
            return True
        if isinstance(expr, ast.Call):
            called = _name(expr.func)
            if called.split(".")[-1] == "deferred":
                return False
            if called.split(".")[-1] == "partial":
                return True
            helper = self.functions.get(called)
            if helper is not None and called not in seen:  # a local helper: what it returns
                returns = [n.value for n in ast.walk(helper) if isinstance(n, ast.Return)]
                return any(self.unchecked(r, seen | {called}) for r in returns if r is not None)
            return False  # a value built now (safe_csv(...), bytes, ...)
        if isinstance(expr, ast.Name) and expr.id not in seen:
            if expr.id in self.functions:
                return True  # a function passed itself: called later, unchecked
            values = self.assigned.get(expr.id, [])
            return any(self.unchecked(v, seen | {expr.id}) for v in values)
        return False


def unchecked_downloads(source: str) -> list[int]:
    """The lines of every st.download_button whose data is a callable not wrapped by
    auth.deferred."""
    tree = ast.parse(source)
    module = _Module(tree)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func).endswith("download_button"):
            data = _data_argument(node)
            if data is not None and module.unchecked(data):
                lines.append(node.lineno)
    return sorted(lines)


def _modules() -> list[str]:
    return sorted(
        str(path.relative_to(ROOT)) for folder in FOLDERS for path in (ROOT / folder).rglob("*.py")
    )


@pytest.mark.parametrize("module", _modules())
def test_no_download_is_built_later_without_checking_the_session(module: str) -> None:
    assert unchecked_downloads((ROOT / module).read_text()) == []


def test_the_check_tells_a_checked_download_from_an_unchecked_one() -> None:
    unchecked = """
from functools import partial
def page(data):
    st.download_button("CSV", partial(safe_csv, data), "a.csv")
    st.download_button("CSV", data=lambda: safe_csv(data))
    def csv():
        return safe_csv(data)
    st.download_button("CSV", data=csv)
    later = partial(safe_csv, data)
    st.download_button("CSV", later)
    st.download_button("CSV", _csv(data))
def _csv(frame):
    return partial(safe_csv, frame)
"""
    assert unchecked_downloads(unchecked) == [4, 5, 8, 10, 11]
    checked = """
def page(data):
    st.download_button("CSV", safe_csv(data), "a.csv")
    st.download_button("CSV", auth.deferred(partial(safe_csv, data)), "a.csv")
    def csv():
        return safe_csv(data)
    st.download_button("CSV", data=auth.deferred(csv))
    st.download_button("CSV", _csv(data))
    st.download_button("CSV", data, "a.zip")
def _csv(frame):
    return deferred(partial(safe_csv, frame))
"""
    assert unchecked_downloads(checked) == []


def test_the_service_dashboard_before_its_fix_is_caught() -> None:
    # the four downloads of commit d7c0802, as they were written
    before = """
def a(data):
    st.download_button(
        t("Download CSV"), partial(safe_csv, data), "created_resolved.csv", key="svc-d1"
    )
def b(grid):
    st.download_button(
        t("Download CSV"),
        partial(safe_csv, grid.reset_index()),
        "tickets_by_hour.csv",
        key="svc-d3",
    )
"""
    assert unchecked_downloads(before) == [3, 7]
