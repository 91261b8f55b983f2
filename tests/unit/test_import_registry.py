"""The kinds of import file exist in one place, the areas' importers that the wiring lists:
the import framework names none of them, and every kind reads well in both languages."""

from __future__ import annotations

import ast
from pathlib import Path

from crm_core.exchange.registry import UnknownKind, importer, importers, kinds
from crm_core.kernel.messages import Message, render

ROOT = Path(__file__).resolve().parents[2]
COUNTS = {"rows": 3, "create": 2, "update": 1, "bad": 0, "skipped": 1, "groups": 1}


def test_the_import_framework_names_no_kind_of_file() -> None:
    texts = {
        node.value
        for path in (ROOT / "crm_core" / "exchange").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert set(kinds()) == {"customers", "orders", "products", "leads", "tickets"}
    assert texts & set(kinds()) == set()


def test_every_kind_is_named_and_summed_up_in_both_languages() -> None:
    for kind, spec in importers().items():
        assert spec.kind == kind
        summary = spec.hints.summary(COUNTS)
        for language in ("en", "id"):
            name = render(Message(spec.label), language)
            assert name[:1].isupper(), (kind, language, name)  # a choice among capitals
            for text in (name, render(summary, language)):
                assert text and "." not in text.split(" ")[0], (kind, language, text)


def test_the_summaries_count_what_was_written() -> None:
    assert render(importer("orders").hints.summary(COUNTS)) == "1 order (2 lines)"
    assert render(importer("orders").hints.summary(COUNTS), "id") == "1 pesanan (2 baris)"
    assert render(importer("leads").hints.summary(COUNTS)) == "2 leads"
    assert render(importer("customers").hints.summary(COUNTS)) == ("2 new and 1 updated customers")


def test_an_unknown_kind_is_refused_by_name() -> None:
    try:
        importer("invoices")
    except UnknownKind as exc:
        assert exc.args == ("invoices",)
    else:
        raise AssertionError("an unknown kind was accepted")
