"""Cached reads shared by every user: aggregates only, bounded, keyed by all that changes them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

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
        return customer_value.customer_values(session, moment, chosen.settings)


def _refresh(url: str, engine: Engine, moment: datetime, chosen: _Chosen) -> None:
    try:
        table = _compute(engine, moment, chosen)
        with _lock:
            _tables[url] = _Slot(table, chosen)
    finally:
        with _lock:
            if url in _tables:
                _tables[url].refreshing = False


def customer_values() -> ValueTable:
    """Every customer's value table, at most one refresh period old (lists apply role scope)."""
    url, engine, moment = database_url()[0], get_engine(), as_of()
    chosen = _Chosen(value_settings())
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
