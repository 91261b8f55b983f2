"""Team settings (value tiers, cost to serve, currency, time zone), stored as JSON with defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.models import Setting

VALUE_KEY = "customer_value"


@dataclass(frozen=True)
class ValueSettings:
    """How customer value is measured; every figure on the value panel depends on these."""

    top_profit_share: float = 0.5  # Most Valuable: the customers making the top 50% of profit
    cost_per_ticket: float = 25_000.0  # support effort per ticket, in the currency
    cost_per_interaction: float = 5_000.0  # staff effort per touchpoint
    clv_horizon_days: int = 365
    discount_rate_annual: float = 0.10
    churn_window_days: int = 90
    currency: str = "IDR"


def value_settings(session: Session) -> ValueSettings:
    """The stored settings over the defaults (unknown or missing keys fall back)."""
    stored: dict[str, Any] = (
        session.scalar(select(Setting.value).where(Setting.key == VALUE_KEY)) or {}
    )
    known = {f.name for f in fields(ValueSettings)}
    return ValueSettings(**{k: v for k, v in stored.items() if k in known})


def as_dict(settings: ValueSettings) -> dict[str, Any]:
    return asdict(settings)
