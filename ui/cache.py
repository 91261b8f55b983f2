"""Cached reads shared by every user: aggregates only, bounded, keyed by all that changes them."""

from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd
import streamlit as st

from crm_core import customer_value, offers, settings
from crm_core.customer_value import ValueTable
from ui.db import database_url, read_scope


def today() -> date:
    """The business day the analytics are computed for (UTC)."""
    return datetime.now().astimezone().date()


def _as_of(day: date) -> datetime:
    # Analytics look at everything before tomorrow 00:00 UTC, so today's orders count.
    return datetime.combine(day, time()) + pd.Timedelta(days=1)


@st.cache_data(ttl=900, max_entries=4, show_spinner="Computing customer value…")
def _values(url: str, day: date, value_settings: settings.ValueSettings) -> ValueTable:
    with read_scope() as session:
        return customer_value.customer_values(session, _as_of(day), value_settings)


def value_settings() -> settings.ValueSettings:
    with read_scope() as session:
        return settings.value_settings(session)


def customer_values(day: date | None = None) -> ValueTable:
    """Every customer's value table (the same for every role: scope is applied by the lists)."""
    return _values(database_url()[0], day or today(), value_settings())


@st.cache_data(ttl=3600, max_entries=2, show_spinner=False)
def _rules(url: str, day: date) -> pd.DataFrame:
    with read_scope() as session:
        return offers.purchase_rules(session, _as_of(day))


def next_best_offers(customer_id: int, day: date | None = None) -> pd.DataFrame:
    day = day or today()
    rules = _rules(database_url()[0], day)
    with read_scope() as session:
        return offers.offers_for(session, rules, customer_id, _as_of(day))


def clear_customer_caches() -> None:
    """After a write that changes orders, tickets or interactions."""
    _values.clear()
    _rules.clear()
