"""The dashboard's cached reads: the figures are computed once per filters, reader and change
mark, so a live refresh with nothing new costs one small query (the mark) and a cache hit."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from crm_core.kernel.permissions import Actor
from crm_core.models import utcnow
from crm_core.overview import dashboard
from crm_core.overview.dashboard import Figure, Filters, Frames
from ui.db import database_url, read_scope


def mark() -> tuple[object, ...]:
    with read_scope() as session:
        return dashboard.mark(session)


def moment() -> datetime:
    """Now, to five minutes: when an open ticket's undecided SLA is judged (a cache key)."""
    return pd.Timestamp(utcnow()).floor("5min").to_pydatetime()


# A resource cache: the frames are held as they are (read-only here), not pickled and
# unpickled on every hit as st.cache_data would, so a refresh with nothing new is a lookup.
@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)
def _figures(
    url: str, actor: Actor, filters: Filters, mark: tuple[object, ...], now: datetime
) -> tuple[list[Figure], Frames]:
    with read_scope() as session:
        return dashboard.dashboard(session, actor, filters, now)


def figures(
    actor: Actor, filters: Filters, at_mark: tuple[object, ...]
) -> tuple[list[Figure], Frames]:
    """The reader's figures (the actor is in the key: scope and amounts differ by reader)."""
    return _figures(database_url()[0], actor, filters, at_mark, moment())
