"""Service levels: the first-response and resolution targets per priority, in working hours,
that every new ticket's due times are set from; a manager changes them."""

from __future__ import annotations

import streamlit as st

from crm_core.models.enums import Priority
from crm_core.service import sla
from ui import forms
from ui.auth import require_page
from ui.db import read_scope
from ui.i18n import t
from ui.labels import option

FORM = "service-levels"


def render() -> None:
    actor = require_page("service-levels")
    st.title(t("Service levels"))
    st.caption(
        t(
            "Targets in working hours: only the team's open hours count, and no public holiday or "
            "company day off. A new ticket's due times are set from its priority's targets; a "
            "priority change moves them. Tickets already open keep theirs until then."
        )
    )
    with read_scope() as session:
        policy, version = sla.sla_policy(session), sla.policy_version(session)
    forms.feedback(FORM)
    with st.form(FORM):
        typed: dict[Priority, tuple[float, float]] = {}
        for priority in reversed(list(Priority)):
            target = policy[priority]
            label, fr, res = st.columns([1, 2, 2])
            label.markdown(f"**{option(Priority, priority)}**")
            typed[priority] = (
                fr.number_input(
                    t("First response (hours)"),
                    0.25,
                    720.0,
                    target.first_response_minutes / 60,
                    0.25,
                    key=f"{FORM}-{priority}-fr",
                ),
                res.number_input(
                    t("Resolution (hours)"),
                    0.25,
                    1440.0,
                    target.resolution_minutes / 60,
                    0.25,
                    key=f"{FORM}-{priority}-res",
                ),
            )
        sent = st.form_submit_button(t("Save"), type="primary")
    if sent:
        data = {
            p: {"first_response_minutes": round(fr * 60), "resolution_minutes": round(res * 60)}
            for p, (fr, res) in typed.items()
        }
        if forms.submit(FORM, lambda s: sla.save_policy(s, actor, version, data), t("Saved.")):
            st.rerun()
