"""Cached reads shared by every user: aggregates only, bounded, keyed by all that changes them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar, cast

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from crm_core.customers import data_quality, offers, value_store
from crm_core.customers import value as customer_value
from crm_core.customers.value import ValueTable
from crm_core.kernel import settings
from crm_core.kernel.permissions import Actor
from crm_core.models import utcnow
from db.session import session_scope
from ui import refresher
from ui.db import database_url, get_engine, read_scope
from ui.format import date_box_format
from ui.i18n import t

REFRESH = pd.Timedelta(value_store.REFRESH_EVERY)


T = TypeVar("T")


@dataclass
class Latest(Generic[T]):
    """A value held with the change mark it was read at, for a reader that reads only what
    moved since (the dashboard's live refresh); its sessions wait on one lock, not read twice."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    mark: tuple[object, ...] | None = None
    value: T | None = None


def as_of() -> datetime:
    """Now, floored to the refresh period: the moment the value figures describe (naive UTC)."""
    return pd.Timestamp(utcnow()).floor(REFRESH).to_pydatetime()


def value_settings() -> settings.ValueSettings:
    with read_scope() as session:
        return settings.value_settings(session)


@st.cache_data(ttl=60, max_entries=8, show_spinner=False)
def _team_settings(url: str) -> settings.TeamSettings:
    with read_scope() as session:
        return settings.team_settings(session)


def team_settings() -> settings.TeamSettings:
    """The team's settings (time zone, currency...), the same for every user of a database.

    Held a minute: a save on this server clears it at once, other replicas see it within that.
    """
    return _team_settings(database_url()[0])


def clear_settings_caches() -> None:
    """After a settings save: times, amounts and the value table follow the new settings."""
    _team_settings.clear()


@dataclass(frozen=True)
class _Chosen:
    """What a value table was computed with: a change recomputes it. (Not the currency nor
    the language: its reasons are codes with numbers, written for each reader when shown.)"""

    settings: settings.ValueSettings
    zone: str = "UTC"  # the team's time zone: the days every figure counts


def _chosen() -> _Chosen:
    return _Chosen(value_settings(), team_settings().time_zone)


@dataclass(frozen=True)
class ValueStatus:
    """When the stored value figures were computed and what this server is doing about it."""

    refreshed: value_store.RefreshInfo | None  # None: never (the table is still empty)
    refreshing: bool  # this server's background refresher is computing right now
    step: str  # "full" or "incremental" while refreshing


def value_status() -> ValueStatus:
    """The stored figures' refresh, read each run (one small query): pages say when."""
    url = database_url()[0]
    get_engine()  # starts the refresher with the engine
    with read_scope() as session:
        info = value_store.last_refresh(session)
    state = refresher.state(url)
    return ValueStatus(info, state.running, state.step)


_lock = threading.Lock()
AS_OF_DAY = "value_as_of_day"  # session key: the day the value figures are "as of" (None: now)
# What was computed for past days, by (what, database, day, settings): value tables and tiers.
_past: OrderedDict[tuple[str, str, date, _Chosen], Any] = OrderedDict()
_PAST_KEPT = 4  # tables of past days held at once (each up to ~50 MB at 100,000 customers)


def chosen_day() -> date | None:
    """The day this user looks at the value figures as of; None for now (the default)."""
    day = st.session_state.get(AS_OF_DAY)
    return day if isinstance(day, date) else None


def as_of_picker() -> date | None:
    """A date box: the value figures as they stood at the end of a chosen day (for a team that
    imported its history: the models calibrated to that day). Empty means now (None)."""
    st.date_input(
        t("Value figures as of"),
        value=None,
        max_value=pd.Timestamp(utcnow()).date(),
        key=AS_OF_DAY,
        help=t(
            "Empty: now. A day: the figures as they stood at the end of that day in the team's "
            "time zone, orders after it left out."
        ),
        format=date_box_format(),
    )
    return chosen_day()


def _kept(what: str, day: date, compute: Callable[[Session, _Chosen], T]) -> T:
    """A past day's figures, computed once for every reader and kept with the last few."""
    url, engine, chosen = database_url()[0], get_engine(), _chosen()
    key = (what, url, day, chosen)
    with _lock:
        if key in _past:
            _past.move_to_end(key)
            return cast(T, _past[key])
    with session_scope(engine, write=False) as session:
        found = compute(session, chosen)
    with _lock:
        _past[key] = found
        while len(_past) > _PAST_KEPT:
            _past.popitem(last=False)
    return found


def _values_as_of(day: date) -> ValueTable:
    with st.spinner(t("Computing customer value for every customer…")):
        return _kept(
            "values",
            day,
            lambda s, c: customer_value.customer_values_as_of(s, day, c.settings, c.zone),
        )


def tiers_at(moment: datetime) -> pd.Series:
    """Each customer's value tier at a past moment (the end of its day in the team's zone),
    for a tier migration: the stored ones of the last quarter end, else computed without the
    rest of the value table; kept like it."""
    if moment >= as_of():
        return customer_values().frame["value_tier"]
    day = moment.date()
    status = value_status().refreshed
    # The last quarter end's tiers are stored by the full refresh; kept per full refresh.
    kept_as = f"tiers {status.last_full_as_of if status else None}"

    def compute(session: Session, chosen: _Chosen) -> pd.Series:
        stored = value_store.stored_tiers_on(session, day)
        if stored is not None:
            return stored
        return customer_value.tiers_as_of(session, day, chosen.settings, chosen.zone)

    return _kept(kept_as, day, compute)


def customer_values(
    day: date | None = None,
    customer_id: int | None = None,
    customer_ids: Collection[int] | None = None,
) -> ValueTable:
    """The stored value figures (computed by the background refresh, never in this run):
    one customer's row when `customer_id` is given (a Customer 360), those of `customer_ids`
    (an account's contacts), else every customer's; or, with `day`, the figures as of the
    end of that day (computed here, kept a while)."""
    if day is not None:
        return _values_as_of(day)
    with read_scope() as session:
        if customer_id is not None:
            return value_store.stored_value(session, customer_id)
        return value_store.stored_values(session, customer_ids)


@st.cache_data(ttl=2 * 86400, max_entries=2, show_spinner=False)
def _rules(url: str, computed: datetime | None) -> pd.DataFrame:
    with read_scope() as session:
        return value_store.purchase_rules(session)


def next_best_offers(actor: Actor, customer_id: int) -> pd.DataFrame:
    # Co-purchase patterns move slowly: the rules are computed with the daily full refresh
    # (in the background, stored for every replica) and read here once per full refresh.
    with read_scope() as session:
        info = value_store.last_refresh(session)
    rules = _rules(database_url()[0], info.last_full_as_of if info is not None else None)
    with read_scope() as session:
        return offers.offers_for(session, actor, rules, customer_id, as_of())


@st.cache_data(ttl=2 * 3600, max_entries=16, show_spinner=False)
def _quality(
    url: str, actor: Actor, period: datetime, older_than_days: int, cluster_limit: int
) -> data_quality.QualityReport:
    with read_scope() as session:
        return data_quality.quality_report(
            session, actor, period, older_than_days, cluster_limit=cluster_limit
        )


def quality_report(
    actor: Actor, older_than_days: int, cluster_limit: int
) -> tuple[data_quality.QualityReport, datetime]:
    """The data-quality figures, computed once per refresh period per user and scope (not per
    rerun), and the moment they describe. A save clears them (`clear_customer_caches`)."""
    period = as_of()
    report = _quality(database_url()[0], actor, period, older_than_days, cluster_limit)
    return report, period


def clear_customer_caches() -> None:
    """After a write that moves sales between customers (a merge): recompute on next view."""
    with _lock:
        _past.clear()
    _rules.clear()
    _quality.clear()


def customer_values_at(moment: datetime) -> ValueTable:
    """The value table at a past moment (a tier migration's first date, a segment's past
    membership), as of the end of that day in the team's zone: the same for every user
    (lists apply role scope), kept with the other past days."""
    if moment >= as_of():
        return customer_values()
    return customer_values(day=moment.date())
