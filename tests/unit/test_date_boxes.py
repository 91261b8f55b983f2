"""Every date box writes its date the reader's way (31/12/2026 in Bahasa Indonesia): each
`date_input` in the pages takes its format from `ui.format.date_box_format`, where it is
declared once. Streamlit's own default is 2026/12/31 whatever the language."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _date_boxes() -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted([*ROOT.glob("app_pages/**/*.py"), *ROOT.glob("ui/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = node.func if isinstance(node, ast.Call) else None
            if isinstance(called, ast.Attribute) and called.attr == "date_input":
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def _format_of(call: ast.Call) -> str:
    for keyword in call.keywords:
        if keyword.arg == "format":
            return ast.unparse(keyword.value)
    return "(Streamlit's default)"


def test_every_date_box_takes_the_readers_date_format() -> None:
    boxes = _date_boxes()
    assert len(boxes) >= 19  # the walk finds the pages' date boxes
    wrong = {where: _format_of(call) for where, call in boxes}
    assert {w: f for w, f in wrong.items() if f != "date_box_format()"} == {}
