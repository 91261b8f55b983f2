"""The rules between crm_core's packages (ARCHITECTURE.md): the kernel imports no area, areas
meet only through read modules, the wiring alone lists them all, pages import their own area."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AREAS = ("customers", "sales", "service", "marketing", "overview", "admin")
READ_MODULES = {f"crm_core.{area}.read" for area in AREAS}
# What each package of crm_core may import of crm_core (prefixes); its own package always.
ALLOWED: dict[str, tuple[str, ...]] = {
    "kernel": ("crm_core.kernel", "crm_core.models", "crm_core.analytics"),
    "models": ("crm_core.models",),
    "analytics": ("crm_core.analytics",),
    "exchange": ("crm_core.exchange", "crm_core.kernel", "crm_core.models"),
    "admin": ("crm_core.kernel", "crm_core.models"),
    "overview": ("crm_core.kernel", "crm_core.models", *READ_MODULES),
    **{
        area: ("crm_core.kernel", "crm_core.models", "crm_core.analytics", "crm_core.exchange",
               *READ_MODULES)
        for area in ("customers", "sales", "service", "marketing")
    },
}  # fmt: skip


def crm_core_imports(source: str) -> set[str]:
    """The crm_core modules a source imports (`from crm_core.x import y` counts as crm_core.x.y
    when y is a module, so `from crm_core.sales import read` is the read module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("crm_core")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("crm_core"):
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def permitted(package: str, module: str) -> bool:
    own = f"crm_core.{package}"
    allowed = (own, *ALLOWED[package])
    return any(module == prefix or module.startswith(prefix + ".") for prefix in allowed)


def breaks_in(package: str, source: str) -> list[str]:
    return sorted(m for m in crm_core_imports(source) if not permitted(package, m))


def test_every_package_of_crm_core_keeps_to_its_imports() -> None:
    breaks = {
        str(path.relative_to(ROOT)): found
        for package in ALLOWED
        for path in (ROOT / "crm_core" / package).rglob("*.py")
        if (found := breaks_in(package, path.read_text()))
    }
    assert breaks == {}


def test_only_the_wiring_and_the_page_registry_sit_beside_the_packages() -> None:
    loose = {p.name for p in (ROOT / "crm_core").glob("*.py")}
    assert loose <= {"__init__.py", "wiring.py", "pages.py"}
    packages = {p.name for p in (ROOT / "crm_core").iterdir() if (p / "__init__.py").exists()}
    assert packages == set(ALLOWED)


@pytest.mark.parametrize(
    ("package", "source", "broken"),
    [
        ("kernel", "from crm_core.customers import records", "crm_core.customers.records"),
        ("sales", "from crm_core.service.hooks import TIMELINE", "crm_core.service.hooks.TIMELINE"),
        ("sales", "import crm_core.customers.value", "crm_core.customers.value"),
        ("customers", "from crm_core.admin import users", "crm_core.admin.users"),
        ("analytics", "from crm_core.kernel import errors", "crm_core.kernel.errors"),
        ("overview", "from crm_core.customers.listing import x", "crm_core.customers.listing.x"),
    ],
)
def test_an_import_against_the_rules_is_caught(package: str, source: str, broken: str) -> None:
    assert breaks_in(package, source) == [broken]


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("sales", "from crm_core.customers import read"),
        ("sales", "from crm_core.service.read import open_tickets"),
        ("customers", "from crm_core.kernel.hooks import relink"),
        ("overview", "from crm_core.marketing import read as marketing"),
    ],
)
def test_reading_another_area_through_its_read_module_is_allowed(package: str, source: str) -> None:
    assert breaks_in(package, source) == []
