"""The ticket queues (My tickets, Unassigned, All open, At risk and breached), most urgent
first, with each ticket's SLA state counted in working hours; All tickets of a period,
resolved ones too, newest first, with whether each met its targets and its CSAT; and the
filters a queue takes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.kernel.calendar import local_days
from crm_core.kernel.lookups import active_users
from crm_core.kernel.permissions import Actor, read_filter
from crm_core.kernel.settings import TeamSettings
from crm_core.models import Customer, CustomerValue, Ticket, User
from crm_core.models.enums import Entity, Priority, TicketStatus
from crm_core.service.figures import with_times
from crm_core.service.sla import AT_RISK_SHARE, Policy, SlaPolicy, SlaState, WorkingClock, as_policy

_OPEN = [s for s in TicketStatus if s.is_open]
PERIOD_DAYS = 30  # All tickets without dates: the team's last 30 local days, today included
_PRIORITY_RANK = {p.value: i for i, p in enumerate(Priority)}


class Queue(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    OPEN = "open"
    AT_RISK = "at risk"
    ALL = "all"  # every ticket, resolved and closed too: a period's, with its outcome

    @property
    def open_only(self) -> bool:
        return self is not Queue.ALL


@dataclass(frozen=True)
class Filters:
    priorities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()  # value tiers; needs the tier of each customer
    search: str = ""
    region: str | None = None  # the customer's
    owner_id: int | None = None  # the customer's owner
    created: tuple[date, date] | None = None  # the team's local days, both included


_TIMES = [
    "created_at",
    "first_response_at",
    "first_response_due",
    "resolved_at",
    "resolution_due",
    "paused_at",
]
COLUMNS = [
    "id",
    "subject",
    "customer_id",
    "customer",
    "status",
    "priority",
    "category",
    "channel",
    "assignee_id",
    "assignee",
    *_TIMES,
    "customer_tier",
    "csat",
    "version",
]


def queue(
    session: Session,
    actor: Actor,
    which: Queue,
    settings: TeamSettings,
    policy: Policy | SlaPolicy,
    now: datetime,
    filters: Filters = Filters(),
    tiers: pd.Series | None = None,
    limit: int = 500,
    *,
    stored_tiers: bool = False,
) -> pd.DataFrame:
    """The queue's open tickets the actor may read, most urgent first: breached, then the
    nearest due time, then the higher priority; with `sla_state`, `next_due`, `working_left`
    (seconds, negative when overdue) and the customer's `tier` (when `tiers` is given, or
    with `stored_tiers` from the stored value table in the same query). Queue.ALL holds the
    resolved and closed ones too, every one (no limit), newest first, each with `met` (its
    targets, as the dashboards count SLA attainment; NA while running) and `sla_state` only
    while open; without dates, the tickets created in the last PERIOD_DAYS."""
    if not which.open_only and filters.created is None:
        filters = replace(filters, created=last_days(now, settings.time_zone))
    stmt = _filtered(_selected(actor, which), filters, settings.time_zone)
    if stored_tiers:  # not every customer's stored figures for the queue's few
        stmt = stmt.add_columns(CustomerValue.value_tier).outerjoin(
            CustomerValue, CustomerValue.customer_id == Ticket.customer_id
        )
    if not which.open_only:  # whole: its figures count every one; the page lists the newest
        stmt = stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc())
    frame = pd.DataFrame(
        session.execute(stmt).all(), columns=[*COLUMNS, "tier"] if stored_tiers else COLUMNS
    )
    for name in ("status", "priority", "category", "channel"):
        frame[name] = frame[name].map(str)
    if not stored_tiers:
        frame["tier"] = (
            frame["customer_id"].map(tiers) if tiers is not None else pd.Series(dtype="object")
        )
    if filters.tiers:
        frame = frame[frame["tier"].isin(filters.tiers)]
    if not which.open_only:
        return _with_outcomes(frame, settings, policy, now)
    return _most_urgent(with_states(frame, settings, policy, now), which, limit)


def filter_choices(session: Session) -> tuple[list[str], dict[int, str]]:
    """The region and owner filters' choices: the customers' regions, the active people by
    name (who may own a customer)."""
    # Imported here: customers.read reaches customers.value, which reads the tickets' figures
    # through service.read, which imports this module (value_store imported first failed).
    from crm_core.customers import read as customers_read

    return customers_read.regions(session), dict(active_users(session))


def last_days(now: datetime, zone: str, days: int = PERIOD_DAYS) -> tuple[date, date]:
    """The team's last `days` local days up to `now` (naive UTC), today included."""
    today = now.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()
    return today - timedelta(days=days - 1), today


def _selected(actor: Actor, which: Queue) -> Any:
    """The tickets of the queue the actor may read, with their customer and assignee."""
    stmt = (
        select(
            Ticket.id,
            Ticket.subject,
            Ticket.customer_id,
            Customer.name,
            Ticket.status,
            Ticket.priority,
            Ticket.category,
            Ticket.channel,
            Ticket.assignee_id,
            User.name,
            Ticket.created_at,
            Ticket.first_response_at,
            Ticket.first_response_due,
            Ticket.resolved_at,
            Ticket.resolution_due,
            Ticket.paused_at,
            Ticket.customer_tier,
            Ticket.csat,
            Ticket.version,
        )
        .join(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(User, User.id == Ticket.assignee_id)
        .where(
            Ticket.deleted_at.is_(None),
            read_filter(actor, Entity.TICKET, Ticket.assignee_id),
        )
    )
    if which.open_only:
        stmt = stmt.where(Ticket.status.in_(_OPEN))
    if which is Queue.MINE:
        stmt = stmt.where(Ticket.assignee_id == actor.id)
    elif which is Queue.UNASSIGNED:
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    return stmt


def _filtered(stmt: Any, filters: Filters, zone: str) -> Any:
    """The statement narrowed by the filters that SQL answers (all but the tier)."""
    chosen: tuple[str, ...]
    for column, chosen in (
        (Ticket.priority, filters.priorities),
        (Ticket.category, filters.categories),
        (Ticket.channel, filters.channels),
    ):
        if chosen:
            stmt = stmt.where(column.in_(list(chosen)))
    if filters.search:
        like = f"%{filters.search.lower()}%"
        stmt = stmt.where(Ticket.subject.ilike(like) | Customer.name.ilike(like))
    if filters.region is not None:
        stmt = stmt.where(Customer.region == filters.region)
    if filters.owner_id is not None:
        stmt = stmt.where(Customer.owner_id == filters.owner_id)
    if filters.created is not None:
        first, after = local_days(*filters.created, zone)
        stmt = stmt.where(Ticket.created_at >= first, Ticket.created_at < after)
    return stmt


def _with_outcomes(
    frame: pd.DataFrame, settings: TeamSettings, policy: Policy | SlaPolicy, now: datetime
) -> pd.DataFrame:
    """All tickets with `met` and, the open ones, their SLA state and time left."""
    out = frame.assign(**{column: pd.to_datetime(frame[column]) for column in _TIMES})
    open_rows = out["status"].isin([s.value for s in _OPEN])
    states = with_states(out[open_rows], settings, policy, now)
    for column in ("sla_state", "next_due", "working_left"):
        out[column] = states[column].reindex(out.index)
    return with_times(out, settings, now).reset_index(drop=True)


def _most_urgent(frame: pd.DataFrame, which: Queue, limit: int) -> pd.DataFrame:
    """The open queue's rows of `which`, breached first, then the nearest due, then priority."""
    if which is Queue.AT_RISK:
        wanted = frame["sla_state"].isin([SlaState.AT_RISK.value, SlaState.BREACHED.value])
        frame = frame[wanted]
    frame = frame.assign(_rank=frame["priority"].map(_PRIORITY_RANK))
    frame = frame.sort_values(
        ["_breached", "next_due", "_rank", "id"],
        ascending=[False, True, False, True],
        na_position="last",
    )
    return frame.drop(columns=["_rank", "_breached"]).head(limit).reset_index(drop=True)


def with_states(
    frame: pd.DataFrame, settings: TeamSettings, policy: Policy | SlaPolicy, now: datetime
) -> pd.DataFrame:
    """The tickets with their SLA state at `now`, the running clock's due time and its
    working time left; the same rules as `sla.ticket_state`, for many tickets at once (each
    against its priority's target for its `customer_tier`, when the frame has one)."""
    out = frame.copy()
    if out.empty:
        for column in ("sla_state", "next_due", "working_left", "_breached"):
            out[column] = pd.Series(dtype="object")
        return out
    for column in _TIMES:
        out[column] = pd.to_datetime(out[column])
    stamp = pd.Timestamp(now)
    moments = pd.concat([out[c] for c in _TIMES]).dropna()
    first = min(moments.min(), stamp).date() - timedelta(days=1)
    last = max(moments.max(), stamp).date() + timedelta(days=1)
    clock = WorkingClock(settings, first, last)
    fr_target, res_target = _targets(out, as_policy(policy))
    at_now = pd.Series(stamp, index=out.index)
    fr_state = _clock(clock, at_now, out["first_response_due"], fr_target)
    answered = out["first_response_at"].notna()
    fr_late = answered & (out["first_response_at"] > out["first_response_due"])
    fr_state = np.where(answered, np.where(fr_late, "breached", "on time"), fr_state)
    paused = out["paused_at"].notna()
    held_at = out["paused_at"].where(paused, at_now)
    res_state = _clock(clock, held_at, out["resolution_due"], res_target)
    res_state = np.where(paused & (res_state == "on time"), SlaState.PAUSED.value, res_state)
    order = {
        s.value: i
        for i, s in enumerate(
            (SlaState.ON_TIME, SlaState.PAUSED, SlaState.AT_RISK, SlaState.BREACHED)
        )
    }
    worse = np.maximum(
        pd.Series(fr_state).map(order).to_numpy(), pd.Series(res_state).map(order).to_numpy()
    )
    names = {i: s for s, i in order.items()}
    out["sla_state"] = pd.Series(worse, index=out.index).map(names)
    out["next_due"] = out["first_response_due"].where(~answered, out["resolution_due"])
    out.loc[paused & answered, "next_due"] = pd.NaT  # the clock stands still
    left = clock.elapsed(out["next_due"].fillna(stamp)) - clock.elapsed(at_now)
    out["working_left"] = np.where(out["next_due"].isna(), np.nan, left)
    out["_breached"] = out["sla_state"] == SlaState.BREACHED.value
    return out


def _targets(frame: pd.DataFrame, policy: SlaPolicy) -> tuple[pd.Series, pd.Series]:
    """Each ticket's first-response and resolution targets in seconds: its priority's
    default, then a tier's own target over the rows of that tier and priority."""
    first = (
        frame["priority"]
        .map({p.value: t.first_response_minutes * 60.0 for p, t in policy.defaults.items()})
        .astype("float64")
    )
    resolution = (
        frame["priority"]
        .map({p.value: t.resolution_minutes * 60.0 for p, t in policy.defaults.items()})
        .astype("float64")
    )
    if "customer_tier" not in frame:
        return first, resolution
    for tier, own in policy.tiers.items():
        of_tier = frame["customer_tier"] == tier
        for priority, target in own.items():
            rows = of_tier & (frame["priority"] == priority.value)
            first[rows] = target.first_response_minutes * 60.0
            resolution[rows] = target.resolution_minutes * 60.0
    return first, resolution  # fmt: skip


def _clock(clock: WorkingClock, at: pd.Series, due: pd.Series, target: pd.Series) -> Any:
    """State of one running clock per row, at `at`: breached past due, at risk under 20 %."""
    left = clock.elapsed(due.fillna(at)) - clock.elapsed(at)
    late = due.notna() & (at > due)
    risky = due.notna() & (left < AT_RISK_SHARE * target)
    return np.where(late, "breached", np.where(risky, "at risk", "on time"))


def counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many of a queue's tickets are in each SLA state."""
    found = frame["sla_state"].value_counts() if not frame.empty else pd.Series(dtype="int64")
    return {s.value: int(found.get(s.value, 0)) for s in SlaState}


@dataclass(frozen=True)
class Outcomes:
    """All tickets of a period at a glance, as the dashboards count them."""

    tickets: int
    resolved: int
    sla_attainment: float | None  # met of the decided ones (met or missed)
    csat: float | None  # the mean of the ratings given


def outcomes(frame: pd.DataFrame) -> Outcomes:
    """The All tickets queue's figures: its tickets, the resolved ones, SLA attainment and
    CSAT (None when nothing is decided or rated)."""
    if frame.empty:
        return Outcomes(0, 0, None, None)
    met = frame["met"].dropna().astype("float64")
    rated = pd.to_numeric(frame["csat"], errors="coerce").dropna()
    return Outcomes(
        tickets=len(frame),
        resolved=int(frame["resolved_at"].notna().sum()),
        sla_attainment=float(met.mean()) if len(met) else None,
        csat=float(rated.mean()) if len(rated) else None,
    )


def likely_to_breach(
    frame: pd.DataFrame, handle_minutes: float, horizon_hours: float, agents: int
) -> pd.DataFrame:
    """Open tickets (a queue of all open ones, most urgent first) likely to breach within
    `horizon_hours` of working time: each agent answers their tickets in queue order, each
    answer taking `handle_minutes`; unassigned ones wait for the next free agent. A ticket is
    likely to breach when its expected answer comes after its due time. Adds `wait` (working
    seconds until it is answered) and keeps those due within the horizon, soonest first."""
    running = frame[frame["next_due"].notna() & (frame["sla_state"] != SlaState.PAUSED.value)]
    if running.empty:
        return running.assign(wait=pd.Series(dtype="float64"))
    handle = handle_minutes * 60.0
    assigned = running[running["assignee_id"].notna()]
    ahead = assigned.groupby("assignee_id").cumcount()
    waits = pd.Series((ahead + 1) * handle, index=assigned.index, dtype="float64")
    free = running[running["assignee_id"].isna()]
    if not free.empty:
        loads = assigned.groupby("assignee_id").size()
        lightest = int(loads.min()) if len(loads) >= agents and agents else 0
        rank = pd.Series(range(len(free)), index=free.index)
        per_agent = rank // max(agents, 1)
        waits = pd.concat([waits, (lightest + per_agent + 1) * handle])
    out = running.assign(wait=waits.reindex(running.index))
    soon = out["working_left"] <= horizon_hours * 3600
    late = out["wait"] > out["working_left"]
    return out[soon & late].sort_values(["working_left", "id"]).reset_index(drop=True)
