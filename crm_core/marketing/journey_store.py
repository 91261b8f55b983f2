"""The customer journey (cohorts, churn per month, lost customers) as the full value refresh
stores it: computed once a day for every customer, read by every Segments page run of a
reader who may read every customer (any other reader's is computed for them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from crm_core.customers import read as customers_read
from crm_core.kernel.hooks import RefreshFigure
from crm_core.kernel.permissions import Action, Actor, Scope, scope
from crm_core.kernel.settings import ValueSettings
from crm_core.marketing.cohorts import Journey, customer_journey
from crm_core.models.enums import Entity

NAME = "marketing.journey"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    # NaN (a month with no one active) as JSON null, numbers as plain Python numbers
    return [
        {str(k): (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


def to_json(journey: Journey) -> dict[str, Any]:
    return {
        "cohorts": _records(journey.cohorts),
        "churn": _records(journey.churn),
        "lost": journey.lost,
        "lost_channels": {str(k): int(v) for k, v in journey.lost_channels.items()},
        "window_days": journey.window_days,
    }


def from_json(body: dict[str, Any], as_of: datetime) -> Journey:
    cohorts = pd.DataFrame(body["cohorts"], columns=["cohort", "month", "customers", "size",
                                                     "share"])  # fmt: skip
    churn = pd.DataFrame(body["churn"], columns=["month", "active", "churned", "rate"])
    churn["rate"] = churn["rate"].astype("float64")
    channels = pd.Series(body["lost_channels"], dtype="int64", name="count")
    channels.index.name = "last_touch_channel"
    return Journey(cohorts, churn, body["lost"], channels, as_of, int(body["window_days"]))


def _compute(session: Session, as_of: datetime, settings: ValueSettings) -> dict[str, Any]:
    return to_json(customer_journey(session, None, as_of, settings.churn_window_days))


JOURNEY = RefreshFigure(NAME, _compute)


def stored_journey(session: Session, actor: Actor, window_days: int) -> Journey | None:
    """The last full refresh's journey, when it holds for this reader: every customer is
    theirs to read, and it was computed with today's churn window. None: compute it."""
    if scope(actor, Entity.CUSTOMER, Action.READ) is not Scope.ALL:
        return None
    stored = customers_read.stored_figure(session, NAME)
    if stored is None or stored[1].get("window_days") != window_days:
        return None
    return from_json(stored[1], stored[0])
