"""Message codes with parameters: what crm_core returns instead of finished sentences, so one
cached table serves readers of every language; rendered through the gettext catalogues in
locale/ (read with Babel at run time), in English for logs, the command line and str(exc).
"""

from __future__ import annotations

import gettext
import io
import json
import re
import string
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from crm_core.kernel import localized

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
DOMAIN = "relasi"
LANGUAGES = ("en", "id")
DEFAULT_LANGUAGE = "en"


class Message(NamedTuple):
    """A code (a msgid of the catalogues) and the values its sentence needs.

    A plain `(code, params)` pair is a Message too, which is how analytics (which imports
    nothing of crm_core) returns its reasons. A param may itself be a Message, or a list of
    them (rendered joined by "; ").
    """

    code: str
    params: Mapping[str, Any] = {}


def msg(code: str, **params: Any) -> Message:
    return Message(code, params)


def msgn(code: str, n: int, **params: Any) -> Message:
    """A message whose words depend on the count `n` (the catalogue has its plural forms)."""
    return Message(code, {"n": n, **params})


def N_(code: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Marks a code (or an English label) that is looked up later, for Babel's extractor."""
    return code


def enum_code(value: StrEnum) -> str:
    """The code of a vocabulary value: Role.SALES -> "role.sales", the label shown to users."""
    kind = re.sub(r"(?<!^)(?=[A-Z])", "_", type(value).__name__).lower()
    return f"{kind}.{value.value}"


def label(value: StrEnum) -> Message:
    return Message(enum_code(value))


# --- frames keep messages as compact JSON text: `["code", {params}]` ---


def to_json(message: Message | tuple[str, Mapping[str, Any]]) -> str:
    return json.dumps(_plain(message), ensure_ascii=False, separators=(",", ":"), default=str)


def _plain(value: Any) -> Any:
    if _is_message(value):
        code, params = value[0], value[1] if len(value) > 1 else {}
        return [code, {k: _plain(v) for k, v in params.items()}] if params else [code]
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):  # as its label, so a stored message reads translated
        return [enum_code(value)]
    return value


def from_json(text: str) -> Message:
    decoded = _message(json.loads(text))
    if not isinstance(decoded, Message):
        raise ValueError(f"not a message: {text[:80]}")
    return decoded


def _message(value: Any) -> Any:
    if _is_message(value):
        params = value[1] if len(value) > 1 else {}
        return Message(value[0], {k: _message(v) for k, v in params.items()})
    if isinstance(value, list):
        return [_message(v) for v in value]
    return value


def _is_message(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and 1 <= len(value) <= 2
        and isinstance(value[0], str)
        and (len(value) == 1 or isinstance(value[1], Mapping))
    )


_CODE = re.compile(r"[a-z][a-z0-9_]*(\.[A-Za-z0-9_ -]+)+")


def is_code(text: str) -> bool:
    """`validation.required`, `lifecycle_stage.repeat customer`: a code, not a sentence."""
    return _CODE.fullmatch(text) is not None


def as_message(value: Message | tuple[str, Mapping[str, Any]] | str) -> Message:
    """A Message from itself, a (code, params) pair, or its JSON text (as frames hold it)."""
    if isinstance(value, str):
        return from_json(value) if value.startswith("[") else Message(value)
    return Message(value[0], value[1] if len(value) > 1 else {})


# --- catalogues ---


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of `language`, read from its .po file (no compiled .mo to keep in sync)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as gettext would
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Renderer(string.Formatter):
    """Fills a translated template: `{n:n}` a grouped number, `{x:money}`, `{x:cmoney}` a
    compact amount, `{x:.0%}` a percentage, `{x:.2f}` a decimal, `{d:date}` a long date,
    `{t:time}` a stored UTC time in the zone, `{m:cap}` capitalised; a Message param is
    rendered in the same language, a list of them joined by "; " (or by the spec: `{p: · }`).
    """

    def __init__(self, language: str, currency: str = "IDR", zone: str = "UTC") -> None:
        self.language, self.currency, self.zone = language, currency, zone

    def format_field(self, value: Any, format_spec: str) -> str:
        lang = self.language
        if format_spec == "cap":  # a label at the start of a sentence
            said = self.format_field(value, "")
            return said[:1].upper() + said[1:]
        if _is_message(value):
            return self.render(value)
        if isinstance(value, list):  # the spec, if any, is the separator: `{parts: · }`
            return (format_spec or "; ").join(self.format_field(v, "") for v in value)
        if isinstance(value, StrEnum) and not format_spec:
            return self.render(label(value))
        if format_spec == "money":
            return localized.money(value, lang, self.currency)
        if format_spec == "cmoney":
            return localized.compact_money(value, lang, self.currency)
        if format_spec == "n":
            return localized.number(value, lang)
        if format_spec in ("date", "time") and isinstance(value, str):
            value = datetime.fromisoformat(value)  # as a message's JSON keeps a moment
        if format_spec == "date":
            return localized.long_date(value, lang)
        if format_spec == "time":
            return localized.local_datetime(value, lang, self.zone)
        fixed = re.fullmatch(r",?\.(\d)([f%])", format_spec)
        if fixed:
            digits = int(fixed.group(1))
            if fixed.group(2) == "%":
                return localized.percent(value, lang, digits)
            return localized.number(value, lang, digits)
        if isinstance(value, date | datetime) and not format_spec:
            return localized.long_date(value, lang)
        return str(super().format_field(value, format_spec))

    def text(self, template: str, params: Mapping[str, Any]) -> str:
        return self.vformat(template, (), dict(params)) if params else template

    def gettext(self, msgid: str, params: Mapping[str, Any] | None = None) -> str:
        template = translations(self.language).gettext(msgid)
        if template == msgid and is_code(msgid) and not params:
            # A code no catalogue knows (a field added since): its last part reads best.
            return msgid.partition(".")[2].replace("_", " ")
        return self.text(template, params or {})

    def ngettext(self, singular: str, plural: str, n: int, params: Mapping[str, Any]) -> str:
        template = translations(self.language).ngettext(singular, plural, n)
        return self.text(template, {"n": n, **params})

    def render(self, message: Message | tuple[str, Mapping[str, Any]] | str) -> str:
        if isinstance(message, str) and not (message.startswith("[") or is_code(message)):
            return message  # a text stored before codes (an old import report): as it is
        code, params = as_message(message)
        n = params.get("n")
        if isinstance(n, int) and not isinstance(n, bool):
            # A code with plural forms is keyed (code, form) in the catalogue; one without
            # them comes back unchanged and is looked up as a plain message.
            template = translations(self.language).ngettext(code, code, n)
            if template != code:
                return self.text(template, params)
        return self.gettext(code, params)


def render(message: Message | tuple[str, Mapping[str, Any]] | str, language: str = "en") -> str:
    """A message in `language` (English by default: logs, the command line, str(exc))."""
    return Renderer(language).render(message)
