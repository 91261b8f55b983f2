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
from sqlalchemy import String, func, or_, select, tuple_, type_coerce
from sqlalchemy.orm import Session, aliased

from crm_core.analytics.staffing import staffing_grid
from crm_core.kernel.calendar import open_hours
from crm_core.kernel.frames import change_mark, core_frame, driver_frame
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.kernel.settings import TeamSettings
from crm_core.models import CustomerValue, Ticket, TicketEvent, User
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
_TIMES = ["created_at", "first_response_at", "first_response_due", "resolved_at", "resolution_due"]


def _text(column: Any) -> Any:
    """A column read as its stored text: no enum or datetime made per value (at a year of
    tickets that cost more than the query); pandas parses the times at once."""
    return type_coerce(column, String)


def _times(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="ISO8601").astype("datetime64[us]")


def tickets_frame(
    session: Session,
    actor: Actor,
    start: datetime,
    end: datetime,
    tiers: pd.Series | None = None,
    *,
    stored_tiers: bool = False,
) -> pd.DataFrame:
    """Tickets created in [start, end) that the actor may read, with each customer's `tier`
    from `tiers` (customer id -> tier) or, with `stored_tiers`, from the stored value table
    in the same query (the pages read it so: loading every customer's stored figures for
    the tier column took seconds at 100,000 customers)."""
    stmt = (
        select(
            Ticket.id,
            Ticket.customer_id,
            *[_text(getattr(Ticket, column)) for column in _TIMES],
            _text(Ticket.priority),
            _text(Ticket.category),
            _text(Ticket.channel),
            func.coalesce(User.name, "").label("agent"),
            Ticket.csat,
            _text(Ticket.status),
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
    columns = COLUMNS
    if stored_tiers:
        stmt = stmt.add_columns(CustomerValue.value_tier).outerjoin(
            CustomerValue, CustomerValue.customer_id == Ticket.customer_id
        )
        columns = [*COLUMNS, "tier"]
    frame = core_frame(session, stmt, columns)
    for column in ("priority", "category", "channel", "status"):
        frame[column] = frame[column].map(str)
    for column in _TIMES:
        frame[column] = _times(frame[column])
    if not stored_tiers:
        frame["tier"] = frame["customer_id"].map(tiers) if tiers is not None else None
    return frame


def tickets_mark(session: Session) -> tuple[Any, ...]:
    """A cheap mark of the tickets' state (two index reads): any ticket saved moves it (a
    reply, a move, a rating each save their ticket), so figures kept by it are current."""
    return change_mark(session, Ticket)


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
    *,
    stored_tiers: bool = False,
) -> tuple[ServiceFigures, pd.DataFrame]:
    """The period's figures and the ticket frame they come from (for the breakdowns)."""
    tickets = tickets_frame(session, actor, start, end, tiers, stored_tiers=stored_tiers)
    frame = with_times(tickets, settings, end)
    resolved_in = _resolved_at(session, actor, start, end)
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
        resolved=len(resolved_in),
        backlog=int(backlog or 0),
        frt_median_hours=_q(frame["frt_hours"], 0.5),
        frt_p90_hours=_q(frame["frt_hours"], 0.9),
        resolution_median_hours=_q(frame["resolution_hours"], 0.5),
        resolution_p90_hours=_q(frame["resolution_hours"], 0.9),
        sla_attainment=_mean(frame["met"]),
        csat_average=_mean(frame["csat"]),
        per_day=_per_day(settings, start, end, frame["created_at"], resolved_in),
    )
    return figures, frame


def _resolved_at(session: Session, actor: Actor, start: datetime, end: datetime) -> pd.Series:
    """When each ticket resolved in [start, end) that the actor may read was resolved."""
    stmt = select(_text(Ticket.resolved_at)).where(
        Ticket.resolved_at >= start,
        Ticket.resolved_at < end,
        Ticket.deleted_at.is_(None),
        read_filter(actor, E, Ticket.assignee_id),
    )
    return _times(pd.Series(session.connection().execute(stmt).scalars().all(), dtype=object))


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
    frame = tickets_frame(session, actor, start, end)
    resolved = _resolved_at(session, actor, start, end)
    return _per_day(settings, start, end, frame["created_at"], resolved)


def _per_day(
    settings: TeamSettings, start: datetime, end: datetime, created: pd.Series, resolved: pd.Series
) -> pd.DataFrame:
    """The days' counts from the moments already read (the period's tickets and the times
    of those resolved in it): each was a query of its own before."""
    zone = ZoneInfo(settings.time_zone)

    def days(moments: pd.Series) -> pd.Series:
        stamps = moments.astype("datetime64[ns]")
        local = stamps.dt.tz_localize("UTC").dt.tz_convert(zone).dt.date
        return local.value_counts()

    first = pd.Timestamp(start).tz_localize("UTC").tz_convert(zone).date()
    last = (pd.Timestamp(end) - pd.Timedelta(seconds=1)).tz_localize("UTC").tz_convert(zone).date()
    index = pd.Index(
        [first + timedelta(days=i) for i in range((last - first).days + 1)], name="day"
    )
    return pd.DataFrame(
        {
            "created": days(created).reindex(index, fill_value=0),
            "resolved": days(resolved).reindex(index, fill_value=0),
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
    clock = _clock_for(chosen, settings)
    frt = pd.Series(
        clock.between(chosen["created_at"], chosen["first_response_at"]), index=chosen.index
    )
    took = pd.Series(clock.between(chosen["created_at"], chosen["resolved_at"]), index=chosen.index)
    paused = paused_seconds(session, chosen["id"].tolist(), clock, [priority.value])
    took = took - paused.reindex(chosen["id"]).fillna(0.0).to_numpy()
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


def _clock_for(frame: pd.DataFrame, settings: TeamSettings) -> WorkingClock:
    """The working clock over the frame's tickets, from the first created to the last moment
    answered or resolved."""
    last = pd.concat([frame["resolved_at"], frame["first_response_at"]]).max()
    last = frame["created_at"].max() if pd.isna(last) else max(last, frame["created_at"].max())
    return WorkingClock(settings, frame["created_at"].min().date(), last.date())


def paused_seconds(
    session: Session,
    ticket_ids: list[int],
    clock: WorkingClock,
    priorities: list[str] | None = None,
) -> pd.Series:
    """Per ticket: working seconds spent with the clock stopped (Pending, or resolved and then
    reopened) before it was last resolved. `priorities`: those of the tickets, when known."""
    spans = _resumed_stops(session, ticket_ids, priorities)
    if spans.empty:
        return pd.Series(dtype="float64")
    seconds = clock.between(spans["stopped_at"], spans["resumed_at"])
    return pd.Series(seconds, index=spans.index).groupby(spans["ticket_id"]).sum()


def _resumed_stops(
    session: Session, ticket_ids: list[int], priorities: list[str] | None
) -> pd.DataFrame:
    """Each stop of the tickets' clocks that resumed: (ticket_id, stopped_at, resumed_at). A
    resumption is a status event from a stopped status to a running one (every writer of the
    history, the write path, the import and the public form, records both); its stop began
    at the latest move from running to stopped before it; a stop never resumed is the
    resolution. The database finds the resumptions and looks each stop up by the events'
    (ticket, time) index: a year's status events of a priority read and paired in pandas took
    0.4-0.9 s a replay, the same pairing with window functions 1.0 s, this 0.3 s."""
    wanted = pd.Index(ticket_ids).unique()
    columns = ["ticket_id", "stopped_at", "resumed_at"]
    if wanted.empty:
        return pd.DataFrame(columns=columns)
    stops, stop = sorted(_STOPPED), aliased(TicketEvent)
    earlier = tuple_(stop.at, stop.id) < tuple_(TicketEvent.at, TicketEvent.id)  # in order
    began = (
        select(func.max(stop.at))
        .where(
            stop.ticket_id == TicketEvent.ticket_id,
            stop.kind == TicketEventKind.STATUS,
            stop.to_value.in_(stops),
            or_(stop.from_value.is_(None), stop.from_value.not_in(stops)),
            earlier,
        )
        .scalar_subquery()
    )
    stmt = select(TicketEvent.ticket_id, _text(began), _text(TicketEvent.at)).where(
        TicketEvent.kind == TicketEventKind.STATUS,
        TicketEvent.from_value.in_(stops),
        TicketEvent.to_value.not_in(stops),
        TicketEvent.ticket_id.between(int(wanted.min()), int(wanted.max())),
    )
    if priorities:
        stmt = stmt.join(Ticket, Ticket.id == TicketEvent.ticket_id).where(
            Ticket.priority.in_(priorities)
        )
    # Rendered with its values (ids and priorities, the code's own): prepared once a
    # statement has run five times, PostgreSQL's generic plan took 0.9 -> 1.8 s a replay.
    spans = driver_frame(session, stmt, columns)
    spans = spans[spans["ticket_id"].isin(wanted) & spans["stopped_at"].notna()]
    return spans.assign(
        stopped_at=_times(spans["stopped_at"]), resumed_at=_times(spans["resumed_at"])
    ).reset_index(drop=True)


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
