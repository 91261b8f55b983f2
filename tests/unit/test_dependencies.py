"""Every third-party package the code imports is named in the requirements it installs from."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_SOURCES = ("app.py", "manage.py", "app_pages", "ui", "crm_core", "db", "bench")
# The benchmark (DuckDB beside the project, browsers against a running app): a developer's
# tool, installed with the dev dependencies like the tests.
DEV_TOOLS = ("bench",)


def python_files(*names: str) -> list[Path]:
    paths = [ROOT / name for name in names]
    return [p for p in paths if p.is_file()] + [
        f for p in paths if p.is_dir() for f in p.rglob("*.py")
    ]


def imported_roots(path: Path) -> set[str]:
    """Top-level names of absolute imports anywhere in the module (lazy imports included)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def is_own(root: str) -> bool:
    return any((base / root).is_dir() or (base / f"{root}.py").is_file()
               for base in (ROOT, ROOT / "tests"))  # fmt: skip


def canonical(name: str) -> str:
    """PEP 503 normalisation: `PyJWT`, `pyjwt` and `py_jwt` name one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(requirements: Path) -> set[str]:
    """Distribution names in a requirements file, following `-r other.txt`."""
    names: set[str] = set()
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r"):
            names |= declared(requirements.parent / line[2:].strip())
        elif line and not line.startswith("-"):
            names.add(canonical(re.split(r"[\[=<>!~;@ ]", line, maxsplit=1)[0]))
    return names


def undeclared(files: list[Path], requirements: Path) -> list[str]:
    """`module (file): why` for each import that no declared distribution provides."""
    providers, names = packages_distributions(), declared(requirements)
    problems = []
    for path in files:
        for root in sorted(imported_roots(path)):
            if root in sys.stdlib_module_names or is_own(root):
                continue
            dists = providers.get(root)
            where = f"{root} ({path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name})"
            if not dists:
                problems.append(f"{where}: no installed distribution provides it")
            elif not {canonical(d) for d in dists} & names:
                problems.append(f"{where}: add {dists[0]} to {requirements.name}")
    return problems


def test_the_app_imports_only_packages_named_in_requirements_txt() -> None:
    app = [f for f in python_files(*APP_SOURCES) if f not in python_files(*DEV_TOOLS)]
    assert undeclared(app, ROOT / "requirements.txt") == []


def test_the_tests_import_only_packages_named_in_requirements_dev_txt() -> None:
    assert undeclared(python_files("tests", *DEV_TOOLS), ROOT / "requirements-dev.txt") == []


def test_a_package_installed_only_as_a_dependency_of_another_counts_as_undeclared(
    tmp_path: Path,
) -> None:
    # starlette is installed (Streamlit serves with it), so only the file can declare it.
    module = tmp_path / "server.py"
    module.write_text("import json\nimport starlette.routing\nfrom streamlit import runtime\n")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Streamlit[auth]==1.67.0  # the app\n")
    problems = undeclared([module], requirements)
    assert problems == ["starlette (server.py): add starlette to requirements.txt"]


def pins(path: Path) -> dict[str, set[str]]:
    """Distribution -> the versions a requirements or lock file pins with `==` (a universal
    lock may pin one package twice, under different environment markers)."""
    found: dict[str, set[str]] = {}
    for line in path.read_text().splitlines():
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)", line)
        if match:
            found.setdefault(canonical(match[1]), set()).add(match[2])
    return found


def test_each_lock_pins_what_its_requirements_file_asks_for() -> None:
    # A requirement changed without running the lock's update command (README, "Test it").
    for name in ("requirements", "requirements-dev"):
        wanted, locked = pins(ROOT / f"{name}.txt"), pins(ROOT / f"{name}.lock")
        if name == "requirements-dev":
            wanted |= pins(ROOT / "requirements.txt")
        stale = {d: (v, locked.get(d)) for d, v in wanted.items() if locked.get(d) != v}
        assert stale == {}, f"{name}.lock is stale: (asked, locked) {stale}"


def test_the_test_lock_installs_the_same_runtime_versions_as_the_runtime_lock() -> None:
    runtime, dev = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")
    assert {d: (v, dev.get(d)) for d, v in runtime.items() if dev.get(d) != v} == {}
