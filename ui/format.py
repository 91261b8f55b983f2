"""Display formatting: money in the configured currency, times in the configured zone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd

from crm_core.kernel.money import format_money

DEFAULT_TIMEZONE = "Asia/Jakarta"


def money(amount: float | Decimal | None, currency: str = "IDR") -> str:
    return format_money(amount, currency)


def local_time(value: datetime | None, zone: str = DEFAULT_TIMEZONE) -> str:
    """A stored naive-UTC time shown in the team's time zone."""
    if value is None or pd.isna(value):
        return "–"
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
