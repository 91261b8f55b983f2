"""Team settings (company, currency, time zone, language, working time, customer value), stored
as JSON rows of the settings table, each read over its defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.models import Setting

DEFAULT_CURRENCY = "IDR"
TEAM_KEY = "team"
VALUE_KEY = "customer_value"
Stored = TypeVar("Stored")


@dataclass(frozen=True)
class TeamSettings:
    """How the team works: every time shown, amount formatted and SLA clock reads these."""

    company_name: str = "Relasi"
    currency: str = DEFAULT_CURRENCY
    time_zone: str = "Asia/Jakarta"
    default_language: str = "en"  # a Language value; each user may pick their own
    # Working hours per ISO weekday (1 = Monday): [start "HH:MM", end "HH:MM"]; absent = closed.
    working_hours: dict[str, list[str]] = field(
        default_factory=lambda: {str(d): ["08:00", "17:00"] for d in range(1, 6)}
    )
    holiday_country: str | None = "ID"  # public holidays from the `holidays` package; None: none
    # Edits over the package's list: ISO date -> name (added), or None (removed).
    holiday_overrides: dict[str, str | None] = field(default_factory=dict)
    # An import file past these is refused before it is parsed: it would hold the server's
    # memory (a 56 MB file took 860 MB) and the database's write lock for minutes.
    import_max_megabytes: int = 20
    import_max_rows: int = 100_000
    # How often the business dashboard's live figures refresh themselves, in seconds.
    dashboard_refresh_seconds: int = 60


@dataclass(frozen=True)
class ValueSettings:
    """How customer value is measured; every figure on the value panel depends on these."""

    top_profit_share: float = 0.5  # Most Valuable: the customers making the top 50% of profit
    cost_per_ticket: float = 25_000.0  # support effort per ticket, in the currency
    cost_per_interaction: float = 5_000.0  # staff effort per touchpoint
    clv_horizon_days: int = 365
    discount_rate_annual: float = 0.10
    churn_window_days: int = 90
    # The currency is the team's (TeamSettings.currency); rows saved with one here still read.


def stored_value(session: Session, key: str) -> dict[str, Any]:
    """The row's JSON as saved (empty when the row was never saved)."""
    return session.scalar(select(Setting.value).where(Setting.key == key)) or {}


def _over_defaults(kind: type[Stored], stored: dict[str, Any]) -> Stored:
    """The stored values over the defaults (unknown keys are ignored, missing ones fall back)."""
    known = {f.name for f in fields(kind)}  # type: ignore[arg-type]  # kind is a dataclass
    return kind(**{k: v for k, v in stored.items() if k in known})


def team_settings(session: Session) -> TeamSettings:
    stored = stored_value(session, TEAM_KEY)
    if "currency" not in stored:
        # Before team settings, the currency was kept with the value settings.
        legacy = stored_value(session, VALUE_KEY).get("currency")
        stored = {**stored, **({"currency": legacy} if legacy else {})}
    return _over_defaults(TeamSettings, stored)


def value_settings(session: Session) -> ValueSettings:
    return _over_defaults(ValueSettings, stored_value(session, VALUE_KEY))


def as_dict(settings: TeamSettings | ValueSettings) -> dict[str, Any]:
    return asdict(settings)
