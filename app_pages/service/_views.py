"""The ticket queue's saved views: pick one of yours or the team's shared ones (it becomes the
page's address and filters), delete or share it, and save the current filters under a name."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from crm_core.kernel.permissions import Actor, Capability, may
from crm_core.service import links, views
from crm_core.service.queues import Filters, Queue
from ui import forms
from ui.db import read_scope
from ui.i18n import t

FORM = "tickets-views"
# The filter widgets and the address parameter each fills (see tickets.py).
WIDGETS = {
    "tickets-f-priority": "priorities",
    "tickets-f-category": "categories",
    "tickets-f-channel": "channels",
    "tickets-f-tier": "tiers",
}
# The widgets the address's region, owner and dates fill (links.queue_from_address).
LINKED = ("tickets-f-region", "tickets-f-owner", "tickets-f-created")
PARAMS = {
    "priorities": "priority",
    "categories": "category",
    "channels": "channel",
    "tiers": "tier",
}


def address(queue: Queue, filters: Filters) -> dict[str, str | list[str]]:
    """The page's address parameters for a queue and its filters."""
    out: dict[str, str | list[str]] = {
        **links.queue_address(queue.value, filters.region, filters.owner_id, filters.created)
    }
    for field, param in PARAMS.items():
        chosen = getattr(filters, field)
        if chosen:
            out[param] = list(chosen)
    if filters.search:
        out["q"] = filters.search
    return out


def picker(actor: Actor) -> None:
    """Above the queue: the saved views, to open one (before the filter widgets exist)."""
    with read_scope() as session:
        saved = views.saved_views(session, actor)
    if saved.empty:
        return
    labels = {int(i): _label(row) for i, row in zip(saved["id"], saved.itertuples(), strict=True)}
    pick, open_, drop, share = st.columns([4, 1, 1, 1], vertical_alignment="bottom")
    chosen = pick.selectbox(
        t("Saved views"),
        list(labels),
        index=None,
        format_func=lambda i: labels[i],
        placeholder=t("Choose a saved view"),
        key=f"{FORM}-pick",
    )
    if chosen is None:
        return
    row: Any = saved.loc[saved["id"] == chosen].iloc[0]
    if open_.button(t("Open"), key=f"{FORM}-open"):
        shown = views.view_of(dict(row["filters"]))
        for key in [*WIDGETS, *LINKED, "tickets-f-search", "tickets-queue"]:
            st.session_state.pop(key, None)
        st.query_params.from_dict(address(shown.queue, shown.filters))
        st.rerun()
    if bool(row["mine"]):
        _own_buttons(actor, row, drop, share)


def _label(row: Any) -> str:
    if row.mine:
        return f"{row.name} · {t('shared with the team')}" if row.shared else str(row.name)
    return t("{name} · shared by {owner}", name=row.name, owner=row.owner)


def _own_buttons(actor: Actor, row: pd.Series, drop: Any, share: Any) -> None:
    view_id, version = int(row["id"]), int(row["version"])
    if drop.button(t("Delete"), key=f"{FORM}-delete"):
        forms.submit(
            FORM, lambda s: views.delete_view(s, actor, view_id, version), t("View deleted.")
        )
        st.rerun()
    if may(actor, Capability.MANAGE_SERVICE):
        shared = bool(row["shared"])
        if share.button(t("Stop sharing") if shared else t("Share"), key=f"{FORM}-share"):
            forms.submit(
                FORM,
                lambda s: views.share_view(s, actor, view_id, version, not shared),
                t("The team no longer sees it.") if shared else t("The team sees it now."),
            )
            st.rerun()


def save_form(actor: Actor, queue: Queue, filters: Filters) -> None:
    """Below the filters: save what is chosen now under a name."""
    forms.feedback(FORM)
    with st.popover(t("Save this view"), icon=":material/bookmark_add:"):
        prefix = forms.fresh(FORM)  # a refused name stays typed; a saved one empties the box
        with st.form(f"{prefix}-save"):
            name = st.text_input(t("Name"), max_chars=60, key=f"{prefix}-name")
            shared = False
            if may(actor, Capability.MANAGE_SERVICE):
                shared = st.checkbox(t("Share with the team"), key=f"{prefix}-shared")
            sent = st.form_submit_button(t("Save"), type="primary")
        forms.field_error(FORM, "name")
    if sent:
        if forms.submit(
            FORM,
            lambda s: views.save_view(s, actor, name, queue, filters, shared=shared),
            t("View saved."),
        ):
            forms.renew(FORM)
        st.rerun()
