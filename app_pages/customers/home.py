"""My work: the signed-in user's tickets about to breach (every one, for whoever assigns them)
and follow-ups that are overdue or due this week."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages.customers import _lists
from crm_core.customers import tasks
from crm_core.kernel.permissions import Actor, Capability, may
from crm_core.models import utcnow
from crm_core.service import read as service_read
from crm_core.service.read import SlaState
from ui import forms, nav
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_times, when
from ui.i18n import t, tn
from ui.labels import option
from ui.plain import plain


def render() -> None:
    actor = require_page("home")
    st.title(t("Good to see you, {name}", name=actor.name.split()[0]))
    st.caption(
        t(
            "Follow-ups you own that are overdue or due in the next 7 days. "
            "Click a customer to open it; select rows and press Done when they are."
        )
    )
    _escalations(actor)
    with read_scope() as session:
        follow_ups = tasks.open_follow_ups(session, actor, utcnow())
    overdue = int(follow_ups["overdue"].sum())
    left, right = st.columns(2)
    left.metric(t("Overdue follow-ups"), overdue)
    right.metric(t("Due in the next 7 days"), len(follow_ups) - overdue)
    forms.feedback("home-follow-ups")
    if follow_ups.empty:
        st.success(t("Nothing due: no open follow-ups in the next 7 days."))
        return
    shown = follow_ups.assign(due=local_times(follow_ups["due_at"]))
    picked = st.dataframe(
        shown[["due", "title", "customer", "lead", "overdue"]],
        hide_index=True,
        width="stretch",
        column_config={
            "due": t("Due"),
            "title": t("Follow-up"),
            "customer": t("Customer"),
            "lead": t("Lead"),
            "overdue": st.column_config.CheckboxColumn(t("Overdue")),
        },
        on_select="rerun",
        selection_mode=["multi-row", "single-cell"],
        key="home-follow-ups-table",
    )
    clicked = _lists.clicked_cell(picked, ["customer"])
    if clicked is not None and pd.notna(follow_ups["customer_id"].iloc[clicked]):
        _lists.open_record("home", "customer", int(follow_ups["customer_id"].iloc[clicked]))
    chosen = follow_ups.iloc[picked.selection.rows] if picked else follow_ups.iloc[[]]
    done_label, hint = t("Done"), t("Select rows")
    if st.button(done_label, key="home-follow-ups-done", disabled=chosen.empty, help=hint):
        done = list(zip(chosen["id"], chosen["version"], strict=True))
        forms.submit(
            "home-follow-ups",
            lambda s: [tasks.complete_follow_up(s, actor, int(i), int(v)) for i, v in done],
            tn("Marked {n:n} follow-up done.", "Marked {n:n} follow-ups done.", len(done)),
        )
        st.rerun()


def _escalations(actor: Actor) -> None:
    """Tickets about to breach or breached: an agent's own, every one for whoever assigns."""
    if not (may(actor, Capability.ANSWER_TICKETS) or may(actor, Capability.ASSIGN_TICKETS)):
        return
    with read_scope() as session:
        raised = service_read.escalations(session, actor, utcnow())
    if raised.empty:
        return
    st.subheader(tn("{n:n} ticket needs you now", "{n:n} tickets need you now", len(raised)))
    st.caption(t("At risk (under 20 % of its target left) or breached, most urgent first."))
    row: Any
    for row in raised.itertuples():
        state = option(SlaState, row.sla_state)
        label = t(
            "#{id} {subject} · {customer} · {state}, due {due}",
            id=row.id,
            subject=plain(row.subject),
            customer=plain(row.customer),
            state=state,
            due=when(row.next_due) if pd.notna(row.next_due) else "–",
        )
        nav.link("ticket", label, id=row.id)
