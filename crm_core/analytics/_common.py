"""Small helpers shared by the analytics modules: input checks, number formatting, and reasons
as message codes."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

MoneyFormatter = Callable[[float], str]

_SUFFIXES: tuple[tuple[float, str], ...] = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def compact_number(value: float) -> str:
    """Format a number short enough for a sentence: 4_120_000 -> "4.1M", 800_000 -> "800K"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
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


Reason = tuple[str, dict[str, Any]]


def msg(code: str, **params: Any) -> Reason:
    """A reason as a message code and its values, the shape crm_core.kernel.messages reads
    (analytics imports nothing of crm_core, so the pair is plain)."""
    return (code, params)


def msgn(code: str, n: int, **params: Any) -> Reason:
    """A reason whose words depend on a count `n` (plural forms in the catalogue)."""
    return (code, {"n": n, **params})


def as_text(reason: Reason) -> str:
    """A reason as compact JSON text, `["code",{params}]`: what a cached frame holds."""
    return json.dumps(reason, ensure_ascii=False, separators=(",", ":"))


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise a ValueError naming every missing column, so a wiring mistake reads clearly."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """'1 order', '3 orders', with thousands separators."""
    word = noun if count == 1 else (plural_noun or noun + "s")
    return f"{count:,} {word}"


def to_timestamp(as_of: pd.Timestamp | str | object) -> pd.Timestamp:
    """Accept a Timestamp, datetime or ISO string; an aware one becomes naive UTC like the data."""
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp
