"""Display formatting: money in the team's currency, times in the team's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd

from crm_core.kernel.money import format_money
from ui import cache


def money(amount: float | Decimal | None, currency: str | None = None) -> str:
    return format_money(amount, currency or cache.team_settings().currency)


def local_time(value: datetime | None, zone: str | None = None) -> str:
    """A stored naive-UTC time shown in `zone`, else the team's time zone."""
    if value is None or pd.isna(value):
        return "–"
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    shown = aware.astimezone(ZoneInfo(zone or cache.team_settings().time_zone))
    return shown.strftime("%Y-%m-%d %H:%M")


def local_times(values: pd.Series, zone: str | None = None) -> pd.Series:
    """local_time of a whole column, the team's zone looked up once rather than per row."""
    chosen = zone or cache.team_settings().time_zone
    return values.map(lambda value: local_time(value, chosen))
