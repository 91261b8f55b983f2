"""The dashboard's cached reads: the figures are held per filters, reader and moment with the
change mark they were read at, so a live refresh with nothing new costs one small query (the
mark) and after new orders reads only those."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from crm_core.kernel.permissions import Actor
from crm_core.models import utcnow
from crm_core.overview import dashboard
from crm_core.overview.dashboard import Figure, Filters, Frames
from ui.cache import Latest
from ui.db import database_url, report_scope


def mark() -> tuple[object, ...]:
    with report_scope() as session:
        return dashboard.mark(session)


def moment() -> datetime:
    """Now, to five minutes: when an open ticket's undecided SLA is judged (a cache key)."""
    return pd.Timestamp(utcnow()).floor("5min").to_pydatetime()


# A resource cache: the frames are held as they are (read-only here), not pickled and
# unpickled on every hit as st.cache_data would, so a refresh with nothing new is a lookup.
# One holder per reader and filters, not per moment: keyed by the five-minute moment too, an
# open dashboard left a new set of frames every five minutes (the server grew from 354 to
# 467 MB over an hour at 100,000 customers, bench.live).
@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)
def _latest(url: str, actor: Actor, filters: Filters) -> Latest[tuple[list[Figure], Frames]]:
    return Latest()


def figures(
    actor: Actor, filters: Filters, at_mark: tuple[object, ...]
) -> tuple[list[Figure], Frames]:
    """The reader's figures (the actor is in the key: scope and amounts differ by reader), at
    `at_mark` or newer: after new orders only those are read; at a new moment (the tickets'
    SLA states move with it) everything is."""
    now = moment()
    latest = _latest(database_url()[0], actor, filters)
    marked = (now, *at_mark)
    with latest.lock:
        if latest.value is not None and latest.mark == marked:
            return latest.value
        with report_scope() as session:
            if latest.value is None or latest.mark is None or latest.mark[0] != now:
                frames = dashboard.load(session, actor, filters, now)
            else:
                held, since = latest.value[1], latest.mark[1:]
                frames = dashboard.refresh(session, actor, filters, now, held, since)
        latest.mark, latest.value = marked, (dashboard.figures(frames), frames)
        return latest.value
