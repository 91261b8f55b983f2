"""Small helpers shared by the analytics modules: input checks and number formatting."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime

import pandas as pd

MoneyFormatter = Callable[[float], str]

_SUFFIXES: tuple[tuple[float, str], ...] = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def compact_number(value: float | None) -> str:
    """Format a number short enough for a sentence: 4_120_000 -> "4.1M", 800_000 -> "800K"."""
    if value is None or math.isnan(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    size = abs(float(value))
    for step, suffix in _SUFFIXES:
        # Round first so that 999_999 prints as "1.0M", not "1000.0K".
        if round(size / step, 1) >= 1:
            return f"{sign}{size / step:,.1f}".removesuffix(".0") + suffix
    return f"{sign}{size:,.0f}"


def plain_money(value: float) -> str:
    """Default money formatter: a compact number without a currency; callers pass their own."""
    return compact_number(value)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise a ValueError naming every missing column, so a wiring mistake reads clearly."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """'1 order', '3 orders', with thousands separators."""
    word = noun if count == 1 else (plural_noun or noun + "s")
    return f"{count:,} {word}"


def to_timestamp(as_of: datetime | str) -> pd.Timestamp:
    """Accept a Timestamp, datetime or ISO string; an aware one becomes naive UTC like the data."""
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp
