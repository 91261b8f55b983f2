"""Display formatting in the reader's language with Babel: money in the team's currency,
numbers, percentages, dates, and times in the team's time zone."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from crm_core.kernel import localized
from ui.i18n import language, team

Amount = float | int | Decimal | None


def money(amount: Amount, currency: str | None = None, lang: str | None = None) -> str:
    """Rp 1.250.000 (id) / Rp 1,250,000 (en); other currencies with their own minor units."""
    return localized.money(amount, lang or language(), currency or team().currency)


def compact_money(amount: Amount, currency: str | None = None, lang: str | None = None) -> str:
    """Rp 1,2 jt / Rp 4,1 M (id); Rp 1.2M / Rp 4.1B (en)."""
    return localized.compact_money(amount, lang or language(), currency or team().currency)


def number(value: Amount, digits: int = 0, lang: str | None = None) -> str:
    return localized.number(value, lang or language(), digits)


def percent(share: float | None, digits: int = 0, lang: str | None = None) -> str:
    return localized.percent(share, lang or language(), digits)


def long_date(day: date | datetime | None, lang: str | None = None) -> str:
    """1 Februari 2026 / 1 February 2026."""
    return localized.long_date(day, lang or language())


def month(day: date | datetime, lang: str | None = None) -> str:
    return localized.month(day, lang or language())


def when(value: datetime | None, zone: str | None = None, lang: str | None = None) -> str:
    """A stored naive-UTC time for a sentence: 1 Feb 2026 03.30 (id), 1 Feb 2026 03:30 (en)."""
    return localized.local_datetime(value, lang or language(), zone or team().time_zone)


def weekday(number: int, lang: str | None = None) -> str:
    """An ISO weekday (1 = Monday) by its name: Senin / Monday."""
    return localized.weekday(number, lang or language())


def local_time(value: datetime | None, zone: str | None = None) -> str:
    """A stored naive-UTC time for a table column: 2026-02-01 03:30 in the team's zone.

    Tables keep the ISO order whatever the language: it sorts as text and reads the same in
    both languages.
    """
    if value is None or localized.missing(value):
        return localized.DASH
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(ZoneInfo(zone or team().time_zone)).strftime("%Y-%m-%d %H:%M")


def local_times(values: pd.Series, zone: str | None = None) -> pd.Series:
    """local_time of a whole column, the team's zone looked up once rather than per row."""
    chosen = zone or team().time_zone
    return values.map(lambda value: local_time(value, chosen))


def with_money(frame: pd.DataFrame, columns: list[str]) -> Styler:
    """The frame with its money columns written in the reader's language (Rp 1.250.000 / Rp
    1,250,000) while the cells stay numbers, so that a click on the heading sorts by amount.

    A table column's own "localized" format follows the browser's locale, not the language
    the user chose; a styler's display values are what every browser shows."""
    lang, currency = language(), team().currency
    shown: list[Hashable] = [c for c in columns if c in frame.columns]

    def written(amount: object) -> str:
        return localized.money(amount if isinstance(amount, int | float | Decimal) else None,
                               lang, currency)  # fmt: skip

    return frame.style.format(written, subset=shown, na_rep=localized.DASH)


def with_numbers(
    frame: pd.DataFrame,
    digits: dict[str, int] | None = None,
    shares: dict[str, int] | None = None,
    money: list[str] | None = None,
) -> Styler:
    """with_money for `money`, and decimal columns (`digits`: column -> decimals) and share
    columns (`shares`: column -> decimals of the percentage) written in the reader's language
    (148,9 / 33,3%), the cells still numbers for sorting. A column's own "%.1f" or "percent"
    format writes the decimal point whatever the language."""
    styler = with_money(frame, money or [])
    lang = language()
    for columns, write in ((digits, localized.number), (shares, localized.percent)):
        for column, places in (columns or {}).items():
            if column in frame.columns:
                styler = styler.format(
                    partial(_written, write, lang, places), subset=[column], na_rep=localized.DASH
                )
    return styler


def _written(write: Callable[[Any, str, int], str], lang: str, places: int, value: Any) -> str:
    return write(value, lang, places)


def percent_points(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Shares (0.47) as whole percentage points (47) for a `share_bar`: a bar's own "percent"
    format writes the browser's locale (47.12% or 47,12%), not the reader's language."""
    present = [c for c in columns if c in frame.columns]
    return frame.assign(**{c: (frame[c].astype("float64") * 100).round() for c in present})


def share_bar(label: str) -> Any:
    """A progress bar of a percent_points column, labelled "47%" in every language."""
    return st.column_config.ProgressColumn(label, min_value=0, max_value=100, format="%d%%")


def date_box_format() -> Literal["DD/MM/YYYY", "YYYY-MM-DD"]:
    """How a date box writes its date: the reader's way (31/12/2026 in Bahasa Indonesia,
    2026-12-31 in English), the same in every box."""
    return "DD/MM/YYYY" if language() == "id" else "YYYY-MM-DD"
