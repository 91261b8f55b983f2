"""The service dashboard's figures over a period: backlog, created vs resolved per day, first
response and resolution times in working hours (median, 90th percentile), SLA attainment and
CSAT, by agent, category, channel and tier; and the SLA what-if replay of past tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.analytics.staffing import staffing_grid
from crm_core.kernel.calendar import open_hours
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.kernel.settings import TeamSettings
from crm_core.models import Ticket, TicketEvent, User
from crm_core.models.enums import Entity, Priority, TicketEventKind, TicketStatus
from crm_core.service.routing import agents
from crm_core.service.sla import Policy, SlaPolicy, Target, WorkingClock, as_policy

E = Entity.TICKET
HOUR = 3600.0
_STOPPED = {TicketStatus.PENDING.value, TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value}
COLUMNS = [
    "id",
    "customer_id",
    "created_at",
    "first_response_at",
    "first_response_due",
    "resolved_at",
    "resolution_due",
    "priority",
    "category",
    "channel",
    "agent",
    "csat",
    "status",
    "customer_tier",
]


def tickets_frame(
    session: Session, actor: Actor, start: datetime, end: datetime, tiers: pd.Series | None = None
) -> pd.DataFrame:
    """Tickets created in [start, end) that the actor may read, with the working hours to
    their first response (`frt_hours`) and resolution (`resolution_hours`), and whether each
    clock met its due time (`fr_met`, `res_met`: None while undecided)."""
    stmt = (
        select(
            Ticket.id,
            Ticket.customer_id,
            Ticket.created_at,
            Ticket.first_response_at,
            Ticket.first_response_due,
            Ticket.resolved_at,
            Ticket.resolution_due,
            Ticket.priority,
            Ticket.category,
            Ticket.channel,
            func.coalesce(User.name, "").label("agent"),
            Ticket.csat,
            Ticket.status,
            Ticket.customer_tier,
        )
        .outerjoin(User, User.id == Ticket.assignee_id)
        .where(
            Ticket.created_at >= start,
            Ticket.created_at < end,
            Ticket.deleted_at.is_(None),
            read_filter(actor, E, Ticket.assignee_id),
        )
    )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=COLUMNS)
    for column in ("priority", "category", "channel", "status"):
        frame[column] = frame[column].map(str)
    for column in (
        "created_at",
        "first_response_at",
        "first_response_due",
        "resolved_at",
        "resolution_due",
    ):
        frame[column] = pd.to_datetime(frame[column])
    frame["tier"] = frame["customer_id"].map(tiers) if tiers is not None else None
    return frame


@dataclass(frozen=True)
class ServiceFigures:
    created: int
    resolved: int
    backlog: int  # open at the end of the period (of those the actor may read)
    frt_median_hours: float | None
    frt_p90_hours: float | None
    resolution_median_hours: float | None
    resolution_p90_hours: float | None
    sla_attainment: float | None  # share of decided tickets that met both targets
    csat_average: float | None
    per_day: pd.DataFrame  # day, created, resolved


def with_times(frame: pd.DataFrame, settings: TeamSettings, now: datetime) -> pd.DataFrame:
    """The frame with working hours to first response and resolution, and the met flags."""
    out = frame.copy()
    if out.empty:
        for column in ("frt_hours", "resolution_hours", "fr_met", "res_met", "met"):
            out[column] = pd.Series(dtype="float64")
        return out
    first = out["created_at"].min().date()
    # NaT when nothing is answered or resolved yet (a max() with NaT keeps whichever is first)
    answered = pd.concat([out["resolved_at"], out["first_response_at"]]).dropna()
    last = max([pd.Timestamp(now), *answered.nlargest(1)]).date()
    clock = WorkingClock(settings, first, last)
    out["frt_hours"] = clock.between(out["created_at"], out["first_response_at"]) / HOUR
    out["resolution_hours"] = clock.between(out["created_at"], out["resolved_at"]) / HOUR
    stamp = pd.Timestamp(now)
    out["fr_met"] = _met(out["first_response_at"], out["first_response_due"], stamp)
    out["res_met"] = _met(out["resolved_at"], out["resolution_due"], stamp)
    decided = out["fr_met"].notna() & out["res_met"].notna()
    both = out["fr_met"].astype("boolean") & out["res_met"].astype("boolean")
    out["met"] = both.where(decided)
    return out


def _met(done: pd.Series, due: pd.Series, now: pd.Timestamp) -> pd.Series:
    """True: done by its due time; False: done late, or not done and past due; NA: running."""
    met = pd.Series(pd.NA, index=done.index, dtype="boolean")
    met[done.notna()] = (done <= due)[done.notna()]
    met[done.isna() & due.notna() & (due < now)] = False
    return met


def service_figures(
    session: Session,
    actor: Actor,
    settings: TeamSettings,
    start: datetime,
    end: datetime,
    tiers: pd.Series | None = None,
) -> tuple[ServiceFigures, pd.DataFrame]:
    """The period's figures and the ticket frame they come from (for the breakdowns)."""
    frame = with_times(tickets_frame(session, actor, start, end, tiers), settings, end)
    resolved_in = session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.resolved_at >= start,
            Ticket.resolved_at < end,
            Ticket.deleted_at.is_(None),
            read_filter(actor, E, Ticket.assignee_id),
        )
    )
    backlog = session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.status.in_([s for s in TicketStatus if s.is_open]),
            Ticket.created_at < end,
            Ticket.deleted_at.is_(None),
            read_filter(actor, E, Ticket.assignee_id),
        )
    )
    figures = ServiceFigures(
        created=len(frame),
        resolved=int(resolved_in or 0),
        backlog=int(backlog or 0),
        frt_median_hours=_q(frame["frt_hours"], 0.5),
        frt_p90_hours=_q(frame["frt_hours"], 0.9),
        resolution_median_hours=_q(frame["resolution_hours"], 0.5),
        resolution_p90_hours=_q(frame["resolution_hours"], 0.9),
        sla_attainment=_mean(frame["met"]),
        csat_average=_mean(frame["csat"]),
        per_day=per_day(session, actor, settings, start, end),
    )
    return figures, frame


def _q(values: pd.Series, q: float) -> float | None:
    clean = values.dropna()
    return None if clean.empty else float(np.quantile(clean.astype("float64"), q))


def _mean(values: pd.Series) -> float | None:
    clean = values.dropna()
    return None if clean.empty else float(clean.astype("float64").mean())


def breakdown(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per agent, category, channel or tier: tickets, median and 90th percentile of first
    response and resolution hours, SLA attainment and CSAT average, most tickets first."""
    if frame.empty:
        return pd.DataFrame(
            columns=[
                by,
                "tickets",
                "frt_median",
                "frt_p90",
                "resolution_median",
                "resolution_p90",
                "sla_attainment",
                "csat",
            ]
        )
    work = frame.assign(met=frame["met"].astype("float64"), csat=frame["csat"].astype("float64"))
    grouped = work.groupby(by, dropna=False)
    out = pd.DataFrame(
        {
            "tickets": grouped.size(),
            "frt_median": grouped["frt_hours"].median(),
            "frt_p90": grouped["frt_hours"].quantile(0.9),
            "resolution_median": grouped["resolution_hours"].median(),
            "resolution_p90": grouped["resolution_hours"].quantile(0.9),
            "sla_attainment": grouped["met"].mean(),
            "csat": grouped["csat"].mean(),
        }
    )
    return out.reset_index().sort_values(["tickets", by], ascending=[False, True])


def per_day(
    session: Session, actor: Actor, settings: TeamSettings, start: datetime, end: datetime
) -> pd.DataFrame:
    """Tickets created and resolved on each day of the period, in the team's time zone."""
    zone = ZoneInfo(settings.time_zone)
    scope = read_filter(actor, E, Ticket.assignee_id)
    created = session.scalars(
        select(Ticket.created_at).where(
            Ticket.created_at >= start, Ticket.created_at < end, Ticket.deleted_at.is_(None), scope
        )
    ).all()
    resolved = session.scalars(
        select(Ticket.resolved_at).where(
            Ticket.resolved_at >= start,
            Ticket.resolved_at < end,
            Ticket.deleted_at.is_(None),
            scope,
        )
    ).all()

    def days(moments: list[datetime | None]) -> pd.Series:
        stamps = pd.to_datetime(pd.Series(moments, dtype="datetime64[ns]"))
        local = stamps.dt.tz_localize("UTC").dt.tz_convert(zone).dt.date
        return local.value_counts()

    first = pd.Timestamp(start).tz_localize("UTC").tz_convert(zone).date()
    last = (pd.Timestamp(end) - pd.Timedelta(seconds=1)).tz_localize("UTC").tz_convert(zone).date()
    index = pd.Index(
        [first + timedelta(days=i) for i in range((last - first).days + 1)], name="day"
    )
    return pd.DataFrame(
        {
            "created": days(list(created)).reindex(index, fill_value=0),
            "resolved": days(list(resolved)).reindex(index, fill_value=0),
        }
    ).reset_index()


def hourly_heatmap(frame: pd.DataFrame, settings: TeamSettings) -> pd.DataFrame:
    """Tickets created per local weekday (1 = Monday) and hour: rows weekdays, columns 0-23."""
    local = frame["created_at"].dt.tz_localize("UTC").dt.tz_convert(settings.time_zone)
    counts = pd.crosstab(local.dt.isocalendar().day, local.dt.hour)
    return counts.reindex(index=range(1, 8), columns=range(24), fill_value=0)


# --- the what-if replay ---


@dataclass(frozen=True)
class WhatIf:
    """Breach shares of past tickets of one priority, replayed under the current targets and
    under the changed ones (each clock decided: answered or resolved)."""

    tickets: int
    first_response_now: float | None
    first_response_then: float | None
    resolution_now: float | None
    resolution_then: float | None


def what_if(
    session: Session,
    frame: pd.DataFrame,
    settings: TeamSettings,
    policy: Policy | SlaPolicy,
    priority: Priority,
    changed: Target,
    tier: str | None = None,
) -> WhatIf:
    """Replay the frame's tickets of `priority` (from `tickets_frame`; with `tier`, only those
    of customers of that tier when they were created): the working time each took to its
    first response, and to its resolution less its paused working time, against the target it
    follows today (its tier's own, or the default) and under the change. The change is to
    `tier`'s own target, or (no tier) to the default, which the tickets of a tier with its own
    target for this priority do not follow: they keep theirs."""
    rules = as_policy(policy)
    chosen = frame[frame["priority"] == priority.value]
    if tier is not None:
        chosen = chosen[chosen["customer_tier"] == tier]
    if chosen.empty:
        return WhatIf(0, None, None, None, None)
    first = chosen["created_at"].min().date()
    last = pd.concat([chosen["resolved_at"], chosen["first_response_at"]]).max()
    last = chosen["created_at"].max() if pd.isna(last) else max(last, chosen["created_at"].max())
    clock = WorkingClock(settings, first, last.date())
    frt = pd.Series(
        clock.between(chosen["created_at"], chosen["first_response_at"]), index=chosen.index
    )
    took = pd.Series(clock.between(chosen["created_at"], chosen["resolved_at"]), index=chosen.index)
    took = (
        took
        - paused_seconds(session, chosen["id"].tolist(), clock)
        .reindex(chosen["id"])
        .fillna(0.0)
        .to_numpy()
    )
    tiers = [None if pd.isna(v) else str(v) for v in chosen["customer_tier"]]
    now = [rules.target(priority, v) for v in tiers]
    then = [changed if tier is not None or not rules.has_own(priority, v) else n
            for v, n in zip(tiers, now, strict=True)]  # fmt: skip

    def share(seconds: pd.Series, targets: list[Target], first: bool) -> float | None:
        limits = [
            60 * (t.first_response_minutes if first else t.resolution_minutes) for t in targets
        ]
        allowed = pd.Series(limits, index=seconds.index, dtype="float64")
        decided = seconds.notna()
        return None if not decided.any() else float((seconds > allowed)[decided].mean())

    return WhatIf(
        len(chosen),
        share(frt, now, True),
        share(frt, then, True),
        share(took, now, False),
        share(took, then, False),
    )


def paused_seconds(session: Session, ticket_ids: list[int], clock: WorkingClock) -> pd.Series:
    """Per ticket: working seconds spent with the clock stopped (Pending, or resolved and then
    reopened) before it was last resolved."""
    rows: list[Any] = []
    for chunk in range(0, len(ticket_ids), 500):
        part = ticket_ids[chunk : chunk + 500]
        rows += session.execute(
            select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.to_value)
            .where(TicketEvent.ticket_id.in_(part), TicketEvent.kind == TicketEventKind.STATUS)
            .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)
        ).all()
    events = pd.DataFrame(rows, columns=["ticket_id", "at", "to_value"])
    if events.empty:
        return pd.Series(dtype="float64")
    events["stopped"] = events["to_value"].isin(_STOPPED)
    before = events.groupby("ticket_id")["stopped"].shift(1, fill_value=False).astype(bool)
    starts = events[events["stopped"] & ~before]
    ends = events[~events["stopped"] & before]
    # The k-th stop of a ticket pairs with its k-th resumption; a last stop never resumed is
    # the resolution itself.
    starts = starts.assign(k=starts.groupby("ticket_id").cumcount())
    ends = ends.assign(k=ends.groupby("ticket_id").cumcount())
    spans = starts.merge(ends, on=["ticket_id", "k"], suffixes=("", "_end"))
    if spans.empty:
        return pd.Series(dtype="float64")
    seconds = clock.between(pd.to_datetime(spans["at"]), pd.to_datetime(spans["at_end"]))
    return pd.Series(seconds, index=spans.index).groupby(spans["ticket_id"]).sum()


# --- staffing: agents needed per hour (Erlang C) beside the agents rostered ---


def arrivals_per_hour(
    frame: pd.DataFrame, settings: TeamSettings, start: datetime, end: datetime
) -> pd.DataFrame:
    """Mean tickets created per weekday (1 = Monday) and hour: the heatmap's counts over the
    number of such weekdays in the period (local days)."""
    counts = hourly_heatmap(frame, settings).astype("float64")
    zone = ZoneInfo(settings.time_zone)
    first = pd.Timestamp(start).tz_localize("UTC").tz_convert(zone).date()
    last = (pd.Timestamp(end) - pd.Timedelta(seconds=1)).tz_localize("UTC").tz_convert(zone).date()
    days = pd.Series(pd.date_range(first, last, freq="D")).dt.isocalendar().day.value_counts()
    per_day = days.reindex(counts.index).fillna(0).astype("float64")
    return counts.div(per_day.where(per_day > 0), axis=0).fillna(0.0)


def rostered(session: Session, settings: TeamSettings) -> pd.DataFrame:
    """Active agents on duty per weekday and hour: every agent in the team's open hours (an
    hour counts when it is open for all of its 60 minutes or part of them)."""
    count = len(agents(session))
    grid = pd.DataFrame(0, index=range(1, 8), columns=range(24), dtype="int64")
    for day, (opens, closes) in open_hours(settings).items():
        for hour in range(24):
            start_min, end_min = opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute
            if start_min < (hour + 1) * 60 and end_min > hour * 60:
                grid.loc[day, hour] = count
    return grid


def staffing(
    session: Session,
    frame: pd.DataFrame,
    settings: TeamSettings,
    start: datetime,
    end: datetime,
    handle_minutes: float,
    target_minutes: float,
    share: float = 0.8,
) -> pd.DataFrame:
    """Per weekday and hour with tickets or agents: mean tickets an hour, agents needed to
    answer `share` of them within the target (Erlang C), agents rostered, and the gap."""
    rate = arrivals_per_hour(frame, settings, start, end)
    needed = staffing_grid(rate, handle_minutes, target_minutes, share)
    on_duty = rostered(session, settings)
    out = pd.DataFrame(
        {
            "tickets_per_hour": rate.stack(),
            "needed": needed.stack(),
            "rostered": on_duty.stack(),
        }
    )
    out.index.names = ["weekday", "hour"]
    out = out[(out["tickets_per_hour"] > 0) | (out["rostered"] > 0)].reset_index()
    out["gap"] = out["rostered"] - out["needed"]
    return out
