"""Cached reads shared by every user: aggregates only, bounded, keyed by all that changes them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from crm_core.customers import offers
from crm_core.customers import value as customer_value
from crm_core.customers.value import ValueTable
from crm_core.kernel import settings
from crm_core.models import utcnow
from db.session import session_scope
from ui.db import database_url, get_engine, read_scope
from ui.i18n import t

REFRESH = pd.Timedelta(minutes=15)


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


@dataclass
class _Slot:
    table: ValueTable
    settings: _Chosen
    refreshing: bool = False


# One value table per database: at 100,000 customers it takes ~10 s to compute and ~50 MB to
# hold, so viewers keep the previous table while the next one is computed in the background.
_tables: dict[str, _Slot] = {}
_lock = threading.Lock()


def _compute(engine: Engine, moment: datetime, chosen: _Chosen) -> ValueTable:
    with session_scope(engine, write=False) as session:
        return customer_value.customer_values(session, moment, chosen.settings, chosen.zone)


def _refresh(url: str, engine: Engine, moment: datetime, chosen: _Chosen) -> None:
    try:
        table = _compute(engine, moment, chosen)
        with _lock:
            _tables[url] = _Slot(table, chosen)
    finally:
        with _lock:
            if url in _tables:
                _tables[url].refreshing = False


AS_OF_DAY = "value_as_of_day"  # session key: the day the value figures are "as of" (None: now)
_past: OrderedDict[tuple[str, date, _Chosen], ValueTable] = OrderedDict()
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
    )
    return chosen_day()


def _values_as_of(url: str, engine: Engine, day: date, chosen: _Chosen) -> ValueTable:
    key = (url, day, chosen)
    with _lock:
        if key in _past:
            _past.move_to_end(key)
            return _past[key]
    with (
        st.spinner(t("Computing customer value for every customer…")),
        session_scope(engine, write=False) as session,
    ):
        table = customer_value.customer_values_as_of(session, day, chosen.settings, chosen.zone)
    with _lock:
        _past[key] = table
        while len(_past) > _PAST_KEPT:
            _past.popitem(last=False)
    return table


def customer_values(day: date | None = None) -> ValueTable:
    """Every customer's value table, at most one refresh period old (lists apply role scope),
    or as of the end of `day` (what `chosen_day()` returns after an `as_of_picker`)."""
    url, engine, moment = database_url()[0], get_engine(), as_of()
    chosen = _chosen()
    if day is not None:
        return _values_as_of(url, engine, day, chosen)
    with _lock:
        slot = _tables.get(url)
        stale = slot is not None and slot.settings == chosen and slot.table.as_of < moment
        if stale and slot is not None and not slot.refreshing:
            slot.refreshing = True
            threading.Thread(
                target=_refresh, args=(url, engine, moment, chosen), daemon=True
            ).start()
    if slot is not None and slot.settings == chosen:
        return slot.table
    with st.spinner(t("Computing customer value for every customer…")):
        table = _compute(engine, moment, chosen)
    with _lock:
        _tables[url] = _Slot(table, chosen)
    return table


@st.cache_data(ttl=3600, max_entries=2, show_spinner=False)
def _rules(url: str, day: datetime) -> pd.DataFrame:
    with read_scope() as session:
        return offers.purchase_rules(session, day)


def next_best_offers(customer_id: int) -> pd.DataFrame:
    # Co-purchase patterns move slowly: the rules are recomputed once a day.
    day = pd.Timestamp(utcnow()).floor("D").to_pydatetime()
    rules = _rules(database_url()[0], day)
    with read_scope() as session:
        return offers.offers_for(session, rules, customer_id, as_of())


def clear_customer_caches() -> None:
    """After a write that moves sales between customers (a merge): recompute on next view."""
    with _lock:
        _tables.clear()
        _past.clear()
    _rules.clear()


@st.cache_data(ttl=3600, max_entries=4, show_spinner=False)
def _values_at(url: str, moment: datetime, chosen: settings.ValueSettings) -> ValueTable:
    with read_scope() as session:
        return customer_value.customer_values(session, moment, chosen)


def customer_values_at(moment: datetime) -> ValueTable:
    """The value table at a past moment (a tier migration's first date, a segment's past
    membership): the same for every user (lists apply role scope), kept an hour."""
    if moment >= as_of():
        return customer_values()
    with st.spinner(t("Computing customer value at that date…")):
        return _values_at(database_url()[0], moment, value_settings())
