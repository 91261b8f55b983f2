"""Team performance: each salesperson's and support agent's figures over a period, progress
against their monthly targets, the trend per month, and a salesperson's portfolio."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.customers import read as customers_read
from crm_core.kernel.calendar import local_midnight
from crm_core.kernel.frames import change_mark
from crm_core.kernel.permissions import Actor, Capability, roles_with, sees_amounts
from crm_core.kernel.settings import team_settings
from crm_core.models import CustomerValue, Interaction, Lead, Target, Ticket, User
from crm_core.models.enums import LeadStage
from crm_core.overview.targets import Metric, month_of, targets
from crm_core.sales import read as sales_read
from crm_core.service import read as service_read

HOUR = 3600.0
SALES_COLUMNS = ["user_id", "name", "leads_worked", "won", "lost", "win_rate", "revenue_won",
                 "average_cycle_days", "touchpoints"]  # fmt: skip
SUPPORT_COLUMNS = ["user_id", "name", "tickets_resolved", "first_response_hours",
                   "resolution_hours", "sla_attainment", "csat"]  # fmt: skip


@dataclass(frozen=True)
class Span:
    start: datetime  # naive UTC, inclusive
    end: datetime  # exclusive


def month_span(month: date, zone: str) -> Span:
    first = month_of(month)
    following = (first + timedelta(days=32)).replace(day=1)
    return Span(local_midnight(first, zone), local_midnight(following, zone))


SALES, SUPPORT = "sales", "support"  # the two teams the page shows
WORK = {SALES: Capability.WORK_LEADS, SUPPORT: Capability.ANSWER_TICKETS}


def people(session: Session, team: str) -> pd.DataFrame:
    """The active people of a team (those whose role has its capability): user_id, name."""
    roles = roles_with(WORK[team])
    rows = session.execute(
        select(User.id, User.name)
        .where(User.role.in_(roles), User.active)
        .order_by(User.name, User.id)
    ).all()
    return pd.DataFrame(rows, columns=["user_id", "name"])


def sales_performance(session: Session, actor: Actor, span: Span) -> pd.DataFrame:
    """Per active salesperson over the span: leads worked (a stage move in it), won and lost
    (closed in it), win rate (won of closed), revenue won (None where the actor may not read
    that person's amounts), average cycle (created to won, days), touchpoints logged."""
    leads = sales_read.leads_alive(session, actor, span.start, span.end)
    moves = sales_read.stage_moves(session, span.start, span.end)
    touches = customers_read.touchpoints_logged(session, span.start, span.end)
    return sales_figures(people(session, SALES), actor, span, leads, moves, touches)


def sales_figures(
    out: pd.DataFrame,
    actor: Actor,
    span: Span,
    leads: pd.DataFrame,
    moves: pd.DataFrame,
    touches: pd.Series,
) -> pd.DataFrame:
    """`sales_performance` over frames read for the span or a longer one (the trend reads six
    months once): `leads` alive in it, their stage `moves` and the `touches` per person."""
    out = out.copy()
    closed = leads[(leads["closed_at"] >= span.start) & (leads["closed_at"] < span.end)]
    won = closed[closed["stage"] == LeadStage.WON.value]
    lost = closed[closed["stage"] == LeadStage.LOST.value]
    moves = moves[(moves["changed_at"] >= span.start) & (moves["changed_at"] < span.end)]
    moves = moves[moves["lead_id"].isin(leads["id"])]
    cycle = (won["closed_at"] - won["created_at"]).dt.total_seconds() / 86400
    ids = out["user_id"]
    out["leads_worked"] = ids.map(moves.groupby("owner_id")["lead_id"].nunique()).fillna(0)
    out["won"] = ids.map(won.groupby("owner_id").size()).fillna(0).astype("int64")
    out["lost"] = ids.map(lost.groupby("owner_id").size()).fillna(0).astype("int64")
    decided = out["won"] + out["lost"]
    out["win_rate"] = (out["won"] / decided.replace(0, np.nan)).astype("float64")
    revenue = ids.map(won.groupby("owner_id")["value"].sum()).fillna(0.0)
    shown = ids.map(lambda i: sees_amounts(actor, int(i)))
    out["revenue_won"] = revenue.where(shown.astype(bool), np.nan)
    out["average_cycle_days"] = ids.map(cycle.groupby(won["owner_id"]).mean())
    out["touchpoints"] = ids.map(touches).fillna(0).astype("int64")
    out["leads_worked"] = out["leads_worked"].astype("int64")
    return out[SALES_COLUMNS]


def support_performance(session: Session, actor: Actor, span: Span, now: datetime) -> pd.DataFrame:
    """Per active support agent over the span: tickets resolved in it; of the tickets created
    in it, median working hours to first response and to resolution, SLA attainment (met both
    targets, of those decided) and average CSAT, as the service dashboard counts them."""
    return support_figures(people(session, SUPPORT), span, _tickets(session, actor, span, now))


def support_figures(out: pd.DataFrame, span: Span, alive: pd.DataFrame) -> pd.DataFrame:
    """`support_performance` over the tickets alive in the span or a longer one, with times."""
    out = out.copy()
    resolved = alive[(alive["resolved_at"] >= span.start) & (alive["resolved_at"] < span.end)]
    made = alive[(alive["created_at"] >= span.start) & (alive["created_at"] < span.end)]
    by = made.groupby("assignee_id")
    ids = out["user_id"]
    out["tickets_resolved"] = ids.map(resolved.groupby("assignee_id").size()).fillna(0)
    out["tickets_resolved"] = out["tickets_resolved"].astype("int64")
    out["first_response_hours"] = ids.map(by["frt_hours"].median())
    out["resolution_hours"] = ids.map(by["resolution_hours"].median())
    out["sla_attainment"] = ids.map(by["met"].apply(lambda m: m.dropna().astype(float).mean()))
    out["csat"] = ids.map(by["csat"].apply(lambda c: c.dropna().astype(float).mean()))
    for column in SUPPORT_COLUMNS[3:]:
        out[column] = out[column].astype("float64")
    return out[SUPPORT_COLUMNS]


def _tickets(session: Session, actor: Actor, span: Span, now: datetime) -> pd.DataFrame:
    """The tickets alive in the span with their working hours and SLA outcome."""
    frame = service_read.tickets_alive(session, actor, span.start, span.end)
    return service_read.with_times(frame, team_settings(session), now)


# What each target's metric is measured by: (performance column, role).
ACTUAL = {
    Metric.REVENUE_WON: "revenue_won",
    Metric.LEADS_WON: "won",
    Metric.TICKETS_RESOLVED: "tickets_resolved",
    Metric.SLA_ATTAINMENT: "sla_attainment",
    Metric.CSAT: "csat",
}


def progress(
    session: Session,
    actor: Actor,
    month: date,
    now: datetime,
    user_id: int | None = None,
    done: dict[int, dict[str, Any]] | None = None,
) -> pd.DataFrame:
    """The month's targets (of one person when `user_id` is given) against what was done so
    far: user_id, name, role, metric, target, actual, share (actual / target), version."""
    span = month_span(month, team_settings(session).time_zone)
    set_ = targets(session, actor, month)
    if user_id is not None:
        set_ = set_[set_["user_id"] == user_id]
    columns = ["user_id", "name", "role", "metric", "target", "actual", "share", "version"]
    if set_.empty:
        return pd.DataFrame(columns=columns)
    done = _performance(session, actor, span, now) if done is None else done
    rows: list[list[Any]] = []
    for target in set_.to_dict("records"):
        person = done.get(int(target["user_id"]))
        if person is None:
            continue
        actual = _number(person.get(ACTUAL[Metric(str(target["metric"]))]))
        goal = float(target["value"])
        share = None if actual is None or not goal else actual / goal
        who, metric = int(target["user_id"]), str(target["metric"])
        row = [who, person["name"], person["role"], metric, goal, actual, share]
        rows.append([*row, int(target["version"])])
    return pd.DataFrame(rows, columns=columns)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _performance(
    session: Session, actor: Actor, span: Span, now: datetime
) -> dict[int, dict[str, Any]]:
    sales = sales_performance(session, actor, span)
    return by_person(sales, support_performance(session, actor, span, now))


def by_person(sales: pd.DataFrame, support: pd.DataFrame) -> dict[int, dict[str, Any]]:
    """Each person's row of the sales or support figures, with their team as `role`."""
    found: dict[int, dict[str, Any]] = {}
    for kind, frame in ((SALES, sales), (SUPPORT, support)):
        for row in frame.to_dict("records"):
            found[int(row["user_id"])] = {str(k): v for k, v in row.items()} | {"role": kind}
    return found


@dataclass(frozen=True)
class TeamFigures:
    """Everything the Team page shows for a month, read in one go."""

    sales: pd.DataFrame
    support: pd.DataFrame
    progress: pd.DataFrame
    trend: pd.DataFrame
    portfolio: pd.DataFrame


def team_figures(
    session: Session, actor: Actor, month: date, now: datetime, months: int
) -> TeamFigures:
    """The month's figures per person, their progress against target, the trend of the
    `months` up to it and the portfolio; the month's figures computed once for all three."""
    span = month_span(month, team_settings(session).time_zone)
    sales = sales_performance(session, actor, span)
    support = support_performance(session, actor, span, now)
    done = by_person(sales, support)
    return TeamFigures(
        sales,
        support,
        progress(session, actor, month, now, done=done),
        monthly_trend(session, actor, month, months, now),
        portfolio(session, actor),
    )


def mark(session: Session) -> tuple[Any, ...]:
    """A cheap mark of what the Team page counts: leads (a stage move saves its lead),
    tickets, touchpoints, targets, people and the stored value figures' last refresh."""
    refreshed = session.scalar(select(func.max(CustomerValue.computed_at)))
    return (*change_mark(session, Lead, Ticket, Interaction, Target, User), str(refreshed))


def monthly_trend(
    session: Session, actor: Actor, last_month: date, months: int, now: datetime
) -> pd.DataFrame:
    """Per month (the `months` up to `last_month`) and person: month, user_id, name, role and
    the month's main figures (won, revenue_won, tickets_resolved, sla_attainment, csat). The
    leads and tickets of all the months are read once, then counted month by month."""
    zone = team_settings(session).time_zone
    first = month_of(last_month)
    spans = [(m, month_span(m, zone)) for m in
             (_months_before(first, back) for back in range(months - 1, -1, -1))]  # fmt: skip
    whole = Span(spans[0][1].start, spans[-1][1].end)
    leads = sales_read.leads_alive(session, actor, whole.start, whole.end)
    tickets = _tickets(session, actor, whole, now)
    sellers, agents = people(session, SALES), people(session, SUPPORT)
    no_moves = pd.DataFrame(
        {"lead_id": [], "owner_id": [], "changed_at": pd.Series([], dtype="datetime64[ns]")}
    )
    no_touches = pd.Series(dtype="int64")
    frames = []
    for month, span in spans:
        sales = sales_figures(sellers, actor, span, leads, no_moves, no_touches)
        support = support_figures(agents, span, tickets)
        frames += [sales[["user_id", "name", "won", "revenue_won"]].assign(month=month, role=SALES),
                   support[["user_id", "name", "tickets_resolved", "sla_attainment", "csat"]]
                   .assign(month=month, role=SUPPORT)]  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _months_before(month: date, count: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 - count, 12)
    return date(year, index + 1, 1)


PORTFOLIO_PAGE = 100  # customers per page of a salesperson's portfolio

PORTFOLIO_COLUMNS = ["user_id", "name", "customers", "net_revenue", "profit", "at_risk"]


def portfolio(session: Session, actor: Actor) -> pd.DataFrame:
    """Per active salesperson: customers owned (those with stored value figures), their net
    revenue and profit (None where the actor may not read them), and how many are at high
    churn risk. Read from the stored value table, never recomputed."""
    out = people(session, SALES)
    owned = customers_read.owned_totals(session, out["user_id"].tolist()).set_index("owner_id")
    ids = out["user_id"]
    out["customers"] = ids.map(owned["customers"]).fillna(0).astype("int64")
    shown = ids.map(lambda i: sees_amounts(actor, int(i))).astype(bool)
    for money in ("net_revenue", "profit"):
        out[money] = ids.map(owned[money]).fillna(0.0).where(shown, np.nan)
    out["at_risk"] = ids.map(owned["at_risk"]).fillna(0).astype("int64")
    return out[PORTFOLIO_COLUMNS]


def portfolio_customers(
    session: Session, actor: Actor, owner_id: int, page: int = 0
) -> pd.DataFrame:
    """A page (from 0, PORTFOLIO_PAGE rows) of one person's customers, riskiest first, with
    their stored value and churn risk (amounts None where the actor may not read them)."""
    owned = customers_read.owned_values(session, [owner_id], page=page, size=PORTFOLIO_PAGE)
    if not sees_amounts(actor, owner_id):
        owned[["net_revenue", "profit"]] = np.nan
    return owned
