"""Small helpers shared by the analytics modules: input checks and reasons as message codes
(crm_core.kernel.messages reads them; the UI formats their numbers for the reader)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd

Reason = tuple[str, dict[str, Any]]


def msg(code: str, **params: Any) -> Reason:
    """A reason as a message code and its values, the shape crm_core.kernel.messages reads
    (analytics imports nothing of crm_core, so the pair is plain)."""
    return (code, params)


def msgn(code: str, n: int, **params: Any) -> Reason:
    """A reason whose words depend on a count `n` (plural forms in the catalogue)."""
    return (code, {"n": n, **params})


def N_(code: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Marks a code whose JSON text a row loop writes itself (faster than json.dumps)."""
    return code


def as_text(reason: Reason) -> str:
    """A reason as compact JSON text, `["code",{params}]`: what a cached frame holds."""
    return json.dumps(reason, ensure_ascii=False, separators=(",", ":"))


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise a ValueError naming every missing column, so a wiring mistake reads clearly."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")


def to_timestamp(as_of: datetime | str) -> pd.Timestamp:
    """Accept a Timestamp, datetime or ISO string; an aware one becomes naive UTC like the data."""
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp
