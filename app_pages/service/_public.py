"""What the public Service pages share: the links a customer is sent (built from the address
the page was opened at) and the hourly count of requests per sender address."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from crm_core.models import utcnow


def link(key: str, ticket_id: int, token: str) -> str:
    """The full address of a public page for one ticket, e.g. .../reply?ticket=7&token=..."""
    base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]
    return f"{base}/{key}?ticket={ticket_id}&token={token}"


@st.cache_resource(show_spinner=False)
def _sent() -> dict[str, list[datetime]]:
    """Requests per sender address in this server process (the hourly limit)."""
    return {}


def sent_last_hour(sender: str) -> int:
    cutoff = utcnow() - timedelta(hours=1)
    kept = [at for at in _sent().get(sender, []) if at > cutoff]
    _sent()[sender] = kept
    return len(kept)


def note_sent(sender: str) -> None:
    _sent().setdefault(sender, []).append(utcnow())
