"""The type checker runs as one of the tests: mypy (pandas-stubs, scipy-stubs, SQLAlchemy's
and Streamlit's own hints) over the app, configured in pyproject.toml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("app.py", "manage.py", "app_pages", "ui", "crm_core", "db", "bench")
# A narrow ignore names its error code and says why after it: `# type: ignore[code]  # why`.
EXPLAINED_IGNORE = re.compile(r"# type: ignore\[[a-z0-9-]+(, *[a-z0-9-]+)*\] +# +\S")


def test_mypy_finds_no_type_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is not installed (requirements-dev)")
    monkeypatch.chdir(ROOT)  # the files and the cache (.mypy_cache) are relative to the root
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml")])
    assert status == 0, (stdout + stderr)[-6000:]


def test_every_type_ignore_names_its_error_code_and_says_why() -> None:
    files = [ROOT / name for name in CHECKED]
    paths = [p for p in files if p.is_file()] + [
        f for p in files if p.is_dir() for f in p.rglob("*.py")
    ]
    unexplained = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in paths
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "type: ignore" in line and not EXPLAINED_IGNORE.search(line)
    ]
    assert unexplained == []
