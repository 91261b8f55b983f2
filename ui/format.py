"""Display formatting: money in the configured currency, times in the configured zone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Jakarta"


def money(amount: float | Decimal | None, currency: str = "IDR") -> str:
    if amount is None:
        return "–"
    if currency == "IDR":
        # Rupiah: no minor units shown, dot as thousands separator (Rp 1.250.000).
        return "Rp " + f"{float(amount):,.0f}".replace(",", ".")
    return f"{currency} {float(amount):,.2f}"


def local_time(value: datetime | None, zone: str = DEFAULT_TIMEZONE) -> str:
    """A stored naive-UTC time shown in the team's time zone."""
    if value is None:
        return "–"
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
