"""Imports point one way: app -> app_pages -> ui -> crm_core; db -> crm_core; crm_core none."""

from __future__ import annotations

import ast
from pathlib import Path

from crm_core.pages import PAGES, PUBLIC_PAGES

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
    for path in (ROOT / "app_pages").rglob("*.py"):
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


def test_every_page_module_under_app_pages_is_in_the_registry() -> None:
    registered = {spec.module for spec in PAGES} | {p.module for p in PUBLIC_PAGES} | {"login"}
    found = {
        ".".join(path.relative_to(ROOT / "app_pages").with_suffix("").parts)
        for path in (ROOT / "app_pages").rglob("*.py")
        if path.name != "__init__.py"
    }
    assert found == registered


AREAS = {"customers", "sales", "service", "marketing", "overview", "admin"}


def other_areas_imported(area: str, source: str) -> list[str]:
    """The crm_core modules of other areas that a page of `area` imports, read modules aside."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("crm_core."):
            for alias in node.names:
                parts = f"{node.module}.{alias.name}".split(".")
                if parts[1] in AREAS - {area} and "read" not in parts[2:3]:
                    found.append(".".join(parts))
    return found


def test_the_pages_of_an_area_import_only_their_own_area_of_crm_core() -> None:
    breaks = {
        str(path.relative_to(ROOT)): found
        for path in (ROOT / "app_pages").rglob("*.py")
        if (found := other_areas_imported(path.relative_to(ROOT / "app_pages").parts[0],
                                          path.read_text()))
    }  # fmt: skip
    assert breaks == {}


def test_a_page_importing_another_area_is_caught_and_a_read_module_is_not() -> None:
    assert other_areas_imported("sales", "from crm_core.customers import records") == [
        "crm_core.customers.records"
    ]
    assert other_areas_imported("sales", "from crm_core.customers import read") == []
    assert other_areas_imported("sales", "from crm_core.sales import leads") == []
