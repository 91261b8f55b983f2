"""The Service pages' figures, cached per reader, period, minute and tickets' change mark.

Every widget on the dashboard reruns the page, and each run computed the period's figures
twice over (this period and the one before), the CSAT, the open queue and the what-if: about
a second at 100,000 tickets. Kept for five minutes per reader (role and scope are in the key,
st.cache_data being shared by every user), and keyed by the tickets' change mark (their
newest `updated_at` and highest id), so a ticket saved on any replica shows at the next run.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.kernel.permissions import Actor
from crm_core.kernel.settings import TeamSettings
from crm_core.models import utcnow
from crm_core.models.enums import Priority, Role
from crm_core.service import csat, figures, queues, routing, sla
from ui import cache
from ui.db import database_url, read_scope

Who = tuple[int, str, str, str]


# who reads which period at which moment: what the cached figures are kept by
# (reader, team settings, days, the period's end, the tickets' change mark)
Asked = tuple[Actor, TeamSettings, int, datetime, tuple[Any, ...]]


def moment() -> datetime:
    """The dashboard's "now", the end of this minute: the cache's key moves once a minute,
    not every run, and a ticket of this minute is in (created before the end)."""
    return utcnow().replace(second=0, microsecond=0) + timedelta(minutes=1)


def reader(actor: Actor) -> Who:
    return (actor.id, actor.username, actor.name, actor.role.value)


def _actor(who: Who) -> Actor:
    return Actor(who[0], who[1], who[2], Role(who[3]))


def mark() -> tuple[Any, ...]:
    with read_scope() as session:
        return figures.tickets_mark(session)


@st.cache_data(ttl=300, max_entries=16, show_spinner=False)
def _period(
    url: str, who: Who, settings: TeamSettings, days: int, end: datetime, mark: tuple[Any, ...]
) -> tuple[Any, ...]:
    start, before = end - timedelta(days=days), end - timedelta(days=2 * days)
    actor = _actor(who)
    with read_scope() as session:
        now, frame = figures.service_figures(
            session, actor, settings, start, end, stored_tiers=True
        )
        prev, _ = figures.service_figures(session, actor, settings, before, start)
        rated = csat.csat_figures(session, actor, start, end)
    return now, frame, prev, rated, figures.hourly_heatmap(frame, settings)


def period(
    actor: Actor, settings: TeamSettings, days: int, end: datetime, mark: tuple[Any, ...]
) -> tuple[Any, ...]:
    """This period's figures and ticket frame, the previous period's figures, the CSAT and
    the tickets per weekday and hour."""
    return tuple(_period(database_url()[0], reader(actor), settings, days, end, mark))


@st.cache_data(ttl=300, max_entries=16, show_spinner=False)
def _staffing(
    url: str,
    who: Who,
    settings: TeamSettings,
    days: int,
    end: datetime,
    mark: tuple[Any, ...],
    asked: tuple[float, int, float],
) -> pd.DataFrame:
    frame = _period(url, who, settings, days, end, mark)[1]
    handle, target, share = asked
    start = end - timedelta(days=days)
    with read_scope() as session:
        return figures.staffing(session, frame, settings, start, end, handle, target, share)


def staffing(
    actor: Actor,
    settings: TeamSettings,
    days: int,
    end: datetime,
    mark: tuple[Any, ...],
    asked: tuple[float, int, float],
) -> pd.DataFrame:
    """Agents needed per hour (Erlang C) for the minutes an answer takes, the target in
    minutes and the share answered in time."""
    return _staffing(database_url()[0], reader(actor), settings, days, end, mark, asked)


@st.cache_data(ttl=300, max_entries=16, show_spinner=False)
def _what_if(
    url: str,
    who: Who,
    settings: TeamSettings,
    days: int,
    end: datetime,
    mark: tuple[Any, ...],
    policy: sla.SlaPolicy,
    asked: tuple[str, str | None, int, int],
) -> figures.WhatIf:
    frame = _period(url, who, settings, days, end, mark)[1]
    priority, tier, first, resolution = asked
    changed = sla.Target(first, resolution)
    with read_scope() as session:
        return figures.what_if(session, frame, settings, policy, Priority(priority), changed, tier)


def what_if(
    actor: Actor,
    settings: TeamSettings,
    days: int,
    end: datetime,
    mark: tuple[Any, ...],
    policy: sla.SlaPolicy,
    asked: tuple[Priority, str | None, sla.Target],
) -> figures.WhatIf:
    """The period's replay under the asked priority, tier and changed target."""
    priority, tier, target = asked
    key = (priority.value, tier, target.first_response_minutes, target.resolution_minutes)
    url = database_url()[0]
    return _what_if(url, reader(actor), settings, days, end, mark, policy, key)


@st.cache_data(ttl=120, max_entries=32, show_spinner=False)
def _queue(
    url: str,
    who: Who,
    which: str,
    filters: queues.Filters,
    settings: TeamSettings,
    policy: sla.SlaPolicy,
    minute: datetime,
    mark: tuple[Any, ...],
) -> pd.DataFrame:
    with read_scope() as session:
        return queues.queue(
            session, _actor(who), queues.Queue(which), settings, policy, minute, filters,
            stored_tiers=True,
        )  # fmt: skip


def queue(
    actor: Actor, which: queues.Queue, filters: queues.Filters, policy: sla.SlaPolicy
) -> pd.DataFrame:
    """The Ticket queue as of this minute's start, kept per reader, queue, filters and the
    tickets' change mark: a rerun that changes none of them (a row ticked, a form opened)
    reads only the mark (0.1 s of a warm run at 100,000 tickets on PostgreSQL). A ticket
    saved anywhere moves the mark; a customer renamed shows within the minute."""
    minute = utcnow().replace(second=0, microsecond=0)
    settings = cache.team_settings()
    return _queue(database_url()[0], reader(actor), which.value, filters, settings, policy,
                  minute, mark())  # fmt: skip


@st.cache_data(ttl=300, max_entries=16, show_spinner=False)
def _open_queue(
    url: str, who: Who, settings: TeamSettings, policy: sla.SlaPolicy, end: datetime, mark: Any
) -> tuple[pd.DataFrame, int]:
    with read_scope() as session:
        frame = queues.queue(
            session, _actor(who), queues.Queue.OPEN, settings, policy, end, limit=100_000
        )
        return frame, len(routing.agents(session))


@st.cache_data(ttl=300, max_entries=16, show_spinner=False)
def _likely(
    url: str,
    who: Who,
    settings: TeamSettings,
    policy: sla.SlaPolicy,
    end: datetime,
    mark: tuple[Any, ...],
    asked: tuple[float, int],
) -> pd.DataFrame:
    open_now, agents = _open_queue(url, who, settings, policy, end, mark)
    handle, hours = asked
    return queues.likely_to_breach(open_now, handle, hours, agents)


def likely(
    actor: Actor,
    settings: TeamSettings,
    policy: sla.SlaPolicy,
    end: datetime,
    mark: tuple[Any, ...],
    asked: tuple[float, int],
) -> pd.DataFrame:
    """The open tickets likely to breach within `hours` at `handle` minutes an answer."""
    return _likely(database_url()[0], reader(actor), settings, policy, end, mark, asked)
