"""Each role's home: a salesperson's open leads, an agent's open tickets, what is due today or
overdue, the at-risk customers they own and their month's figures against target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from crm_core.customers import read as customers_read
from crm_core.kernel.permissions import Action, Actor, Capability, allowed, may, sees_amounts
from crm_core.models.enums import Entity, LeadStage
from crm_core.overview.team import progress
from crm_core.sales import read as sales_read
from crm_core.service import read as service_read


@dataclass(frozen=True)
class Home:
    leads: pd.DataFrame  # id, name, stage, value, expected_close, due ("overdue", "today", "")
    tickets: pd.DataFrame  # id, subject, customer, priority, sla_state, next_due
    at_risk: pd.DataFrame  # the owned customers at high churn risk, riskiest first
    progress: pd.DataFrame  # this month's targets against what is done


def my_home(session: Session, actor: Actor, now: datetime, today: date) -> Home:
    """The signed-in person's own work (empty parts for what their role does not do)."""
    leads = pd.DataFrame(columns=["id", "name", "stage", "value", "expected_close", "due"])
    if allowed(actor, Entity.LEAD, Action.READ):
        leads = open_leads(session, actor, now, today)
    tickets = pd.DataFrame(columns=["id", "subject", "customer", "priority", "sla_state"])
    if may(actor, Capability.ANSWER_TICKETS):
        tickets = service_read.my_queue(session, actor, now)
    at_risk = customers_read.owned_values(session, [actor.id], high_risk_only=True)
    if not sees_amounts(actor, actor.id):
        at_risk = at_risk.drop(columns=["net_revenue", "profit"])
    return Home(leads, tickets, at_risk, progress(session, actor, today, now, actor.id))


def open_leads(session: Session, actor: Actor, now: datetime, today: date) -> pd.DataFrame:
    """The actor's own open leads, those closing earliest first; `due` says whether the
    expected close is past ("overdue") or today ("today")."""
    leads = sales_read.leads_alive(session, actor, now, now + timedelta(seconds=1))
    still = leads["stage"].isin([s.value for s in LeadStage if s.is_open])
    mine = leads[still & (leads["owner_id"] == actor.id).fillna(False).astype(bool)].copy()
    close = pd.to_datetime(mine["expected_close"])
    day, now_day = close.dt.normalize(), pd.Timestamp(today)  # a lead without a close: neither
    mine["due"] = ""
    mine.loc[day < now_day, "due"] = "overdue"
    mine.loc[day == now_day, "due"] = "today"
    mine = mine.assign(_close=close).sort_values(["_close", "id"], na_position="last")
    if not sees_amounts(actor, actor.id):
        mine["value"] = float("nan")
    return mine[["id", "name", "stage", "value", "expected_close", "due"]].reset_index(drop=True)
