"""Where nothing is chosen or a cell is empty, Streamlit writes its own English ("Choose an
option", "Choose options", "None"): every multiselect, every selectbox that can show no
choice (index None, or None among its options) and every table names its placeholder (a
list's through the catalogue, a table's "–"). The Indonesian pages showed that English."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _may_show_nothing(call: ast.Call) -> bool:
    if call.func.attr in ("multiselect", "dataframe", "data_editor"):  # type: ignore[attr-defined]
        return True  # a table's empty cells read "None"
    keywords = {k.arg: k.value for k in call.keywords}
    index = keywords.get("index")
    if isinstance(index, ast.Constant) and index.value is None:
        return True
    options = call.args[1] if len(call.args) > 1 else keywords.get("options")
    return isinstance(options, ast.List) and any(
        isinstance(e, ast.Constant) and e.value is None for e in options.elts
    )


def lists_without_placeholder(folders: tuple[str, ...] = ("app_pages", "ui")) -> list[str]:
    found = []
    for path in sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("multiselect", "selectbox", "dataframe", "data_editor"):
                continue
            if _may_show_nothing(node) and "placeholder" not in {k.arg for k in node.keywords}:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.attr}")
    return found


def test_every_list_that_can_show_no_choice_and_every_table_names_its_placeholder() -> None:
    assert lists_without_placeholder() == []


def test_the_check_finds_a_list_without_one(tmp_path: Path) -> None:
    page = tmp_path / "app_pages" / "page.py"
    page.parent.mkdir()
    page.write_text(
        "import streamlit as st\n"
        "st.multiselect('Tier', ['a'])\n"
        "st.selectbox('View', [None, 'a'])\n"
        "st.selectbox('Owner', ['a'], index=None, placeholder='Choose')\n"
        "st.selectbox('Sort', ['a', 'b'])\n"
        "st.dataframe(frame, hide_index=True)\n"
    )
    global ROOT
    kept, ROOT = ROOT, tmp_path
    try:
        assert lists_without_placeholder(("app_pages",)) == [
            "app_pages/page.py:2 multiselect",
            "app_pages/page.py:3 selectbox",
            "app_pages/page.py:6 dataframe",
        ]
    finally:
        ROOT = kept
