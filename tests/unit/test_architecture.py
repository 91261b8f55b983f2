"""Imports point one way: app -> app_pages -> ui -> crm_core; db -> crm_core; crm_core none."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "crm_core": {"streamlit", "ui", "app_pages", "db", "app"},
    "db": {"streamlit", "ui", "app_pages", "app"},
    "ui": {"app_pages", "app"},
    "app_pages": {"app", "sqlalchemy", "db"},
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_module_imports_against_the_layering() -> None:
    breaks = [
        f"{path.relative_to(ROOT)} imports {sorted(imported_roots(path) & banned)}"
        for layer, banned in FORBIDDEN.items()
        for path in (ROOT / layer).rglob("*.py")
        if "migrations" not in path.parts and imported_roots(path) & banned
    ]
    assert breaks == []


def test_there_is_no_pages_folder_for_streamlit_to_serve_without_the_sign_in_gate() -> None:
    # With a pages/ folder Streamlit runs its old multipage mode until some run calls
    # st.navigation, serving each file by URL without app.py (ARCHITECTURE.md, pitfalls).
    assert not (ROOT / "pages").exists()


def test_page_modules_define_render_and_run_nothing_on_import() -> None:
    for path in (ROOT / "app_pages").glob("*.py"):
        tree = ast.parse(path.read_text())
        top_level = [
            node
            for node in tree.body
            if not isinstance(
                node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.Assign | ast.AnnAssign
            )
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        ]
        assert top_level == [], path.name
        if path.name != "__init__.py":
            assert any(isinstance(n, ast.FunctionDef) and n.name == "render" for n in tree.body)
