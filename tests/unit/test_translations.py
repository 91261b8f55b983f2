"""Every text a page can show has its translation: each msgid Babel extracts from the code is in
the Bahasa Indonesia catalogue, translated and not fuzzy; every crm_core code reads as English
too; every vocabulary value shown to users has its label; translations keep their placeholders.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from crm_core.analytics.churn import RiskBand
from crm_core.analytics.rfm import RfmSegment
from crm_core.analytics.value_tiers import ValueTier
from crm_core.exchange.importing import ImportMode, MatchKey, RowAction, RowStatus
from crm_core.kernel.hooks import TimelineKind
from crm_core.kernel.messages import LOCALE_DIR, enum_code, is_code, render
from crm_core.kernel.permissions import Action, Capability
from crm_core.models import enums
from crm_core.pages import PAGES, SECTIONS
from ui import labels

ROOT = Path(__file__).resolve().parents[2]
# The same keywords as the README's `pybabel extract` command.
KEYWORDS = {
    "t": None,
    "tn": (1, 2),
    "N_": None,
    "msg": None,
    "msgn": (1, 1),
    "CRMError": None,
    "PermissionDenied": None,
    "NotFound": None,
    "StalePreview": None,
    "RevertRefused": None,
}
VOCABULARIES = [
    enums.Role, enums.Gender, enums.Channel, enums.Direction, enums.LifecycleStage,
    enums.LeadSource, enums.LeadStage, enums.SalesChannel, enums.OrderStatus,
    enums.TicketCategory, enums.Priority, enums.TicketStatus, enums.TicketEventKind,
    enums.CampaignStatus, enums.Language, enums.AuditAction, ValueTier, RfmSegment, RiskBand,
    TimelineKind, ImportMode, MatchKey, RowStatus, RowAction, Action, Capability,
    enums.Entity,
]  # fmt: skip


def _catalogue(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / language / "LC_MESSAGES" / "relasi.po").open("rb") as po:
        return read_po(po, locale=language)


def _extracted() -> dict[str, str]:
    """msgid -> where it is used, over the same files babel.cfg names."""
    found: dict[str, str] = {}
    method_map = [("app.py", "python"), ("app_pages/**.py", "python"), ("ui/**.py", "python"),
                  ("crm_core/**.py", "python")]  # fmt: skip
    for filename, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, keywords=KEYWORDS, comment_tags=()
    ):
        msgid = message if isinstance(message, str) else message[0]  # plurals: the singular
        if msgid:
            found.setdefault(msgid, filename)
    return found


EXTRACTED = _extracted()
INDONESIAN = _catalogue("id")
ENGLISH = _catalogue("en")


def _translation(catalogue, msgid: str) -> list[str]:  # type: ignore[no-untyped-def]
    message = catalogue.get(msgid)
    if message is None or message.fuzzy:
        return []
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return [s for s in strings if s]


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_extractor_finds_the_texts_of_every_layer() -> None:
    assert len(EXTRACTED) > 600
    where = set(EXTRACTED.values())
    assert {"app.py", "app_pages/customers/_views.py", "crm_core/kernel/inputs.py"} <= where


def test_every_text_shown_on_a_page_has_an_indonesian_translation() -> None:
    missing = sorted(m for m in EXTRACTED if not _translation(INDONESIAN, m))
    assert missing == [], f"add these to locale/id/LC_MESSAGES/relasi.po: {missing}"


def test_every_crm_core_code_reads_as_an_english_sentence_too() -> None:
    codes = [m for m in EXTRACTED if is_code(m)]
    assert "validation.required" in codes and "tier.top" in codes
    missing = sorted(c for c in codes if not _translation(ENGLISH, c))
    assert missing == [], f"add these to locale/en/LC_MESSAGES/relasi.po: {missing}"
    assert render("validation.required") == "is required"


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.__name__)
def test_every_vocabulary_value_shown_to_users_has_a_listed_label(vocabulary: type) -> None:
    missing = [enum_code(v) for v in vocabulary if enum_code(v) not in labels.CODES]
    assert missing == [], f"add N_(...) lines for these to ui/labels.py: {missing}"


def test_every_page_title_and_section_of_the_navigation_is_translated() -> None:
    texts = {p.title for p in PAGES} | set(SECTIONS)
    assert texts <= set(labels.PAGE_TEXTS)
    assert all(_translation(INDONESIAN, text) for text in texts)


def test_translations_keep_the_placeholders_of_their_source() -> None:
    wrong = []
    for message in INDONESIAN:
        if not message.id or not message.string:
            continue
        source = message.id if isinstance(message.id, str) else message.id[-1]
        if is_code(source):  # a code's placeholders are those of its English sentence
            english = ENGLISH.get(source)
            source = (
                english.string
                if english and isinstance(english.string, str)
                else (english.string[-1] if english else source)
            )
        allowed = _fields(source) | {"n"}
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            extra = _fields(text) - allowed
            if extra:
                wrong.append((message.id, sorted(extra)))
    assert wrong == []


def test_bahasa_indonesia_has_one_plural_form_and_english_two() -> None:
    assert INDONESIAN.num_plurals == 1
    assert ENGLISH.num_plurals == 2
    assert render(("rfm.orders", {"n": 1})) == "1 order"
    assert render(("rfm.orders", {"n": 3})) == "3 orders"
    assert render(("rfm.orders", {"n": 3}), "id") == "3 pesanan"


def test_no_catalogue_entry_is_fuzzy_or_left_over() -> None:
    assert [m.id for m in INDONESIAN if m.id and m.fuzzy] == []
    assert list(INDONESIAN.obsolete) == [] and list(ENGLISH.obsolete) == []
    stale = sorted(m.id for m in INDONESIAN if m.id and _key(m.id) not in EXTRACTED)
    assert stale == [], "run the README's pybabel extract and update commands"


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def test_a_code_looks_like_a_code_and_a_sentence_does_not() -> None:
    assert is_code("lifecycle_stage.repeat customer") and is_code("error.conflict.at")
    assert not any(is_code(t) for t in ("Saved.", "e.g. “VIP”", "Customer #{id}", "Budi"))


def test_every_code_written_in_the_source_is_in_the_english_catalogue() -> None:
    """Also the codes Babel cannot see (a code handed to super().__init__, or kept in a
    table): every string in the code that looks like one of the catalogue's codes."""
    import ast

    known = {_key(m.id) for m in ENGLISH if m.id}
    spaces = {code.partition(".")[0] for code in known if is_code(code)}
    missing = set()
    for folder in ("crm_core", "ui", "app_pages"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                text = node.value if isinstance(node, ast.Constant) else None
                if not isinstance(text, str) or not is_code(text) or text in known:
                    continue
                if text.partition(".")[0] in spaces:
                    missing.add(f"{path.relative_to(ROOT)}: {text}")
    assert sorted(missing) == []
