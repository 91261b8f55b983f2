"""My work: the signed-in user's follow-ups that are overdue or due this week."""

from __future__ import annotations

import streamlit as st

from crm_core.customers import tasks
from crm_core.models import utcnow
from ui import forms
from ui.auth import require_page
from ui.db import read_scope
from ui.format import local_times


def render() -> None:
    actor = require_page("home")
    st.title(f"Good to see you, {actor.name.split()[0]}")
    st.caption(
        "Follow-ups you own that are overdue or due in the next 7 days. "
        "Select rows and press Done when they are."
    )
    with read_scope() as session:
        follow_ups = tasks.open_follow_ups(session, actor, utcnow())
    overdue = int(follow_ups["overdue"].sum())
    left, right = st.columns(2)
    left.metric("Overdue follow-ups", overdue)
    right.metric("Due in the next 7 days", len(follow_ups) - overdue)
    forms.feedback("home-follow-ups")
    if follow_ups.empty:
        st.success("Nothing due: no open follow-ups in the next 7 days.")
        return
    shown = follow_ups.assign(due=local_times(follow_ups["due_at"]))
    picked = st.dataframe(
        shown[["due", "title", "customer", "lead", "overdue"]],
        hide_index=True,
        width="stretch",
        column_config={"overdue": st.column_config.CheckboxColumn("Overdue")},
        on_select="rerun",
        selection_mode="multi-row",
        key="home-follow-ups-table",
    )
    chosen = follow_ups.iloc[picked.selection.rows] if picked else follow_ups.iloc[[]]
    if st.button("Done", key="home-follow-ups-done", disabled=chosen.empty, help="Select rows"):
        done = list(zip(chosen["id"], chosen["version"], strict=True))
        forms.submit(
            "home-follow-ups",
            lambda s: [tasks.complete_follow_up(s, actor, int(i), int(v)) for i, v in done],
            f"Marked {len(done)} follow-up{'s' if len(done) != 1 else ''} done.",
        )
        st.rerun()
