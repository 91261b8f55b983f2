"""Reading a page's address (its query parameters) tolerantly: a value that is not what it
should be (an owner that is not a number, dates that are not two in order) reads as absent,
so a hand-edited link shows more, never an error."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date


def owner_of(params: Mapping[str, str]) -> int | None:
    """The `owner` parameter as a user id, if it is one."""
    owner = params.get("owner", "")
    return int(owner) if owner.isdigit() else None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def period_of(params: Mapping[str, str]) -> tuple[date, date] | None:
    """The `from` and `to` parameters as local days in order, if they are."""
    start, end = _day(params.get("from", "")), _day(params.get("to", ""))
    return (start, end) if start is not None and end is not None and start <= end else None
