"""Numbers, money, percentages and dates written the way a reader of a language writes them
(Babel over CLDR): `Rp 1.250.000` and `1 Februari 2026` in Bahasa Indonesia, `Rp 1,250,000`
and `1 February 2026` in English. Pure functions: the caller names the language and currency.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import dates, numbers

Number = float | int | Decimal
DASH = "–"  # what a missing figure shows as
# Currencies people write without minor units even where ISO 4217 has two (CLDR's cash digits):
# nobody writes "Rp 1.250.000,00" on an invoice of an Indonesian small business.
WHOLE_UNITS = {"IDR": "Rp"}
LONG_DATE = "d MMMM y"  # 1 Februari 2026 / 1 February 2026: day first in both languages
SHORT_DATE = "d MMM y"


def missing(value: object) -> bool:
    """None, NaN or NaT: a figure nobody knows."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):
        return False


def number(value: Number | None, language: str, digits: int = 0) -> str:
    if value is None or missing(value):
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return numbers.format_decimal(value, format=pattern, locale=language)


def percent(share: float | None, language: str, digits: int = 0) -> str:
    if share is None or missing(share):
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return numbers.format_percent(share, format=pattern, locale=language)


def money(amount: Number | None, language: str, currency: str = "IDR") -> str:
    """An amount in full: Rp 1.250.000 (id), Rp 1,250,000 (en), US$1.250,50 / $1,250.50."""
    if amount is None or missing(amount):
        return DASH
    if currency in WHOLE_UNITS:
        sign = "-" if amount < 0 else ""
        whole = numbers.format_decimal(abs(round(amount)), format="#,##0", locale=language)
        return f"{sign}{WHOLE_UNITS[currency]} {whole}"
    return numbers.format_currency(amount, currency, locale=language)


def compact_money(amount: Number | None, language: str, currency: str = "IDR") -> str:
    """Short for a tile or a sentence: Rp 1,2 jt, Rp 4,1 M (id); Rp 1.2M, Rp 4.1B (en)."""
    if amount is None or missing(amount):
        return DASH
    if currency in WHOLE_UNITS:
        short = numbers.format_compact_decimal(amount, locale=language, fraction_digits=1)
        return f"{WHOLE_UNITS[currency]} {short}"
    return numbers.format_compact_currency(amount, currency, locale=language, fraction_digits=1)


def weekday(number: int, language: str) -> str:
    """An ISO weekday (1 = Monday ... 7 = Sunday) as the language names it."""
    return str(dates.get_day_names("wide", locale=language)[number - 1]).capitalize()


def long_date(day: date | datetime | None, language: str) -> str:
    if day is None or missing(day):
        return DASH
    return dates.format_date(day, format=LONG_DATE, locale=language)


def month(day: date | datetime, language: str) -> str:
    """A calendar month as the language names it: Desember 2026 (id), December 2026 (en)."""
    return str(dates.format_date(day, format="LLLL y", locale=language))


def short_month(day: date | datetime, language: str) -> str:
    """A month on a chart's axis: Des 2026 (id), Dec 2026 (en)."""
    return str(dates.format_date(day, format="LLL y", locale=language))


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round steps (1, 2, 2.5 or 5 times a power of ten) from below `low` to
    above `high`, for an axis labelled by the pages rather than by the chart."""
    if not math.isfinite(low) or not math.isfinite(high) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= raw)
    first = math.floor(low / step) * step
    return [first + i * step for i in range(math.ceil((high - first) / step) + 1)]


def local_datetime(value: datetime | None, language: str, zone: str) -> str:
    """A stored naive-UTC time in the team's zone: 1 Feb 2026 03.30 (id), 1 Feb 2026 03:30."""
    if value is None or missing(value):
        return DASH
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    local = aware.astimezone(ZoneInfo(zone))
    day = dates.format_date(local, format=SHORT_DATE, locale=language)
    # Indonesian writes 03.30 (PUEBI); English 03:30. Both 24-hour, as schedules are read here.
    clock = dates.format_time(local, format="HH.mm" if language == "id" else "HH:mm")
    return f"{day} {clock}"
